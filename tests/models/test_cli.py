"""The ``adpilot models`` commands against the test database (thin: parse, call the service, print)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli.models import models_app


@pytest.mark.slow
def test_train_list_promote_rollback_via_cli(cli_env: str) -> None:
    runner = CliRunner()
    for algo in ("lgbm", "dcnv2"):
        result = runner.invoke(models_app, ["train", "--data", "criteo", "--algo", algo, "--json"])
        assert result.exit_code == 0, result.output
    listed = json.loads(runner.invoke(models_app, ["list", "--json"]).output)
    assert [r["version"] for r in listed] == [1, 2] and all(r["status"] == "candidate" for r in listed)
    best = max(listed, key=lambda r: r["auc"])
    worst = min(listed, key=lambda r: r["auc"])
    assert runner.invoke(models_app, ["promote", str(worst["version"]), "--json"]).exit_code == 0
    promoted = runner.invoke(models_app, ["promote", str(best["version"]), "--json"])
    assert promoted.exit_code == 0 and json.loads(promoted.output)["champion"] == best["version"]
    back = runner.invoke(models_app, ["rollback", "--json"])
    assert back.exit_code == 0 and json.loads(back.output)["champion"] == worst["version"]
