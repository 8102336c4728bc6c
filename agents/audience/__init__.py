"""The audience analyst: segments that over- or under-perform their predicted value become modifier or exclusion
candidates (with minimum-sample gates and a forecast each)."""
