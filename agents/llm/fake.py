"""A scripted backend for unit tests ONLY: no model, no network, fully deterministic.

Tests queue canned replies per output model (``script_json``) or per tool name (``script_tool``); each call pops the
next one and records the messages it was given, so an agent test can assert *which* tools a node called, with *what*
prompt, and that injected platform text stayed inside its DATA block. Replies go through the same
validation-and-repair loop as the real backends — script a malformed string first to exercise the repair path.

A call with nothing scripted raises :class:`FakeScriptExhausted` instead of inventing an answer: a test that gets
further than its script is a test that does not know what it is testing.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from agents.llm.base import LLMResult, ToolCall, ToolSpec
from agents.llm.errors import LLMError
from agents.llm.messages import Message
from agents.llm.structured import DEFAULT_MAX_REPAIRS, RawReply, validate_with_repair
from agents.llm.usage import TokenUsage

__all__ = ["FakeBackend", "FakeCall", "FakeReply", "FakeScriptExhausted"]

T = TypeVar("T", bound=BaseModel)
P = TypeVar("P", bound=BaseModel)

FakeReply = BaseModel | Mapping[str, Any] | str | Callable[[Sequence[Message]], "BaseModel | Mapping[str, Any] | str"]
"""A canned reply: a model instance, a dict (JSON-encoded), a raw string (sent as is, may be invalid), or a function
of the messages returning one of those (for replies that depend on the prompt)."""


class FakeScriptExhausted(LLMError):
    default_remedy = "script one more reply with FakeBackend.script_json / script_tool in the test"


@dataclass(frozen=True)
class FakeCall:
    """One attempt the fake answered. Repairs appear as further calls with the same ``target``."""

    kind: Literal["json", "tool"]
    target: str
    messages: tuple[Message, ...]
    max_tokens: int | None
    reply: str


class FakeBackend:
    """The scripted fake. Usage is a deterministic estimate (≈ 4 characters per token) so metering is testable."""

    def __init__(self, *, model: str = "fake", max_repairs: int = DEFAULT_MAX_REPAIRS) -> None:
        self._model = model
        self.max_repairs = max_repairs
        self.calls: list[FakeCall] = []
        self._json: dict[type[BaseModel], deque[FakeReply]] = {}
        self._tools: dict[str, deque[FakeReply]] = {}
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        return self._model

    def script_json(self, output_model: type[BaseModel], *replies: FakeReply) -> FakeBackend:
        with self._lock:
            self._json.setdefault(output_model, deque()).extend(replies)
        return self

    def script_tool(self, tool_name: str, *replies: FakeReply) -> FakeBackend:
        with self._lock:
            self._tools.setdefault(tool_name, deque()).extend(replies)
        return self

    @property
    def tools_called(self) -> list[str]:
        """Tool names in call order (repairs included), for ``assert fake.tools_called == [...]``."""
        return [c.target for c in self.calls if c.kind == "tool"]

    def calls_to(self, target: str) -> list[FakeCall]:
        return [c for c in self.calls if c.target == target]

    def unused_replies(self) -> dict[str, int]:
        """Scripted replies nobody asked for; a test may assert this is empty."""
        with self._lock:
            left = {model.__name__: len(q) for model, q in self._json.items() if q}
            left.update({name: len(q) for name, q in self._tools.items() if q})
            return left

    def complete_json(
        self,
        messages: Sequence[Message],
        output_model: type[T],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.0,
    ) -> LLMResult[T]:
        name = output_model.__name__

        def generate(history: list[Message]) -> RawReply:
            return self._answer("json", name, self._queue_for(output_model), history, max_tokens)

        done = validate_with_repair(messages, output_model, generate, max_repairs=self.max_repairs, what=f"json:{name}")
        return LLMResult(done.value, done.usage, done.reply.text, done.attempts, self._model)

    def _queue_for(self, output_model: type[BaseModel]) -> deque[FakeReply] | None:
        """The script for ``output_model`` or, for models built per call (e.g. an enum narrowed to this call's
        candidates), for the nearest scripted base class."""
        for klass in output_model.__mro__:
            if klass in self._json:
                return self._json[klass]
        return None

    def call_tool(
        self,
        messages: Sequence[Message],
        tool: ToolSpec[P],
        *,
        max_tokens: int | None = None,
    ) -> ToolCall[P]:
        def generate(history: list[Message]) -> RawReply:
            return self._answer("tool", tool.name, self._tools.get(tool.name), history, max_tokens)

        done = validate_with_repair(
            messages, tool.parameters_model, generate, max_repairs=self.max_repairs, what=f"tool:{tool.name}"
        )
        call_id = f"call_fake_{len(self.calls)}"
        return ToolCall(call_id, tool.name, done.value, done.reply.text, done.usage, done.attempts, self._model)

    def _answer(
        self,
        kind: Literal["json", "tool"],
        target: str,
        queue: deque[FakeReply] | None,
        history: list[Message],
        max_tokens: int | None,
    ) -> RawReply:
        with self._lock:
            if not queue:
                raise FakeScriptExhausted(f"FakeBackend: no scripted {kind} reply left for {target!r}")
            scripted = queue.popleft()
        text = _render(scripted(tuple(history)) if callable(scripted) else scripted)
        with self._lock:
            self.calls.append(FakeCall(kind, target, tuple(history), max_tokens, text))
        prompt_chars = sum(len(m.content) for m in history)
        return RawReply(text, TokenUsage(prompt_chars // 4 + len(history), len(text) // 4 + 1))


def _render(reply: BaseModel | Mapping[str, Any] | str) -> str:
    if isinstance(reply, BaseModel):
        return reply.model_dump_json()
    if isinstance(reply, str):
        return reply
    return json.dumps(dict(reply))
