"""A fork server for the reliability tests: imports the daemon once, then forks a fresh daemon process per request.

Why: importing the CLI and its dependencies costs seconds on a loaded 2-core machine, and the kill loops start ~60
processes; forking an already-imported interpreter makes each start cost milliseconds while every daemon is still a
separate OS process with its own connections, killed for real with SIGKILL. No database connection or thread exists
in this process before a fork.

Protocol: one JSON request per stdin line, one JSON answer per stdout line.
  {"op": "run", "argv": [...], "timeout": s, "log": path}  fork, wait (SIGKILL on timeout), answer the exit status
  {"op": "start", "argv": [...], "log": path}              fork, answer {"pid"} at once
  {"op": "stop", "pid": p, "timeout": s, "sig": "TERM"}     signal, wait (SIGKILL on timeout), answer the status
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
import traceback
from typing import Any

import cli.daemon
import tests.scheduler.plugin  # noqa: F401  (imported before forking, like everything else)


def _child(argv: list[str], log: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    code = 0
    try:
        cli.daemon.daemon_app(argv, standalone_mode=False)
    except SystemExit as exc:
        code = int(exc.code or 0) if isinstance(exc.code, int | None) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _wait(pid: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    timed_out = False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline and not timed_out:
            timed_out = True
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)
    return {
        "pid": pid,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "timed_out": timed_out,
    }


def main() -> None:
    started: set[int] = set()
    try:
        _serve(started)
    finally:
        for pid in started:  # never leave a daemon behind, whatever the test did
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


def _serve(started: set[int]) -> None:
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op in ("run", "start"):
            pid = os.fork()
            if pid == 0:
                _child(request["argv"], request["log"])
            if op == "run":
                answer = _wait(pid, float(request["timeout"]))
            else:
                started.add(pid)
                answer = {"pid": pid}
        elif op == "stop":
            with contextlib.suppress(ProcessLookupError):
                os.kill(request["pid"], getattr(signal, f"SIG{request.get('sig', 'TERM')}"))
            answer = _wait(request["pid"], float(request["timeout"]))
            started.discard(request["pid"])
        else:
            break
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
