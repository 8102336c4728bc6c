"""Issue 11 item 15: the audit log is tamper-evident. As the non-superuser role that OWNS the migrated database,
TRUNCATE is refused, a disabled or dropped trigger shows in ``db status``, and a row changed behind the triggers'
back breaks the hash chain that ``audit verify`` walks; as the runtime role (not the owner) none of it is possible."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from typer.testing import CliRunner

from cli.main import app
from db import migrate
from db.audit import AuditRepository, verify_chain
from db.database import Database, make_engine
from db.enums import AuditEvent
from db.roles import grant_runtime_role
from tests.conftest import ADMIN_URL, _sqlalchemy_url

runner = CliRunner(env={"COLUMNS": "200"})


def _url_as(role: str, dbname: str) -> str:
    return _sqlalchemy_url(dbname).replace("postgres@", f"{role}@", 1)


@pytest.fixture()
def owned() -> Iterator[tuple[str, str, str]]:
    """A database owned by a fresh non-superuser role, migrated as that role; and a runtime role."""
    suffix = uuid.uuid4().hex[:8]
    owner, runtime, dbname = f"adp_owner_{suffix}", f"adp_app_{suffix}", f"adpilot_audit_{suffix}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{owner}" LOGIN')
        conn.execute(f'CREATE ROLE "{runtime}" LOGIN')
        conn.execute(f'CREATE DATABASE "{dbname}" OWNER "{owner}"')
    with psycopg.connect(_sqlalchemy_url(dbname).replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'ALTER SCHEMA public OWNER TO "{owner}"')
    database = Database(make_engine(_url_as(owner, dbname)), embedded=False)
    migrate.upgrade(database)
    grant_runtime_role(database, runtime)
    database.dispose()
    try:
        yield owner, runtime, dbname
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{runtime}"')
            conn.execute(f'DROP ROLE IF EXISTS "{owner}"')


def _write(database: Database, n: int) -> None:
    for i in range(n):
        with database.transaction() as session:
            AuditRepository(session).append(
                AuditEvent.MANUAL_EDIT, actor=f"user{i}", message=f"edit {i}", details={"i": i, "note": "x|y:z"}
            )


def _psql(url: str, statement: str) -> None:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(statement)


def test_owner_cannot_truncate_and_tampering_is_evident(owned, monkeypatch) -> None:
    owner, _runtime, dbname = owned
    url = _url_as(owner, dbname)
    database = Database(make_engine(url), embedded=False)
    _write(database, 5)
    with database.transaction() as session:
        assert verify_chain(session).intact and verify_chain(session).rows == 5
    with pytest.raises(psycopg.errors.CheckViolation):
        _psql(url, "TRUNCATE audit_log")

    monkeypatch.setenv("ADPILOT_DATABASE_URL", url)
    _psql(url, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    status = runner.invoke(app, ["db", "status", "--json"])
    assert status.exit_code == 2 and "audit trigger audit_log_append_only is disabled" in status.stdout
    _psql(url, "UPDATE audit_log SET message = 'nothing happened' WHERE chain_seq = 3")
    verified = runner.invoke(app, ["audit", "verify", "--json"])
    assert verified.exit_code == 2, verified.output
    report = json.loads(verified.stdout)
    assert report["intact"] is False and any("row 3 was changed" in f for f in report["findings"])

    _psql(url, "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    _psql(url, "DROP TRIGGER audit_log_no_truncate ON audit_log")
    status = runner.invoke(app, ["db", "status", "--json"])
    assert status.exit_code == 2 and "audit_log_no_truncate is missing" in status.stdout
    database.dispose()


def test_the_runtime_role_can_append_but_not_tamper(owned) -> None:
    _owner, runtime, dbname = owned
    url = _url_as(runtime, dbname)
    database = Database(make_engine(url), embedded=False)
    _write(database, 3)  # the application's own writes work
    for statement in (
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        "DROP TRIGGER audit_log_chain ON audit_log",
        "UPDATE audit_log SET message = 'x'",
        "DELETE FROM audit_log",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _psql(url, statement)
    with database.transaction() as session:
        assert verify_chain(session).intact and verify_chain(session).rows == 3
    database.dispose()


def test_concurrent_writers_keep_one_gap_free_chain(owned) -> None:
    from concurrent.futures import ThreadPoolExecutor

    owner, _runtime, dbname = owned
    database = Database(make_engine(_url_as(owner, dbname)), embedded=False)
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda _: _write(database, 10), range(6)))
    with database.transaction() as session:
        report = verify_chain(session)
    assert report.intact, report.breaks
    assert report.rows == 60
    database.dispose()
