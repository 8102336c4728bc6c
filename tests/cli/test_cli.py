"""The admin CLI through Typer's runner against the real test database, with real output checked."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner(env={"COLUMNS": "200"})


def invoke(*args: str):
    return runner.invoke(app, list(args))


def _json(result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture()
def account_id(cli_env: str) -> int:
    out = _json(invoke("accounts", "add", "--name", "Acme", "--external-id", "acme-1", "--json"))
    return int(out["id"])


def test_accounts_add_and_list(account_id: int) -> None:
    rows = _json(invoke("accounts", "list", "--json"))
    assert rows == [
        {
            "id": account_id,
            "platform": "sandbox",
            "external_id": "acme-1",
            "name": "Acme",
            "currency": "USD",
            "time_zone": "UTC",
            "daily_ceiling_micros": None,
            "daily_ceiling": None,
        }
    ]
    table = invoke("accounts", "list")
    assert table.exit_code == 0 and "acme-1" in table.stdout and "ad accounts" in table.stdout


def test_campaign_lifecycle_through_the_cli(account_id: int) -> None:
    created = _json(
        invoke(
            "campaigns",
            "create",
            "--account",
            str(account_id),
            "--name",
            "Spring sale",
            "--budget",
            "50",
            "--target-cpa",
            "12.50",
            "--json",
        )
    )
    cid = str(created["id"])
    assert created["daily_budget_micros"] == 50_000_000 and created["target_cpa_micros"] == 12_500_000

    # edits of an ad account are change-sets for the apply job: the store changes only once the platform did
    result = invoke("campaigns", "set-budget", cid, "74.99", "--actor", "alice")
    assert result.exit_code == 0, result.output
    assert "50.00 → 60.00" in result.stdout and "clamped" in result.stdout  # +20 % per step
    result = invoke("campaigns", "pause", cid, "--actor", "alice")
    assert result.exit_code == 0 and "active → paused" in result.stdout
    sets = _json(invoke("changesets", "list", "--json"))
    assert [(c["origin"], c["status"], c["items"][0]["action"]) for c in sets] == [
        ("cli", "approved", "pause_campaign"),
        ("cli", "approved", "set_budget"),
    ]
    detail = _json(invoke("changesets", "show", str(sets[1]["id"]), "--json"))
    assert [a["actor"] for a in detail["approvals"]] == ["alice"]
    shown = _json(invoke("campaigns", "show", cid, "--json"))
    assert shown["status"] == "active" and shown["daily_budget_micros"] == 50_000_000
    table = invoke("campaigns", "list")
    assert "Spring sale" in table.stdout


def test_manual_edits_respect_the_kill_switch_and_read_only(account_id: int, monkeypatch) -> None:
    cid = str(_json(invoke("campaigns", "create", "--account", str(account_id), "--name", "A", "--budget", "10",
                           "--json"))["id"])
    assert invoke("kill-switch", "on", "--reason", "incident", "--actor", "ops").exit_code == 0
    blocked = invoke("campaigns", "set-budget", cid, "11", "--actor", "bob")
    assert blocked.exit_code == 1 and "kill switch" in blocked.stderr
    assert invoke("kill-switch", "off", "--actor", "ops").exit_code == 0
    monkeypatch.setenv("ADPILOT_READ_ONLY", "true")
    read_only = invoke("campaigns", "pause", cid, "--actor", "bob")
    assert read_only.exit_code == 1 and "read-only" in read_only.stderr
    assert _json(invoke("campaigns", "show", cid, "--json"))["status"] == "active"


def test_errors_print_message_and_remedy_without_traceback(account_id: int) -> None:
    result = invoke("campaigns", "show", "999")
    assert result.exit_code == 1
    assert "campaign 999 does not exist" in result.stderr and "adpilot campaigns list" in result.stderr
    assert "Traceback" not in result.output

    result = invoke("campaigns", "create", "--account", str(account_id), "--name", "x", "--budget", "12.3456789")
    assert result.exit_code == 1 and "more than 6 decimals" in result.stderr

    result = invoke("campaigns", "create", "--account", "4242", "--name", "x", "--budget", "5")
    assert result.exit_code == 1 and "foreign key" in result.stderr.lower().replace("_", " ")

    result = invoke("accounts", "add", "--name", "Acme", "--external-id", "acme-1")
    assert result.exit_code == 1 and "already exists" in result.stderr


def test_debug_flag_shows_the_exception(cli_env: str) -> None:
    result = invoke("--debug", "campaigns", "show", "999")
    assert result.exit_code == 1
    assert result.exception is not None and type(result.exception).__name__ == "NotFound"


def test_unreachable_database_names_the_remedy(cli_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADPILOT_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    result = invoke("campaigns", "list")
    assert result.exit_code == 1
    assert "database not reachable at" in result.stderr
    assert "unset ADPILOT_DATABASE_URL to use the embedded one" in result.stderr


def test_invalid_setting_is_a_config_error(cli_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADPILOT_DATABASE_URL", "mysql://root@localhost/x")
    result = invoke("config", "show")
    assert result.exit_code == 1 and "ADPILOT_DATABASE_URL" in result.stderr


def test_config_show_masks_secrets(cli_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADPILOT_DATABASE_URL", "postgresql://app:s3cret@db.example:5432/ads")
    monkeypatch.setenv("ADPILOT_LLM_API_KEY", "sk-very-secret")
    monkeypatch.setenv("ADPILOT_WEBHOOK_GENERIC_SECRETS", '["whsec_a", "whsec_b"]')
    result = invoke("config", "show", "--json")
    assert result.exit_code == 0
    assert "s3cret" not in result.stdout and "sk-very-secret" not in result.stdout and "whsec_a" not in result.stdout
    shown = json.loads(result.stdout)
    assert shown["database_url"] == "postgresql+psycopg://app:***@db.example:5432/ads"
    assert shown["llm_api_key"] == "********"
    assert shown["webhook_generic_secrets"] == ["********", "********"]


def test_db_status_and_doctor_on_a_migrated_database(cli_env: str) -> None:
    status = _json(invoke("db", "status", "--json"))
    assert status["up_to_date"] is True and status["current"] == status["head"] and status["drift"] == []
    report = _json(invoke("doctor", "--json"))
    assert report["database_mode"] == "external" and report["reachable"] is True and report["migrated"] is True
    assert report["findings"] == []


def test_db_commands_on_an_empty_database(cli_env: str, fresh_databases, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADPILOT_DATABASE_URL", fresh_databases.create("adpilot_cli"))
    result = invoke("db", "status", "--json")
    assert result.exit_code == 2 and json.loads(result.stdout)["current"] is None
    result = invoke("campaigns", "list")
    assert result.exit_code == 1 and "adpilot db upgrade" in result.stderr
    doctor = invoke("doctor", "--json")
    assert doctor.exit_code == 2 and json.loads(doctor.stdout)["findings"][0]["remedy"] == "adpilot db upgrade"

    assert invoke("db", "upgrade").exit_code == 0
    assert _json(invoke("db", "status", "--json"))["up_to_date"] is True
    result = invoke("db", "downgrade", "base")
    assert result.exit_code == 0 and "downgraded to base" in result.stdout
    result = invoke("db", "downgrade", "bogus")
    assert result.exit_code == 1 and "unknown revision" in result.stderr


def test_bad_amounts_are_errors_with_a_remedy_not_usage_codes(account_id: int) -> None:
    created = _json(invoke("campaigns", "create", "--account", str(account_id), "--name", "s", "--budget", "10",
                           "--json"))
    cid = str(created["id"])
    for amount, says in [("-5", "non-negative"), ("49,99", "ambiguous"), ("9223372036854", "largest accepted"),
                         ("1e999999", "largest accepted"), ("abc", "not an amount")]:
        result = invoke("campaigns", "set-budget", cid, amount)
        assert result.exit_code == 1, (amount, result.output)
        assert says in result.stderr and "remedy:" in result.stderr, (amount, result.stderr)
        assert "Traceback" not in result.output
    assert _json(invoke("campaigns", "show", cid, "--json"))["daily_budget_micros"] == 10_000_000


def test_usage_errors_exit_1_never_the_findings_code(cli_env: str) -> None:
    for args in (["campaigns", "nope"], ["no-such-command"], ["campaigns", "show"], ["campaigns", "list", "--bogus"]):
        result = invoke(*args)
        assert result.exit_code == 1, (args, result.output)


def test_an_unexpected_exception_is_reported_without_a_traceback(cli_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from db.campaigns import CampaignRepository

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(CampaignRepository, "list_campaigns", boom)
    result = invoke("campaigns", "list")
    assert result.exit_code == 1
    assert "unexpected RuntimeError: disk on fire" in result.stderr and "--debug" in result.stderr
    assert "Traceback" not in result.output


def test_help_lists_every_command_without_importing_them() -> None:
    import subprocess
    import sys

    code = ("import sys\nfrom typer.testing import CliRunner\nfrom cli.main import app\n"
            "r = CliRunner().invoke(app, ['--help'])\nassert r.exit_code == 0, r.output\n"
            "heavy = [m for m in ('torch', 'sklearn', 'langgraph', 'demo', 'transformers') if m in sys.modules]\n"
            "print(r.output)\nassert not heavy, heavy\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    from cli.lazy import LAZY_COMMANDS

    assert all(name in out.stdout for name in LAZY_COMMANDS)


def test_the_largest_typed_amount_is_configurable(account_id: int, monkeypatch) -> None:
    """Issue 11 item 21: amounts are bounded by a configurable maximum (ADPILOT_MAX_AMOUNT_MICROS)."""
    monkeypatch.setenv("ADPILOT_MAX_AMOUNT_MICROS", str(1_000 * 1_000_000))
    result = invoke("campaigns", "create", "--account", str(account_id), "--name", "big", "--budget", "1000.01")
    assert result.exit_code == 1 and "largest accepted amount" in result.stderr
    ok = invoke("campaigns", "create", "--account", str(account_id), "--name", "ok", "--budget", "1000")
    assert ok.exit_code == 0
