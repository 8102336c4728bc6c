"""The cycle graph's state. Plain JSON-able values only (ints, strings, lists, dicts), so checkpoints serialise
under strict msgpack with no allowlisted classes."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

__all__ = ["CycleState"]


class CycleState(TypedDict, total=False):
    campaign_id: int
    account_id: int
    now: str  # ISO-8601 UTC; the cycle's (possibly simulated) time
    seed: int
    trigger: str  # why the cycle runs (schedule, or a platform event's type and text — untrusted)
    drafts: Annotated[list[dict[str, Any]], operator.add]  # ItemProposal dumps, in proposal order
    notes: Annotated[list[str], operator.add]  # what each node found, for the reviewer and the log
    tool_calls: Annotated[list[str], operator.add]  # "node:tool" for every executed tool
    refused_calls: Annotated[list[str], operator.add]  # "node:tool" the toolbelt refused
    llm_fallbacks: Annotated[list[str], operator.add]  # nodes that fell back to deterministic choices
    summary: str
    rationale: str
    flags: list[str]
    risk: str
    predicted_effect: dict[str, Any]
    change_set_id: int | None
    change_set_status: str
    preview: dict[str, Any]  # the dry-run change-set, as it would be stored
