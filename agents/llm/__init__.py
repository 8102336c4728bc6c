"""LLM backends behind one interface (:class:`LLMBackend`): JSON-schema structured output and named tool calls,
validated into pydantic models, with retries, timeouts, token accounting and typed errors.

Backends: :class:`OpenAIBackend` (any OpenAI-compatible server), :class:`EmbeddedBackend` (transformers in-process,
SHA-256-verified GGUF), :class:`LlamaCppBackend` (opt-in llama-cpp),
:class:`FakeBackend` (scripted, tests only). Build one with :func:`make_backend`.
Platform-sourced text goes into prompts only through :func:`untrusted`.
"""

from agents.llm.base import LLMBackend, LLMResult, MeteredBackend, ToolCall, ToolSpec
from agents.llm.embedded import EmbeddedBackend, EmbeddedConfig
from agents.llm.errors import LLMError, LLMModelIntegrityError, LLMOutputInvalid, LLMTimeout, LLMUnavailable
from agents.llm.factory import make_backend
from agents.llm.fake import FakeBackend, FakeCall, FakeScriptExhausted
from agents.llm.llamacpp import LlamaCppBackend, LlamaCppConfig
from agents.llm.messages import UNTRUSTED_DATA_RULE, Message, ToolCallRecord, untrusted
from agents.llm.openai_backend import OpenAIBackend
from agents.llm.usage import TokenUsage, UsageMeter

__all__ = [
    "UNTRUSTED_DATA_RULE",
    "EmbeddedBackend",
    "EmbeddedConfig",
    "FakeBackend",
    "FakeCall",
    "FakeScriptExhausted",
    "LLMBackend",
    "LLMError",
    "LLMModelIntegrityError",
    "LLMOutputInvalid",
    "LLMResult",
    "LLMTimeout",
    "LLMUnavailable",
    "LlamaCppBackend",
    "LlamaCppConfig",
    "Message",
    "MeteredBackend",
    "OpenAIBackend",
    "TokenUsage",
    "ToolCall",
    "ToolCallRecord",
    "ToolSpec",
    "UsageMeter",
    "make_backend",
    "untrusted",
]
