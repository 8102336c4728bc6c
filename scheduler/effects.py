"""Exactly-once platform effects on top of an at-least-once queue (ARCHITECTURE.md decision 3).

The protocol, for one effect identified by a stable idempotency key:

1. **Intent** — in a transaction, look the key up in a ledger. ``applied`` → return the recorded result, touch
   nothing. Absent → record ``pending`` with the intended value and commit *before* calling the platform.
2. **Write** — if the intent was already ``pending`` (a previous attempt crashed somewhere after step 1), first read
   the live state back from the platform: if the effect is visible, do not write again. Otherwise (or when there is
   no read-back) write with the *same* key, so a platform that honours keys answers ``DUPLICATE``.
3. **Ledger** — in a second transaction, record ``applied`` with the platform's result.

Why both the key and the read-back: keys alone fail on platforms without idempotency (Meta) or whose key window has
expired (Google Ads keeps them for hours); the read-back alone fails when the live value was changed in between. A
crash between any two steps therefore leaves either nothing, a ``pending`` intent (resolved by step 2 on retry), or
an ``applied`` record.

The ledger is a Protocol so the change-set apply job can keep intents on ``change_items`` (status ``pending`` +
``idempotency_key``) while plain work items keep them on their own row (:class:`WorkItemLedger`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.orm import Session

from adpilot.errors import AdpilotError
from db.database import Database
from db.work_queue import WorkQueue
from platforms.base import JsonValue, WriteResult
from scheduler.faults import FaultInjector

__all__ = [
    "EffectLedger",
    "EffectOutcome",
    "EffectRecord",
    "EffectState",
    "LeaseLost",
    "WorkItemLedger",
    "perform_once",
    "write_result_json",
]


class LeaseLost(AdpilotError):
    """The work item's lease expired and another replica may own it now; this attempt stops before any effect."""

    default_remedy = "nothing to do: the item is retried by its new owner; raise the lease if handlers run long"


class EffectState(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"


@dataclass(frozen=True)
class EffectRecord:
    key: str
    state: EffectState
    intended: JsonValue
    result: dict[str, Any] | None


@dataclass(frozen=True)
class EffectOutcome:
    """How the effect was settled: ``written`` now, found ``already_recorded`` in the ledger, or seen live on the
    platform by the ``read_back`` after a crash (no second write)."""

    key: str
    how: str
    result: dict[str, Any]


class EffectLedger(Protocol):
    """Where intents live. Every method runs inside the caller's transaction and must not commit."""

    def load(self, session: Session, key: str) -> EffectRecord | None:
        """The record for ``key``, row-locked for the transaction."""
        ...

    def record_intent(self, session: Session, key: str, intended: JsonValue) -> None: ...

    def record_applied(self, session: Session, key: str, result: dict[str, Any]) -> None: ...


def write_result_json(result: WriteResult) -> dict[str, Any]:
    return {
        "status": result.status.value,
        "operation": result.operation,
        "target_id": result.target_id,
        "idempotency_key": result.idempotency_key,
        "before": result.before,
        "after": result.after,
        "applied_at": result.applied_at.isoformat() if result.applied_at else None,
    }


def perform_once(
    database: Database,
    ledger: EffectLedger,
    *,
    idempotency_key: str,
    intended: JsonValue,
    write: Callable[[str], WriteResult],
    read_back: Callable[[], bool] | None = None,
    faults: FaultInjector | None = None,
) -> EffectOutcome:
    """Apply one platform effect at most once per ``idempotency_key`` (see the module docstring).

    ``write(key)`` performs the platform write with that key; ``read_back()`` says whether the intended effect is
    already live. Platform and database errors propagate: the attempt fails and is retried with the same key."""
    faults = faults or FaultInjector()
    with database.transaction() as session:
        record = ledger.load(session, idempotency_key)
        if record is not None and record.state is EffectState.APPLIED:
            return EffectOutcome(idempotency_key, "already_recorded", record.result or {})
        crashed_before = record is not None
        if record is None:
            ledger.record_intent(session, idempotency_key, intended)
    faults.hit("run")
    if crashed_before and read_back is not None and read_back():
        result: dict[str, Any] = {"status": "read_back", "idempotency_key": idempotency_key, "after": intended}
        how = "read_back"
    else:
        result = write_result_json(write(idempotency_key))
        how = "written"
    faults.hit("after_write")
    with database.transaction() as session:
        ledger.record_applied(session, idempotency_key, result)
    return EffectOutcome(idempotency_key, how, result)


class WorkItemLedger:
    """Intents kept on the work item itself (``agent_runs.result["effects"][key]``), fenced by the item's lease:
    a replica whose lease was lost cannot record an intent, so it never starts a write it no longer owns."""

    def __init__(self, run_id: int, holder: str) -> None:
        self.run_id = run_id
        self.holder = holder

    def load(self, session: Session, key: str) -> EffectRecord | None:
        queue = WorkQueue(session)
        if not queue.still_held(self.run_id, self.holder):
            raise LeaseLost(f"work item {self.run_id} is no longer leased by {self.holder}")
        entry = ((queue.load_result(self.run_id, for_update=True) or {}).get("effects") or {}).get(key)
        if entry is None:
            return None
        return EffectRecord(key, EffectState(entry["state"]), entry.get("intended"), entry.get("result"))

    def record_intent(self, session: Session, key: str, intended: JsonValue) -> None:
        self._put(session, key, {"state": EffectState.PENDING.value, "intended": intended})

    def record_applied(self, session: Session, key: str, result: dict[str, Any]) -> None:
        queue = WorkQueue(session)
        current = ((queue.load_result(self.run_id, for_update=True) or {}).get("effects") or {}).get(key) or {}
        self._put(session, key, {**current, "state": EffectState.APPLIED.value, "result": result})

    def _put(self, session: Session, key: str, entry: dict[str, Any]) -> None:
        queue = WorkQueue(session)
        data = dict(queue.load_result(self.run_id, for_update=True) or {})
        effects = dict(data.get("effects") or {})
        effects[key] = entry
        data["effects"] = effects
        if not queue.save_result(self.run_id, self.holder, data):
            raise LeaseLost(f"work item {self.run_id} is no longer leased by {self.holder}")
