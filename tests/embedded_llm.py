"""What the tests of the real embedded model need, checked in one place. Outside CI a missing runtime or model
package skips those tests; in CI (``CI`` set, as ``.ci/run`` runs) it fails them: CI installs both, and a skip there
would hide exactly the breakage these tests exist to catch."""

from __future__ import annotations

import importlib.util
import os

import pytest

from agents.llm.errors import LLMUnavailable
from agents.llm.gguf import packaged_gguf_path

__all__ = ["require_embedded_llm"]


def require_embedded_llm() -> None:
    missing = [m for m in ("transformers", "llguidance", "gguf") if importlib.util.find_spec(m) is None]
    reason = f"needs the local-llm extra ({', '.join(missing)} missing)" if missing else ""
    if not reason:
        try:
            packaged_gguf_path()
        except LLMUnavailable as exc:
            reason = f"needs the model package: {exc.message} ({exc.remedy})"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must install the embedded model: {reason}")
        pytest.skip(reason)
