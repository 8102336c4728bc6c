"""The embedded offline backend: the packaged GGUF on PyTorch through ``transformers``, with ``llguidance`` grammars.

Why this runtime (issue 10): everything it needs installs as prebuilt, portable wheels — ``torch`` (CPU build with
runtime CPU dispatch), ``transformers``/``tokenizers``/``safetensors``, ``gguf`` (pure Python) and ``llguidance``
(a Rust wheel built for the baseline x86-64/aarch64 target). Nothing is compiled at install time and nothing is tuned
to the build machine, so the same venv or image runs on any CPU those wheels support. The llama-cpp backend
(:mod:`agents.llm.llamacpp`) remains as an opt-in for users who build it themselves.

Rules this module keeps, and why:

* **Verified before use.** The GGUF's SHA-256 is checked on every load (:func:`agents.llm.gguf.verified_gguf`).
* **Dequantised once, then cached.** ``transformers`` reads a GGUF by parsing it in pure Python three times (config,
  tokenizer, weights: ~15 s for SmolLM2-135M). The result — fp32 weights as safetensors, config and tokenizer — is
  written under ``ADPILOT_LLM_CACHE_DIR/<gguf sha256>/`` with the SHA-256 of the weights file in a manifest; later
  loads read that (about a second) after checking the manifest, and rebuild it when it is missing or does not match.
* **Loaded once per process**, lazily (first call, or :meth:`EmbeddedBackend.load`), under a lock; calls on one
  model are serialised by a per-model lock.
* **Reproducible**: greedy decoding (argmax), a fixed torch seed, one intra-op thread by default (a different thread
  count may reorder float sums), and every call starts from an empty KV cache, so the same prompt gives the same
  reply. ``temperature > 0`` samples from a generator seeded with ``ADPILOT_LLM_SEED``.
* **Constrained decoding** by ``llguidance``: the JSON schema (or the tool's parameter schema, for a named tool call)
  is compiled into a grammar, and before every token the logits of tokens the grammar forbids are set to −inf. The
  grammar enforces enums, required keys, integer bounds and string lengths, so the 135M model cannot answer
  ``"score": 10`` on a 1–5 scale. pydantic validation + repair (:mod:`agents.llm.structured`) stays the contract.
* **Repetition penalty 1.1 over the last 64 tokens**, llama.cpp's defaults: greedy decoding of the 135M model
  without it loops inside string fields until ``max_tokens``.
* **Timeouts**: the deadline is checked between tokens and the call raises :class:`LLMTimeout`.
* The heavy imports (torch, transformers, llguidance) happen on load only: the CLI and the daemon's other jobs start
  without them, and without the ``local-llm`` extra this backend raises :class:`LLMUnavailable` naming it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel

from adpilot.settings import Settings
from agents.llm.base import LLMResult, ToolCall, ToolSpec
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
from agents.llm.weights_cache import load_cached_model

__all__ = ["EmbeddedBackend", "EmbeddedConfig", "LoadedModel", "closed_objects", "load_model"]

T = TypeVar("T", bound=BaseModel)
P = TypeVar("P", bound=BaseModel)

_REPEAT_PENALTY = 1.1
_REPEAT_WINDOW = 64
_RUNTIME_REMEDY = "install the embedded runtime: pip install 'adpilot[local-llm]'"

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class EmbeddedConfig:
    """What identifies a loaded model (file and runtime shape) plus per-call defaults."""

    gguf_path: Path | None = None
    sha256: str | None = None
    cache_dir: Path | None = None
    n_ctx: int = 4096
    n_threads: int = 1
    seed: int = 42
    max_tokens: int = 512
    timeout_s: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> EmbeddedConfig:
        return cls(
            gguf_path=settings.llm_gguf_path,
            sha256=settings.llm_gguf_sha256,
            cache_dir=settings.llm_weights_cache_dir,
            n_ctx=settings.llm_n_ctx,
            n_threads=settings.llm_n_threads,
            seed=settings.llm_seed,
            max_tokens=settings.llm_max_tokens,
            timeout_s=settings.llm_timeout_s,
        )


@dataclass
class LoadedModel:
    """A loaded causal LM, its tokenizer and its grammar tokenizer. ``lock`` serialises inference on it."""

    model: Any
    tokenizer: Any
    grammar_tokenizer: Any
    path: Path
    sha256: str
    load_seconds: float
    from_cache: bool
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def eos_token_id(self) -> int:
        return int(self.tokenizer.eos_token_id)


_MODELS: dict[tuple[Path, str | None, Path | None], LoadedModel] = {}
_MODELS_LOCK = threading.Lock()


def load_model(config: EmbeddedConfig) -> LoadedModel:
    """The process-wide model for ``config``: verified and loaded on first use, then reused."""
    with _MODELS_LOCK:
        # the file is hashed once, when it is loaded, not on every call (98 MB per generation otherwise)
        key = (model_path(config.gguf_path), config.sha256, config.cache_dir)
        loaded = _MODELS.get(key)
        if loaded is None:
            path, sha256 = verified_gguf(config.gguf_path, config.sha256)
            loaded = _load(path, sha256, config)
            _MODELS[key] = loaded
        return loaded


def _load(path: Path, sha256: str, config: EmbeddedConfig) -> LoadedModel:
    started = time.perf_counter()
    try:
        import llguidance.hf
    except ImportError as exc:
        raise LLMUnavailable(
            "the embedded runtime (transformers, llguidance) is not installed", remedy=_RUNTIME_REMEDY
        ) from exc
    model, tokenizer, from_cache = load_cached_model(path, sha256, config.cache_dir)
    try:
        grammar_tokenizer = llguidance.hf.from_tokenizer(tokenizer)
    except (ValueError, RuntimeError) as exc:
        raise LLMUnavailable(f"llguidance cannot use the tokenizer of {path}: {exc}", remedy=_RUNTIME_REMEDY) from exc
    seconds = time.perf_counter() - started
    log.info("llm.embedded_loaded", path=str(path), sha256=sha256, seconds=round(seconds, 3), from_cache=from_cache)
    return LoadedModel(model, tokenizer, grammar_tokenizer, path, sha256, seconds, from_cache)


class EmbeddedBackend:
    """In-process transformers backend. Cheap to construct; the model loads on the first call (or :meth:`load`)."""

    def __init__(self, config: EmbeddedConfig | None = None, *, max_repairs: int = DEFAULT_MAX_REPAIRS) -> None:
        self.config = config or EmbeddedConfig()
        self.max_repairs = max_repairs

    @classmethod
    def from_settings(cls, settings: Settings) -> EmbeddedBackend:
        return cls(EmbeddedConfig.from_settings(settings))

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
        schema = compact_schema(output_model.model_json_schema())
        prompt = with_instruction(messages, schema_instruction(schema))

        def generate(history: list[Message]) -> RawReply:
            return self.generate(history, schema, max_tokens=max_tokens, temperature=temperature)

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
        """A forced call of ``tool``: the arguments are decoded under the grammar of its parameter schema (the
        chat template of SmolLM2 has no tool syntax, so the tool is described in the system prompt)."""
        schema = compact_schema(tool.parameters_schema())
        prompt = with_instruction(messages, tool_instruction(tool))

        def generate(history: list[Message]) -> RawReply:
            return self.generate(history, schema, max_tokens=max_tokens, temperature=0.0)

        done = validate_with_repair(
            prompt, tool.parameters_model, generate, max_repairs=self.max_repairs, what=f"tool:{tool.name}"
        )
        return ToolCall(
            f"call_{tool.name}", tool.name, done.value, done.reply.text, done.usage, done.attempts, self.model
        )

    def generate(
        self,
        history: Sequence[Message],
        schema: dict[str, Any],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.0,
    ) -> RawReply:
        """One constrained generation: the chat ``history`` rendered by the model's template, decoded token by token
        under the grammar of ``schema``. Public for ``adpilot doctor`` and the backend benchmark."""
        import llguidance
        import torch

        loaded = load_model(self.config)
        grammar = llguidance.LLMatcher.grammar_from_json_schema(
            json.dumps(closed_objects(schema)), defaults={"whitespace_flexible": False}
        )
        matcher = llguidance.LLMatcher(loaded.grammar_tokenizer, grammar, log_level=0)
        if matcher.is_error():
            raise LLMError(f"the schema cannot be compiled into a grammar: {matcher.get_error()}")
        encoded = loaded.tokenizer.apply_chat_template(
            [to_chat_dict(m) for m in history], add_generation_prompt=True, return_dict=True
        )
        prompt_ids = [int(token) for token in encoded["input_ids"]]
        budget = min(max_tokens or self.config.max_tokens, self.config.n_ctx - len(prompt_ids))
        if budget <= 0:
            raise LLMError(
                f"the prompt has {len(prompt_ids)} tokens, the context window {self.config.n_ctx}",
                remedy="shorten the prompt or raise ADPILOT_LLM_N_CTX",
            )
        deadline = time.monotonic() + self.config.timeout_s
        with loaded.lock, torch.inference_mode():
            threads = torch.get_num_threads()
            torch.set_num_threads(self.config.n_threads)
            try:
                out, truncated, timed_out = _decode(
                    loaded, matcher, prompt_ids, budget, temperature, self.config, deadline
                )
            except RuntimeError as exc:
                raise LLMError(f"the embedded model failed: {exc}") from exc
            finally:
                torch.set_num_threads(threads)
        usage = TokenUsage(len(prompt_ids), len(out))
        if timed_out:
            raise LLMTimeout(f"the embedded model did not finish within {self.config.timeout_s:g} s", usage=usage)
        text = loaded.tokenizer.decode(out, skip_special_tokens=True)
        return RawReply(text, usage, truncated)


def closed_objects(node: Any) -> Any:
    """The schema with ``additionalProperties: false`` on every object that does not say otherwise: JSON Schema
    allows extra keys by default, and a small model given the freedom fills them with fragments of the schema."""
    if isinstance(node, list):
        return [closed_objects(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: closed_objects(value) for key, value in node.items()}
    if out.get("type") == "object" or "properties" in out:
        out.setdefault("additionalProperties", False)
    return out


def _decode(
    loaded: LoadedModel,
    matcher: Any,
    prompt_ids: list[int],
    budget: int,
    temperature: float,
    config: EmbeddedConfig,
    deadline: float,
) -> tuple[list[int], bool, bool]:
    """Greedy (or seeded) decoding with the grammar mask and llama.cpp's repetition penalty.

    Returns the generated token ids (without the end token), whether the budget cut the reply off, and whether the
    deadline did. Written as a plain loop rather than ``model.generate`` because the grammar matcher must consume
    each chosen token, and the deadline must be checked between tokens.
    """
    import numpy as np
    import torch

    generator = torch.Generator().manual_seed(config.seed)
    grammar_vocab = int(loaded.grammar_tokenizer.vocab_size)
    mask_words = np.full((grammar_vocab + 31) // 32, -1, dtype=np.int32)
    forbidden = torch.ones(int(loaded.model.config.vocab_size), dtype=torch.bool)
    history = list(prompt_ids)
    generated: list[int] = []
    step_input = torch.tensor([prompt_ids], dtype=torch.long)
    past: Any = None
    while len(generated) < budget:
        if time.monotonic() > deadline:
            return generated, False, True
        result = loaded.model(input_ids=step_input, cache=past, use_cache=True)
        past = result.cache
        logits = result.logits[0, -1].float()
        recent = torch.tensor(sorted(set(history[-_REPEAT_WINDOW:])), dtype=torch.long)
        picked = logits[recent]
        logits[recent] = torch.where(picked > 0, picked / _REPEAT_PENALTY, picked * _REPEAT_PENALTY)
        matcher.unsafe_compute_mask_ptr(mask_words.ctypes.data, mask_words.nbytes)
        allowed = np.unpackbits(mask_words.view(np.uint8), bitorder="little")[:grammar_vocab].astype(bool)
        forbidden[: len(allowed)] = torch.from_numpy(~allowed)
        logits[forbidden[: logits.shape[0]]] = float("-inf")
        if temperature > 0:
            token = int(torch.multinomial(torch.softmax(logits / temperature, dim=-1), 1, generator=generator))
        else:
            token = int(torch.argmax(logits))
        if token == loaded.eos_token_id or not matcher.consume_token(token):
            return generated, False, False
        generated.append(token)
        history.append(token)
        if matcher.is_stopped():
            return generated, False, False
        step_input = torch.tensor([[token]], dtype=torch.long)
    return generated, not matcher.is_accepting(), False
