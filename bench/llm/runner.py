"""``adpilot bench llm``: each embedded backend measured in its own process on the same 40 tasks.

The default backend is measured twice: a cold load (empty weights cache: the GGUF is dequantised) and a warm one
(the cache written by the first). ``llamacpp`` is measured when llama-cpp-python is importable, and reported as
skipped otherwise; a crash (for instance SIGILL from a natively tuned build) is reported with its signal.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["run"]

REPO = Path(__file__).resolve().parents[2]


def _worker(backend: str, cache_dir: str, timeout_s: float) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.llm.worker", backend, cache_dir],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    if proc.returncode != 0:
        died = -proc.returncode if proc.returncode < 0 else None
        return {
            "backend": backend,
            "error": f"exited with {signal.Signals(died).name if died else proc.returncode}",
            "stderr_tail": proc.stderr.strip().splitlines()[-5:],
        }
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def run(*, timeout_s: float = 1800.0, progress: Callable[[str], None] = lambda _msg: None) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="adpilot-bench-llm-") as scratch:
        for label in ("cold", "warm"):
            progress(f"embedded (transformers + llguidance), {label} weights cache")
            result = _worker("embedded", scratch, timeout_s)
            result["run"] = f"embedded-{label}"
            results.append(result)
    if importlib.util.find_spec("llama_cpp") is not None:
        progress("llamacpp (opt-in)")
        result = _worker("llamacpp", "", timeout_s)
        result["run"] = "llamacpp"
        results.append(result)
    else:
        results.append({"run": "llamacpp", "skipped": "llama-cpp-python is not installed (opt-in extra)"})
    return {"benchmark": "llm_backends", "tasks_per_kind": 20, "max_repairs": 0, "results": results}
