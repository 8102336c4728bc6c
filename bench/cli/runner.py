"""``adpilot bench cli``: median wall time of real ``adpilot`` invocations, each a fresh process, with baselines
from the same run on the same machine:

* ``python_startup`` — ``python -c pass``: the floor no command can go under;
* ``eager_imports`` — importing every sub-command module, which is what ``adpilot --help`` cost before the root
  group loaded sub-commands lazily (issue 10: 8–12 s).

Targets (issue 10, 2 cores): ``--help`` ≤ 1 s; ``campaigns list`` on the embedded database ≤ 2 s. The embedded
database lives in a scratch data directory, started by the first (unmeasured) call, as a user's second command finds
it; each measured call starts and stops its own server when it is the only user, as a user's command does.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cli.lazy import LAZY_COMMANDS

__all__ = ["TARGETS_S", "run"]

TARGETS_S = {"help": 1.0, "campaigns_list": 2.0}


def _time(argv: Sequence[str], env: dict[str, str], repeat: int) -> dict[str, Any]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        proc = subprocess.run(list(argv), env=env, capture_output=True, text=True, timeout=300)
        samples.append(time.perf_counter() - started)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr[-500:]}")
    return {"median_s": round(statistics.median(samples), 3), "min_s": round(min(samples), 3), "runs": repeat}


def run(*, repeat: int = 7, progress: Callable[[str], None] = lambda _msg: None) -> dict[str, Any]:
    python = sys.executable
    eager = "; ".join(f"import {spec.module}" for spec in LAZY_COMMANDS.values())
    with tempfile.TemporaryDirectory(prefix="adpilot-bench-cli-") as scratch:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADPILOT_")}
        env["ADPILOT_DATA_DIR"] = str(Path(scratch) / "data")
        adpilot = [python, "-m", "cli"]
        progress("initialising the embedded database (not measured)")
        subprocess.run([*adpilot, "db", "upgrade"], env=env, capture_output=True, timeout=300, check=True)
        results = {}
        for name, argv in (
            ("python_startup", [python, "-c", "pass"]),
            ("eager_imports", [python, "-c", eager]),
            ("help", [*adpilot, "--help"]),
            ("campaigns_list", [*adpilot, "campaigns", "list", "--json"]),
        ):
            progress(name)
            results[name] = _time(argv, env, repeat)
    eager_s = results["eager_imports"]["median_s"]
    for name, target in TARGETS_S.items():
        results[name]["target_s"] = target
        results[name]["meets_target"] = results[name]["median_s"] <= target
        results[name]["ratio_to_eager_imports"] = round(results[name]["median_s"] / eager_s, 3)
        results[name]["ratio_to_python_startup"] = round(
            results[name]["median_s"] / results["python_startup"]["median_s"], 2
        )
    return {"benchmark": "cli_startup", "cpus": os.cpu_count(), "results": results}
