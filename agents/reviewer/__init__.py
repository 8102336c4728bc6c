"""The reviewer: writes the change-set's human-readable rationale, flags anything odd, estimates the effect."""
