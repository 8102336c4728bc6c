from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bench.bidding.runner import POLICIES
from cli.bench import bench_app


def test_bench_bidding_prints_the_documented_json(tmp_path: Path) -> None:
    png = tmp_path / "bidding.png"
    result = CliRunner().invoke(bench_app, [
        "bidding", "--json", "--seed", "3", "--seeds", "1", "--days", "1", "--budget-levels", "0.5,2",
        "--plot", str(png),
    ])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"policies", "mean_pct_of_lp", "lp_check", "seconds"}
    assert set(data["policies"]) == set(POLICIES) and any(p.startswith("adpilot") for p in POLICIES)
    for levels in data["policies"].values():
        assert set(levels) == {"0.5", "2"}
        for cell in levels.values():
            assert {"pct_of_lp", "spend_over_budget", "cpa_over_target", "budget_overrun"} <= set(cell)
            assert 0.0 <= cell["pct_of_lp"] <= 1.0 + 1e-9
            assert cell["budget_overrun"] == 0.0
    assert set(data["mean_pct_of_lp"]) == set(POLICIES)
    assert data["lp_check"] < 1e-6
    assert png.stat().st_size > 1000


def test_bench_rejects_a_bad_auction_flag() -> None:
    result = CliRunner().invoke(bench_app, ["bidding", "--auction", "vickrey"])
    assert result.exit_code != 0


def test_bench_cli_prints_medians_and_ratios_against_same_run_baselines() -> None:
    result = CliRunner().invoke(bench_app, ["cli", "--repeat", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["results"]
    assert set(data) == {"python_startup", "eager_imports", "help", "campaigns_list"}
    for name in ("help", "campaigns_list"):
        assert data[name]["median_s"] > data["python_startup"]["median_s"] > 0
        ratio = round(data[name]["median_s"] / data["eager_imports"]["median_s"], 3)
        assert data[name]["ratio_to_eager_imports"] == ratio
        assert isinstance(data[name]["meets_target"], bool)
