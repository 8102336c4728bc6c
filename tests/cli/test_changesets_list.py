"""``adpilot changesets list``: the agents' and people's change-sets first, the pacer's and rules' hidden by default
(or after the rest with --all), and a line that says how many rows were left out and how to see them."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cli.main import app
from db.database import Database
from tests.reports.store import seed

runner = CliRunner(env={"COLUMNS": "200"})


def _listed(*args: str) -> tuple[list[dict], str]:
    result = runner.invoke(app, ["changesets", "list", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr.strip()


def test_agents_first_and_what_was_left_out(cli_env: str, database: Database) -> None:
    seeded = seed(database)  # agents 9, cli 1, pacer 6, rules 1
    ids = seeded.change_set_ids
    people = sorted(i for key, v in ids.items() if key.split(":")[0] in ("agents", "cli") for i in v)
    automated = sorted(i for key, v in ids.items() if key.split(":")[0] in ("pacer", "rules") for i in v)

    rows, note = _listed()
    assert [r["id"] for r in rows] == people[::-1]
    assert note == (
        "showing 10 of 17 change-sets; 6 pacer change-sets, 1 rules change-set hidden — "
        "pass --origin pacer or --origin rules or --all"
    )
    rows, note = _listed("--limit", "3")
    assert [r["id"] for r in rows] == people[::-1][:3]
    assert note.endswith("; 7 more beyond --limit 3")

    rows, note = _listed("--all")
    assert [r["id"] for r in rows] == people[::-1] + automated[::-1] and note == ""
    rows, note = _listed("--origin", "pacer")
    assert {r["origin"] for r in rows} == {"pacer"} and len(rows) == 6
    assert note == "showing 6 of 6 pacer change-sets (17 of every origin)"
    rows, note = _listed("--status", "expired")
    assert [r["id"] for r in rows] == ids["agents:expired"][::-1]
    assert note == "showing 2 of 3 change-sets; 1 pacer change-set hidden — pass --origin pacer or --all"

    table = runner.invoke(app, ["changesets", "list"])
    assert table.exit_code == 0 and "showing 10 of 17 change-sets; 6 pacer change-sets" in table.stdout
    bad = runner.invoke(app, ["changesets", "list", "--status", "done"])
    assert bad.exit_code == 1 and "unknown status 'done'" in bad.stderr
