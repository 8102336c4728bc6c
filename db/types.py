"""Column types that keep the store's two conventions: money is integer micros, time is UTC-aware.

``UtcDateTime`` refuses naive datetimes on the way in (a naive time is ambiguous and silently wrong across
time zones) and always hands back UTC-aware values on the way out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from adpilot.errors import InvalidInput

__all__ = ["Micros", "UtcDateTime", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """``timestamptz`` that only accepts aware datetimes and returns them in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise InvalidInput(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput(
                f"naive datetime {value.isoformat()} refused",
                remedy="pass a timezone-aware datetime, e.g. datetime.now(UTC)",
            )
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)

    def copy(self, **kw: Any) -> UtcDateTime:
        return UtcDateTime()


# Micros are plain BIGINT: 1 currency unit = 1_000_000 micros, as in the Google Ads API.
Micros = BigInteger
