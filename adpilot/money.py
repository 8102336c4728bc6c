"""Money is integer micros (1 unit = 1_000_000 micros, as in the Google Ads API). Parsing goes through Decimal
so "12.34" becomes exactly 12_340_000; a float never touches an amount."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from adpilot.errors import InvalidInput

__all__ = ["MICROS_PER_UNIT", "format_micros", "parse_money"]

MICROS_PER_UNIT = 1_000_000


def parse_money(text: str) -> int:
    """``"50"``, ``"50.25"`` → micros. Refuses negatives, more than 6 decimals, and non-numbers."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as exc:
        raise InvalidInput(f"{text!r} is not an amount", remedy="write amounts like 50 or 49.99") from exc
    if not amount.is_finite() or amount < 0:
        raise InvalidInput(f"{text!r} is not a non-negative amount", remedy="write amounts like 50 or 49.99")
    micros = amount * MICROS_PER_UNIT
    if micros != micros.to_integral_value():
        raise InvalidInput(f"{text!r} has more than 6 decimals", remedy="round to at most 6 decimal places")
    return int(micros)


def format_micros(micros: int | None, currency: str = "", *, precise: bool = False) -> str:
    """For display: cents by default (rounded half-up); ``precise`` keeps every micro."""
    if micros is None:
        return "-"
    amount = Decimal(micros) / MICROS_PER_UNIT
    if precise and micros % 10_000:
        text = f"{amount:,.6f}".rstrip("0")
    else:
        text = f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    return f"{text} {currency}".strip()
