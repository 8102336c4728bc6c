"""One backend's measurement, run in its own process by :mod:`bench.llm.runner` (a native crash there, such as
SIGILL, is then a result rather than the end of the benchmark). Prints one JSON object on stdout."""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

from agents.llm.errors import LLMError
from agents.llm.usage import TokenUsage
from bench.llm.tasks import TASKS, structured_task, tool_task

__all__ = ["measure"]


def _backend(name: str, cache_dir: Path | None) -> Any:
    if name == "llamacpp":
        from agents.llm.llamacpp import LlamaCppBackend, LlamaCppConfig

        return LlamaCppBackend(LlamaCppConfig(n_ctx=2048, max_tokens=160, timeout_s=120.0), max_repairs=0)
    from agents.llm.embedded import EmbeddedBackend, EmbeddedConfig

    return EmbeddedBackend(EmbeddedConfig(cache_dir=cache_dir, max_tokens=160, timeout_s=120.0), max_repairs=0)


def measure(name: str, cache_dir: Path | None) -> dict[str, Any]:
    """Load time, then 20 structured outputs and 20 named tool calls with no repair attempt (first-try validity)."""
    backend = _backend(name, cache_dir)
    started = time.perf_counter()
    loaded = backend.load()
    load_s = time.perf_counter() - started
    usage, gen_s = TokenUsage(), 0.0
    valid = {"structured": 0, "tool_calls": 0}
    failures: list[str] = []
    for i in range(TASKS):
        for kind in ("structured", "tool_calls"):
            t0 = time.perf_counter()
            try:
                if kind == "structured":
                    messages, model = structured_task(i)
                    result: Any = backend.complete_json(messages, model, max_tokens=160)
                else:
                    messages, tool = tool_task(i)
                    result = backend.call_tool(messages, tool, max_tokens=160)
                valid[kind] += 1
                usage = usage + result.usage
            except LLMError as exc:
                failures.append(f"{kind}[{i}]: {type(exc).__name__}: {exc.message[:160]}")
                usage = usage + exc.usage
            gen_s += time.perf_counter() - t0
    return {
        "backend": name,
        "python": platform.python_version(),
        "load_s": round(load_s, 2),
        "weights_from_cache": getattr(loaded, "from_cache", None),
        "valid_structured_of_20": valid["structured"],
        "valid_tool_calls_of_20": valid["tool_calls"],
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "generation_s": round(gen_s, 2),
        "completion_tokens_per_s": round(usage.completion_tokens / gen_s, 2) if gen_s else None,
        "failures": failures[:10],
    }


if __name__ == "__main__":
    cache = Path(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] else None
    print(json.dumps(measure(sys.argv[1], cache)))
