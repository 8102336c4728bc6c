"""Test fixtures: a fresh real PostgreSQL database per test session (created, migrated, dropped), emptied between
tests. The server is the machine's (127.0.0.1:5432, trust auth) unless ADPILOT_TEST_ADMIN_URL names another."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text

from db import migrate
from db.database import Database, make_engine
from db.schema import Base

ADMIN_URL = os.environ.get("ADPILOT_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _sqlalchemy_url(dbname: str) -> str:
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{dbname}"


class FreshDatabases:
    """Creates and drops uniquely named databases on the test server."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def create(self, prefix: str = "adpilot_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return _sqlalchemy_url(name)

    def drop_all(self) -> None:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def fresh_databases() -> Iterator[FreshDatabases]:
    factory = FreshDatabases()
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def database_url(fresh_databases: FreshDatabases) -> str:
    """URL of this session's migrated database."""
    url = fresh_databases.create()
    database = Database(make_engine(url), embedded=False)
    migrate.upgrade(database)
    database.dispose()
    return url


@pytest.fixture(scope="session")
def session_database(database_url: str) -> Iterator[Database]:
    database = Database(make_engine(database_url), embedded=False)
    yield database
    database.dispose()


def empty(database: Database) -> Database:
    """Empty every table (as superuser, with the audit triggers skipped) and reset the kill switch."""
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with database.engine.begin() as conn:
        # the tests' superuser empties the audit log too: replica mode skips its append-only triggers
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO kill_switch (id, engaged, changed_at) VALUES (1, false, now())"))
    return database


@pytest.fixture()
def database(session_database: Database) -> Database:
    """The session database, emptied before the test."""
    return empty(session_database)


@pytest.fixture()
def cli_env(database: Database, database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI (which builds Settings from ADPILOT_* variables) at the test database."""
    for key in list(os.environ):
        if key.startswith("ADPILOT_") and key != "ADPILOT_TEST_ADMIN_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("ADPILOT_DATABASE_URL", database_url)
    monkeypatch.setenv("ADPILOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout
    return database_url
