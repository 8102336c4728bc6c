"""The sandbox's write log: idempotency by key, and a per-tick write rate limit.

Why a log keyed by idempotency key (as Stripe and the Google Ads API do): every adpilot queue is at-least-once, so
the same change may be sent twice after a crash. The first write with a key is applied and recorded with its result;
a repeat with the same key and payload returns that result as ``DUPLICATE`` and changes nothing; a repeat with a
different payload is refused (:class:`IdempotencyConflict`). ``validate_only`` calls are not recorded.
The log is plain JSON data, part of the sandbox snapshot.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from platforms.base import IdempotencyConflict, InvalidValue, JsonValue, RateLimited, WriteResult, WriteStatus

__all__ = ["WriteLog"]


def _canonical(payload: dict[str, JsonValue]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


class WriteLog:
    def __init__(self, max_writes_per_tick: int, records: dict[str, dict[str, Any]] | None = None) -> None:
        self.max_writes_per_tick = max_writes_per_tick
        self._records: dict[str, dict[str, Any]] = dict(records or {})
        self._tick = -1
        self._count = 0

    def lookup(self, key: str, operation: str, target_id: str, payload: dict[str, JsonValue]) -> WriteResult | None:
        """The original result as ``DUPLICATE`` if ``key`` was used for this same write; ``None`` if unused."""
        if not isinstance(key, str) or not key.strip() or len(key) > 200:
            raise InvalidValue("idempotency_key must be a non-empty string of at most 200 characters",
                               field="idempotency_key")
        record = self._records.get(key)
        if record is None:
            return None
        if (record["operation"], record["target_id"], record["payload"]) != (operation, target_id, _canonical(payload)):
            raise IdempotencyConflict(
                f"idempotency key {key!r} was used for {record['operation']} on {record['target_id']}"
            )
        return replace(self._result(record["result"]), status=WriteStatus.DUPLICATE)

    def admit(self, tick: int, seconds_to_next_tick: float) -> None:
        """Count one (non-duplicate) write against this tick's limit, or raise :class:`RateLimited`."""
        if tick != self._tick:
            self._tick, self._count = tick, 0
        if self._count >= self.max_writes_per_tick:
            raise RateLimited(
                f"more than {self.max_writes_per_tick} writes in one sandbox tick", retry_after_s=seconds_to_next_tick
            )
        self._count += 1

    def record(self, target_id: str, payload: dict[str, JsonValue], result: WriteResult) -> None:
        self._records[result.idempotency_key] = {
            "operation": result.operation,
            "target_id": target_id,
            "payload": _canonical(payload),
            "result": {
                "status": result.status.value,
                "operation": result.operation,
                "target_id": result.target_id,
                "idempotency_key": result.idempotency_key,
                "before": result.before,
                "after": result.after,
                "applied_at": result.applied_at.isoformat() if result.applied_at else None,
                "warnings": list(result.warnings),
            },
        }

    @staticmethod
    def _result(data: dict[str, Any]) -> WriteResult:
        return WriteResult(
            status=WriteStatus(data["status"]),
            idempotency_key=data["idempotency_key"],
            operation=data["operation"],
            target_id=data["target_id"],
            before=data["before"],
            after=data["after"],
            applied_at=datetime.fromisoformat(data["applied_at"]) if data["applied_at"] else None,
            warnings=tuple(data["warnings"]),
        )

    def __len__(self) -> int:
        return len(self._records)

    def to_json(self) -> dict[str, Any]:
        return {"max_writes_per_tick": self.max_writes_per_tick, "records": self._records}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WriteLog:
        return cls(data["max_writes_per_tick"], data["records"])
