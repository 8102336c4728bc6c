"""Change-sets, their items, approvals, the append-only audit log, guardrail policy snapshots and the kill switch.

Rule kept here and by a database trigger (see the initial migration): nothing issues UPDATE or DELETE on
``audit_log``. Each change item carries its own before/after, inverse and idempotency key, so applying twice is a
no-op at the platform and undo never has to reconstruct history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    FetchedValue,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, Timestamped, one_of
from db.enums import ApprovalDecision, AuditEvent, ChangeAction, ChangeItemStatus, ChangeSetStatus, values

__all__ = ["Approval", "AuditLog", "ChangeItem", "ChangeSet", "GuardrailPolicySnapshot", "KillSwitch"]


class ChangeSet(Timestamped, Base):
    __tablename__ = "change_sets"
    __table_args__ = (
        one_of("status", values(ChangeSetStatus)),
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
        Index("ix_change_sets_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    agent_run_id: Mapped[int | None] = mapped_column(ForeignKey("agent_runs.id", ondelete="SET NULL"))
    origin: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24), default=ChangeSetStatus.PROPOSED.value)
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    rationale: Mapped[str] = mapped_column(Text, default="", server_default="")
    flags: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    predicted_effect: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    realised_effect: Mapped[dict[str, Any] | None]
    policy_sha256: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    applied_at: Mapped[datetime | None]
    rolled_back_from_id: Mapped[int | None] = mapped_column(ForeignKey("change_sets.id", ondelete="SET NULL"))

    items: Mapped[list[ChangeItem]] = relationship(
        back_populates="change_set", order_by="ChangeItem.seq", cascade="all, delete-orphan"
    )


class ChangeItem(Base):
    __tablename__ = "change_items"
    __table_args__ = (
        UniqueConstraint("change_set_id", "seq"),
        UniqueConstraint("idempotency_key"),
        one_of("action", values(ChangeAction)),
        one_of("status", values(ChangeItemStatus)),
        CheckConstraint("seq >= 0", name="seq_nonneg"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    change_set_id: Mapped[int] = mapped_column(ForeignKey("change_sets.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    action: Mapped[str] = mapped_column(String(32))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(128))
    before: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    after: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    inverse: Mapped[dict[str, Any] | None]
    rationale: Mapped[str] = mapped_column(Text, default="", server_default="")
    predicted_effect: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    guardrail_verdict: Mapped[dict[str, Any] | None]
    status: Mapped[str] = mapped_column(String(16), default=ChangeItemStatus.PROPOSED.value)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime | None]

    change_set: Mapped[ChangeSet] = relationship(back_populates="items")


class Approval(Base):
    """A human decision. ``actor`` is a person's identity given at the CLI, never the model's."""

    __tablename__ = "approvals"
    __table_args__ = (
        one_of("decision", values(ApprovalDecision)),
        CheckConstraint("length(actor) > 0", name="actor_nonempty"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    change_set_id: Mapped[int] = mapped_column(ForeignKey("change_sets.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(128))
    decision: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime]


class AuditLog(Base):
    """Append-only and hash-chained. Triggers refuse UPDATE, DELETE and TRUNCATE and chain every insert."""

    __tablename__ = "audit_log"
    __table_args__ = (
        one_of("event", values(AuditEvent)),
        Index("ix_audit_log_occurred", "occurred_at"),
        Index("ux_audit_log_chain_seq", "chain_seq", unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(128))
    event: Mapped[str] = mapped_column(String(24))
    change_set_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    change_item_id: Mapped[int | None] = mapped_column(BigInteger)
    campaign_id: Mapped[int | None] = mapped_column(BigInteger)
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # set by the database's audit_log_chain trigger (migration 0005), never by the application
    chain_seq: Mapped[int] = mapped_column(BigInteger, FetchedValue(), index=False)
    recorded_at: Mapped[datetime] = mapped_column(FetchedValue())
    prev_hash: Mapped[str] = mapped_column(String(64), FetchedValue())
    row_hash: Mapped[str] = mapped_column(String(64), FetchedValue())


class GuardrailPolicySnapshot(Timestamped, Base):
    """Every distinct guardrail policy ever loaded, by content hash, so each verdict names the exact rules."""

    __tablename__ = "guardrail_policy_snapshots"
    __table_args__ = (UniqueConstraint("sha256"), CheckConstraint("length(sha256) = 64", name="sha256_len"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str | None] = mapped_column(Text)
    policy: Mapped[dict[str, Any]]


class KillSwitch(Base):
    """A single row (id = 1). While engaged, nothing mutates an ad account."""

    __tablename__ = "kill_switch"
    __table_args__ = (CheckConstraint("id = 1", name="singleton"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    engaged: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(128))
    changed_at: Mapped[datetime]
