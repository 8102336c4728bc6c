"""What commands need from the outside world, built lazily at the edge: settings and the database handle."""

from __future__ import annotations

from adpilot.settings import Settings, load_settings
from db import migrate
from db.database import Database, open_database

__all__ = ["database", "settings"]


def settings() -> Settings:
    return load_settings()


def database(cfg: Settings | None = None, *, migrated: bool = True) -> Database:
    """Open the store. The embedded server is migrated automatically (it is ours); an external server must be
    upgraded deliberately with ``adpilot db upgrade`` — commands refuse to run on an out-of-date schema."""
    cfg = cfg or settings()
    db = open_database(cfg)
    db.ping()
    if migrated:
        if db.embedded:
            migrate.upgrade(db)
        else:
            migrate.require_current(db)
    return db
