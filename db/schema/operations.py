"""The daemon's coordination tables: webhook inbox, work items (agent runs and apply jobs), scheduler period
claims, leases with terms, replica heartbeats and alerts.

Postgres is the coordinator (ARCHITECTURE.md decision 2): unique ``(job_name, period_start)`` claims make each
scheduled period run once; work items are claimed with ``FOR UPDATE SKIP LOCKED`` and a ``locked_until`` lease; a
partial unique index keeps one running item per campaign.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Timestamped, one_of
from db.enums import AgentRunStatus, values

__all__ = ["AgentRun", "Alert", "Lease", "PeriodClaim", "Replica", "WebhookInbox"]


class WebhookInbox(Base):
    __tablename__ = "webhook_inbox"
    __table_args__ = (
        UniqueConstraint("source", "event_id"),
        Index("ix_webhook_inbox_unprocessed", "processed_at"),
        CheckConstraint("attempts >= 0", name="attempts_nonneg"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(256))
    event_type: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]


class AgentRun(Timestamped, Base):
    """A unit of work: an agent cycle, a change-set apply, a webhook-triggered review. Token use is stored here."""

    __tablename__ = "agent_runs"
    __table_args__ = (
        one_of("status", values(AgentRunStatus)),
        CheckConstraint("attempts >= 0 AND max_attempts > 0", name="attempts_range"),
        CheckConstraint("prompt_tokens >= 0 AND completion_tokens >= 0", name="tokens_nonneg"),
        UniqueConstraint("dedupe_key"),
        Index("ix_agent_runs_claimable", "status", "run_after"),
        Index(
            "uq_agent_runs_one_running_per_campaign",
            "campaign_id",
            unique=True,
            postgresql_where=text("status = 'running' AND campaign_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(48))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(32), default="schedule")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    dedupe_key: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), default=AgentRunStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    run_after: Mapped[datetime]
    locked_by: Mapped[str | None] = mapped_column(String(128))
    locked_until: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None]
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)


class PeriodClaim(Base):
    __tablename__ = "period_claims"
    __table_args__ = (UniqueConstraint("job_name", "period_start"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    job_name: Mapped[str] = mapped_column(String(128))
    period_start: Mapped[datetime]
    claimed_by: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(Text)


class Lease(Base):
    """Leadership for singleton maintenance: a row per name with a holder, a monotonically rising term (fencing
    token) and an expiry. Unlike a session advisory lock it survives PgBouncer and is visible to operators."""

    __tablename__ = "leases"
    __table_args__ = (CheckConstraint("term >= 0", name="term_nonneg"),)

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(128))
    term: Mapped[int] = mapped_column(BigInteger, default=0)
    expires_at: Mapped[datetime]


class Replica(Base):
    __tablename__ = "replicas"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(256))
    pid: Mapped[int]
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    stepped_to: Mapped[datetime | None]  # stepped clock: the simulated time through which every due job has fired


class SimClockRow(Base):
    """The current time of a stepped simulated clock (``scheduler.clock.SteppedClock``), written by its driver."""

    __tablename__ = "sim_clocks"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    now: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(server_default=text("clock_timestamp()"))


class Alert(Timestamped, Base):
    __tablename__ = "alerts"
    __table_args__ = (one_of("severity", ["info", "warning", "critical"]),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    resolved_at: Mapped[datetime | None]
