"""Opt-in backend: ``llama-cpp-python`` in-process (``ADPILOT_LLM_BACKEND=llamacpp``). Not the default (issue 10).

llama-cpp-python ships no wheels on PyPI: pip compiles llama.cpp, by default tuned to the build machine's CPU
(``GGML_NATIVE``). A venv, pip cache or image built on one CPU then dies with SIGILL on another (seen: AMX tile
instructions on a Xeon whose kernel does not enable them). Install it only with a portable build, as the README says:
``CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install llama-cpp-python``. It loads the same SHA-256-verified GGUF as the
default backend (:mod:`agents.llm.embedded`). Rules this module keeps, and why:

* **Loaded once per process**, lazily (first call, or :meth:`LlamaCppBackend.load`), under a lock; one ``Llama``
  instance is not re-entrant, so calls on it are serialised by a per-model lock.
* **Reproducible**: fixed seed (``ADPILOT_LLM_SEED``) on the model and on every call, temperature 0 by default, and
  the prompt cache is reset before every call. llama-cpp otherwise re-evaluates only the suffix after the longest
  common prefix with the previous call; the logits of an incrementally evaluated prompt differ in the last bits from
  a full evaluation, and greedy decoding of a tiny model flips on such near-ties — the same prompt gave two different
  replies in a row. The price is one full prompt evaluation per call (measured ~1–3 s for a 250-token prompt on
  the shared 2-core machine under load); same input, same output is worth it for an agent that moves money.
* **One thread by default** (``ADPILOT_LLM_N_THREADS``). llama-cpp's CPU backend is built with OpenMP, whose threads
  spin at every barrier; on two cores shared with the scheduler and model training, two threads measured 1.0 tok/s
  against 24.8 tok/s for one. ``OMP_WAIT_POLICY=PASSIVE`` would fix that but is read once, when libgomp loads —
  and LightGBM loads it first. Raise the setting only where cores are dedicated to the model.
* **Structured output** uses ``response_format={"type": "json_object", "schema": ...}``: in-process llama-cpp
  ignores ``json_schema`` but compiles this schema into a grammar. The grammar fixes the *shape* (enums, required
  keys, string lengths); its converter ignores ``minimum``/``maximum``, so small integer ranges are rewritten as
  enums for the grammar (:func:`grammar_schema`) — the 135M model otherwise answers ``"score": 10`` for a 1–5 scale.
  The schema is also written into the system prompt so the model knows what the fields mean; pydantic validation +
  repair enforces whatever the grammar cannot.
* **Named tool calls** use the chat-completion ``tools`` + named ``tool_choice``, which llama-cpp turns into a grammar
  over the tool's parameter schema and returns as a proper ``tool_calls`` message (``auto`` is unreliable on small
  models and is never used). SmolLM2's chat template does not render ``tools``, so the tool's name, description and
  schema are added to the system prompt too — without them the model would fill the grammar blind.
* **Timeouts**: a generation cannot be interrupted from outside, so the model checks a deadline between tokens (a
  stopping criterion injected into every completion) and the call then raises :class:`LLMTimeout`.
* The ``llama_cpp`` import happens only on load: without the ``local-llm`` extra the rest of adpilot still works and
  this backend raises :class:`LLMUnavailable` naming the extra.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import structlog
from pydantic import BaseModel

from adpilot.settings import Settings
from agents.llm.base import LLMResult, ToolCall, ToolSpec
from agents.llm.embedded import EmbeddedConfig
from agents.llm.errors import LLMError, LLMTimeout, LLMUnavailable
from agents.llm.gguf import PACKAGED_GGUF_FILE, model_path, verified_gguf
from agents.llm.messages import Message, to_chat_dict
from agents.llm.structured import (
    DEFAULT_MAX_REPAIRS,
    RawReply,
    compact_schema,
    schema_instruction,
    tool_instruction,
    validate_with_repair,
    with_instruction,
)
from agents.llm.usage import TokenUsage

__all__ = ["LlamaCppBackend", "LlamaCppConfig", "grammar_schema"]

T = TypeVar("T", bound=BaseModel)
P = TypeVar("P", bound=BaseModel)

_MAX_ENUM_RANGE = 64
_REPEAT_PENALTY = 1.1
"""llama.cpp's own chat default, which ``Llama.create_chat_completion`` overrides with 1.0. Greedy decoding of the
135M model without it loops ("1.1.1.1…") until ``max_tokens`` in a string field and never closes the JSON."""
_INSTALL_REMEDY = 'build it portably: CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install llama-cpp-python'

log = structlog.get_logger(__name__)


LlamaCppConfig = EmbeddedConfig
"""The same settings as the default in-process backend (its ``cache_dir`` is unused here)."""


@dataclass
class LoadedModel:
    """A loaded ``Llama`` and what is known about it. ``lock`` serialises inference on this instance."""

    llama: Any
    path: Path
    sha256: str
    load_seconds: float
    lock: threading.Lock = field(default_factory=threading.Lock)


_MODELS: dict[tuple[Path, str | None, int, int, int], LoadedModel] = {}
_MODELS_LOCK = threading.Lock()


def load_model(config: LlamaCppConfig) -> LoadedModel:
    """The process-wide model for ``config``: verified and loaded on first use, then reused."""
    with _MODELS_LOCK:
        key = (model_path(config.gguf_path), config.sha256, config.n_ctx, config.n_threads, config.seed)
        loaded = _MODELS.get(key)
        if loaded is None:  # hashed once, when loaded
            path, sha256 = verified_gguf(config.gguf_path, config.sha256)
            loaded = _load(path, sha256, config)
            if not _MODELS:
                atexit.register(_close_all)
            _MODELS[key] = loaded
        return loaded


def _close_all() -> None:
    """Free the models before interpreter teardown: ``Llama.__del__`` run after its module globals are gone raises
    "'NoneType' object is not callable" on every exit."""
    with _MODELS_LOCK:
        for loaded in _MODELS.values():
            loaded.llama.close()
        _MODELS.clear()


def _load(path: Path, actual: str, config: LlamaCppConfig) -> LoadedModel:
    started = time.perf_counter()
    llama_class = _deadline_llama_class()
    try:
        llama = llama_class(
            model_path=str(path),
            n_ctx=config.n_ctx,
            n_threads=config.n_threads,
            n_threads_batch=config.n_threads,  # llama-cpp defaults this to every core: prompt eval would spin too
            seed=config.seed,
            verbose=False,
        )
    except (ValueError, RuntimeError, OSError) as exc:
        raise LLMUnavailable(f"llama-cpp could not load {path}: {exc}", remedy="check that the file is a GGUF") from exc
    seconds = time.perf_counter() - started
    log.info("llm.embedded_loaded", path=str(path), sha256=actual, seconds=round(seconds, 3), n_ctx=config.n_ctx)
    return LoadedModel(llama=llama, path=path, sha256=actual, load_seconds=seconds)


_DEADLINE_CLASS: list[type[Any]] = []


def _deadline_llama_class() -> type[Any]:
    """A ``Llama`` whose completions stop at ``self.deadline`` (monotonic seconds).

    Every chat handler ends in ``create_completion``; adding a stopping criterion there is the one place a deadline
    can act between tokens (logits processors run inside a C callback, where an exception would be swallowed).
    """
    if _DEADLINE_CLASS:
        return _DEADLINE_CLASS[0]
    try:
        import llama_cpp
    except ImportError as exc:
        raise LLMUnavailable("llama-cpp-python is not installed", remedy=_INSTALL_REMEDY) from exc

    class DeadlineLlama(llama_cpp.Llama):
        deadline: float | None = None

        def create_completion(self, *args: Any, **kwargs: Any) -> Any:
            def past_deadline(_tokens: Any, _logits: Any) -> bool:
                return self.deadline is not None and time.monotonic() > self.deadline

            earlier = kwargs.get("stopping_criteria") or []
            kwargs["stopping_criteria"] = llama_cpp.StoppingCriteriaList([*earlier, past_deadline])
            return super().create_completion(*args, **kwargs)

    _DEADLINE_CLASS.append(DeadlineLlama)
    return DeadlineLlama


class LlamaCppBackend:
    """In-process llama-cpp backend (opt-in). Cheap to construct; the model loads on the first call."""

    def __init__(self, config: LlamaCppConfig | None = None, *, max_repairs: int = DEFAULT_MAX_REPAIRS) -> None:
        self.config = config or LlamaCppConfig()
        self.max_repairs = max_repairs

    @classmethod
    def from_settings(cls, settings: Settings) -> LlamaCppBackend:
        return cls(LlamaCppConfig.from_settings(settings))

    @property
    def model(self) -> str:
        return self.config.gguf_path.name if self.config.gguf_path else PACKAGED_GGUF_FILE

    def load(self) -> LoadedModel:
        """Load (and verify) now rather than on the first call — the daemon does this at start-up to fail early."""
        return load_model(self.config)

    def complete_json(
        self,
        messages: Sequence[Message],
        output_model: type[T],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.0,
    ) -> LLMResult[T]:
        schema = output_model.model_json_schema()
        prompt = with_instruction(messages, schema_instruction(schema))
        response_format = {"type": "json_object", "schema": grammar_schema(schema)}

        def generate(history: list[Message]) -> RawReply:
            response = self._chat(history, max_tokens, temperature, response_format=response_format)
            choice = response["choices"][0]
            return RawReply(
                choice["message"].get("content") or "", _usage(response), choice["finish_reason"] == "length"
            )

        done = validate_with_repair(
            prompt, output_model, generate, max_repairs=self.max_repairs, what=f"json:{output_model.__name__}"
        )
        return LLMResult(done.value, done.usage, done.reply.text, done.attempts, self.model)

    def call_tool(
        self,
        messages: Sequence[Message],
        tool: ToolSpec[P],
        *,
        max_tokens: int | None = None,
    ) -> ToolCall[P]:
        openai_tool = tool.openai_tool()
        openai_tool["function"]["parameters"] = grammar_schema(openai_tool["function"]["parameters"])
        prompt = with_instruction(messages, tool_instruction(tool))

        def generate(history: list[Message]) -> RawReply:
            response = self._chat(
                history,
                max_tokens,
                0.0,
                tools=[openai_tool],
                tool_choice={"type": "function", "function": {"name": tool.name}},
            )
            message = response["choices"][0]["message"]
            calls = message.get("tool_calls") or []
            text = calls[0]["function"]["arguments"] if calls else message.get("content") or ""
            return RawReply(text, _usage(response), call_id=calls[0]["id"] if calls else None)

        done = validate_with_repair(
            prompt, tool.parameters_model, generate, max_repairs=self.max_repairs, what=f"tool:{tool.name}"
        )
        call_id = done.reply.call_id or f"call_{tool.name}"
        return ToolCall(call_id, tool.name, done.value, done.reply.text, done.usage, done.attempts, self.model)

    def _chat(self, history: list[Message], max_tokens: int | None, temperature: float, **extra: Any) -> Any:
        """One chat completion on the shared model, under its lock and the call's deadline."""
        loaded = load_model(self.config)
        with loaded.lock:
            loaded.llama.deadline = time.monotonic() + self.config.timeout_s
            loaded.llama.reset()
            try:
                response = loaded.llama.create_chat_completion(
                    messages=[to_chat_dict(m) for m in history],
                    max_tokens=max_tokens or self.config.max_tokens,
                    temperature=temperature,
                    seed=self.config.seed,
                    repeat_penalty=_REPEAT_PENALTY,
                    **extra,
                )
            except ValueError as exc:
                raise LLMError(
                    f"the embedded model refused the request: {exc}",
                    remedy="shorten the prompt or raise ADPILOT_LLM_N_CTX",
                ) from exc
            except RuntimeError as exc:
                raise LLMError(f"the embedded model failed: {exc}") from exc
            finally:
                timed_out = time.monotonic() > loaded.llama.deadline
                loaded.llama.deadline = None
        if timed_out:
            raise LLMTimeout(
                f"the embedded model did not finish within {self.config.timeout_s:g} s", usage=_usage(response)
            )
        return response


def grammar_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as llama-cpp's grammar should see it: no titles, and bounded integer ranges of at most
    ``_MAX_ENUM_RANGE`` values as ``enum`` (the converter drops ``minimum``/``maximum``; an enum it enforces)."""
    return cast(dict[str, Any], _enumerate_small_ints(compact_schema(schema)))


def _enumerate_small_ints(node: Any) -> Any:
    if isinstance(node, list):
        return [_enumerate_small_ints(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _enumerate_small_ints(value) for key, value in node.items()}
    if node.get("type") != "integer":
        return node
    low = node.get("minimum", node["exclusiveMinimum"] + 1 if "exclusiveMinimum" in node else None)
    high = node.get("maximum", node["exclusiveMaximum"] - 1 if "exclusiveMaximum" in node else None)
    if isinstance(low, int) and isinstance(high, int) and 0 <= high - low < _MAX_ENUM_RANGE:
        kept = {key: value for key, value in node.items() if key in ("description", "default")}
        return {**kept, "enum": list(range(low, high + 1))}
    return node


def _usage(response: Any) -> TokenUsage:
    usage = response.get("usage") or {}
    return TokenUsage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0)))
