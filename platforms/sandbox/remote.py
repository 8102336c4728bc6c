"""``RemoteSandbox``: the :class:`platforms.base.AdPlatform` of a sandbox served by ``platforms.sandbox.server``.

Every daemon replica talks to the one shared market through this client. Transport failures are retried a few times
(writes too: each carries its idempotency key, so a retried write is answered ``DUPLICATE``, never applied twice) and
then translated into :class:`PlatformError`; error bodies from the server become the same error classes the
in-process sandbox raises, so callers cannot tell the two apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from platforms.base import (
    Account,
    Campaign,
    CampaignControls,
    CampaignStatus,
    Capabilities,
    Creative,
    CreativeRotation,
    CreativeStatus,
    EventType,
    HourlyStat,
    IdempotencyConflict,
    ImpressionLogRow,
    InvalidValue,
    NotSupported,
    Objective,
    PlatformError,
    PlatformEvent,
    PlatformObjectNotFound,
    PolicyRejected,
    RateLimited,
    Segment,
    WriteResult,
    WriteStatus,
)

__all__ = ["RemoteSandbox"]


class _Transport(Exception):
    """A connection-level failure worth retrying."""


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _raise_for(body: dict[str, Any]) -> None:
    name, message, remedy = body.get("error"), body.get("message", "sandbox error"), body.get("remedy")
    if name == "RateLimited":
        raise RateLimited(message, retry_after_s=float(body.get("retry_after_s", 1.0)), remedy=remedy)
    if name == "PolicyRejected":
        raise PolicyRejected(message, reasons=body.get("reasons", []), remedy=remedy)
    if name == "InvalidValue":
        raise InvalidValue(message, field=str(body.get("field", "?")), remedy=remedy)
    simple: dict[str, type[PlatformError]] = {
        "IdempotencyConflict": IdempotencyConflict,
        "NotSupported": NotSupported,
        "PlatformObjectNotFound": PlatformObjectNotFound,
    }
    raise simple.get(str(name), PlatformError)(message, remedy=remedy)


class RemoteSandbox:
    """An ``AdPlatform`` over HTTP. ``base_url`` like ``http://127.0.0.1:8765``."""

    def __init__(self, base_url: str, *, timeout_s: float = 30.0, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.Client(base_url=self.base_url, timeout=timeout_s)

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------------------------------ transport
    @retry(
        retry=retry_if_exception_type(_Transport),
        stop=stop_after_attempt(4),
        wait=wait_exponential(multiplier=0.2, max=2.0),
        reraise=True,
    )
    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise _Transport(str(exc)) from exc

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._send(method, path, **kwargs)
        except _Transport as exc:
            raise PlatformError(
                f"sandbox server at {self.base_url} unreachable: {exc}",
                remedy="start it with `adpilot daemon sandbox --port PORT` and pass --platform-url",
            ) from exc
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"message": response.text[:500]}
            if isinstance(body, dict) and "error" in body:
                _raise_for(body)
            raise PlatformError(f"sandbox server answered {response.status_code}: {body}")
        return response.json()

    def _get(self, path: str, **params: Any) -> Any:
        clean = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in params.items() if v is not None}
        return self._call("GET", path, params=clean)

    def _write(self, operation: str, key: str, validate_only: bool, **args: Any) -> WriteResult:
        body = {"args": args, "idempotency_key": key, "validate_only": validate_only}
        data = self._call("POST", f"/writes/{operation}", json=body)
        return WriteResult(
            status=WriteStatus(data["status"]), idempotency_key=data["idempotency_key"],
            operation=data["operation"], target_id=data["target_id"], before=data["before"], after=data["after"],
            applied_at=_dt(data["applied_at"]), warnings=tuple(data.get("warnings", ())),
        )

    # ------------------------------------------------------------------------------------------ sandbox extras
    def advance_to(self, when: datetime) -> datetime:
        """Simulate up to ``when`` (never backwards); returns the sandbox's new ``now``."""
        return datetime.fromisoformat(self._call("POST", "/advance", json={"until": when.isoformat()})["now"])

    def advance(self, ticks: int) -> datetime:
        return datetime.fromisoformat(self._call("POST", "/advance", json={"ticks": ticks})["now"])

    def write_log(self) -> dict[str, Any]:
        """The sandbox's own idempotency records and per-status request counters."""
        result: dict[str, Any] = self._call("GET", "/write-log")
        return result

    # ------------------------------------------------------------------------------------------ reads
    def capabilities(self) -> Capabilities:
        return Capabilities(**self._get("/capabilities"))

    def now(self) -> datetime:
        return datetime.fromisoformat(self._get("/now")["now"])

    def list_accounts(self) -> list[Account]:
        return [Account(**a) for a in self._get("/accounts")]

    def list_campaigns(self, account_id: str) -> list[Campaign]:
        return [
            Campaign(**{**c, "objective": Objective(c["objective"]), "status": CampaignStatus(c["status"])})
            for c in self._get(f"/accounts/{account_id}/campaigns")
        ]

    def list_segments(self, account_id: str) -> list[Segment]:
        return [Segment(**s) for s in self._get(f"/accounts/{account_id}/segments")]

    def list_creatives(self, campaign_id: str) -> list[Creative]:
        return [
            Creative(**{**c, "status": CreativeStatus(c["status"]),
                        "disapproval_reasons": tuple(c["disapproval_reasons"]),
                        "created_at": datetime.fromisoformat(c["created_at"])})
            for c in self._get(f"/campaigns/{campaign_id}/creatives")
        ]

    def get_controls(self, campaign_id: str) -> CampaignControls:
        c = self._get(f"/campaigns/{campaign_id}/controls")
        return CampaignControls(**{
            **c, "status": CampaignStatus(c["status"]), "excluded_segments": frozenset(c["excluded_segments"]),
            "daypart_modifiers": tuple(c["daypart_modifiers"]),
            "creative_rotation": CreativeRotation(c["creative_rotation"]),
        })

    def hourly_stats(
        self, account_id: str, start: datetime, end: datetime, *, campaign_id: str | None = None
    ) -> list[HourlyStat]:
        rows = self._get(f"/accounts/{account_id}/hourly-stats", start=start, end=end, campaign_id=campaign_id)
        return [HourlyStat(**{**r, "hour_start": datetime.fromisoformat(r["hour_start"])}) for r in rows]

    def impression_logs(
        self, campaign_id: str, start: datetime, end: datetime, *, limit: int | None = None
    ) -> list[ImpressionLogRow]:
        rows = self._get(f"/campaigns/{campaign_id}/impression-logs", start=start, end=end, limit=limit)
        return [
            ImpressionLogRow(**{**r, "timestamp": datetime.fromisoformat(r["timestamp"]),
                                "converted_at": _dt(r["converted_at"])})
            for r in rows
        ]

    def poll_events(self, account_id: str, *, after_id: str | None = None, limit: int = 100) -> list[PlatformEvent]:
        rows = self._get(f"/accounts/{account_id}/events", after_id=after_id, limit=limit)
        return [
            PlatformEvent(**{**e, "type": EventType(e["type"]),
                             "occurred_at": datetime.fromisoformat(e["occurred_at"])})
            for e in rows
        ]

    # ------------------------------------------------------------------------------------------ writes
    def set_daily_budget(
        self, campaign_id: str, amount_micros: int, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult:
        return self._write("set_daily_budget", idempotency_key, validate_only,
                           campaign_id=campaign_id, amount_micros=amount_micros)

    def set_target_cpa(
        self, campaign_id: str, amount_micros: int | None, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult:
        return self._write("set_target_cpa", idempotency_key, validate_only,
                           campaign_id=campaign_id, amount_micros=amount_micros)

    def set_bid_multiplier(
        self, campaign_id: str, multiplier: float, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult:
        return self._write("set_bid_multiplier", idempotency_key, validate_only,
                           campaign_id=campaign_id, multiplier=multiplier)

    def set_segment_modifier(
        self, campaign_id: str, segment_id: str, modifier: float | None, *, idempotency_key: str,
        validate_only: bool = False,
    ) -> WriteResult:
        return self._write("set_segment_modifier", idempotency_key, validate_only,
                           campaign_id=campaign_id, segment_id=segment_id, modifier=modifier)

    def set_segment_exclusion(
        self, campaign_id: str, segment_id: str, excluded: bool, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult:
        return self._write("set_segment_exclusion", idempotency_key, validate_only,
                           campaign_id=campaign_id, segment_id=segment_id, excluded=excluded)

    def set_daypart_modifiers(
        self, campaign_id: str, modifiers: Sequence[float], *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult:
        return self._write("set_daypart_modifiers", idempotency_key, validate_only,
                           campaign_id=campaign_id, modifiers=list(modifiers))

    def set_placement_modifier(
        self, campaign_id: str, placement: str, modifier: float | None, *, idempotency_key: str,
        validate_only: bool = False,
    ) -> WriteResult:
        return self._write("set_placement_modifier", idempotency_key, validate_only,
                           campaign_id=campaign_id, placement=placement, modifier=modifier)

    def set_frequency_cap(
        self, campaign_id: str, per_day: int | None, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult:
        return self._write("set_frequency_cap", idempotency_key, validate_only,
                           campaign_id=campaign_id, per_day=per_day)

    def set_creative_rotation(
        self, campaign_id: str, rotation: CreativeRotation, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult:
        return self._write("set_creative_rotation", idempotency_key, validate_only,
                           campaign_id=campaign_id, rotation=rotation.value)

    def create_creative(
        self, campaign_id: str, headline: str, description: str, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult:
        return self._write("create_creative", idempotency_key, validate_only,
                           campaign_id=campaign_id, headline=headline, description=description)

    def pause_creative(self, creative_id: str, *, idempotency_key: str, validate_only: bool = False) -> WriteResult:
        return self._write("pause_creative", idempotency_key, validate_only, creative_id=creative_id)

    def resume_creative(self, creative_id: str, *, idempotency_key: str, validate_only: bool = False) -> WriteResult:
        return self._write("resume_creative", idempotency_key, validate_only, creative_id=creative_id)

    def pause_campaign(self, campaign_id: str, *, idempotency_key: str, validate_only: bool = False) -> WriteResult:
        return self._write("pause_campaign", idempotency_key, validate_only, campaign_id=campaign_id)

    def resume_campaign(self, campaign_id: str, *, idempotency_key: str, validate_only: bool = False) -> WriteResult:
        return self._write("resume_campaign", idempotency_key, validate_only, campaign_id=campaign_id)
