"""The hidden truth (true probabilities, latent user effects, the market) must not be reachable through the public
interface: neither as a public attribute nor inside any value a public method returns."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import timedelta

import numpy as np

from platforms.base import AdPlatform
from platforms.sandbox import SandboxPlatform
from platforms.sandbox.engine import Engine
from platforms.sandbox.market import Market
from platforms.sandbox.truth import Truth

_SUSPECT = ("ctr", "cvr", "prob", "truth", "latent", "p_true", "competing", "market")


def _walk(value: object, path: str, seen: set[int]) -> list[str]:
    problems: list[str] = []
    if id(value) in seen:
        return problems
    seen.add(id(value))
    if isinstance(value, Truth | Engine | Market | np.ndarray):
        problems.append(f"{path}: {type(value).__name__}")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            if any(s in f.name.lower() for s in _SUSPECT):
                problems.append(f"{path}.{f.name}")
            problems += _walk(getattr(value, f.name), f"{path}.{f.name}", seen)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if any(s in str(k).lower() for s in _SUSPECT):
                problems.append(f"{path}[{k!r}]")
            problems += _walk(v, f"{path}[{k!r}]", seen)
    elif isinstance(value, list | tuple | frozenset | set):
        for i, v in enumerate(value):
            problems += _walk(v, f"{path}[{i}]", seen)
    return problems


def test_public_attributes_hide_the_truth(sandbox: SandboxPlatform) -> None:
    assert isinstance(sandbox, AdPlatform)
    public = {name: getattr(sandbox, name) for name in dir(sandbox) if not name.startswith("_")}
    for name, value in public.items():
        if callable(value):
            continue
        assert not _walk(value, name, set()), name


def test_public_return_values_hide_the_truth(sandbox: SandboxPlatform) -> None:
    sandbox.advance(50)
    account = sandbox.list_accounts()[0].id
    now = sandbox.now()
    results: dict[str, object] = {
        "capabilities": sandbox.capabilities(),
        "accounts": sandbox.list_accounts(),
        "campaigns": sandbox.list_campaigns(account),
        "segments": sandbox.list_segments(account),
        "creatives": sandbox.list_creatives("cmp_1"),
        "controls": sandbox.get_controls("cmp_1"),
        "stats": sandbox.hourly_stats(account, now - timedelta(days=2), now),
        "logs": sandbox.impression_logs("cmp_1", now - timedelta(days=2), now, limit=500),
        "events": sandbox.poll_events(account, limit=1000),
        "write": sandbox.set_bid_multiplier("cmp_1", 1.2, idempotency_key="k1"),
    }
    assert results["logs"]
    for name, value in results.items():
        assert not _walk(value, name, set()), name
    for row in results["logs"]:  # type: ignore[attr-defined]
        for value in row.features.values():
            assert not isinstance(value, float), "a float feature could carry a probability"
