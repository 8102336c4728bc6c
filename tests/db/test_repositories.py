"""Repositories and database constraints against real Postgres: typed errors, exact money, UTC time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from adpilot.errors import ConstraintViolation, InvalidInput, NotFound
from db.accounts import AccountRepository
from db.audit import AuditRepository
from db.campaigns import CampaignRepository
from db.database import Database
from db.enums import AuditEvent, CampaignStatus
from db.schema import AgentRun, Campaign, ModelVersion, PerformanceHour, WebhookInbox


def _account(session, external_id: str = "acc-1"):
    return AccountRepository(session).add(platform="sandbox", external_id=external_id, name="Acme")


def _campaign(session, account_id: int, external_id: str = "c-1", budget: int = 50_000_000) -> Campaign:
    return CampaignRepository(session).create(
        account_id=account_id,
        external_id=external_id,
        name="Spring",
        objective="conversions",
        daily_budget_micros=budget,
        target_cpa_micros=12_500_000,
    )


def test_account_and_campaign_round_trip(database: Database) -> None:
    with database.transaction() as s:
        acc = _account(s)
        camp = _campaign(s, acc.id)
        camp_id = camp.id
    with database.transaction() as s:
        got = CampaignRepository(s).get(camp_id)
        assert got.daily_budget_micros == 50_000_000
        assert got.target_cpa_micros == 12_500_000
        assert got.bid_multiplier == Decimal("1")
        assert got.created_at.tzinfo is not None and got.created_at.utcoffset() == timedelta(0)
        assert [c.id for c in CampaignRepository(s).list_campaigns(account_id=got.account_id)] == [camp_id]


def test_duplicate_account_is_a_typed_unique_violation(database: Database) -> None:
    with database.transaction() as s:
        _account(s)
    with pytest.raises(ConstraintViolation) as err, database.transaction() as s:
        _account(s)
    assert err.value.constraint == "uq_ad_accounts_platform_external_id"
    assert "already exists" in err.value.remedy
    with database.transaction() as s:  # the failed write lost nothing
        assert len(AccountRepository(s).list_accounts()) == 1


def test_campaign_for_missing_account_is_a_foreign_key_violation(database: Database) -> None:
    with pytest.raises(ConstraintViolation) as err, database.transaction() as s:
        _campaign(s, account_id=424242)
    assert err.value.constraint == "fk_campaigns_account_id_ad_accounts"


def test_negative_budget_is_refused_by_the_database_itself(database: Database) -> None:
    with database.transaction() as s:
        acc_id = _account(s).id
    # bypass the repository's own check: the CHECK constraint must hold on its own
    with pytest.raises(ConstraintViolation) as err, database.transaction() as s:
        s.add(
            Campaign(
                account_id=acc_id,
                external_id="x",
                name="x",
                objective="conversions",
                daily_budget_micros=-1,
                bid_multiplier=Decimal("1"),
            )
        )
        s.flush()
    assert err.value.constraint == "ck_campaigns_budget_nonneg"


def test_repository_refuses_negative_budget_with_remedy(database: Database) -> None:
    with database.transaction() as s:
        camp_id = _campaign(s, _account(s).id).id
    with pytest.raises(InvalidInput), database.transaction() as s:
        CampaignRepository(s).set_budget(camp_id, -5)


def test_unknown_values_are_refused_before_the_database(database: Database) -> None:
    with pytest.raises(InvalidInput, match="time zone"), database.transaction() as s:
        AccountRepository(s).add(platform="sandbox", external_id="a", name="a", time_zone="Mars/Olympus")
    with pytest.raises(InvalidInput, match="platform"), database.transaction() as s:
        AccountRepository(s).add(platform="myspace", external_id="a", name="a")
    with pytest.raises(NotFound), database.transaction() as s:
        CampaignRepository(s).get(999)


def test_set_status_and_budget_return_previous_values(database: Database) -> None:
    with database.transaction() as s:
        camp_id = _campaign(s, _account(s).id).id
    with database.transaction() as s:
        before, camp = CampaignRepository(s).set_status(camp_id, CampaignStatus.PAUSED)
        assert (before, camp.status) == ("active", "paused")
        before_budget, camp = CampaignRepository(s).set_budget(camp_id, 75_250_000)
        assert (before_budget, camp.daily_budget_micros) == (50_000_000, 75_250_000)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(micros=st.integers(min_value=0, max_value=2**63 - 1))
def test_money_round_trips_exactly(database: Database, micros: int) -> None:
    with database.transaction() as s:
        acc = AccountRepository(s).find("sandbox", "money") or _account(s, "money")
        camp = CampaignRepository(s).create(
            account_id=acc.id,
            external_id=f"m-{micros}",
            name="m",
            objective="sales",
            daily_budget_micros=micros,
        )
        camp_id = camp.id
    with database.transaction() as s:
        assert CampaignRepository(s).get(camp_id).daily_budget_micros == micros
        assert (
            s.execute(text("SELECT daily_budget_micros FROM campaigns WHERE id = :i"), {"i": camp_id}).scalar()
            == micros
        )


def test_naive_datetimes_are_refused_and_aware_ones_come_back_in_utc(database: Database) -> None:
    with database.transaction() as s:
        camp = _campaign(s, _account(s).id)
        camp_id, seg, cre = camp.id, None, None
        from db.schema import AudienceSegment, Creative

        seg = AudienceSegment(campaign_id=camp_id, external_id="s", name="s")
        cre = Creative(campaign_id=camp_id, external_id="k", headline="Hello")
        s.add_all([seg, cre])
        s.flush()
        seg_id, cre_id = seg.id, cre.id
    with pytest.raises(InvalidInput, match="naive"), database.transaction() as s:
        s.add(
            PerformanceHour(
                campaign_id=camp_id,
                segment_id=seg_id,
                creative_id=cre_id,
                hour_start=datetime(2026, 1, 1, 12),
            )
        )
        s.flush()
    berlin = timezone(timedelta(hours=1))
    with database.transaction() as s:
        row = PerformanceHour(
            campaign_id=camp_id,
            segment_id=seg_id,
            creative_id=cre_id,
            hour_start=datetime(2026, 1, 1, 13, tzinfo=berlin),
            impressions=10,
            clicks=2,
            spend_micros=1_234_567,
        )
        s.add(row)
        s.flush()
        row_id = row.id
    with database.transaction() as s:
        got = s.get(PerformanceHour, row_id)
        assert got.hour_start == datetime(2026, 1, 1, 12, tzinfo=UTC)
        assert got.hour_start.tzinfo == UTC
    with pytest.raises(ConstraintViolation, match="clicks_le_impressions"), database.transaction() as s:
        s.add(
            PerformanceHour(
                campaign_id=camp_id,
                segment_id=seg_id,
                creative_id=cre_id,
                hour_start=datetime(2026, 1, 2, tzinfo=UTC),
                impressions=1,
                clicks=2,
            )
        )
        s.flush()


def test_audit_log_is_append_only(database: Database) -> None:
    with database.transaction() as s:
        row_id = AuditRepository(s).append(AuditEvent.MANUAL_EDIT, actor="alice", message="x").id
    with pytest.raises(ConstraintViolation, match="append-only"), database.transaction() as s:
        s.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = :i"), {"i": row_id})
    with pytest.raises(ConstraintViolation, match="append-only"), database.transaction() as s:
        s.execute(text("DELETE FROM audit_log"))
    with database.transaction() as s:
        assert [r.actor for r in AuditRepository(s).recent()] == ["alice"]


def _model(kind: str, version: int, status: str) -> ModelVersion:
    return ModelVersion(
        kind=kind,
        version=version,
        algorithm="lgbm",
        data_fingerprint="d",
        feature_spec_hash="f",
        artifact=b"x",
        artifact_sha256="0" * 64,
        status=status,
        trained_at=datetime.now(UTC),
    )


def test_at_most_one_champion_per_model_kind(database: Database) -> None:
    with database.transaction() as s:
        s.add_all([_model("ctr", 1, "champion"), _model("cvr", 1, "champion"), _model("ctr", 2, "candidate")])
    with pytest.raises(ConstraintViolation) as err, database.transaction() as s:
        s.add(_model("ctr", 3, "champion"))
        s.flush()
    assert err.value.constraint == "uq_model_versions_one_champion"


def test_one_running_agent_run_per_campaign(database: Database) -> None:
    now = datetime.now(UTC)
    with database.transaction() as s:
        camp_id = _campaign(s, _account(s).id).id
        s.add(AgentRun(kind="agent_cycle", campaign_id=camp_id, status="running", run_after=now))
        s.add(AgentRun(kind="agent_cycle", campaign_id=camp_id, status="queued", run_after=now))
    with pytest.raises(ConstraintViolation) as err, database.transaction() as s:
        s.add(AgentRun(kind="apply_changeset", campaign_id=camp_id, status="running", run_after=now))
        s.flush()
    assert err.value.constraint == "uq_agent_runs_one_running_per_campaign"


def test_webhook_inbox_is_unique_per_source_and_event(database: Database) -> None:
    now = datetime.now(UTC)
    with database.transaction() as s:
        s.add(WebhookInbox(source="meta", event_id="e1", event_type="t", payload={}, received_at=now))
        s.add(WebhookInbox(source="tiktok", event_id="e1", event_type="t", payload={}, received_at=now))
    with pytest.raises(ConstraintViolation) as err, database.transaction() as s:
        s.add(WebhookInbox(source="meta", event_id="e1", event_type="t", payload={}, received_at=now))
        s.flush()
    assert err.value.constraint == "uq_webhook_inbox_source_event_id"


def test_kill_switch_is_a_single_row(database: Database) -> None:
    from db.schema import KillSwitch

    with pytest.raises(ConstraintViolation), database.transaction() as s:
        s.add(KillSwitch(id=2, engaged=True, changed_at=datetime.now(UTC)))
        s.flush()
    with database.transaction() as s:
        assert s.get(KillSwitch, 1).engaged is False
