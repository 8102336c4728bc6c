"""Migrations on real Postgres: the round trip, and the ORM and the migrated schema agreeing (no drift)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from adpilot.errors import InvalidInput
from db import migrate
from db.database import Database, make_engine
from db.schema import Base


@pytest.fixture()
def scratch(fresh_databases) -> Database:
    database = Database(make_engine(fresh_databases.create("adpilot_mig")), embedded=False)
    yield database
    database.dispose()


def _tables(database: Database) -> set[str]:
    return set(inspect(database.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_round_trip(scratch: Database) -> None:
    assert migrate.status(scratch).current is None
    st = migrate.upgrade(scratch)
    assert st.up_to_date and st.current == st.head
    assert _tables(scratch) == set(Base.metadata.tables)

    st = migrate.downgrade(scratch, "base")
    assert st.current is None
    assert _tables(scratch) == set()
    with scratch.engine.connect() as conn:  # the trigger function went with it
        assert conn.execute(text("SELECT count(*) FROM pg_proc WHERE proname = 'audit_log_append_only'")).scalar() == 0

    st = migrate.upgrade(scratch)
    assert st.up_to_date
    assert _tables(scratch) == set(Base.metadata.tables)
    assert migrate.drift(scratch) == []


def test_orm_and_migrated_schema_do_not_differ(session_database: Database) -> None:
    assert migrate.drift(session_database) == []


def test_drift_is_detected_when_schema_differs(scratch: Database) -> None:
    migrate.upgrade(scratch)
    with scratch.engine.begin() as conn:
        conn.execute(text("ALTER TABLE campaigns DROP COLUMN protected"))
    diffs = migrate.drift(scratch)
    assert any("protected" in str(d) for d in diffs)


def test_require_current_refuses_an_unmigrated_database(scratch: Database) -> None:
    from adpilot.errors import SchemaOutOfDate

    with pytest.raises(SchemaOutOfDate) as err:
        migrate.require_current(scratch)
    assert "adpilot db upgrade" in err.value.remedy


def test_downgrade_to_unknown_revision_is_refused_with_choices(scratch: Database) -> None:
    migrate.upgrade(scratch)
    with pytest.raises(InvalidInput) as err:
        migrate.downgrade(scratch, "nope")
    assert "0001" in err.value.remedy
    assert migrate.status(scratch).up_to_date  # nothing lost
