"""audit log: tamper-evident hash chain, TRUNCATE refused, occurrence recorded by the database clock

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 16:00:00

Issue 11: as the role that owns the database, TRUNCATE, DISABLE TRIGGER + UPDATE, DROP TRIGGER and back-dated
inserts all succeeded on ``audit_log``, and nothing noticed. Now:

* a BEFORE INSERT trigger gives every row a gap-free ``chain_seq``, the database time ``recorded_at`` and
  ``row_hash`` = SHA-256 of its content and of the previous row's hash (PostgreSQL's built-in ``sha256``). The
  trigger serialises inserts with a transaction-scoped advisory lock, so the chain order is the commit order;
  ``adpilot audit verify`` recomputes every hash in Python and exits 2 on any break;
* a BEFORE TRUNCATE trigger refuses TRUNCATE;
* ``adpilot db status`` reports a missing or disabled audit trigger as drift.

The runtime role should not own the schema (README, "Database roles"): then it cannot drop or disable triggers at
all. Existing rows are chained in id order when this migration runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The hashed text: each field as "<length>:<value>" (no separator can be forged inside a value), in this order.
# db.audit.ROW_TEXT_SQL selects the same fields with the same formatting for verification.
ROW_TEXT = """
    length(f.seq) || ':' || f.seq || length(f.recorded) || ':' || f.recorded ||
    length(f.occurred) || ':' || f.occurred || length(f.actor) || ':' || f.actor ||
    length(f.event) || ':' || f.event || length(f.cs) || ':' || f.cs || length(f.item) || ':' || f.item ||
    length(f.campaign) || ':' || f.campaign || length(f.message) || ':' || f.message ||
    length(f.details) || ':' || f.details || length(f.prev) || ':' || f.prev
"""

CHAIN_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('adpilot.audit_log_chain'));
    SELECT chain_seq, row_hash INTO last_seq, last_hash FROM audit_log
     WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1;
    NEW.chain_seq := coalesce(last_seq, 0) + 1;
    NEW.recorded_at := clock_timestamp();
    NEW.prev_hash := coalesce(last_hash, '');
    NEW.row_hash := encode(sha256(convert_to((
        SELECT {ROW_TEXT} FROM (SELECT
            NEW.chain_seq::text AS seq,
            to_char(NEW.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS recorded,
            to_char(NEW.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS occurred,
            NEW.actor AS actor, NEW.event AS event,
            coalesce(NEW.change_set_id::text, '') AS cs, coalesce(NEW.change_item_id::text, '') AS item,
            coalesce(NEW.campaign_id::text, '') AS campaign, NEW.message AS message,
            NEW.details::text AS details, NEW.prev_hash AS prev) f
    ), 'UTF8')), 'hex');
    RETURN NEW;
END $$
"""


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("chain_seq", sa.BigInteger(), nullable=True))
    op.add_column("audit_log", sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("row_hash", sa.String(length=64), nullable=True))
    op.create_index("ux_audit_log_chain_seq", "audit_log", ["chain_seq"], unique=True)
    op.execute(CHAIN_FUNCTION)
    # chain the rows that exist (in id order), through the same function, then enforce it for every insert
    op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    op.execute("""
        CREATE TEMP TABLE audit_backfill ON COMMIT DROP AS SELECT * FROM audit_log ORDER BY id;
        DELETE FROM audit_log;
    """)
    op.execute(
        "CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_chain()"
    )
    op.execute("""
        INSERT INTO audit_log (id, occurred_at, actor, event, change_set_id, change_item_id, campaign_id, message,
                               details)
        SELECT id, occurred_at, actor, event, change_set_id, change_item_id, campaign_id, message, details
          FROM audit_backfill ORDER BY id
    """)
    op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    op.alter_column("audit_log", "chain_seq", nullable=False)
    op.alter_column("audit_log", "recorded_at", nullable=False)
    op.alter_column("audit_log", "prev_hash", nullable=False)
    op.alter_column("audit_log", "row_hash", nullable=False)
    op.execute("""
        CREATE OR REPLACE FUNCTION audit_log_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only: TRUNCATE is refused' USING ERRCODE = 'check_violation',
                CONSTRAINT = 'audit_log_append_only';
        END $$
    """)
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_no_truncate()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_no_truncate()")
    op.execute("DROP TRIGGER IF EXISTS audit_log_chain ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_chain()")
    op.drop_index("ux_audit_log_chain_seq", table_name="audit_log")
    for column in ("row_hash", "prev_hash", "recorded_at", "chain_seq"):
        op.drop_column("audit_log", column)
