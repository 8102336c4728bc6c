"""``adpilot accounts list|add``."""

from __future__ import annotations

from typing import Any

import typer

from cli import context
from cli.output import console, emit_record, emit_table
from db.accounts import AccountRepository
from db.schema import AdAccount

__all__ = ["accounts_app"]

accounts_app = typer.Typer(help="Ad accounts in the campaign store.", no_args_is_help=True)

COLUMNS = ["id", "platform", "external_id", "name", "currency", "time_zone", "daily_ceiling"]


def account_row(account: AdAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "platform": account.platform,
        "external_id": account.external_id,
        "name": account.name,
        "currency": account.currency,
        "time_zone": account.time_zone,
        "daily_ceiling_micros": account.daily_ceiling_micros,
    }


@accounts_app.command("list")
def list_accounts(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """List ad accounts."""
    with context.database().transaction() as session:
        rows = [account_row(a) for a in AccountRepository(session).list_accounts()]
    for row in rows:
        row["daily_ceiling"] = row["daily_ceiling_micros"]
    emit_table("ad accounts", COLUMNS, rows, as_json=as_json)


@accounts_app.command("add")
def add_account(
    name: str = typer.Option(..., help="display name"),
    external_id: str = typer.Option(..., "--external-id", help="the platform's account id"),
    platform: str = typer.Option("sandbox", help="sandbox | google_ads | meta | tiktok"),
    currency: str = typer.Option("USD", help="ISO 4217 code"),
    time_zone: str = typer.Option("UTC", "--time-zone", help="IANA time zone of the account"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Register an ad account."""
    with context.database().transaction() as session:
        account = AccountRepository(session).add(
            platform=platform, external_id=external_id, name=name, currency=currency, time_zone=time_zone
        )
        record = account_row(account)
    if not as_json:
        console.print(f"[green]added account {record['id']}[/]")
    emit_record("account", record, as_json=as_json)
