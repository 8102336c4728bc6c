"""Ad platforms: the ``AdPlatform`` interface (``platforms.base``) and its adapters; ``platforms.sandbox`` is the
simulated market that adpilot runs against out of the box."""
