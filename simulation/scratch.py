"""Scratch databases for simulated weeks that must not share a store.

Why: period claims, model champions and the kill switch are global to a store. Two policies (or two runs of one
seed) sharing a store would see each other's champions and claimed periods, so neither isolation nor
reproducibility would hold. Each simulated week of the benchmark (and each baseline replay of the demo) therefore
runs in its own database, created on the same server from a migrated template (``CREATE DATABASE … TEMPLATE`` copies
files: well under a second) and dropped afterwards.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from db import migrate
from db.database import Database, make_engine

__all__ = ["TEMPLATE", "ScratchServer"]

TEMPLATE = "adpilot_sim_template"


def _quote(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe database name {name!r}")
    return f'"{name}"'


class ScratchServer:
    """Creates and drops scratch databases on the server of ``base`` (a store URL)."""

    def __init__(self, base_url: str) -> None:
        self.base: URL = make_url(base_url)
        self._admin = make_engine(self.base.set(database="postgres").render_as_string(hide_password=False))
        self._template_ready = False

    @classmethod
    def beside(cls, database: Database) -> ScratchServer:
        """Scratch databases on the server of an open store (the configured one, or the embedded one)."""
        return cls(database.engine.url.render_as_string(hide_password=False))

    def url_of(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self._admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(sql))

    def _exists(self, name: str) -> bool:
        with self._admin.connect() as conn:
            return bool(conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first())

    def prepare_template(self) -> None:
        """Create the template once and bring it to the latest migration (a no-op when it already is)."""
        if self._template_ready:
            return
        if not self._exists(TEMPLATE):
            self._execute(f"CREATE DATABASE {_quote(TEMPLATE)}")
        database = Database(make_engine(self.url_of(TEMPLATE)), embedded=False)
        try:
            migrate.upgrade(database)
        finally:
            database.dispose()  # a template must have no open connection when it is copied
        self._template_ready = True

    @contextmanager
    def database(self, tag: str) -> Iterator[Database]:
        """A fresh, migrated database for one run; dropped (with any connection left open) on exit."""
        self.prepare_template()
        name = f"adpilot_sim_{tag}_{secrets.token_hex(3)}".lower()
        self._execute(f"CREATE DATABASE {_quote(name)} TEMPLATE {_quote(TEMPLATE)}")
        database = Database(make_engine(self.url_of(name)), embedded=False)
        try:
            yield database
        finally:
            database.dispose()
            self._execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")

    def dispose(self) -> None:
        self._admin.dispose()
