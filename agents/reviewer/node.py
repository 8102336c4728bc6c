"""The reviewer node. Deterministic checks raise the flags (conflicts, many items, big spend moves, model
fallbacks); the model writes the summary and rationale for the human; the predicted effect is the sum of the
items' forecasts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from agents.deps import CycleDeps
from agents.llm.errors import LLMError
from agents.llm.messages import UNTRUSTED_DATA_RULE, Message, untrusted
from agents.state import CycleState

__all__ = ["ReviewNote", "reviewer"]

NODE = "reviewer"
SYSTEM = (
    "You are the reviewer of an advertising team. Summarise the proposed change-set for the human approver: what "
    "changes, why, and the expected effect. Be concrete and brief. " + UNTRUSTED_DATA_RULE
)


class ReviewNote(BaseModel):
    summary: str = Field(max_length=160, description="one line")
    rationale: str = Field(max_length=700, description="two to four sentences")
    risk: Literal["low", "medium", "high"]


def _describe(draft: dict[str, Any]) -> str:
    """One line per item. Creative text is model-written from platform text, so it is shown as DATA too."""
    after = draft["after"]
    if draft["action"] == "create_creative":
        text = f"{after.get('headline', '')} / {after.get('description', '')}"
        why = untrusted("item_rationale", draft["rationale"])
        return f"- create_creative: {untrusted('proposed_creative', text, max_chars=200)} {why}"
    return f"- {draft['action']} {draft['target_id']}: {after} {untrusted('item_rationale', draft['rationale'])}"


def _flags(drafts: list[dict[str, Any]], state: CycleState) -> list[str]:
    flags = []
    targets = Counter((d["action"], d["target_id"]) for d in drafts)
    flags += [f"{n} items change {a} on {t}" for (a, t), n in targets.items() if n > 1]
    actions = {d["action"] for d in drafts}
    if {"set_budget", "set_bid_multiplier"} <= actions:
        ups = [d for d in drafts if d["action"] == "set_bid_multiplier"]
        if ups:
            flags.append("budget and bid level change together: their effects are confounded")
    spend = sum(
        float((d.get("predicted_effect") or {}).get("expected_spend_micros", 0))
        - float((d.get("predicted_effect") or {}).get("baseline_spend_micros", 0))
        for d in drafts
    )
    if spend > 0.3 * sum(float((d.get("predicted_effect") or {}).get("baseline_spend_micros", 0)) for d in drafts):
        flags.append(f"expected daily spend rises by {spend / 1e6:.2f}")
    flags += [
        f"{node}: model unavailable or invalid, deterministic choice kept" for node in state.get("llm_fallbacks", [])
    ]
    if state.get("refused_calls"):
        flags.append(f"refused tool calls: {', '.join(state['refused_calls'])}")
    return flags


def _effect(drafts: list[dict[str, Any]]) -> dict[str, Any]:
    conv = sum(float((d.get("predicted_effect") or {}).get("delta_conversions", 0)) for d in drafts)
    spend = sum(
        float((d.get("predicted_effect") or {}).get("expected_spend_micros", 0))
        - float((d.get("predicted_effect") or {}).get("baseline_spend_micros", 0))
        for d in drafts
        if "expected_spend_micros" in (d.get("predicted_effect") or {})
    )
    return {"delta_conversions_per_day": round(conv, 3), "delta_spend_micros_per_day": int(spend), "items": len(drafts)}


def reviewer(deps: CycleDeps) -> Callable[[CycleState], dict[str, Any]]:
    def node(state: CycleState) -> dict[str, Any]:
        drafts = state.get("drafts", [])
        belt = deps.belt(NODE, state["campaign_id"], datetime.fromisoformat(state["now"]))
        belt.call("campaign_state")
        flags, effect = _flags(drafts, state), _effect(drafts)
        listing = "\n".join(_describe(d) for d in drafts)
        fallback = deps.llm is None
        note = ReviewNote(
            summary=f"{len(drafts)} change(s) proposed" if drafts else "no change proposed",
            rationale=" ".join(state.get("notes", []))[:700],
            risk="medium" if flags else "low",
        )
        if drafts and deps.llm is not None:
            messages = [
                Message.system(SYSTEM),
                Message.user(
                    f"Trigger: {untrusted('trigger', state.get('trigger', 'manual'), max_chars=300)}\n"
                    f"Proposed changes:\n{listing}\n\nFindings (earlier nodes, partly model-written): "
                    f"{untrusted('findings', ' '.join(state.get('notes', [])), max_chars=1500)}\n"
                    f"Expected effect: {effect}\nFlags: {flags or 'none'}"
                ),
            ]
            try:
                note = deps.llm.complete_json(messages, ReviewNote, max_tokens=deps.max_tokens).value
            except LLMError:
                fallback = True
        if flags and note.risk == "low":
            note = note.model_copy(update={"risk": "medium"})  # deterministic flags outrank the model's calm
        return {
            "summary": note.summary,
            "rationale": note.rationale,
            "risk": note.risk,
            "flags": flags,
            "predicted_effect": effect,
            "tool_calls": [f"{NODE}:{t}" for t in belt.calls],
            "llm_fallbacks": [NODE] if fallback and drafts else [],
        }

    return node
