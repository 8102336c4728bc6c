"""The one interface every LLM backend implements, and the value types it speaks.

Agents are structured graphs (ARCHITECTURE 4): a node either wants a typed answer (:meth:`LLMBackend.complete_json`)
or knows which tool it needs (:meth:`LLMBackend.call_tool`, a *named*, forced call). There is deliberately no free
"auto" tool choice: small local models pick tools unreliably, and a node that cannot call an unexpected tool cannot be
talked into calling one by injected text.

Both calls validate the reply into a pydantic model. When validation fails the backend feeds the error back to the
model and retries (``max_repairs`` times, default 2), then raises :class:`~agents.llm.errors.LLMOutputInvalid`.
Usage is summed over every attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from agents.llm.errors import LLMError
from agents.llm.messages import Message, ToolCallRecord
from agents.llm.usage import TokenUsage, UsageMeter

__all__ = ["LLMBackend", "LLMResult", "MeteredBackend", "ToolCall", "ToolSpec"]

T = TypeVar("T", bound=BaseModel)
P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class LLMResult(Generic[T]):
    """A validated structured reply. ``raw`` is the text that validated; ``attempts`` counts repairs + 1."""

    value: T
    usage: TokenUsage
    raw: str
    attempts: int
    model: str


@dataclass(frozen=True)
class ToolSpec(Generic[P]):
    """A tool the model may be forced to call. ``description`` is shown to the model, so write it for the model."""

    name: str
    description: str
    parameters_model: type[P]

    def parameters_schema(self) -> dict[str, Any]:
        return self.parameters_model.model_json_schema()

    def openai_tool(self) -> dict[str, Any]:
        """The ``tools=[...]`` entry of the chat-completions API (OpenAI, vLLM, Ollama, llama.cpp)."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters_schema()},
        }


@dataclass(frozen=True)
class ToolCall(Generic[P]):
    """A validated call of a named tool. The agent, not the backend, executes it."""

    id: str
    name: str
    arguments: P
    raw_arguments: str
    usage: TokenUsage
    attempts: int
    model: str

    def as_message(self) -> Message:
        """The assistant turn that records this call, for a conversation that continues with the tool's result."""
        record = ToolCallRecord(id=self.id, name=self.name, arguments_json=self.raw_arguments)
        return Message(role="assistant", content="", tool_calls=(record,))


@runtime_checkable
class LLMBackend(Protocol):
    """What agents depend on. Implementations: OpenAI-compatible, embedded llama-cpp, and the test fake."""

    @property
    def model(self) -> str:
        """A name for logs and run rows (model id, or the GGUF file name)."""
        ...

    def complete_json(
        self,
        messages: Sequence[Message],
        output_model: type[T],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.0,
    ) -> LLMResult[T]:
        """Schema-constrained reply validated into ``output_model``; raises LLMOutputInvalid / LLMTimeout / …"""
        ...

    def call_tool(
        self,
        messages: Sequence[Message],
        tool: ToolSpec[P],
        *,
        max_tokens: int | None = None,
    ) -> ToolCall[P]:
        """A forced call of ``tool`` with arguments validated into ``tool.parameters_model``."""
        ...


class MeteredBackend:
    """Wraps a backend and records every call's usage — including failed ones — in a run's :class:`UsageMeter`.

    Agents build one per run (``MeteredBackend(backend, meter)``) and store ``meter.total`` on the run row; the
    wrapped backend (and its loaded model) is shared between runs.
    """

    def __init__(self, inner: LLMBackend, meter: UsageMeter) -> None:
        self.inner = inner
        self.meter = meter

    @property
    def model(self) -> str:
        return self.inner.model

    def complete_json(
        self,
        messages: Sequence[Message],
        output_model: type[T],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.0,
    ) -> LLMResult[T]:
        try:
            result = self.inner.complete_json(messages, output_model, max_tokens=max_tokens, temperature=temperature)
        except LLMError as exc:
            self.meter.record(exc.usage)
            raise
        self.meter.record(result.usage)
        return result

    def call_tool(
        self,
        messages: Sequence[Message],
        tool: ToolSpec[P],
        *,
        max_tokens: int | None = None,
    ) -> ToolCall[P]:
        try:
            call = self.inner.call_tool(messages, tool, max_tokens=max_tokens)
        except LLMError as exc:
            self.meter.record(exc.usage)
            raise
        self.meter.record(call.usage)
        return call
