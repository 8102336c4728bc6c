"""Real processes for the benchmark and the reliability tests: a throw-away database on the configured Postgres
server, and receivers started as separate processes on loopback ports (stopped with SIGTERM, or killed)."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.process import BaseProcess

import httpx
import psycopg
from sqlalchemy.engine import make_url

from adpilot.errors import DatabaseUnavailable
from adpilot.settings import Settings
from db import migrate
from db.database import Database, make_engine
from webhooks.app import ReceiverOptions
from webhooks.server import serve

__all__ = ["ReceiverProcess", "free_port", "scratch_database"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def scratch_database(server_url: str, prefix: str = "adpilot_bench") -> Iterator[str]:
    """Create and migrate a uniquely named database next to ``server_url``'s, yield its URL, drop it afterwards."""
    url = make_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise DatabaseUnavailable(
            f"cannot create a scratch database: {str(exc).splitlines()[0]}",
            remedy="give the configured user CREATEDB, or point ADPILOT_DATABASE_URL at a server where it has it",
        ) from exc
    scratch = url.set(database=name).render_as_string(hide_password=False)
    try:
        database = Database(make_engine(scratch), embedded=False)
        migrate.upgrade(database)
        database.dispose()
        yield scratch
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class ReceiverProcess:
    """``adpilot webhooks serve`` in a spawned process; ``start`` returns once ``/healthz`` answers 200."""

    settings: Settings
    port: int
    workers: int = 1
    options: ReceiverOptions | None = None
    process: BaseProcess | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> ReceiverProcess:
        ctx = multiprocessing.get_context("spawn")
        self.process = ctx.Process(
            target=serve,
            args=(self.settings,),
            kwargs={"host": "127.0.0.1", "port": self.port, "workers": self.workers, "options": self.options},
        )
        self.process.start()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.process.is_alive():
                raise DatabaseUnavailable(f"receiver exited with code {self.process.exitcode} while starting")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return self
            time.sleep(0.1)
        self.stop()
        raise DatabaseUnavailable(f"receiver did not become healthy within {timeout_s} s")

    def stop(self, timeout_s: float = 15.0) -> None:
        """Graceful: SIGTERM (in-flight requests finish), then SIGKILL if it lingers."""
        if self.process is None:
            return
        if self.process.is_alive() and self.process.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGTERM)
            self.process.join(timeout_s)
        self.kill()

    def kill(self) -> None:
        """Abrupt: SIGKILL, as a crash or an OOM kill would."""
        if self.process is None:
            return
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.process = None

    def __enter__(self) -> ReceiverProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def process_tree_cpu_s(pid: int, *, children: bool = True) -> float:
    """User + system CPU seconds of ``pid`` and its children (Linux ``/proc``; 0.0 elsewhere). Used to report CPU
    per request, which stays meaningful when other work shares the cores and wall-clock rates do not."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = {pid}
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc") if children else []:
            if entry.isdigit():
                with contextlib.suppress(OSError), open(f"/proc/{entry}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
                    if int(fields[1]) == pid:
                        pids.add(int(entry))
    for member in pids:
        with contextlib.suppress(OSError), open(f"/proc/{member}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total
