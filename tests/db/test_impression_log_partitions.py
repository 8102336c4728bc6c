"""Impression logs partitioned by UTC day (migration 0007, ``db.partitions``) on real Postgres: the migration's round
trip with rows in the table, inserts at any time, days carved out of the default partition, concurrent creators."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from db import migrate
from db.accounts import AccountRepository
from db.campaigns import CampaignRepository
from db.database import Database, make_engine
from db.partitions import DEFAULT_PARTITION, PartitionRepository, partition_name
from db.sync import SyncRepository
from db.table_sizes import impression_log_partitions, table_sizes


def drop_day_partitions(database: Database) -> None:
    with database.transaction() as session:
        repo = PartitionRepository(session)
        for partition in repo.partitions():
            if not partition.is_default:
                session.execute(text(f'DROP TABLE partitions."{partition.name}"'))


@pytest.fixture()
def logs_db(database: Database) -> Database:
    """The emptied session database with no day partitions left by earlier tests, and one campaign (id 1)."""
    drop_day_partitions(database)
    with database.transaction() as session:
        account = AccountRepository(session).add(platform="sandbox", external_id="acc", name="Acme")
        CampaignRepository(session).create(
            account_id=account.id,
            external_id="c",
            name="C",
            objective="conversions",
            daily_budget_micros=50_000_000,
            target_cpa_micros=None,
        )
    return database


def row(external_id: str, at: datetime, *, converted_at: datetime | None = None) -> dict[str, object]:
    return {
        "campaign_id": 1,
        "segment_id": None,
        "creative_id": None,
        "external_id": external_id,
        "occurred_at": at,
        "features": {"hour": at.hour},
        "clicked": converted_at is not None,
        "converted_at": converted_at,
        "cost_micros": 1_000,
    }


def where(database: Database) -> dict[str, str]:
    """external_id → the partition that holds it."""
    with database.transaction() as session:
        found = session.execute(text("SELECT external_id, tableoid::regclass::text FROM impression_logs")).all()
    return {str(e): str(t).removeprefix("partitions.") for e, t in found}


def test_inserts_at_any_time_land_and_upserts_stay_one_row(logs_db: Database) -> None:
    times = [
        datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2031, 7, 1, 12, tzinfo=UTC),
        datetime(2100, 2, 28, 6, tzinfo=UTC),
    ]
    with logs_db.transaction() as session:
        SyncRepository(session).upsert_impressions([row(f"i{k}", t) for k, t in enumerate(times)])
    with logs_db.transaction() as session:  # the sync re-reads its window: a late conversion updates the same row
        SyncRepository(session).upsert_impressions([row("i2", times[2], converted_at=times[2] + timedelta(hours=1))])
    with logs_db.transaction() as session:
        rows = session.execute(text("SELECT external_id, converted_at FROM impression_logs ORDER BY id")).all()
    assert [r[0] for r in rows] == ["i0", "i1", "i2", "i3"]
    assert rows[2][1] == times[2] + timedelta(hours=1)
    assert set(where(logs_db).values()) == {DEFAULT_PARTITION}  # no day prepared yet: all in the default


def test_a_new_day_takes_its_rows_out_of_the_default_partition(logs_db: Database) -> None:
    day = date(2031, 7, 1)
    at = datetime(2031, 7, 1, 23, 59, 59, tzinfo=UTC)
    with logs_db.transaction() as session:
        SyncRepository(session).upsert_impressions([row("a", at), row("b", at + timedelta(seconds=1))])
    with logs_db.transaction() as session:
        assert PartitionRepository(session).ensure_days(day, day) == [partition_name(day)]
    assert where(logs_db) == {"a": partition_name(day), "b": DEFAULT_PARTITION}  # b is the next day, 00:00
    with logs_db.transaction() as session:  # upserting the moved row finds it in its day, no duplicate
        SyncRepository(session).upsert_impressions([row("a", at, converted_at=at + timedelta(minutes=5))])
        assert session.execute(text("SELECT count(*) FROM impression_logs")).scalar_one() == 2
    with logs_db.transaction() as session:
        assert PartitionRepository(session).ensure_days(day, day) == []  # idempotent


def test_concurrent_creators_of_the_same_days_do_not_collide(logs_db: Database) -> None:
    first = date(2030, 1, 1)
    with logs_db.transaction() as session:
        SyncRepository(session).upsert_impressions(
            [row(f"r{k}", datetime(2030, 1, 1 + k, 12, tzinfo=UTC)) for k in range(5)]
        )
    start = threading.Barrier(4)
    created: list[list[str]] = []
    errors: list[BaseException] = []

    def creator() -> None:
        try:
            start.wait()
            with logs_db.transaction() as session:
                created.append(PartitionRepository(session).ensure_days(first, first + timedelta(days=6)))
        except BaseException as exc:
            errors.append(exc)

    def inserter() -> None:
        try:
            start.wait()
            for k in range(20):
                with logs_db.transaction() as session:
                    SyncRepository(session).upsert_impressions([row(f"w{k}", datetime(2030, 1, 3, k, tzinfo=UTC))])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=creator) for _ in range(3)] + [threading.Thread(target=inserter)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(name for names in created for name in names) == [
        partition_name(first + timedelta(days=k)) for k in range(7)
    ]  # each day created exactly once
    placed = where(logs_db)
    assert len(placed) == 25
    assert all(p == partition_name(date(2030, 1, 3)) for e, p in placed.items() if e.startswith("w"))
    assert DEFAULT_PARTITION not in placed.values()


def test_table_sizes_count_partitions_under_their_parent(logs_db: Database) -> None:
    with logs_db.transaction() as session:
        PartitionRepository(session).ensure_days(date(2031, 1, 1), date(2031, 1, 3))
        SyncRepository(session).upsert_impressions(
            [row(f"s{k}", datetime(2031, 1, 1 + k % 3, tzinfo=UTC)) for k in range(3000)]
        )
    with logs_db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE impression_logs"))
    with logs_db.transaction() as session:
        sizes = {t.qualified: t for t in table_sizes(session)}
        parts = impression_log_partitions(session)
        direct = session.execute(
            text(
                "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                "WHERE inhparent = 'impression_logs'::regclass"
            )
        ).scalar_one()
    assert not any(name.startswith("partitions.") for name in sizes)
    logs = sizes["impression_logs"]
    assert logs.partitions == 4 and logs.total_bytes >= int(direct) > 0
    assert "campaigns" in sizes and "alembic_version" in sizes
    assert [p.name for p in parts] == [partition_name(date(2031, 1, d)) for d in (1, 2, 3)] + [DEFAULT_PARTITION]
    assert parts[0].start == datetime(2031, 1, 1, tzinfo=UTC) and parts[0].end == datetime(2031, 1, 2, tzinfo=UTC)
    assert sum(p.rows_estimate for p in parts) == 3000  # ANALYZE counted every row of these small tables


@pytest.fixture()
def scratch(fresh_databases) -> Database:
    database = Database(make_engine(fresh_databases.create("adpilot_part")), embedded=False)
    yield database
    database.dispose()


def test_migration_partitions_existing_rows_and_downgrade_restores_them(scratch: Database) -> None:
    migrate.upgrade(scratch, "0006")
    with scratch.transaction() as session:
        account = AccountRepository(session).add(platform="sandbox", external_id="acc", name="Acme")
        CampaignRepository(session).create(
            account_id=account.id,
            external_id="c",
            name="C",
            objective="conversions",
            daily_budget_micros=50_000_000,
            target_cpa_micros=None,
        )
    times = [
        datetime(2025, 1, 1, 10, tzinfo=UTC),
        datetime(2025, 1, 1, 23, 59, tzinfo=UTC),
        datetime(2031, 7, 1, tzinfo=UTC),
    ]
    insert = text(
        "INSERT INTO impression_logs (campaign_id, external_id, occurred_at, features, clicked, cost_micros)"
        " VALUES (1, :e, :t, '{}', false, 0)"
    )
    with scratch.engine.begin() as conn:
        for k, at in enumerate(times):
            conn.execute(insert, {"e": f"old{k}", "t": at})

    migrate.upgrade(scratch)
    assert where(scratch) == {
        "old0": "impression_logs_p20250101",
        "old1": "impression_logs_p20250101",
        "old2": "impression_logs_p20310701",
    }
    with scratch.transaction() as session:  # the id sequence carried on; the new key includes the time
        SyncRepository(session).upsert_impressions([row("old0", times[2])])
        ids = session.execute(text("SELECT id FROM impression_logs ORDER BY id")).scalars().all()
    assert ids == [1, 2, 3, 4]
    assert migrate.drift(scratch) == []

    migrate.downgrade(scratch, "0006")
    with scratch.transaction() as session:
        kept = session.execute(text("SELECT id, external_id FROM impression_logs ORDER BY id")).all()
        schema = session.execute(text("SELECT count(*) FROM pg_namespace WHERE nspname = 'partitions'")).scalar_one()
        kind = session.execute(text("SELECT relkind FROM pg_class WHERE oid = 'impression_logs'::regclass")).scalar()
    assert [tuple(r) for r in kept] == [(1, "old0"), (2, "old1"), (3, "old2")]  # the later duplicate key went
    assert schema == 0 and kind == "r"
    with scratch.engine.begin() as conn:  # the id sequence carried back
        new_id = conn.execute(
            text(
                "INSERT INTO impression_logs (campaign_id, external_id, occurred_at, features, "
                "clicked, cost_micros) VALUES (1, 'new', now(), '{}', false, 0) RETURNING id"
            )
        )
        assert new_id.scalar_one() == 4
    migrate.upgrade(scratch)
    assert migrate.drift(scratch) == []
