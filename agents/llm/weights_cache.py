"""The dequantised weights of a GGUF, cached as safetensors so that only the first load pays for the conversion.

``transformers`` can read a GGUF directly, but its reader parses the file in pure Python once for the config, once
for the tokenizer and once for the weights (~15 s for the 98 MB SmolLM2 file on a 2-core machine). The converted
model is written to ``<cache_dir>/<gguf sha256>/``: ``model.safetensors`` (fp32, exactly what the GGUF path
produced), ``config.json``, the tokenizer files and ``manifest.json`` with the SHA-256 of the weights file. A later
load checks the manifest and the weights' hash, then loads in about a second. A directory that does not verify is
rebuilt from the (already verified) GGUF, never trusted. Written to a temporary directory and renamed, so two
processes converting at once cannot leave a half-written cache.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import structlog

from agents.llm.errors import LLMUnavailable
from agents.llm.gguf import file_sha256

__all__ = ["load_cached_model"]

_MANIFEST = "manifest.json"
_WEIGHTS = "model.safetensors"
_FORMAT = 1

log = structlog.get_logger(__name__)


def load_cached_model(gguf: Path, gguf_sha256: str, cache_dir: Path | None) -> tuple[Any, Any, bool]:
    """``(model, tokenizer, from_cache)`` for a verified GGUF; ``cache_dir=None`` converts without caching."""
    try:
        import transformers
        from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise LLMUnavailable(
            "the embedded runtime (transformers) is not installed",
            remedy="install the embedded runtime: pip install 'adpilot[local-llm]'",
        ) from exc
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    target = cache_dir / gguf_sha256 if cache_dir is not None else None
    if target is not None and _verifies(target, gguf_sha256):
        tokenizer = transformers.AutoTokenizer.from_pretrained(target)
        model = transformers.AutoModelForCausalLM.from_pretrained(target, dtype="float32")
        return model.eval(), tokenizer, True
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = transformers.AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype="float32")
    except (ValueError, OSError, KeyError, RuntimeError) as exc:
        raise LLMUnavailable(
            f"transformers could not load {gguf}: {exc}",
            remedy="use a GGUF of an architecture transformers can read (llama, qwen2, mistral, …)",
        ) from exc
    model.eval()
    if target is not None:
        try:
            _write(target, gguf_sha256, model, tokenizer)
        except OSError as exc:  # a read-only or full disk costs speed, not correctness
            log.warning("llm.weights_cache_unwritable", path=str(target), error=str(exc))
    return model, tokenizer, False


def _verifies(target: Path, gguf_sha256: str) -> bool:
    try:
        manifest = json.loads((target / _MANIFEST).read_text())
        ok = (
            manifest.get("format") == _FORMAT
            and manifest.get("gguf_sha256") == gguf_sha256
            and manifest.get("weights_sha256") == file_sha256(target / _WEIGHTS)
        )
    except (OSError, ValueError):
        ok = False
    if not ok and target.exists():
        log.warning("llm.weights_cache_rejected", path=str(target), action="rebuilding from the GGUF")
    return ok


def _write(target: Path, gguf_sha256: str, model: Any, tokenizer: Any) -> None:
    from safetensors.torch import save_file

    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        # save_pretrained refuses models loaded from a GGUF; the state dict is plain fp32 tensors. Tied weights
        # (embeddings = LM head) share storage, which safetensors refuses: save each name's own contiguous copy.
        tensors = {name: tensor.detach().contiguous().clone() for name, tensor in model.state_dict().items()}
        if getattr(model.config, "tie_word_embeddings", False):
            tensors.pop("lm_head.weight", None)
        save_file(tensors, scratch / _WEIGHTS, metadata={"format": "pt"})
        model.config.save_pretrained(scratch)
        tokenizer.save_pretrained(scratch)
        manifest = {"format": _FORMAT, "gguf_sha256": gguf_sha256, "weights_sha256": file_sha256(scratch / _WEIGHTS)}
        (scratch / _MANIFEST).write_text(json.dumps(manifest, indent=2))
        if target.exists():
            shutil.rmtree(target)
        os.replace(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
