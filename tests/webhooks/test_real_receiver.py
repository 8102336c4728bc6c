"""Real uvicorn receivers in separate processes on loopback ports, on the real test database: concurrency,
crash/restart, and exactly-one row and run per event."""

from __future__ import annotations

import asyncio
import random
import threading
import time

import httpx
import pytest
from sqlalchemy import func, select

from bench.webhooks.harness import ReceiverProcess, free_port
from bench.webhooks.loadgen import Outcome, run_load
from bench.webhooks.traffic import BenchSecrets, Mix, build_deliveries
from db.database import Database
from db.schema import AgentRun, WebhookInbox
from tests.webhooks.deliveries import SANDBOX_KEY, receiver_settings, standard_event, standard_headers


def counts(database: Database) -> tuple[int, int]:
    with database.transaction() as session:
        inbox = session.scalar(select(func.count()).select_from(WebhookInbox)) or 0
        runs = session.scalar(select(func.count()).select_from(AgentRun)) or 0
    return int(inbox), int(runs)


def test_same_webhook_sent_100_times_concurrently(database: Database, database_url: str) -> None:
    body = standard_event("evt_race", "budget_depleted")
    headers = standard_headers(SANDBOX_KEY, "evt_race", body)
    with ReceiverProcess(receiver_settings(database_url), free_port()) as receiver:

        async def blast() -> list[httpx.Response]:
            limits = httpx.Limits(max_connections=100)
            async with httpx.AsyncClient(base_url=receiver.base_url, limits=limits, timeout=30) as client:
                return await asyncio.gather(
                    *(client.post("/webhooks/sandbox", content=body, headers=headers) for _ in range(100))
                )

        answers = asyncio.run(blast())
    assert [a.status_code for a in answers] == [200] * 100
    assert sum(a.json()["stored"] for a in answers) == 1
    assert counts(database) == (1, 1)


@pytest.mark.slow
def test_burst_of_10k_events_survives_receiver_restarts(database: Database, database_url: str) -> None:
    """Senders retry what was not acknowledged; the receiver is killed (SIGKILL) and stopped (SIGTERM) mid-burst.
    Every event ends up in the inbox exactly once, with exactly one run for each triggering event."""
    secrets = BenchSecrets.random(random.Random(7))
    settings = receiver_settings(
        database_url,
        webhook_meta_app_secret=secrets.meta,
        webhook_tiktok_secret=secrets.tiktok,
        webhook_generic_secrets=[secrets.generic],
        webhook_sandbox_secret=secrets.sandbox,
    )
    port = free_port()
    deliveries = build_deliveries(10_000, 7, secrets, f"127.0.0.1:{port}", Mix(duplicates=0.0, bad_signatures=0.0,
                                                                               stale=0.0))
    expected_events = {key for d in deliveries for key in d.keys}
    expected_runs = sum(d.runs for d in deliveries)
    receiver = ReceiverProcess(settings, port).start()
    result: dict[str, Outcome] = {}

    def load() -> None:
        result["outcome"] = run_load("127.0.0.1", port, [d.raw for d in deliveries], concurrency=16, seconds=90,
                                     retries=2000)

    sender = threading.Thread(target=load)
    try:
        sender.start()
        for restart in range(3):
            # restart once the burst has really progressed, not after a fixed time: on an idle machine the whole
            # burst can finish before a fixed sleep ends, and then nothing is interrupted
            target = counts(database)[0] + 800
            deadline = time.monotonic() + 15
            while counts(database)[0] < target and time.monotonic() < deadline and sender.is_alive():
                time.sleep(0.02)
            if restart % 2 == 0:
                receiver.kill()
            else:
                receiver.stop()
            receiver = ReceiverProcess(settings, port).start()
        sender.join(timeout=120)
    finally:
        receiver.stop()
    outcome = result["outcome"]
    unacknowledged = len(deliveries) - outcome.status.count(200)
    assert unacknowledged == 0
    assert outcome.reconnects > 0  # the restarts really interrupted the stream
    with database.transaction() as session:
        stored = {(s, e) for s, e in session.execute(select(WebhookInbox.source, WebhookInbox.event_id))}
    assert stored == expected_events
    assert counts(database) == (len(expected_events), expected_runs)
