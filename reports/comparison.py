""""adpilot vs what you would have had": the same week replayed under other policies on the same market (same seed,
same users and auctions), one :class:`PolicyResult` per policy. Filled by the demo and ``adpilot bench system``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adpilot.money import format_micros

__all__ = ["PolicyResult", "comparison_rows", "policy_results"]


@dataclass(frozen=True)
class PolicyResult:
    """One policy's week. ``pct_of_lp``: score as % of LP* over the week; ``per_day_pct_of_lp``: the same per day;
    ``cpa_over_target``: CPA ÷ target CPA (given, or derived from the two amounts)."""

    name: str
    pct_of_lp: float | None
    conversions: float
    spend_micros: int
    cpa_micros: int | None = None
    target_cpa_micros: int | None = None
    per_day_pct_of_lp: list[float] = field(default_factory=list)
    cpa_over_target: float | None = None

    @property
    def cpa_ratio(self) -> float | None:
        if self.cpa_over_target is not None:
            return self.cpa_over_target
        if self.cpa_micros is None or not self.target_cpa_micros:
            return None
        return self.cpa_micros / self.target_cpa_micros

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> PolicyResult:
        """From the JSON shape (the demo summary's ``comparison`` entries): the same field names; a missing
        ``cpa_micros`` is spend ÷ conversions."""
        conversions, spend = float(row.get("conversions") or 0), int(row.get("spend_micros") or 0)
        cpa = row.get("cpa_micros")
        if cpa is None and conversions > 0:
            cpa = round(spend / conversions)
        return cls(
            name=str(row["name"]),
            pct_of_lp=None if row.get("pct_of_lp") is None else float(row["pct_of_lp"]),
            conversions=conversions,
            spend_micros=spend,
            cpa_micros=None if cpa is None else int(cpa),
            target_cpa_micros=None if row.get("target_cpa_micros") is None else int(row["target_cpa_micros"]),
            per_day_pct_of_lp=[float(x) for x in row.get("per_day_pct_of_lp") or []],
            cpa_over_target=None if row.get("cpa_over_target") is None else float(row["cpa_over_target"]),
        )


def policy_results(rows: Sequence[PolicyResult | Mapping[str, Any]] | None) -> list[PolicyResult]:
    return [r if isinstance(r, PolicyResult) else PolicyResult.from_mapping(r) for r in rows or []]


def _conversions(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _cpa_vs_target(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    side = "over" if ratio > 1 else "under"
    return f"{ratio:.2f}× ({abs(ratio - 1) * 100:.0f} % {side} target)" if round(ratio, 2) != 1 else "1.00× (on target)"


def comparison_rows(results: Sequence[PolicyResult], currency: str = "") -> list[dict[str, str]]:
    """Display rows, all text: policy, % of LP*, conversions, spend, CPA, CPA vs target."""
    return [
        {
            "policy": r.name,
            "pct_of_lp": "-" if r.pct_of_lp is None else f"{r.pct_of_lp:.1f} %",
            "conversions": _conversions(r.conversions),
            "spend": format_micros(r.spend_micros, currency),
            "cpa": format_micros(r.cpa_micros, currency),
            "cpa_vs_target": _cpa_vs_target(r.cpa_ratio),
        }
        for r in results
    ]
