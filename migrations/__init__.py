"""Alembic migrations: the only way the schema changes. Driven by ``adpilot db upgrade|downgrade|status``
(see ``db.migrate``); ``env.py`` takes its connection from the caller, never from a config file."""
