"""Money is integer micros (1 unit = 1_000_000 micros, as in the Google Ads API). Parsing goes through Decimal
so "12.34" becomes exactly 12_340_000; a float never touches an amount."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from adpilot.errors import InvalidInput

__all__ = ["MAX_AMOUNT_MICROS", "MICROS_PER_UNIT", "format_micros", "parse_money"]

MICROS_PER_UNIT = 1_000_000
MAX_AMOUNT_MICROS = 100_000_000 * MICROS_PER_UNIT
"""The largest amount a person may type (100 million units): far below BIGINT, far above any daily budget."""


def parse_money(text: str, *, max_micros: int = MAX_AMOUNT_MICROS) -> int:
    """``"50"``, ``"50.25"``, ``"1_000"`` → micros. Refuses negatives, more than 6 decimals, non-numbers, amounts
    above ``max_micros``, and commas: ``49,99`` is 49.99 in half the world and 4,999 in the other half."""
    cleaned = text.strip().replace("_", "")
    remedy = "write amounts with a dot for decimals and no thousands separator, like 50 or 49.99"
    if "," in cleaned:
        raise InvalidInput(
            f"{text!r} is ambiguous: the comma could be a decimal or a thousands separator", remedy=remedy
        )
    if len(cleaned) > 40:
        raise InvalidInput(f"{text[:40]!r}… is not an amount", remedy=remedy)
    try:
        amount = Decimal(cleaned)
    except (InvalidOperation, ArithmeticError) as exc:
        raise InvalidInput(f"{text!r} is not an amount", remedy=remedy) from exc
    if not amount.is_finite() or amount < 0:
        raise InvalidInput(f"{text!r} is not a non-negative amount", remedy=remedy)
    if amount > Decimal(max_micros) / MICROS_PER_UNIT:
        raise InvalidInput(
            f"{text!r} is above the largest accepted amount {Decimal(max_micros) / MICROS_PER_UNIT:,f}",
            remedy="check the amount; amounts are in the account currency, not in micros",
        )
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
