"""Small, fast sandboxes for the tests: few users and a fraction of the default traffic."""

from __future__ import annotations

import pytest

from platforms.sandbox import SandboxConfig, SandboxPlatform


def small_config(seed: int = 3, **overrides: object) -> SandboxConfig:
    base: dict[str, object] = {"seed": seed, "n_campaigns": 3, "n_users": 4000, "traffic_scale": 0.25}
    base.update(overrides)
    return SandboxConfig(**base)  # type: ignore[arg-type]


@pytest.fixture
def sandbox() -> SandboxPlatform:
    return SandboxPlatform(small_config())
