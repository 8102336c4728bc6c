"""How fast the CLI answers (``adpilot bench cli``): wall time of whole commands against baselines measured in the
same run."""
