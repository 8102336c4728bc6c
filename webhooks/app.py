"""The ASGI receiver: ``create_app(settings, database)``.

Each webhook handler is thin (STYLE.md 10): read the raw body under the size limit → verify the signature on those
bytes → parse into events → map each to its trigger → :meth:`GroupCommitter.submit` (stores and enqueues in one
transaction) → answer. Statuses: 200 stored or duplicate (idempotent), 400 malformed, 401 bad/missing/stale
signature, 403 wrong Meta verify token, 404 endpoint without a configured secret, 413 too large, 503 only when the
database is down (the sender should retry; nothing was acknowledged). Bad input never yields a 5xx.

The request body schemas in the OpenAPI document describe what senders post; the handlers do not let FastAPI
validate bodies, because verification must see the raw bytes first and a schema error must not leak before it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Query, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from adpilot.errors import DatabaseUnavailable
from adpilot.settings import Settings
from db.database import Database
from db.inbox import psycopg_conninfo
from webhooks.errors import BodyTimeout, PayloadTooLarge, WebhookRejected
from webhooks.intake import GroupCommitter
from webhooks.metrics import ReceiverMetrics
from webhooks.openapi import ERROR_RESPONSES, meta_post_doc, standard_doc, tiktok_doc
from webhooks.pipeline import SOURCES, Pipeline, build_pipeline

__all__ = ["Receiver", "ReceiverOptions", "WebhookFastPath", "create_app"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ReceiverOptions:
    """Tuning that is not configuration: tests and the benchmark change it, operators rarely need to.

    ``writers`` = inbox connections per process. One is the measured optimum: while its commit (a WAL flush) is in
    flight the next batch fills up, and Postgres merges the flushes of concurrent processes on its own."""

    writers: int = 1
    max_batch: int = 1000
    tolerance_s: int = 300
    clock: Callable[[], float] = time.time


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


@dataclass
class Receiver:
    """The one code path of a delivery, shared by the FastAPI routes and the ASGI fast path below."""

    pipeline: Pipeline
    committer: GroupCommitter
    metrics: ReceiverMetrics
    limit: int
    body_timeout_s: float = 10.0

    async def handle(
        self, source: str, headers: Mapping[str, str], chunks: AsyncIterator[bytes]
    ) -> tuple[int, dict[str, Any]]:
        """``(status, JSON body)`` for one delivery. Refusals are answers, not exceptions, so neither the fast path
        nor FastAPI can turn bad input into a 500; only an unreachable database yields a 5xx (503: retry)."""
        started = time.perf_counter()
        try:
            body = await self._read(headers, chunks)
            items = self.pipeline.items(source, headers, body)
            result = await self.committer.submit(items)
        except WebhookRejected as exc:
            self.metrics.rejected(source, exc.reason)
            log.debug("webhook_rejected", source=source, reason=exc.reason, detail=exc.message)
            return exc.status, {"error": exc.reason, "detail": exc.message}
        except DatabaseUnavailable as exc:
            self.metrics.rejected(source, "database_unavailable")
            log.warning("webhook_store_failed", source=source, error=exc.message)
            return 503, {"error": "database_unavailable", "detail": "retry later"}
        self.metrics.accepted(source, result.stored, result.duplicates, time.perf_counter() - started)
        status = "stored" if result.stored else ("duplicate" if items else "empty")
        return 200, {"status": status, "stored": result.stored, "duplicates": result.duplicates}

    async def _read(self, headers: Mapping[str, str], chunks: AsyncIterator[bytes]) -> bytes:
        """The raw body, refused early on ``Content-Length`` and while streaming when there is none."""
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            raise PayloadTooLarge("too_large", f"body of {declared} bytes exceeds the {self.limit}-byte limit")
        parts: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout_s):
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.limit:
                        raise PayloadTooLarge("too_large", f"body exceeds the {self.limit}-byte limit")
                    parts.append(chunk)
        except TimeoutError:
            raise BodyTimeout(
                "body_timeout", f"the body did not arrive within {self.body_timeout_s:g} s ({size} bytes read)"
            ) from None
        return b"".join(parts)


_FAST_PATHS = {f"/webhooks/{source}": source for source in SOURCES}


class WebhookFastPath:
    """ASGI middleware: ``POST /webhooks/<source>`` goes straight to :meth:`Receiver.handle`.

    Why: Starlette routing, the request object and FastAPI's dependency solving cost about as much CPU as the whole
    verification + storage of an event; skipping them for the four hot routes is most of the difference between
    ~2,000 and ~5,000 deliveries/s per core. Every other request (handshake, health, metrics, docs) and anything this
    class does not recognise goes through FastAPI unchanged, and the FastAPI routes call the same ``handle``.
    """

    def __init__(self, app: ASGIApp, receiver: Receiver) -> None:
        self.app = app
        self.receiver = receiver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        source = _FAST_PATHS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if source is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        status, body = await self.receiver.handle(source, headers, _asgi_body(receive))
        payload = orjson.dumps(body)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": payload})


async def _asgi_body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


def create_app(settings: Settings, database: Database, options: ReceiverOptions | None = None) -> FastAPI:
    """The receiver. ``database`` names the store; the hot path opens its own psycopg connections to it."""
    opts = options or ReceiverOptions()
    pipeline = build_pipeline(settings, tolerance_s=opts.tolerance_s, clock=opts.clock)
    committer = GroupCommitter(psycopg_conninfo(database), writers=opts.writers, max_batch=opts.max_batch)
    metrics = ReceiverMetrics()
    receiver = Receiver(
        pipeline, committer, metrics, settings.webhook_max_body_bytes, settings.webhook_body_timeout_s
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await committer.start()
        log.info("webhook_receiver_started", writers=opts.writers, sources=sorted(pipeline.configured()))
        try:
            yield
        finally:
            await committer.stop()
            log.info("webhook_receiver_stopped", batches=committer.batches)

    app = FastAPI(
        title="adpilot webhook receiver",
        version="1",
        description="Signed ad-platform events → inbox + triggered agent runs (see webhooks/app.py).",
        lifespan=lifespan,
        # /metrics is ours (Prometheus); FastAPI's OpenTelemetry hooks would re-check providers on every request
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )

    async def receive(source: str, request: Request) -> Response:
        status, body = await receiver.handle(source, request.headers, request.stream())
        return _json(status, body)

    @app.get("/webhooks/meta", response_class=PlainTextResponse, responses=ERROR_RESPONSES, tags=["meta"])
    async def meta_handshake(
        mode: str | None = Query(None, alias="hub.mode"),
        verify_token: str | None = Query(None, alias="hub.verify_token"),
        challenge: str | None = Query(None, alias="hub.challenge", max_length=1024),
    ) -> Response:
        """Meta's subscription handshake: echo ``hub.challenge`` when ``hub.verify_token`` matches."""
        try:
            pipeline.check_meta_handshake(mode, verify_token, challenge)
        except WebhookRejected as exc:
            metrics.rejected("meta", exc.reason)
            return _json(exc.status, {"error": exc.reason, "detail": exc.message})
        return PlainTextResponse(challenge or "", headers={"x-content-type-options": "nosniff"})

    @app.post("/webhooks/meta", responses=ERROR_RESPONSES, openapi_extra=meta_post_doc(), tags=["meta"])
    async def meta_events(request: Request) -> Response:
        """Meta batched changes, ``X-Hub-Signature-256``."""
        return await receive("meta", request)

    @app.post("/webhooks/tiktok", responses=ERROR_RESPONSES, openapi_extra=tiktok_doc(), tags=["tiktok"])
    async def tiktok_events(request: Request) -> Response:
        """TikTok events, ``TikTok-Signature: t=…,s=…``."""
        return await receive("tiktok", request)

    @app.post("/webhooks/generic", responses=ERROR_RESPONSES, openapi_extra=standard_doc(), tags=["standard"])
    async def generic_events(request: Request) -> Response:
        """Any Standard Webhooks sender; several secrets accepted for rotation."""
        return await receive("generic", request)

    @app.post("/webhooks/sandbox", responses=ERROR_RESPONSES, openapi_extra=standard_doc(), tags=["standard"])
    async def sandbox_events(request: Request) -> Response:
        """The sandbox platform (Standard Webhooks signatures)."""
        return await receive("sandbox", request)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> Response:
        """200 when the inbox database answers, 503 otherwise (load balancers take the replica out)."""
        ok = await committer.ping()
        return _json(200 if ok else 503, {"status": "ok" if ok else "database_unavailable"})

    @app.get("/metrics", response_class=PlainTextResponse, tags=["ops"])
    async def metrics_endpoint() -> Response:
        """Prometheus text exposition of this process's counters."""
        return Response(metrics.render(), media_type=metrics.content_type)

    app.add_middleware(WebhookFastPath, receiver=receiver)
    app.state.committer = committer
    app.state.pipeline = pipeline
    app.state.receiver = receiver
    return app

