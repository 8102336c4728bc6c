"""The creative strategist node: statistical pause candidates, and — when a challenger is wanted — new variants
written by the model through the named ``propose_creative`` tool, checked by the creative policy, scored by the CTR
model, best one proposed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from agents.creative import prompts
from agents.creative.analysis import creative_candidates
from agents.deps import CycleDeps
from agents.llm.base import ToolSpec
from agents.llm.errors import LLMError
from agents.llm.messages import Message, untrusted
from agents.selection import select
from agents.state import CycleState
from guardrails.creative import creative_violations
from tools.read import CreativePerformance

__all__ = ["VARIANTS_PER_CYCLE", "creative_strategist"]

NODE = "creative_strategist"
VARIANTS_PER_CYCLE = 3
PROPOSE_CREATIVE = ToolSpec(
    name="propose_creative",
    description="Propose one new ad variant (headline <= 30 chars, description <= 90 chars) and its angle.",
    parameters_model=prompts.CreativeDraft,
)


def _brief(creatives: list[CreativePerformance], angle: str, reasons: list[str]) -> str:
    ranked = sorted((c for c in creatives if c.metrics.impressions), key=lambda c: -c.metrics.ctr)[:3]
    examples = "\n".join(
        f"- CTR {c.metrics.ctr:.4f}: {untrusted('creative_headline', c.headline, max_chars=120)} / "
        f"{untrusted('creative_description', c.description, max_chars=200)}"
        for c in ranked
    )
    return (
        f"Why a new variant: {'; '.join(reasons)}.\nCurrent creatives by CTR:\n{examples}\n"
        f"Write a variant with the '{angle}' angle: {prompts.ANGLE_HINTS[angle]}."
    )


def _variants(deps: CycleDeps, creatives: list[CreativePerformance], reasons: list[str], seed: int) -> list[Any]:
    if deps.llm is None:
        return []
    out = []
    for k in range(VARIANTS_PER_CYCLE):
        angle = prompts.ANGLES[(seed + k) % len(prompts.ANGLES)]
        messages = [Message.system(prompts.SYSTEM), Message.user(_brief(creatives, angle, reasons))]
        try:
            out.append(deps.llm.call_tool(messages, PROPOSE_CREATIVE, max_tokens=deps.max_tokens).arguments)
        except LLMError:
            continue
    return out


def creative_strategist(deps: CycleDeps) -> Callable[[CycleState], dict[str, Any]]:
    def node(state: CycleState) -> dict[str, Any]:
        campaign_id = state["campaign_id"]
        belt = deps.belt(NODE, campaign_id, datetime.fromisoformat(state["now"]))
        belt.call("campaign_state")
        creatives = belt.call("creative_performance")
        pauses, reasons = creative_candidates(creatives, seed=state.get("seed", 0))
        context = "\n".join(
            f"creative {c.creative_id} [{c.status}] {untrusted('creative_headline', c.headline, max_chars=120)}: "
            f"{c.metrics.impressions} impressions, CTR {c.metrics.ctr:.4f}"
            for c in creatives
        )
        kept, selection, fallback = select(
            deps.llm, prompts.REVIEW_SYSTEM, context, pauses[:1], max_tokens=deps.max_tokens
        )
        drafts = [i.model_dump(mode="json") for c in kept for i in belt.call(c.tool, {**c.args, "rationale": c.reason})]
        notes = [f"creative: {len(pauses)} pause candidate(s), kept {len(kept)}; {selection.rationale}"]
        if reasons:
            variants = _variants(deps, creatives, reasons, state.get("seed", 0))
            valid = [v for v in variants if not creative_violations(v.headline, v.description, deps.policy.creative)]
            scores = (
                deps.score_creatives(campaign_id, [(v.headline, v.description) for v in valid])
                if deps.score_creatives and valid
                else None
            )
            notes.append(
                f"creative: {len(variants)} variant(s) written, {len(valid)} pass the creative policy"
                + (", scored by the CTR model" if scores else "")
            )
            if valid:
                best = valid[max(range(len(valid)), key=lambda i: scores[i])] if scores else valid[0]
                effect = {"predicted_ctr": max(scores)} if scores else {}
                drafts += [
                    i.model_dump(mode="json")
                    for i in belt.call(
                        "propose_creative",
                        {
                            "headline": best.headline,
                            "description": best.description,
                            "rationale": f"{best.angle} angle; {reasons[0]}",
                            "predicted_effect": effect,
                        },
                    )
                ]
            elif deps.llm is not None:
                fallback = True
        return {
            "drafts": drafts,
            "notes": notes,
            "tool_calls": [f"{NODE}:{t}" for t in belt.calls],
            "refused_calls": [f"{NODE}:{t}" for t in belt.refused],
            "llm_fallbacks": [NODE] if fallback else [],
        }

    return node
