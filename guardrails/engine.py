"""The guardrail engine: a pure, deterministic function ``evaluate(items, context, policy) -> Verdict``.

Rules it keeps (each verdict names the rules that fired):

- **Kill switch / read-only** → every item blocked.
- **Max items per change-set** → the whole set blocked (a model that floods proposals is misbehaving).
- **Protected or removed campaigns** → their items blocked.
- **Step limits** (budget, bid multiplier, target CPA: % per step and % per day against the value at the start of
  the day) and **ranges** (modifiers, frequency cap, minimum budget): the proposed number is *clamped* into the
  allowed interval, never passed through; if the interval is empty (the day's allowance is used up) the item is
  blocked. LLMs propose, this code decides the number.
- **Account daily ceiling**: the sum of daily budgets × the over-delivery factor (platforms may spend 2× a daily
  budget in a day) must stay within the ceiling after the change-set.
- **Minimum evidence** before acting (conversions for bid/budget increases, impressions for segment changes, clicks
  before pausing a creative), **cooldown** after an edit of the same control (learning phase), never pausing a
  campaign's last active creative, **creative policy** for new text.
- **Autonomy tier**: an item auto-applies only if its action is listed in ``autonomy.auto_apply`` and its change is
  within ``max_auto_change_pct``; otherwise it waits for a human.

An undo (``context.undo``) is a change like any other (issue 11: undoing a day-1 −20 % after three more −20 % days
jumped the budget +144 % in one step): step and day limits clamp it, the autonomy tier decides whether a person must
approve it, the kill switch, read-only mode, protection and the account ceiling hold. It skips only the evidence
gates and the cooldown — reverting a change must not wait for the data or the learning phase the change started.

A manual edit (origin ``cli``: ``adpilot campaigns pause|resume|set-budget``) is judged like an undo: limits, tier,
kill switch, protection and ceiling, but no evidence gate or cooldown — a person decided it.

Items of origin ``pacer`` are judged by the policy's ``pacing`` section whoever built the set: bid multiplier only,
per-step and per-day bounds, never a protected campaign (from the database flag or the policy file).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any

from adpilot.errors import InvalidInput
from db.enums import ChangeAction
from guardrails.creative import creative_violations
from guardrails.policy import GuardrailPolicy
from levers import CONTROL_OF, Blocked, lever_for
from levers.campaign_values import BidMultiplierLever

__all__ = [
    "CONTROL_OF",
    "MANUAL_ORIGIN",
    "CampaignState",
    "Decision",
    "GuardrailContext",
    "ItemVerdict",
    "ProposedItem",
    "Verdict",
    "evaluate",
]


MANUAL_ORIGIN = "cli"


class Decision(StrEnum):
    AUTO = "auto"
    NEEDS_APPROVAL = "needs_approval"
    BLOCK = "block"


@dataclass(frozen=True)
class ProposedItem:
    """One proposed change. ``after`` holds the new value(s), the typed payload of the action's lever
    (``levers``)."""

    action: ChangeAction
    campaign_id: int
    target_id: str
    after: Mapping[str, Any]


@dataclass(frozen=True)
class CampaignState:
    """What the engine needs to know about one campaign, read from the store just before evaluation."""

    campaign_id: int
    account_id: int
    external_id: str
    status: str
    protected: bool
    daily_budget_micros: int
    target_cpa_micros: int | None
    bid_multiplier: float
    budget_at_day_start_micros: int
    target_cpa_at_day_start_micros: int | None
    bid_multiplier_at_day_start: float
    conversions_in_window: int = 0
    impressions_by_segment: Mapping[str, int] = field(default_factory=dict)
    clicks_by_creative: Mapping[str, int] = field(default_factory=dict)
    active_creatives: frozenset[str] = frozenset()
    last_edit_at: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class GuardrailContext:
    now: datetime
    kill_switch: bool
    read_only: bool
    campaigns: Mapping[int, CampaignState]
    account_budget_total_micros: int
    account_daily_ceiling_micros: int | None = None
    undo: bool = False
    origin: str = ""  # "pacer": the per-tick pacer, judged by the policy's ``pacing`` section only


@dataclass(frozen=True)
class ItemVerdict:
    decision: Decision
    after: Mapping[str, Any]
    clamped: bool = False
    rules: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision.value,
            "after": dict(self.after),
            "clamped": self.clamped,
            "rules": list(self.rules),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class Verdict:
    items: tuple[ItemVerdict, ...]
    policy_sha256: str
    reasons: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        """``blocked`` when nothing may proceed, ``approved`` when everything may auto-apply, else
        ``pending_approval``."""
        live = [v for v in self.items if v.decision is not Decision.BLOCK]
        if not live:
            return "blocked"
        return "approved" if all(v.decision is Decision.AUTO for v in live) else "pending_approval"


def _block(rule: str, reason: str, after: Mapping[str, Any]) -> ItemVerdict:
    return ItemVerdict(Decision.BLOCK, after, rules=(rule,), reasons=(reason,))


def _clamp_item(item: ProposedItem, state: CampaignState, policy: GuardrailPolicy) -> tuple[ItemVerdict, float]:
    """The item's lever parses its typed payload and clamps the number into the allowed interval. Returns the
    verdict (decision AUTO as a placeholder unless blocked) and the relative change, used by the autonomy tier."""
    lever = lever_for(item.action)
    try:
        parsed = lever.parse(item.after)
    except InvalidInput as exc:
        return _block("invalid_value", exc.message, item.after), 0.0
    result = lever.clamp(parsed, state, policy)
    if isinstance(result, Blocked):
        return _block(result.rule, result.reason, item.after), 0.0
    return ItemVerdict(Decision.AUTO, result.after, clamped=parsed != result.after), result.change


def _precondition_block(
    item: ProposedItem, state: CampaignState, policy: GuardrailPolicy, context: GuardrailContext
) -> ItemVerdict | None:
    """Rules that block an item outright (protection, evidence, cooldown, creative policy)."""
    a, after = item.action, item.after
    if _protected(state, policy):
        return _block("protected_campaign", f"campaign {state.campaign_id} is protected", after)
    if state.status == "removed":
        return _block("campaign_removed", f"campaign {state.campaign_id} is removed", after)
    if a is ChangeAction.CREATE_CREATIVE:
        problems = creative_violations(
            str(after.get("headline", "")), str(after.get("description", "")), policy.creative
        )
        if problems:
            return ItemVerdict(Decision.BLOCK, after, rules=("creative_policy",), reasons=tuple(problems))
    if a is ChangeAction.PAUSE_CREATIVE and state.active_creatives <= {item.target_id}:
        return _block("last_creative", "pausing it would leave the campaign without an active creative", after)
    if context.undo or context.origin == MANUAL_ORIGIN:
        return None  # a person's direct edit or an undo: no evidence gate, no cooldown; every limit still holds
    ev, lever = policy.evidence, lever_for(a)
    if lever.evidence == "conversions" and state.conversions_in_window < ev.min_conversions_for_bid_or_budget:
        return _block(
            "min_evidence",
            f"{state.conversions_in_window} conversions in {ev.window_days} days "
            f"(need {ev.min_conversions_for_bid_or_budget})",
            after,
        )
    if lever.evidence == "segment_impressions":
        seen = state.impressions_by_segment.get(item.target_id, 0)
        if seen < ev.min_impressions_for_segment:
            return _block(
                "min_evidence", f"segment has {seen} impressions (need {ev.min_impressions_for_segment})", after
            )
    if lever.evidence == "creative_clicks":
        clicks = state.clicks_by_creative.get(item.target_id, 0)
        if clicks < ev.min_clicks_for_creative_pause:
            return _block(
                "min_evidence", f"creative has {clicks} clicks (need {ev.min_clicks_for_creative_pause})", after
            )
    control = lever.control
    last = state.last_edit_at.get(control) if control else None
    if last is not None and context.now - last < timedelta(hours=policy.cooldown_hours):
        return _block(
            "cooldown", f"{control} was edited at {last.isoformat()} (cooldown {policy.cooldown_hours} h)", after
        )
    return None


def evaluate(items: Sequence[ProposedItem], context: GuardrailContext, policy: GuardrailPolicy) -> Verdict:
    """Decide every item. Pure: same inputs, same verdict."""
    sha = policy.sha256
    if context.kill_switch or context.read_only:
        why = "kill switch engaged" if context.kill_switch else "read-only mode"
        rule = "kill_switch" if context.kill_switch else "read_only"
        return Verdict(tuple(_block(rule, why, i.after) for i in items), sha, (why,))
    if len(items) > policy.max_items_per_changeset:
        why = f"{len(items)} items (max {policy.max_items_per_changeset} per change-set)"
        return Verdict(tuple(_block("max_items", why, i.after) for i in items), sha, (why,))

    if context.origin == "pacer":
        return Verdict(tuple(_pacer_verdict(i, context, policy) for i in items), sha)
    verdicts: list[ItemVerdict] = []
    for item in items:
        state = context.campaigns.get(item.campaign_id)
        if state is None:
            verdicts.append(_block("unknown_campaign", f"campaign {item.campaign_id} not found", item.after))
            continue
        blocked = _precondition_block(item, state, policy, context)
        if blocked is not None:
            verdicts.append(blocked)
            continue
        verdict, change = _clamp_item(item, state, policy)
        if verdict.decision is Decision.AUTO:
            auto = (
                item.action.value in policy.autonomy.auto_apply and change <= policy.autonomy.max_auto_change_pct / 100
            )
            if not auto:
                verdict = replace(verdict, decision=Decision.NEEDS_APPROVAL, rules=("autonomy_tier",))
        verdicts.append(verdict)
    return Verdict(tuple(_apply_ceiling(items, verdicts, context, policy)), sha)


def _protected(state: CampaignState, policy: GuardrailPolicy) -> bool:
    return state.protected or state.external_id in policy.protected_campaigns


def _pacer_verdict(item: ProposedItem, context: GuardrailContext, policy: GuardrailPolicy) -> ItemVerdict:
    state = context.campaigns.get(item.campaign_id)
    if item.action is not ChangeAction.SET_BID_MULTIPLIER:
        return _block("pacer_scope", "the pacer may only set the bid multiplier", item.after)
    if state is None or state.status != "active":
        return _block("pacer_scope", "campaign unknown or not active", item.after)
    if _protected(state, policy):
        return _block("protected_campaign", f"campaign {state.campaign_id} is protected", item.after)
    lever = BidMultiplierLever()
    try:
        parsed = lever.parse(item.after)
    except InvalidInput as exc:
        return _block("invalid_value", exc.message, item.after)
    result = lever.clamp_for_pacer(parsed, state, policy)
    if isinstance(result, Blocked):
        return _block(result.rule, result.reason, item.after)
    return ItemVerdict(Decision.AUTO, result.after, clamped=result.after != parsed)


def _apply_ceiling(
    items: Sequence[ProposedItem], verdicts: list[ItemVerdict], context: GuardrailContext, policy: GuardrailPolicy
) -> list[ItemVerdict]:
    """Block budget increases and campaign resumes, in order, once the account ceiling would be exceeded."""
    ceiling = policy.account_daily_ceiling_micros
    if context.account_daily_ceiling_micros is not None:
        ceiling = (
            context.account_daily_ceiling_micros
            if ceiling is None
            else min(ceiling, context.account_daily_ceiling_micros)
        )
    if ceiling is None:
        return verdicts
    total = Fraction(context.account_budget_total_micros)
    factor = Fraction(str(policy.overdelivery_factor))
    out: list[ItemVerdict] = []
    for item, verdict in zip(items, verdicts, strict=True):
        state = context.campaigns.get(item.campaign_id)
        delta = 0
        if verdict.decision is not Decision.BLOCK and state is not None:
            if item.action is ChangeAction.SET_BUDGET:
                delta = int(verdict.after["daily_budget_micros"]) - (
                    state.daily_budget_micros if state.status == "active" else 0
                )
            elif item.action is ChangeAction.RESUME_CAMPAIGN and state.status != "active":
                delta = state.daily_budget_micros
            elif item.action is ChangeAction.PAUSE_CAMPAIGN and state.status == "active":
                delta = -state.daily_budget_micros
        if delta > 0 and (total + delta) * factor > ceiling:
            out.append(
                _block(
                    "account_ceiling",
                    f"budgets would total {int(total + delta)} micros; × {policy.overdelivery_factor} exceeds the "
                    f"account ceiling {ceiling}",
                    verdict.after,
                )
            )
            continue
        total += delta
        out.append(verdict)
    return out
