"""A simulated week's moving parts as real processes on loopback: the webhook receiver and the daemon replicas are
``python -m cli …`` subprocesses (exactly what an operator runs); the sandbox market is served from a thread of the
demo process, so the demo can read its evaluation scoreboard afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
import uvicorn

from adpilot.errors import AdpilotError
from platforms.sandbox import SandboxPlatform
from platforms.sandbox.server import create_app

__all__ = ["Child", "ChildDied", "SandboxServer", "free_port", "wait_healthy"]

_LOG_TAIL_LINES = 20


class ChildDied(AdpilotError):
    """A demo child process stopped before the demo was done. Names its role, how it died and its log's tail."""

    default_remedy = "see the child's log; re-run with --llm fake to rule out the embedded model"

    def __init__(self, child: Child) -> None:
        code = child.proc.returncode
        if code is not None and code < 0:
            how = f"was killed by {signal.Signals(-code).name}"
            if -code == signal.SIGILL:
                how += " (an instruction this CPU does not run: a native build made for another CPU)"
        else:
            how = f"exited with code {code}"
        tail = child.log_tail(_LOG_TAIL_LINES)
        message = f"{child.name} {how}. Last {len(tail)} lines of {child.log_path}:\n" + "\n".join(
            f"  | {line}" for line in tail
        )
        remedy = (
            "the other processes were stopped. If the log points at the LLM, run `adpilot doctor`, or use "
            "--llm fake (scripted) or --llm openai (ADPILOT_LLM_BASE_URL, ADPILOT_LLM_API_KEY, ADPILOT_LLM_MODEL)"
        )
        super().__init__(message, remedy=remedy)
        self.child_name, self.returncode = child.name, code


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, *, timeout_s: float, child: Child | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if child is not None and child.proc.poll() is not None:
            raise ChildDied(child)
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AdpilotError(
        f"{url} did not become healthy in {timeout_s:.0f} s", remedy="see the logs in the demo's data directory"
    )


class SandboxServer:
    """The sandbox market over HTTP on 127.0.0.1, in a daemon thread of this process."""

    def __init__(self, platform: SandboxPlatform, port: int) -> None:
        self.platform, self.port = platform, port
        self._server = uvicorn.Server(
            uvicorn.Config(create_app(platform), host="127.0.0.1", port=port, log_level="warning", access_log=False)
        )
        self._thread = threading.Thread(target=self._server.run, name="sandbox-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SandboxServer:
        self._thread.start()
        wait_healthy(f"{self.url}/healthz", timeout_s=30)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


class Child:
    """A subprocess with its output in a log file; stopped with SIGTERM (graceful), then SIGKILL."""

    def __init__(self, name: str, args: list[str], env: Mapping[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cli", *args],
            env=dict(env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def log_tail(self, lines: int) -> list[str]:
        self._log.flush()
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return text.splitlines()[-lines:]

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise ChildDied(self)

    def stop(self, grace_s: float = 20.0) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        return self.proc.returncode


def child_env(base: Mapping[str, str], overrides: Mapping[str, str]) -> dict[str, str]:
    """The children's environment: the parent's without ADPILOT_* (the demo decides those), plus ``overrides``."""
    env = {k: v for k, v in base.items() if not k.startswith("ADPILOT_")}
    env.update(overrides)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def parent_environ() -> dict[str, str]:
    # the only environment read in the demo: to hand PATH/HOME etc. to the child processes it starts
    return dict(os.environ)
