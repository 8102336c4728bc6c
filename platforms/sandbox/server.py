"""One sandbox market shared by every daemon replica, served over HTTP on loopback.

Why a server: daemon replicas are separate processes (possibly on separate machines), and the simulated market must
exist once — otherwise each replica would mutate its own copy and "duplicate platform mutations" could not even be
observed. The server wraps one :class:`SandboxPlatform` behind a lock (the simulation is not thread-safe) and exposes
the ``AdPlatform`` reads and writes one-to-one, plus:

- ``POST /advance`` — move simulated time forward (``{"until": iso}`` is idempotent: it never moves time back, so
  every replica may ask for the same target; ``{"ticks": n}`` for tests);
- ``GET /write-log`` — the sandbox's own write log (idempotency records), the ground truth for duplicate mutations,
  plus counters of every write request the server answered by status.

Platform errors travel as JSON ``{"error": <class name>, "message", "remedy", ...}`` with a 4xx status and are
re-raised as the same class by :class:`platforms.sandbox.remote.RemoteSandbox`.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from platforms.base import (
    CreativeRotation,
    IdempotencyConflict,
    InvalidValue,
    NotSupported,
    PlatformError,
    PlatformObjectNotFound,
    PolicyRejected,
    RateLimited,
    WriteResult,
)
from platforms.sandbox.platform import SandboxConfig, SandboxPlatform

__all__ = ["WRITE_OPERATIONS", "create_app", "serve", "to_wire"]

WRITE_OPERATIONS = frozenset(
    {
        "set_daily_budget", "set_target_cpa", "set_bid_multiplier", "set_segment_modifier",
        "set_segment_exclusion", "set_daypart_modifiers", "set_placement_modifier", "set_frequency_cap",
        "set_creative_rotation", "create_creative", "pause_creative", "resume_creative", "pause_campaign",
        "resume_campaign",
    }
)

_STATUS = {
    RateLimited: 429, PolicyRejected: 422, InvalidValue: 422, IdempotencyConflict: 409, NotSupported: 501,
    PlatformObjectNotFound: 404,
}


def to_wire(value: Any) -> Any:
    """Dataclasses, enums, datetimes, mappings and sets as plain JSON data."""
    if is_dataclass(value) and not isinstance(value, type):
        return {k: to_wire(v) for k, v in asdict(value).items()}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(to_wire(v) for v in value)
    return value


class WriteRequest(BaseModel):
    args: dict[str, Any]
    idempotency_key: str
    validate_only: bool = False


class AdvanceRequest(BaseModel):
    until: datetime | None = None
    ticks: int | None = None


def _error_body(exc: PlatformError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": type(exc).__name__, "message": exc.message, "remedy": exc.remedy}
    for attr in ("retry_after_s", "field"):
        if hasattr(exc, attr):
            body[attr] = getattr(exc, attr)
    if isinstance(exc, PolicyRejected):
        body["reasons"] = list(exc.reasons)
    return body


def create_app(platform: SandboxPlatform) -> FastAPI:
    """The HTTP face of one sandbox. Every call holds one lock: the market is a single-threaded simulation."""
    app = FastAPI(title="adpilot sandbox platform", version="1")
    lock = threading.Lock()
    write_counts: Counter[str] = Counter()

    def locked(fn: Callable[[], Any]) -> Any:
        with lock:
            return to_wire(fn())

    @app.exception_handler(PlatformError)
    async def platform_error(_: Request, exc: PlatformError) -> JSONResponse:
        return JSONResponse(_error_body(exc), status_code=_STATUS.get(type(exc), 400))

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "tick": platform.tick}

    @app.get("/capabilities")
    def capabilities() -> Any:
        return locked(platform.capabilities)

    @app.get("/now")
    def now() -> Any:
        return locked(lambda: {"now": platform.now(), "tick": platform.tick})

    @app.get("/accounts")
    def accounts() -> Any:
        return locked(platform.list_accounts)

    @app.get("/accounts/{account_id}/campaigns")
    def campaigns(account_id: str) -> Any:
        return locked(lambda: platform.list_campaigns(account_id))

    @app.get("/accounts/{account_id}/segments")
    def segments(account_id: str) -> Any:
        return locked(lambda: platform.list_segments(account_id))

    @app.get("/campaigns/{campaign_id}/creatives")
    def creatives(campaign_id: str) -> Any:
        return locked(lambda: platform.list_creatives(campaign_id))

    @app.get("/campaigns/{campaign_id}/controls")
    def controls(campaign_id: str) -> Any:
        return locked(lambda: platform.get_controls(campaign_id))

    @app.get("/accounts/{account_id}/hourly-stats")
    def hourly_stats(account_id: str, start: datetime, end: datetime, campaign_id: str | None = None) -> Any:
        return locked(lambda: platform.hourly_stats(account_id, start, end, campaign_id=campaign_id))

    @app.get("/campaigns/{campaign_id}/impression-logs")
    def impression_logs(campaign_id: str, start: datetime, end: datetime, limit: int | None = None) -> Any:
        return locked(lambda: platform.impression_logs(campaign_id, start, end, limit=limit))

    @app.get("/accounts/{account_id}/events")
    def events(account_id: str, after_id: str | None = None, limit: int = 100) -> Any:
        return locked(lambda: platform.poll_events(account_id, after_id=after_id, limit=limit))

    @app.post("/writes/{operation}")
    def write(operation: str, request: WriteRequest) -> Any:
        if operation not in WRITE_OPERATIONS:
            raise NotSupported(f"unknown write operation {operation!r}")
        args = dict(request.args)
        if operation == "set_creative_rotation" and "rotation" in args:
            args["rotation"] = CreativeRotation(args["rotation"])
        method: Callable[..., WriteResult] = getattr(platform, operation)
        with lock:
            try:
                result = method(**args, idempotency_key=request.idempotency_key,
                                validate_only=request.validate_only)
            except PlatformError as exc:
                write_counts[f"error:{type(exc).__name__}"] += 1
                raise
            except TypeError as exc:
                raise InvalidValue(f"bad arguments for {operation}: {exc}", field="args") from exc
            write_counts[result.status.value] += 1
            return to_wire(result)

    @app.post("/advance")
    def advance(request: AdvanceRequest) -> Any:
        with lock:
            if request.until is not None:
                platform.run_until(request.until)
            elif request.ticks is not None and request.ticks > 0:
                platform.advance(request.ticks)
            return to_wire({"now": platform.now(), "tick": platform.tick})

    @app.get("/write-log")
    def write_log() -> Any:
        with lock:
            return {"records": platform.snapshot()["writes"]["records"], "requests": dict(write_counts)}

    return app


def serve(config: SandboxConfig, *, host: str = "127.0.0.1", port: int = 8765, log_level: str = "warning") -> None:
    """Run the server in the foreground until interrupted (``adpilot daemon sandbox``)."""
    import uvicorn

    uvicorn.run(create_app(SandboxPlatform(config)), host=host, port=port, log_level=log_level, access_log=False)
