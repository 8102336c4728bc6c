"""Any OpenAI-compatible chat-completions server through the ``openai`` SDK: OpenAI, vLLM, Ollama, llama.cpp server.

Why these choices:

* **Structured output** asks for ``response_format={"type": "json_schema", ...}``. Servers that reject it (older
  llama.cpp / Ollama builds answer 400 or 422 naming ``response_format``) are remembered per backend and asked for
  ``{"type": "json_object"}`` with the schema written into a system message instead; validation + repair
  (``structured.py``) is the contract either way.
* **Named tool calls** send the one tool with ``tool_choice={"type": "function", "function": {"name": ...}}``. A
  server that ignores ``tool_choice`` and answers in ``content`` still works: the content is parsed as the arguments.
* **Retries** are ours (tenacity), the SDK's own are off (``max_retries=0``) so there is one policy: retry rate limits
  (429), 408/409, 5xx, timeouts and connection errors with exponential backoff honouring ``Retry-After`` (capped);
  never retry other 4xx — a bad key or a bad request does not get better by asking again.
* **Errors** are translated here; no ``openai`` exception leaves this module.
* The SDK would read ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL`` from the environment when given ``None``; we always
  pass both explicitly, so only ``Settings`` configures the backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import openai
import structlog
from pydantic import BaseModel
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from adpilot.settings import Settings
from agents.llm.base import LLMResult, ToolCall, ToolSpec
from agents.llm.errors import LLMError, LLMTimeout, LLMUnavailable
from agents.llm.messages import Message, to_chat_dict
from agents.llm.structured import (
    DEFAULT_MAX_REPAIRS,
    RawReply,
    schema_instruction,
    validate_with_repair,
    with_instruction,
)
from agents.llm.usage import TokenUsage

__all__ = ["OPENAI_DEFAULT_BASE_URL", "OpenAIBackend"]

T = TypeVar("T", bound=BaseModel)
P = TypeVar("P", bound=BaseModel)

OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
_LOCAL_API_KEY = "not-needed"  # local servers ignore the key, the SDK insists on one
_RETRY_STATUSES = frozenset({408, 409, 429})

log = structlog.get_logger(__name__)


class OpenAIBackend:
    """Backend for an OpenAI-compatible endpoint. Thread-safe: the SDK client is, and the only mutable state is the
    monotonic ``json_schema`` capability flag."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_tokens: int = 512,
        seed: int | None = None,
        max_retries: int = 3,
        max_repairs: int = DEFAULT_MAX_REPAIRS,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 8.0,
    ) -> None:
        if base_url is None and not api_key:
            raise LLMUnavailable(
                "the OpenAI backend has neither ADPILOT_LLM_BASE_URL nor ADPILOT_LLM_API_KEY",
                remedy="set ADPILOT_LLM_API_KEY for OpenAI, or ADPILOT_LLM_BASE_URL for a local server",
            )
        self._model = model
        self.base_url = base_url or OPENAI_DEFAULT_BASE_URL
        self.max_tokens = max_tokens
        self.seed = seed
        self.max_retries = max_retries
        self.max_repairs = max_repairs
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.json_schema_supported = True
        self._client = openai.OpenAI(
            api_key=api_key or _LOCAL_API_KEY, base_url=self.base_url, timeout=timeout_s, max_retries=0
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIBackend:
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return cls(
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=key,
            timeout_s=settings.llm_timeout_s,
            max_tokens=settings.llm_max_tokens,
            seed=settings.llm_seed,
        )

    @property
    def model(self) -> str:
        return self._model

    def complete_json(
        self,
        messages: Sequence[Message],
        output_model: type[T],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.0,
    ) -> LLMResult[T]:
        schema = output_model.model_json_schema()

        def generate(history: list[Message]) -> RawReply:
            return self._json_reply(history, output_model.__name__, schema, max_tokens, temperature)

        done = validate_with_repair(
            messages, output_model, generate, max_repairs=self.max_repairs, what=f"json:{output_model.__name__}"
        )
        return LLMResult(done.value, done.usage, done.reply.text, done.attempts, self._model)

    def call_tool(
        self,
        messages: Sequence[Message],
        tool: ToolSpec[P],
        *,
        max_tokens: int | None = None,
    ) -> ToolCall[P]:
        def generate(history: list[Message]) -> RawReply:
            response = self._create(
                history,
                max_tokens,
                0.0,
                tools=[tool.openai_tool()],
                tool_choice={"type": "function", "function": {"name": tool.name}},
            )
            return _tool_reply(response, tool.name)

        done = validate_with_repair(
            messages, tool.parameters_model, generate, max_repairs=self.max_repairs, what=f"tool:{tool.name}"
        )
        call_id = done.reply.call_id or f"call_{tool.name}"
        return ToolCall(call_id, tool.name, done.value, done.reply.text, done.usage, done.attempts, self._model)

    def _json_reply(
        self, history: list[Message], name: str, schema: dict[str, Any], max_tokens: int | None, temperature: float
    ) -> RawReply:
        if self.json_schema_supported:
            response_format = {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}
            try:
                return _content_reply(self._create(history, max_tokens, temperature, response_format=response_format))
            except _JsonSchemaRejected:
                log.warning("llm.json_schema_unsupported", base_url=self.base_url, fallback="json_object")
                self.json_schema_supported = False
        hinted = with_instruction(history, schema_instruction(schema))
        return _content_reply(self._create(hinted, max_tokens, temperature, response_format={"type": "json_object"}))

    def _create(
        self, history: list[Message], max_tokens: int | None, temperature: float, **extra: Any
    ) -> openai.types.chat.ChatCompletion:
        """One chat completion with the retry policy; vendor errors become ours."""
        retrying = Retrying(
            retry=retry_if_exception(_is_transient),
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            before_sleep=_log_retry,
            reraise=True,
        )
        request: dict[str, Any] = {
            "model": self._model,
            "messages": [to_chat_dict(m) for m in history],
            "max_tokens": max_tokens or self.max_tokens,
            "temperature": temperature,
            **extra,
        }
        if self.seed is not None:
            request["seed"] = self.seed
        try:
            response: openai.types.chat.ChatCompletion = retrying(self._client.chat.completions.create, **request)
        except openai.OpenAIError as exc:
            asked_schema = extra.get("response_format", {}).get("type") == "json_schema"
            raise _translate(exc, self.base_url, self._model, asked_schema) from exc
        return response

    def _wait(self, state: RetryCallState) -> float:
        backoff = min(self.backoff_max_s, self.backoff_initial_s * 2 ** (state.attempt_number - 1))
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, openai.APIStatusError):
            header = exc.response.headers.get("retry-after")
            try:
                return min(self.backoff_max_s, max(backoff, float(header))) if header else backoff
            except ValueError:
                return backoff
        return backoff


class _JsonSchemaRejected(LLMError):
    """Internal: the server refused ``response_format: json_schema``; the caller falls back to ``json_object``."""


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, openai.APIConnectionError):
        return True  # includes APITimeoutError
    return isinstance(exc, openai.APIStatusError) and (exc.status_code in _RETRY_STATUSES or exc.status_code >= 500)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning("llm.retry", attempt=state.attempt_number, error=type(exc).__name__)


def _translate(exc: openai.OpenAIError, base_url: str, model: str, asked_schema: bool) -> LLMError:
    if isinstance(exc, openai.APITimeoutError):
        return LLMTimeout(f"the LLM server at {base_url} did not answer in time")
    if isinstance(exc, openai.APIConnectionError):
        return LLMUnavailable(
            f"cannot reach the LLM server at {base_url}: {exc}",
            remedy="check ADPILOT_LLM_BASE_URL and that the server is running",
        )
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return LLMUnavailable(
            f"the LLM server at {base_url} refused the credentials", remedy="check ADPILOT_LLM_API_KEY"
        )
    if isinstance(exc, openai.NotFoundError):
        return LLMUnavailable(
            f"the LLM server at {base_url} does not know model {model!r} (or the path is wrong)",
            remedy="check ADPILOT_LLM_MODEL and ADPILOT_LLM_BASE_URL (it usually ends in /v1)",
        )
    if isinstance(exc, openai.RateLimitError):
        return LLMUnavailable(
            f"the LLM server at {base_url} is still rate limiting after the retries",
            remedy="wait, lower the agents' concurrency, or raise the account's rate limit",
        )
    if isinstance(exc, openai.BadRequestError | openai.UnprocessableEntityError):
        text = str(exc).lower()
        if asked_schema and ("response_format" in text or "json_schema" in text):
            return _JsonSchemaRejected(str(exc))
        return LLMError(f"the LLM server at {base_url} rejected the request: {exc}")
    return LLMError(f"the LLM call to {base_url} failed: {exc}")


def _usage(response: openai.types.chat.ChatCompletion) -> TokenUsage:
    if response.usage is None:
        return TokenUsage()
    return TokenUsage(response.usage.prompt_tokens or 0, response.usage.completion_tokens or 0)


def _content_reply(response: openai.types.chat.ChatCompletion) -> RawReply:
    if not response.choices:
        raise LLMError("the LLM server returned no choices")
    choice = response.choices[0]
    return RawReply(choice.message.content or "", _usage(response), truncated=choice.finish_reason == "length")


def _tool_reply(response: openai.types.chat.ChatCompletion, name: str) -> RawReply:
    """The forced call's arguments; a server that answered in ``content`` instead still yields its JSON."""
    if not response.choices:
        raise LLMError("the LLM server returned no choices")
    choice = response.choices[0]
    truncated = choice.finish_reason == "length"
    for call in choice.message.tool_calls or []:
        function = getattr(call, "function", None)
        if function is not None and function.name == name:
            return RawReply(function.arguments or "", _usage(response), truncated=truncated, call_id=call.id)
    return RawReply(choice.message.content or "", _usage(response), truncated=truncated)
