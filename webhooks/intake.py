"""Group commit: many concurrent requests share one inbox transaction; each is answered after that commit.

Why: one Postgres transaction per request costs a WAL flush and a round trip each, which on 2 cores caps intake far
below the 5,000 events/s target. Here each request puts its events on a queue and awaits a future; ``writers``
tasks (one connection each) take *everything queued so far* (up to ``max_batch``), write it with one multi-row
statement (:func:`db.inbox.store_batch`) and resolve the futures after the commit. Under light load a batch is one
request (no added latency: nothing waits for a timer); under heavy load batches grow by themselves while the
previous commit is in flight. Acknowledging only after the commit keeps the guarantee "2xx ⇒ stored".

Duplicates inside one batch share one row and one outcome. A failed batch (server gone, deadlock) is retried once
(on a fresh connection when the old one broke); if that fails too, its requests are written one by one and those
that still fail get :class:`~adpilot.errors.DatabaseUnavailable` (the handler answers 503 and the sender retries
later). Nothing is acknowledged that was not committed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
import structlog
from psycopg import AsyncConnection

from adpilot.errors import DatabaseUnavailable
from db.inbox import InboxItem, store_batch

__all__ = ["GroupCommitter", "StoreResult"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class StoreResult:
    stored: int
    duplicates: int


@dataclass
class _Pending:
    items: Sequence[InboxItem]
    future: asyncio.Future[StoreResult]


@dataclass
class GroupCommitter:
    conninfo: str
    writers: int = 1
    max_batch: int = 1000
    connect_timeout_s: float = 5.0
    _queue: asyncio.Queue[_Pending] = field(default_factory=asyncio.Queue, init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)
    batches: int = field(default=0, init=False)

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._writer(n), name=f"inbox-writer-{n}") for n in range(self.writers)]

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Let queued requests finish (bounded: a database that hangs must not hang shutdown), then close."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), timeout_s)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def submit(self, items: Sequence[InboxItem]) -> StoreResult:
        """Return once ``items`` are committed (or raise :class:`DatabaseUnavailable`)."""
        if not items:
            return StoreResult(0, 0)
        future: asyncio.Future[StoreResult] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(items, future))
        return await future

    async def ping(self) -> bool:
        try:
            async with await self._connect() as conn:
                await conn.execute("SELECT 1")
            return True
        except DatabaseUnavailable:
            return False

    async def _connect(self) -> AsyncConnection[Any]:
        try:
            return await AsyncConnection.connect(
                self.conninfo, autocommit=True, connect_timeout=int(self.connect_timeout_s), options="-c TimeZone=UTC"
            )
        except psycopg.Error as exc:
            raise DatabaseUnavailable(f"inbox database not reachable: {str(exc).splitlines()[0]}") from exc

    async def _writer(self, number: int) -> None:
        conn: AsyncConnection[Any] | None = None
        try:
            try:
                conn = await self._connect()  # eagerly, so the first deliveries do not pay for it
            except DatabaseUnavailable as exc:
                log.warning("inbox_connect_failed", writer=number, error=exc.message)
            while True:
                batch = [await self._queue.get()]
                while len(batch) < self.max_batch and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                try:
                    conn = await self._flush(conn, batch)
                except Exception as exc:  # a bug must fail these requests (503), never hang them or the writer
                    log.exception("inbox_writer_error", writer=number)
                    self._fail(batch, exc)
                for _ in batch:
                    self._queue.task_done()
        finally:
            if conn is not None:
                await conn.close()

    async def _flush(self, conn: AsyncConnection[Any] | None, batch: list[_Pending]) -> AsyncConnection[Any] | None:
        """Write the batch; on a second failure write its requests one by one, so a request the database refuses
        (a poison pill) fails alone instead of taking its batch-mates down with it."""
        conn, error = await self._write(conn, batch)
        if error is None:
            return conn
        conn, error = await self._write(conn, batch)
        if error is None:
            return conn
        if len(batch) == 1:
            self._fail(batch, error)
            return conn
        for pending in batch:
            conn, error = await self._write(conn, [pending])
            if error is not None:
                self._fail([pending], error)
        return conn

    async def _write(
        self, conn: AsyncConnection[Any] | None, batch: list[_Pending]
    ) -> tuple[AsyncConnection[Any] | None, Exception | None]:
        unique: dict[tuple[str, str], InboxItem] = {}
        for pending in batch:
            for item in pending.items:
                unique.setdefault(item.key, item)
        try:
            if conn is None or conn.closed:
                conn = await self._connect()
            new_keys = await store_batch(conn, list(unique.values()))
        except (psycopg.Error, DatabaseUnavailable) as exc:
            log.warning("inbox_batch_failed", requests=len(batch), events=len(unique), error=str(exc).splitlines()[0])
            if conn is not None and isinstance(exc, psycopg.OperationalError | DatabaseUnavailable):
                await conn.close()
                conn = None
            return conn, exc
        self.batches += 1
        self._resolve(batch, new_keys)
        return conn, None

    @staticmethod
    def _resolve(batch: list[_Pending], new_keys: set[tuple[str, str]]) -> None:
        for pending in batch:
            stored = 0
            for item in pending.items:
                if item.key in new_keys:
                    new_keys.discard(item.key)  # a key repeated in the batch counts as stored once
                    stored += 1
            if not pending.future.done():
                pending.future.set_result(StoreResult(stored, len(pending.items) - stored))

    @staticmethod
    def _fail(batch: list[_Pending], exc: Exception) -> None:
        error = exc if isinstance(exc, DatabaseUnavailable) else DatabaseUnavailable(
            f"inbox write failed: {str(exc).splitlines()[0]}"
        )
        for pending in batch:
            if not pending.future.done():
                pending.future.set_exception(error)
