"""Benchmarks. Each prints one JSON object on stdout (progress on stderr), takes a seed, and reports figures as
ratios against baselines measured in the same run (see EVALUATION.md)."""
