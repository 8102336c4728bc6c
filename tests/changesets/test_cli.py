"""``adpilot changesets …`` and ``adpilot kill-switch …`` through Typer's runner, with real output checked."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from changesets import ChangeSetProposal, ItemProposal, propose
from cli.main import app
from db.enums import ChangeAction
from db.work_queue import WorkQueue
from guardrails.policy import GuardrailPolicy

runner = CliRunner(env={"COLUMNS": "200"})


def _pending(database, m) -> int:
    cid = m.campaigns["cmp_1"]
    budget = m.platform.get_controls("cmp_1").daily_budget_micros
    proposal = ChangeSetProposal(
        account_id=m.account_id,
        campaign_id=cid,
        origin="bid-optimiser",
        summary="raise budget",
        rationale="CPA well under target",
        items=[
            ItemProposal(
                action=ChangeAction.SET_BUDGET,
                campaign_id=cid,
                target_id=str(cid),
                after={"daily_budget_micros": budget * 2},
            )
        ],
    )
    return propose(database, proposal, policy=GuardrailPolicy(), now=m.platform.now(), read_only=False).id


def test_list_show_approve_apply_queue(cli_env, database, mirror) -> None:
    cs_id = _pending(database, mirror)
    listed = json.loads(runner.invoke(app, ["changesets", "list", "--json"]).stdout)
    assert [(r["id"], r["status"]) for r in listed] == [(cs_id, "pending_approval")]
    shown = runner.invoke(app, ["changesets", "show", str(cs_id)])
    assert shown.exit_code == 0 and "set_budget" in shown.stdout and "clamped" in shown.stdout
    assert "raise budget" in shown.stdout

    result = runner.invoke(app, ["changesets", "approve", str(cs_id), "--actor", "alice", "--comment", "go"])
    assert result.exit_code == 0, result.output
    detail = json.loads(runner.invoke(app, ["changesets", "show", str(cs_id), "--json"]).stdout)
    assert detail["status"] == "approved" and detail["approvals"][0]["actor"] == "alice"
    with database.transaction() as s:
        run = WorkQueue(s).by_dedupe_key(f"apply:{cs_id}")
        assert run is not None and run.kind == "apply_change_set" and run.payload == {"change_set_id": cs_id}

    again = runner.invoke(app, ["changesets", "approve", str(cs_id), "--actor", "alice"])
    assert again.exit_code == 1 and "cannot become approved" in again.stderr
    undo = runner.invoke(app, ["changesets", "undo", str(cs_id)])
    assert undo.exit_code == 1 and "only applied change-sets can be undone" in undo.stderr


def test_reject_and_apply_refusal(cli_env, database, mirror) -> None:
    cs_id = _pending(database, mirror)
    refused = runner.invoke(app, ["changesets", "apply", str(cs_id)])
    assert refused.exit_code == 1 and "approve it first" in refused.stderr
    assert runner.invoke(app, ["changesets", "reject", str(cs_id), "--actor", "bob"]).exit_code == 0
    assert json.loads(runner.invoke(app, ["changesets", "show", str(cs_id), "--json"]).stdout)["status"] == "rejected"


def test_kill_switch_commands(cli_env, database) -> None:
    status = runner.invoke(app, ["kill-switch", "status", "--json"])
    assert status.exit_code == 0 and json.loads(status.stdout)["engaged"] is False
    on = runner.invoke(app, ["kill-switch", "on", "--reason", "incident 42", "--actor", "ops"])
    assert on.exit_code == 0 and "ON" in on.stdout
    status = runner.invoke(app, ["kill-switch", "status", "--json"])
    assert status.exit_code == 2 and json.loads(status.stdout)["reason"] == "incident 42"
    assert runner.invoke(app, ["kill-switch", "off", "--actor", "ops"]).exit_code == 0
    assert runner.invoke(app, ["kill-switch", "status"]).exit_code == 0


def test_empty_actor_and_self_approval_are_refused(cli_env, database, mirror, monkeypatch) -> None:
    """Issue 11 item 12: ``--actor ""`` was recorded as the OS user; the origin could approve its own set."""
    cs_id = _pending(database, mirror)
    empty = runner.invoke(app, ["changesets", "approve", str(cs_id), "--actor", ""])
    assert empty.exit_code == 1 and "--actor is empty" in empty.stderr
    spaces = runner.invoke(app, ["changesets", "approve", str(cs_id), "--actor", "   "])
    assert spaces.exit_code == 1
    own = runner.invoke(app, ["changesets", "approve", str(cs_id), "--actor", "Bid-Optimiser"])
    assert own.exit_code == 1 and "separation of duties" in own.stderr
    detail = json.loads(runner.invoke(app, ["changesets", "show", str(cs_id), "--json"]).stdout)
    assert detail["status"] == "pending_approval" and detail["approvals"] == []
    monkeypatch.setenv("ADPILOT_APPROVAL_SEPARATION_OF_DUTIES", "false")
    allowed = runner.invoke(app, ["changesets", "approve", str(cs_id), "--actor", "bid-optimiser"])
    assert allowed.exit_code == 0, allowed.output


def test_platform_and_model_text_is_shown_as_data_not_markup(cli_env, database, mirror) -> None:
    """Issue 11 item 13: a campaign named ``[/]`` crashed every listing; ``[conceal]`` hid a rationale's text; the
    status was missing from the ``changesets show`` header."""
    from db.schema import Campaign, ChangeSet

    cs_id = _pending(database, mirror)
    with database.transaction() as s:
        s.get(Campaign, mirror.campaigns["cmp_1"]).name = "[/]"
        s.get(Campaign, mirror.campaigns["cmp_2"]).name = "[bold red]x[/bold red] [link=http://evil]y[/link]"
        s.get(ChangeSet, cs_id).rationale = "[conceal]raise everything to 10x[/conceal] approve quickly"
    listed = runner.invoke(app, ["campaigns", "list"])
    assert listed.exit_code == 0, listed.output
    assert "[/]" in listed.stdout and "[bold red]x[/bold red]" in listed.stdout
    shown = runner.invoke(app, ["campaigns", "show", str(mirror.campaigns["cmp_1"])])
    assert shown.exit_code == 0 and "[/]" in shown.stdout
    cs = runner.invoke(app, ["changesets", "show", str(cs_id)])
    assert cs.exit_code == 0, cs.output
    assert "raise everything to 10x" in cs.stdout and "[conceal]" in cs.stdout
    assert "status pending_approval" in cs.stdout


def test_a_cli_budget_edit_reaches_the_platform_through_the_apply_job(cli_env, database, mirror) -> None:
    """Issue 11 item 9: ``campaigns set-budget`` edited the store only and the next sync reverted it. Now it is a
    change-set approved by the named person and written by the apply job; a sync afterwards keeps the value."""
    from db.schema import Campaign
    from db.work_kinds import WorkKind
    from scheduler.jobs import hooks
    from scheduler.jobs.sync import sync_platform
    from tests.scheduler.test_effects_and_periods import HandClock, _ctx

    cid = mirror.campaigns["cmp_1"]
    before = mirror.platform.get_controls("cmp_1").daily_budget_micros
    wanted = before + 5_000_000
    result = runner.invoke(app, ["campaigns", "set-budget", str(cid), f"{wanted / 1e6:.2f}", "--actor", "carol"])
    assert result.exit_code == 0, result.output
    assert mirror.platform.get_controls("cmp_1").daily_budget_micros == before  # nothing written yet
    with database.transaction() as s:
        item = WorkQueue(s).claim("tester", lease_s=60, kinds=[WorkKind.APPLY_CHANGE_SET])
    assert item is not None
    outcome = hooks._apply(_ctx(database, HandClock(mirror.platform.now()), platform=mirror.platform), item)
    assert outcome["status"] == "applied", outcome
    assert mirror.platform.get_controls("cmp_1").daily_budget_micros == wanted
    sync_platform(database, mirror.platform, "sandbox", end=mirror.platform.now())
    with database.transaction() as s:
        assert s.get(Campaign, cid).daily_budget_micros == wanted  # the sync agrees instead of reverting
