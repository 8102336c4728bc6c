"""A small HTTP/1.1 load generator for loopback: ``concurrency`` keep-alive connections, each sending one request
and awaiting its response before the next (closed loop), bounded by a deadline.

Why not httpx/aiohttp: a general client costs more CPU per request than the receiver does, and on 2 shared cores
the generator would measure itself. This one writes pre-built bytes and parses only the status line,
``content-length`` and the body. It refuses any address outside 127.0.0.0/8 and ::1.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson

from adpilot.errors import InvalidInput

__all__ = ["Outcome", "require_loopback", "run_load", "send_all"]


@dataclass
class Outcome:
    """Per delivery, indexed like the input: HTTP status (0 = not answered), ``error`` label, latency in ms."""

    status: list[int]
    reason: list[str]
    latency_ms: list[float]
    elapsed_s: float = 0.0
    reconnects: int = 0
    sent: int = field(default=0)


def require_loopback(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise InvalidInput(f"refusing to send load to {host}", remedy="the benchmark only targets 127.0.0.1 / ::1")


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return status, body


def _reason(status: int, body: bytes) -> str:
    if status == 200:
        try:
            return str(orjson.loads(body).get("status", "ok"))
        except orjson.JSONDecodeError:
            return "ok"
    try:
        return str(orjson.loads(body).get("error", f"http_{status}"))
    except (orjson.JSONDecodeError, AttributeError):
        return f"http_{status}"


async def _worker(
    host: str, port: int, requests: Sequence[bytes], order: asyncio.Queue[int], out: Outcome, deadline: float,
    retries: int,
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.monotonic() < deadline:
        try:
            index = order.get_nowait()
        except asyncio.QueueEmpty:
            break
        for _attempt in range(retries + 1):
            started = time.perf_counter()
            try:
                if writer is None or reader is None:
                    reader, writer = await asyncio.open_connection(host, port)
                writer.write(requests[index])
                status, body = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                if writer is not None:
                    writer.close()
                reader = writer = None
                out.reconnects += 1
                await asyncio.sleep(0.05)
                if time.monotonic() >= deadline:
                    break
                continue
            out.latency_ms[index] = (time.perf_counter() - started) * 1000.0
            out.status[index] = status
            out.reason[index] = _reason(status, body)
            if status != 503:
                break
        out.sent += 1
    if writer is not None:
        writer.close()


async def send_all(
    host: str, port: int, requests: Sequence[bytes], *, concurrency: int, seconds: float, retries: int = 0
) -> Outcome:
    """Send every request once (in order, over ``concurrency`` connections) or until ``seconds`` pass.

    ``retries`` re-sends a request whose connection failed or that got a 503 — what a real sender does, and what the
    restart test relies on ("a delivery that was not acknowledged is retried")."""
    require_loopback(host)
    out = Outcome(status=[0] * len(requests), reason=[""] * len(requests), latency_ms=[0.0] * len(requests))
    order: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(requests)):
        order.put_nowait(index)
    deadline = time.monotonic() + seconds
    started = time.perf_counter()
    workers = [
        asyncio.create_task(_worker(host, port, requests, order, out, deadline, retries))
        for _ in range(max(1, concurrency))
    ]
    # One watchdog instead of a timeout per request: past the deadline (plus a grace for in-flight answers) every
    # worker is cancelled, so a hung receiver cannot hang the benchmark.
    _done, pending = await asyncio.wait(workers, timeout=seconds + 10.0)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    out.elapsed_s = time.perf_counter() - started
    return out


def run_load(
    host: str, port: int, requests: Sequence[bytes], *, concurrency: int, seconds: float, retries: int = 0
) -> Outcome:
    """:func:`send_all` on a fresh event loop (uvloop when installed: it halves the generator's CPU per request)."""
    coro = send_all(host, port, requests, concurrency=concurrency, seconds=seconds, retries=retries)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)
