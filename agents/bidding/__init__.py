"""The bid & budget optimiser: bid level and budget from delivery against target CPA and budget, dayparting where
value varies by hour, and budget reallocation between campaigns of an account by marginal return."""
