"""Token accounting. Every model call returns a :class:`TokenUsage`; a :class:`UsageMeter` sums them for one agent
run so the run row can store ``prompt_tokens`` / ``completion_tokens``. Repair attempts and failed calls count too:
the meter records what was spent, not what was useful."""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["TokenUsage", "UsageMeter"]


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Tokens of one call (or a sum of calls), as reported by the backend."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )


class UsageMeter:
    """Sums usage across the calls of one agent run.

    Thread-safe because LangGraph may run parallel branches of one graph in worker threads that share the meter.
    Create one per run; never share one across runs (the columns are per run).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = TokenUsage()
        self._calls = 0

    def record(self, usage: TokenUsage) -> None:
        with self._lock:
            self._total = self._total + usage
            self._calls += 1

    @property
    def total(self) -> TokenUsage:
        with self._lock:
            return self._total

    @property
    def calls(self) -> int:
        with self._lock:
            return self._calls
