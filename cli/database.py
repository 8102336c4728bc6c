"""``adpilot db …``: migrate the campaign store up or down and report its state."""

from __future__ import annotations

import typer

from cli import context
from cli.errors import EXIT_FINDINGS
from cli.output import console, emit_record
from db import migrate

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
            console.print("[yellow]schema is not at head:[/] run `adpilot db upgrade`")
        raise typer.Exit(EXIT_FINDINGS)
