"""Simulated weeks on the stepped clock, end to end: the real webhook receiver and daemon as subprocesses, each
loop policy in a scratch database of its own (issue 12's "done when")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adpilot.settings import Settings
from simulation import POLICIES, WeekRun, WeekSpec, run_week
from simulation.scratch import ScratchServer
from tests.conftest import ADMIN_URL

pytestmark = pytest.mark.slow

DAYS, CAMPAIGNS = 2, 3


@pytest.fixture(scope="module")
def scratch() -> Iterator[ScratchServer]:
    server = ScratchServer(ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    yield server
    server.dispose()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("sim"), llm_backend="fake")


def _week(settings: Settings, scratch: ScratchServer, policy: str, log_dir: Path) -> WeekRun:
    spec = WeekSpec(POLICIES[policy], seed=3, days=DAYS, campaigns=CAMPAIGNS, stall_s=300)
    if not spec.policy.loop:
        return run_week(settings, spec)
    with scratch.database(policy) as database:
        return run_week(settings, spec, database=database, log_dir=log_dir)


@pytest.fixture(scope="module")
def weeks(settings: Settings, scratch: ScratchServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    logs = tmp_path_factory.mktemp("logs")
    return {
        "adpilot_no_llm": _week(settings, scratch, "adpilot_no_llm", logs),
        "adpilot_no_llm_again": _week(settings, scratch, "adpilot_no_llm", logs),
        "rules": _week(settings, scratch, "rules", logs),
        "static": _week(settings, scratch, "static", logs),
        "platform_only": _week(settings, scratch, "platform_only", logs),
    }


def test_the_same_seed_gives_a_byte_identical_summary(weeks: dict[str, WeekRun]) -> None:
    first, again = weeks["adpilot_no_llm"].summary, weeks["adpilot_no_llm_again"].summary
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    # and the loop did work: the pacer and the agents changed the account through applied change-sets
    counts = first["changesets"]
    assert counts["by_origin"]["pacer"]["applied"] > 0


def test_no_change_set_expires_because_of_the_clock(weeks: dict[str, WeekRun]) -> None:
    """Every approved change-set is applied before the market moves on: none is left to expire."""
    for name in ("adpilot_no_llm", "rules"):
        counts = weeks[name].summary["changesets"]
        assert counts["expired"] == 0, (name, counts)
        for origin, line in counts["by_origin"].items():
            assert line["expired"] == 0, (name, origin, line)


def test_lp_star_is_the_same_number_for_every_policy(weeks: dict[str, WeekRun]) -> None:
    def lp(name: str) -> list[tuple[str, float]]:
        return [(c["campaign"], c["lp_star"]) for c in weeks[name].summary["campaigns"]]

    reference = lp("static")
    assert all(value > 0 for _, value in reference)
    for name in ("platform_only", "rules", "adpilot_no_llm"):
        assert lp(name) == reference, name
    scores = {name: weeks[name].summary["score"] for name in ("static", "platform_only", "rules", "adpilot_no_llm")}
    assert len(set(scores.values())) > 1, scores  # the policies did differ; only the divisor is shared
