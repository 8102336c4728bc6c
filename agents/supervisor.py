"""The cycle supervisor: one LangGraph graph that runs the four specialists for one campaign and writes one
change-set.

    START → audience_analyst → creative_strategist → bid_optimiser → reviewer → finalize → END

(a triggered run keeps only the specialist its trigger concerns; see ``build_cycle_graph``).

Rule kept: the only effect on the world is ``finalize`` writing change-set rows (through ``changesets.propose``,
which runs the guardrails); every earlier node only reads and drafts. With a checkpointer, a crashed cycle resumes
at the node after the last completed one, and because nodes have no side effects a re-run node is harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph

from agents.audience.node import audience_analyst
from agents.bidding.node import bid_optimiser
from agents.creative.node import creative_strategist
from agents.deps import CycleDeps
from agents.reviewer.node import reviewer
from agents.state import CycleState
from changesets.service import ChangeSetProposal, ItemProposal, preview, propose

__all__ = ["SPECIALISTS", "build_cycle_graph"]

MAX_ITEMS_FROM_AGENTS = 8


def finalize(deps: CycleDeps) -> Callable[[CycleState], dict[str, Any]]:
    def node(state: CycleState) -> dict[str, Any]:
        drafts = state.get("drafts", [])[:MAX_ITEMS_FROM_AGENTS]
        if not drafts:
            return {"change_set_id": None, "change_set_status": "none"}
        proposal = ChangeSetProposal(
            account_id=state["account_id"],
            campaign_id=state["campaign_id"],
            origin="agents",
            summary=state.get("summary", ""),
            rationale=state.get("rationale", ""),
            predicted_effect=state.get("predicted_effect", {}),
            flags=state.get("flags", []),
            items=[ItemProposal.model_validate(d) for d in drafts],
        )
        now = datetime.fromisoformat(state["now"])
        if deps.dry_run:
            shown = preview(deps.database, proposal, policy=deps.policy, now=now, read_only=deps.read_only)
            return {"change_set_id": None, "change_set_status": f"dry-run:{shown['status']}", "preview": shown}
        cs = propose(deps.database, proposal, policy=deps.policy, now=now, read_only=deps.read_only)
        return {"change_set_id": cs.id, "change_set_status": cs.status}

    return node


SPECIALISTS: dict[str, Callable[[CycleDeps], Callable[[CycleState], dict[str, Any]]]] = {
    "audience_analyst": audience_analyst,
    "creative_strategist": creative_strategist,
    "bid_optimiser": bid_optimiser,
}


def build_cycle_graph(
    deps: CycleDeps,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    specialists: Sequence[str] = tuple(SPECIALISTS),
) -> Any:
    """The cycle with ``specialists`` (in their canonical order) before the reviewer and ``finalize``: a triggered
    run wakes only the specialist its trigger concerns (a depleted budget: the bid optimiser)."""
    unknown = set(specialists) - set(SPECIALISTS)
    if unknown or not specialists:
        raise ValueError(f"specialists must be a non-empty subset of {list(SPECIALISTS)}, not {list(specialists)}")
    graph = StateGraph(CycleState)
    chain = [name for name in SPECIALISTS if name in specialists]
    for name in chain:
        graph.add_node(name, SPECIALISTS[name](deps))  # type: ignore[call-overload]
    graph.add_node("reviewer", reviewer(deps))  # type: ignore[call-overload]
    graph.add_node("finalize", finalize(deps))  # type: ignore[call-overload]
    for before, after in zip([START, *chain], [*chain, "reviewer"], strict=True):
        graph.add_edge(before, after)
    graph.add_edge("reviewer", "finalize")
    graph.add_edge("finalize", END)
    return graph.compile(checkpointer=checkpointer)
