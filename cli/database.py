"""``adpilot db …``: migrate the campaign store up or down and report its state."""

from __future__ import annotations

import typer
from rich.text import Text

from cli import context
from cli.errors import EXIT_FINDINGS
from cli.output import console, data, emit_record
from db import migrate
from db.audit import audit_trigger_problems
from db.roles import grant_runtime_role

__all__ = ["db_app"]

db_app = typer.Typer(help="Migrate the campaign store (Alembic).", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Apply migrations up to REVISION (default: head)."""
    db = context.database(migrated=False)
    st = migrate.upgrade(db, revision)
    console.print(f"database at {db.display_url} upgraded to [bold]{st.current}[/] (head {st.head})")


@db_app.command("downgrade")
def downgrade(revision: str = typer.Argument(..., help="target revision, '-1' or 'base'")) -> None:
    """Revert migrations down to REVISION."""
    db = context.database(migrated=False)
    st = migrate.downgrade(db, revision)
    console.print(f"database at {db.display_url} downgraded to [bold]{st.current or 'base'}[/]")


@db_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Current and head revision; exit code 2 when the schema is behind."""
    db = context.database(migrated=False)
    st = migrate.status(db)
    drift = [str(d) for d in migrate.drift(db)] if st.up_to_date else []
    if st.up_to_date:
        with db.transaction() as session:
            drift += audit_trigger_problems(session)
    record = {
        "database": db.display_url,
        "embedded": db.embedded,
        "current": st.current,
        "head": st.head,
        "up_to_date": st.up_to_date,
        "drift": drift,
    }
    emit_record("migrations", record, as_json=as_json)
    if not st.up_to_date or drift:
        if not as_json:
            console.print(
                "[yellow]schema is not at head or differs from it:[/] run `adpilot db upgrade`; a missing or disabled "
                "audit trigger means someone with owner rights changed the schema: investigate, then "
                "`adpilot audit verify`"
            )
        raise typer.Exit(EXIT_FINDINGS)


@db_app.command("grant-runtime")
def grant_runtime(role: str = typer.Argument(..., help="the role the application connects as (not the owner)")) -> None:
    """Grant the runtime ROLE what adpilot needs, nothing on the audit log beyond SELECT and INSERT. Run as the
    schema owner after every `db upgrade`."""
    db = context.database()
    for statement in grant_runtime_role(db, role):
        console.print(Text(statement))
    console.print(f"granted; connect the daemon, the receiver and the CLI as {data(role)}")
