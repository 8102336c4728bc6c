"""The change-set timeline of the report: each change-set's items in words, its guardrail outcome per item, and its
reasoning shown once — a rationale repeated by a later set (or by the set's own items) points back instead of being
printed again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adpilot.money import format_micros
from db.reporting import NOT_APPLIED, NOT_APPROVED
from db.schema import ChangeItem, ChangeSet
from reports.wording import describe_item, format_ratio

__all__ = ["FALLBACK_FLAG", "TimelineEntry", "TimelineItem", "timeline"]

FALLBACK_FLAG = "model unavailable"
"""The reviewer's flag when a node fell back to its deterministic choice; not news when ``--llm fake`` was chosen."""


@dataclass(frozen=True)
class TimelineItem:
    words: str
    status: str
    note: str = ""  # why blocked, clamped or failed


@dataclass
class TimelineEntry:
    id: int
    created_at: datetime
    status: str
    origin: str
    summary: str
    status_words: str
    status_note: str
    items: list[TimelineItem]
    flags: list[str]
    rationale: str = ""  # empty when shown earlier: see ``same_rationale_as``
    same_rationale_as: int | None = None
    item_rationales: list[str] = field(default_factory=list)
    predicted: dict[str, Any] = field(default_factory=dict)
    realised: dict[str, Any] | None = None


STATUS_WORDS = {"pending_approval": "awaiting approval", "rolled_back": "rolled back"}


def _status_note(cs: ChangeSet) -> str:
    if cs.status == "expired":
        return NOT_APPLIED if cs.decided_at is not None else NOT_APPROVED
    if cs.status == "pending_approval":
        return f"expires {cs.expires_at:%m-%d %H:%M}"
    return ""


def _asked(requested: Mapping[str, Any], after: Mapping[str, Any], currency: str) -> str:
    """The value the proposer asked for where the guardrails moved it: ``80.00 EUR`` or ``1.30``."""
    for key, value in requested.items():
        if after.get(key) == value or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        return format_micros(int(value), currency) if key.endswith("_micros") else format_ratio(value, value)[0]
    return ""


def _note(item: ChangeItem, currency: str) -> str:
    """Why an item did not go as proposed: blocked (the guardrails' reasons), failed (the error), clamped."""
    verdict = item.guardrail_verdict or {}
    why = "; ".join(verdict.get("reasons") or verdict.get("rules") or [])
    if item.status == "blocked":
        return f"blocked: {why}" if why else "blocked by the guardrails"
    if item.error:
        return item.error
    if verdict.get("clamped"):
        asked = _asked(verdict.get("requested") or {}, item.after, currency)
        return "clamped by the guardrails' step limits" + (f" (asked for {asked})" if asked else "")
    return ""


def timeline(
    change_sets: Iterable[ChangeSet], *, currency: str = "", names: Mapping[tuple[str, str], str] | None = None
) -> list[TimelineEntry]:
    """Timeline entries, oldest first as given."""
    seen: dict[str, int] = {}
    out = []
    for cs in change_sets:
        items = [
            TimelineItem(
                describe_item(
                    i.action, i.target_type, i.target_id, i.before, i.after, currency=currency, names=names
                ),
                i.status,
                _note(i, currency),
            )
            for i in cs.items
        ]
        entry = TimelineEntry(
            cs.id, cs.created_at, cs.status, cs.origin, cs.summary, STATUS_WORDS.get(cs.status, cs.status),
            _status_note(cs), items, list(cs.flags or []),
            predicted=dict(cs.predicted_effect or {}), realised=cs.realised_effect,
        )
        rationale = " ".join((cs.rationale or "").split())
        if rationale and rationale in seen:
            entry.same_rationale_as = seen[rationale]
        elif rationale and rationale != " ".join(cs.summary.split()):
            entry.rationale = rationale
            seen[rationale] = cs.id
        for i in cs.items:
            why = " ".join((i.rationale or "").split())
            if why and why not in rationale and why not in seen:
                entry.item_rationales.append(why)
                seen[why] = cs.id
        out.append(entry)
    return out
