"""Settings → backend. The only place that reads ``llm_backend``; called at the edges (CLI, daemon start), and the
backend is passed down to the agents. Constructing a backend does no I/O: the embedded model loads on first use
(call ``EmbeddedBackend.load()`` to fail fast at start-up)."""

from __future__ import annotations

from adpilot.settings import Settings
from agents.llm.base import LLMBackend
from agents.llm.embedded import EmbeddedBackend
from agents.llm.fake import FakeBackend
from agents.llm.llamacpp import LlamaCppBackend
from agents.llm.openai_backend import OpenAIBackend

__all__ = ["make_backend"]


def make_backend(settings: Settings) -> LLMBackend:
    """``embedded`` (offline default, transformers), ``llamacpp`` (opt-in), ``openai`` (any compatible server), or
    ``fake`` (unscripted: tests script it; any call on an unscripted fake raises, so a misconfigured production run
    stops at its first model call)."""
    if settings.llm_backend == "openai":
        return OpenAIBackend.from_settings(settings)
    if settings.llm_backend == "fake":
        return FakeBackend()
    if settings.llm_backend == "llamacpp":
        return LlamaCppBackend.from_settings(settings)
    return EmbeddedBackend.from_settings(settings)
