"""Change-set items and counts in words a marketer reads: ``budget 50.00 → 70.00 USD/day``, ``bid multiplier
1.00 → 0.92``, ``pause creative "Spring sale"``; ``6 proposed · 4 applied · 1 blocked (3 items)``.

The words are plain text: names and headlines come from the platform and the model, so whoever shows them escapes
them (Jinja's autoescape in the report, ``rich.text.Text`` in the terminal)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from adpilot.money import format_micros

__all__ = ["count_line", "describe_item", "effect_words", "format_ratio", "stuck_job_line"]

Names = Mapping[tuple[str, str], str]


def format_ratio(before: Any, after: Any) -> tuple[str, str]:
    """Two multipliers with 2 decimals, more when 2 would hide the change (1.004 → 1.010 is not 1.00 → 1.01)."""
    try:
        b, a = float(before), float(after)
    except (TypeError, ValueError):
        return str(before), str(after)
    for digits in (2, 3, 4):
        if f"{b:.{digits}f}" != f"{a:.{digits}f}":
            break
    return f"{b:.{digits}f}", f"{a:.{digits}f}"


def _quoted(names: Names, kind: str, target: str) -> str:
    name = names.get((kind, target))
    return f'"{_short(name)}"' if name else f"#{target}"


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _money(key: str, unit: str) -> Callable[[dict[str, Any], dict[str, Any], str], str]:
    def words(before: dict[str, Any], after: dict[str, Any], currency: str) -> str:
        old = format_micros(before.get(key), "") if before.get(key) is not None else "not set"
        return f"{old} → {format_micros(after.get(key), '')} {currency}{unit}".rstrip()

    return words


def describe_item(
    action: str, target_type: str, target_id: str, before: dict[str, Any], after: dict[str, Any], *,
    currency: str = "", names: Names | None = None,
) -> str:
    """One item of a change-set in words; unknown actions fall back to ``action target: k=v → k=v``."""
    names = names or {}
    target = str(target_id)
    if action == "set_budget":
        return "budget " + _money("daily_budget_micros", "/day")(before, after, currency)
    if action == "set_target_cpa":
        return "target CPA " + _money("target_cpa_micros", "")(before, after, currency)
    if action == "set_bid_multiplier":
        old, new = format_ratio(before.get("bid_multiplier", "?"), after.get("bid_multiplier"))
        return f"bid multiplier {old} → {new}"
    if action == "set_segment_modifier":
        old, new = format_ratio(before.get("modifier", "?"), after.get("modifier"))
        return f"bid modifier for audience {_quoted(names, 'segment', target)} {old} → {new}"
    if action == "set_segment_exclusion":
        verb = "exclude" if after.get("excluded") else "include again"
        return f"{verb} audience {_quoted(names, 'segment', target)}"
    if action == "set_daypart_modifier":
        hour = int(after.get("hour", before.get("hour", 0)) or 0)
        old, new = format_ratio(before.get("modifier", "?"), after.get("modifier"))
        return f"bid modifier {hour:02d}:00–{(hour + 1) % 24:02d}:00 UTC {old} → {new}"
    if action == "set_placement_modifier":
        old, new = format_ratio(before.get("modifier", "?"), after.get("modifier"))
        return f'bid modifier on placement "{_short(target)}" {old} → {new}'
    if action == "set_frequency_cap":
        old, new = (v if v is not None else "none" for v in (before.get("per_day"), after.get("per_day")))
        return f"frequency cap {old} → {new} per user per day"
    if action == "create_creative":
        text = f'new creative "{_short(after.get("headline", ""))}"'
        return text + (f' — "{_short(after["description"], 90)}"' if after.get("description") else "")
    if action in ("pause_creative", "resume_creative"):
        return f"{action.split('_')[0]} creative {_quoted(names, 'creative', target)}"
    if action in ("pause_campaign", "resume_campaign"):
        return f"{action.split('_')[0]} campaign {_quoted(names, 'campaign', target)}"
    pairs = [", ".join(f"{k}={v}" for k, v in d.items()) or "-" for d in (before, after)]
    return f"{action} {target_type} {target}: {pairs[0]} → {pairs[1]}"


def count_line(counts: Mapping[str, Any]) -> str:
    """A line of change-set counts (``db.reporting.OutcomeCounts.as_dict()``), zeros left out after the first two,
    with why sets expired and the commonest failure."""
    parts = [f"{counts.get('proposed', 0)} proposed", f"{counts.get('applied', 0)} applied"]
    blocked, blocked_items = counts.get("blocked", 0), counts.get("blocked_items", 0)
    if blocked or blocked_items:
        parts.append(f"{blocked} blocked ({blocked_items} item{'s' if blocked_items != 1 else ''} blocked)")
    for key, label in (
        ("pending_approval", "awaiting approval"),
        ("in_flight", "approved, not applied yet"),
        ("rejected", "rejected"),
    ):
        if counts.get(key):
            parts.append(f"{counts[key]} {label}")
    if counts.get("failed"):
        reasons = counts.get("failure_reasons") or {}
        top = next(iter(reasons.items()), None)
        parts.append(f"{counts['failed']} failed" + (f" ({top[1]}: {_short(top[0], 80)})" if top else ""))
    if counts.get("expired"):
        reasons = counts.get("expired_reasons") or {}
        why = "; ".join(f"{n}: {reason}" for reason, n in reasons.items())
        parts.append(f"{counts['expired']} expired" + (f" ({why})" if why else ""))
    parts.append(f"{counts.get('rolled_back', 0)} rolled back")
    return " · ".join(parts)


def effect_words(effect: Mapping[str, Any] | None, currency: str = "") -> str:
    """A predicted or realised effect: ``+0.40 conversions/day · +1.20 USD/day spend``; ``-`` when there is none."""
    if not effect:
        return "-"
    parts = []
    if "delta_conversions_per_day" in effect:
        parts.append(f"{float(effect['delta_conversions_per_day']):+.2f} conversions/day")
    if "delta_spend_micros_per_day" in effect:
        spend = int(effect["delta_spend_micros_per_day"])
        parts.append(f"{'+' if spend >= 0 else '-'}{format_micros(abs(spend), currency)}/day spend")
    if "window_days" in effect:
        parts.append(f"over {effect['window_days']} days before vs after")
    if not parts and effect.get("basis"):
        parts.append(str(effect["basis"]))
    return " · ".join(parts) or "-"


def _when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if isinstance(value, datetime) else str(value)


def stuck_job_line(job: Mapping[str, Any]) -> str:
    """``stuck job: pacing_tick (period 2027-03-01 16:30 UTC, claimed by daemon-0 at …) never finished``, from
    ``adpilot daemon status``'s ``stuck`` entries (``job``, ``period_start``, ``claimed_by``, ``claimed_at``)."""
    name = job.get("job") or job.get("job_name") or "?"
    period = _when(job.get("period_start") or job.get("period") or "?")
    by = f" by {job['claimed_by']}" if job.get("claimed_by") else ""
    return f"stuck job: {name} (period {period}, claimed{by} at {_when(job.get('claimed_at') or '?')}) never finished"
