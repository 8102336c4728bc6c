"""Fixtures for the daemon tests: a shared sandbox server (in a thread of the test process, on loopback) and a fork
server that starts real daemon processes cheaply (see ``forkserver.py``). Every process started here is killed in
the fixture's teardown."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import text

from db.database import Database
from platforms.sandbox import SandboxConfig, SandboxPlatform
from platforms.sandbox.remote import RemoteSandbox
from platforms.sandbox.server import create_app
from tests.scheduler.plugin import SIDE_TABLE_DDL

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SandboxServer:
    url: str
    client: RemoteSandbox


@pytest.fixture()
def sandbox_server() -> Iterator[SandboxServer]:
    config = SandboxConfig(seed=5, n_campaigns=2, n_users=2000, traffic_scale=0.1, max_writes_per_tick=1_000_000)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(SandboxPlatform(config)), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("sandbox server did not start")
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    client = RemoteSandbox(url)
    try:
        yield SandboxServer(url, client)
    finally:
        client.close()
        server.should_exit = True
        thread.join(10)


class ForkServer:
    def __init__(self, env: dict[str, str], logdir: Path) -> None:
        self.logdir = logdir
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.scheduler.forkserver"], cwd=str(logdir), env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        self.count = 0

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("fork server died")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _log(self, name: str) -> str:
        self.count += 1
        return str(self.logdir / f"{self.count:03d}-{name}.log")

    def run(self, argv: list[str], *, timeout: float, name: str = "daemon") -> dict[str, Any]:
        return self._ask({"op": "run", "argv": argv, "timeout": timeout, "log": self._log(name)})

    def start(self, argv: list[str], *, name: str = "daemon") -> int:
        return int(self._ask({"op": "start", "argv": argv, "log": self._log(name)})["pid"])

    def stop(self, pid: int, *, timeout: float = 20.0, sig: str = "TERM") -> dict[str, Any]:
        return self._ask({"op": "stop", "pid": pid, "timeout": timeout, "sig": sig})

    def close(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture()
def forkserver(database: Database, database_url: str, tmp_path: Path) -> Iterator[ForkServer]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADPILOT_")}
    env.update({
        "ADPILOT_DATABASE_URL": database_url,
        "ADPILOT_DATA_DIR": str(tmp_path / "data"),
        "ADPILOT_LOG_LEVEL": "WARNING",
        "ADPILOT_LLM_BACKEND": "fake",  # agent cycles run with no model (deterministic choices), never a real one
        "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
    })
    server = ForkServer(env, tmp_path)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture()
def side_table(database: Database) -> Iterator[Database]:
    with database.transaction() as session:
        session.execute(text(SIDE_TABLE_DDL))
        session.execute(text("TRUNCATE test_tick_effects"))
    yield database
    with database.transaction() as session:  # a table the ORM does not know would read as drift to later tests
        session.execute(text("DROP TABLE IF EXISTS test_tick_effects"))
