"""The 24/7 daemon: an in-memory APScheduler clock per replica, Postgres as the coordinator (period claims,
leased work items), the jobs, and graceful shutdown."""
