"""The worker loop: claim a work item, keep its lease alive, dispatch it by ``kind``, record the outcome.

Rules:

- A kind with no registered handler fails the item with :class:`NoHandler` (retried with backoff, then
  dead-lettered) instead of crashing the daemon: during a rolling deploy a newer replica may know the kind.
- A handler exception fails only that attempt. Database outages never kill the loop: it backs off and polls again;
  an outcome that cannot be recorded is retried a few times and otherwise left to the lease, which expires and
  lets any replica rescue the item (its effects are idempotent, ``scheduler.effects``).
- Graceful shutdown (``stop`` set): the item in hand is finished; an item claimed after the stop request is released
  untouched. If the handler outlives the grace period the daemon calls :meth:`Worker.abandon`, which expires the
  lease at once so another replica rescues the item without waiting for the lease to run out.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import TypeVar

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from adpilot.errors import AdpilotError, DatabaseUnavailable
from db.work_queue import ClaimedItem, RetryPolicy, WorkQueue
from platforms.base import RateLimited
from scheduler.registry import JobContext, JobRegistry

__all__ = ["NoHandler", "Worker"]

T = TypeVar("T")


class NoHandler(AdpilotError):
    """No handler is registered for a work item's kind on this replica."""

    default_remedy = (
        "deploy the package that handles this kind (e.g. the agents for agent_cycle) and the item is retried; "
        "dead items can be re-queued once it is installed"
    )


_record_retry = retry(
    retry=retry_if_exception_type(DatabaseUnavailable),
    stop=stop_after_attempt(5),
    wait=wait_exponential(multiplier=0.2, max=3.0),
    reraise=True,
)


class _LeaseKeeper:
    """Extends the item's lease every ``lease_s / 3`` seconds while the handler runs; notes when it was lost."""

    def __init__(self, ctx: JobContext, item: ClaimedItem, lease_s: float) -> None:
        self.ctx, self.item, self.lease_s = ctx, item, lease_s
        self.lost = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"lease-{item.id}", daemon=True)

    def __enter__(self) -> _LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._done.wait(self.lease_s / 3):
            try:
                with self.ctx.database.transaction() as session:
                    held = WorkQueue(session).heartbeat(self.item.id, self.ctx.replica_id, lease_s=self.lease_s)
            except DatabaseUnavailable:
                continue
            if not held and not self.lost:
                self.lost = True
                self.ctx.log.warning("lease lost while running", item=self.item.id, kind=self.item.kind)


class Worker:
    def __init__(
        self,
        ctx: JobContext,
        registry: JobRegistry,
        *,
        lease_s: float = 60.0,
        poll_s: float = 1.0,
        retry_policy: RetryPolicy | None = None,
        kinds: Sequence[str] | None = None,
        gate: AbstractContextManager[object] | None = None,
    ) -> None:
        """``gate`` (stepped clock): held while claiming and processing one item, so the scheduler's step — which
        holds it while it fires the jobs due at a new simulated time — never interleaves with an item."""
        self.gate: AbstractContextManager[object] = gate if gate is not None else contextlib.nullcontext()
        self.ctx, self.registry = ctx, registry
        self.lease_s, self.poll_s = lease_s, poll_s
        self.retry_policy = retry_policy or RetryPolicy()
        self.kinds = list(kinds) if kinds else None
        self.current: ClaimedItem | None = None
        self._backoff = poll_s
        self.log = ctx.log.bind(component="worker")

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set; never raises. Waits happen outside the gate."""
        self._backoff = self.poll_s
        while not stop.is_set():
            with self.gate:
                wait = self._poll_once(stop)
            if wait is None:
                break
            if wait > 0:
                stop.wait(wait)

    def _poll_once(self, stop: threading.Event) -> float | None:
        """Claim and process at most one item. Returns the wall seconds to wait before the next poll (0: poll
        again at once), or ``None`` to leave the loop (stop requested)."""
        try:
            item = self._claim()
            self._backoff = self.poll_s
        except DatabaseUnavailable as exc:
            self.ctx.metrics.db_errors.labels(loop="worker").inc()
            wait = self._backoff
            self.log.warning("claim failed: database unavailable", error=str(exc), retry_in_s=wait)
            self._backoff = min(wait * 2, 10.0)
            return wait
        except Exception:
            self.log.exception("claim failed")
            return self.poll_s
        if item is None:
            return self.poll_s
        if stop.is_set():
            self._release(item)
            return None
        self.process(item)
        return 0.0

    def run_once(self) -> ClaimedItem | None:
        """Claim and process at most one item (tests and ``--once`` style drivers)."""
        item = self._claim()
        if item is not None:
            self.process(item)
        return item

    def _claim(self) -> ClaimedItem | None:
        with self.ctx.database.transaction() as session:
            queue = WorkQueue(session)
            rescued = queue.rescue_expired()
            if rescued:
                self.ctx.metrics.rescued.inc(len(rescued))
                self.log.warning("rescued expired leases", items=rescued)
            item = queue.claim(self.ctx.replica_id, lease_s=self.lease_s, kinds=self.kinds)
            if item is not None:
                self.ctx.faults.hit("claim")
        return item

    def process(self, item: ClaimedItem) -> None:
        """Run the handler for ``item`` under a kept-alive lease and record the outcome (fenced)."""
        self.current = item
        log = self.log.bind(item=item.id, kind=item.kind, attempt=item.attempts)
        started = time.monotonic()
        try:
            handler = self.registry.handler_for(item.kind)
            if handler is None:
                raise NoHandler(
                    f"no handler for work items of kind {item.kind!r} on this replica "
                    f"(known kinds: {', '.join(self.registry.kinds()) or 'none'})"
                )
            with _LeaseKeeper(self.ctx, item, self.lease_s):
                result = handler(self.ctx, item)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if isinstance(exc, AdpilotError):
                error += f" (remedy: {exc.remedy})"
            policy = self.retry_policy
            if isinstance(exc, RateLimited):  # retry_after_s is platform time (simulated seconds on the sandbox)
                wait = self.ctx.clock.wall_seconds(timedelta(seconds=exc.retry_after_s))
                policy = RetryPolicy(base_s=max(wait, policy.base_s), max_s=max(wait, policy.max_s))
            status = self._record(
                lambda q: q.fail(item.id, self.ctx.replica_id, error, retry=policy), item, "failed"
            )
            log.warning("work item failed", error=error, status=status)
            self.ctx.metrics.work_items.labels(kind=item.kind, outcome=str(status or "lease_lost")).inc()
        else:
            done = self._record(lambda q: q.complete(item.id, self.ctx.replica_id, result=result), item, "completed")
            log.info("work item succeeded", recorded=bool(done))
            self.ctx.metrics.work_items.labels(kind=item.kind, outcome="succeeded" if done else "lease_lost").inc()
        finally:
            self.ctx.metrics.work_seconds.labels(kind=item.kind).observe(time.monotonic() - started)
            self.current = None

    def _release(self, item: ClaimedItem) -> None:
        self._record(lambda q: q.release(item.id, self.ctx.replica_id), item, "released")

    def abandon(self) -> None:
        """Expire the current item's lease now (shutdown grace exceeded) so another replica rescues it at once."""
        item = self.current
        if item is not None:
            self._record(lambda q: q.heartbeat(item.id, self.ctx.replica_id, lease_s=0.0), item, "abandoned")

    def _record(self, action: Callable[[WorkQueue], T], item: ClaimedItem, what: str) -> T | None:
        def attempt() -> T:
            with self.ctx.database.transaction() as session:
                return action(WorkQueue(session))

        try:
            return _record_retry(attempt)()
        except DatabaseUnavailable as exc:
            self.log.error(
                f"could not record the item as {what}; its lease will expire and it will be rescued",
                item=item.id, error=str(exc),
            )
            return None
