"""The runtime role: the one the daemon, the webhook receiver and the CLI connect as in production. It is NOT the
owner of the schema — migrations run as the owner (``adpilot db upgrade`` with the owner's URL) — so it cannot
``ALTER``, ``DROP`` or disable a trigger, and it is never granted ``UPDATE``, ``DELETE`` or ``TRUNCATE`` on
``audit_log`` (issue 11: as the owner, all of those succeeded). README, "Database roles", shows the whole setup."""

from __future__ import annotations

import re

from sqlalchemy import text

from adpilot.errors import InvalidInput
from db.database import Database

__all__ = ["grant_runtime_role"]

_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SCHEMAS = ("public", "agent_checkpoints")


def grant_runtime_role(database: Database, role: str) -> list[str]:
    """Grant ``role`` what the application needs and nothing more; run as the schema owner. Returns the statements."""
    if not _ROLE.match(role):
        raise InvalidInput(f"{role!r} is not a plain role name", remedy="use lower-case letters, digits and _")
    quoted = f'"{role}"'
    statements = []
    for schema in _SCHEMAS:
        statements += [
            f"GRANT USAGE ON SCHEMA {schema} TO {quoted}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {quoted}",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {quoted}",
        ]
    statements += [
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {quoted}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {quoted}",
    ]
    with database.engine.begin() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if exists is None:
            raise InvalidInput(
                f"role {role!r} does not exist", remedy=f"create it first: CREATE ROLE {role} LOGIN PASSWORD '…'"
            )
        for statement in statements:
            conn.execute(text(statement))
    return statements
