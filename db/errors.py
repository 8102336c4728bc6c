"""Translate psycopg / SQLAlchemy exceptions into the adpilot error tree at the store's boundary (STYLE.md 4)."""

from __future__ import annotations

import psycopg
from sqlalchemy import exc as sa_exc

from adpilot.errors import AdpilotError, ConstraintViolation, DatabaseUnavailable, InvalidInput

__all__ = ["translate_db_error"]

_REMEDIES = {
    "unique": "a row with the same key already exists; use a different id/name or update the existing row",
    "foreign_key": "the referenced row does not exist; create it first or check the id",
    "check": "a value is out of range (e.g. negative money); correct it",
    "not_null": "a required value is missing",
}


def translate_db_error(exc: Exception, *, where: str = "") -> Exception:
    """Map a database exception to a typed, remedy-carrying error. Unknown errors pass through unchanged."""
    if isinstance(exc, AdpilotError):
        return exc
    if not isinstance(exc, sa_exc.SQLAlchemyError | psycopg.Error):
        return exc  # a programming error, not the database's: let it surface as itself
    orig = getattr(exc, "orig", None)
    if isinstance(orig, AdpilotError):  # raised by our own column types while binding parameters
        return orig
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    detail = getattr(diag, "message_primary", None) or str(orig or exc).splitlines()[0]
    prefix = f"{where}: " if where else ""
    if isinstance(exc, sa_exc.IntegrityError):
        sqlstate = getattr(orig, "sqlstate", "") or ""
        kind = {"23505": "unique", "23503": "foreign_key", "23514": "check", "23502": "not_null"}.get(sqlstate)
        return ConstraintViolation(
            f"{prefix}database refused the write ({constraint or kind or 'constraint'}): {detail}",
            constraint=constraint,
            remedy=_REMEDIES.get(kind or ""),
        )
    if isinstance(exc, sa_exc.DataError):
        return InvalidInput(f"{prefix}value rejected by the database: {detail}")
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return DatabaseUnavailable(f"{prefix}database not reachable: {detail}")
    return AdpilotError(f"{prefix}{detail}")
