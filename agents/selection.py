"""How a node lets the model weigh in on deterministic candidates without letting it invent anything.

The model sees the candidates (ids, tools, arguments, evidence) and the campaign context (platform text quoted as
untrusted data) and answers with a schema-constrained ``Selection``: which candidate ids to *drop* (at most half,
each id from a closed enum) and a short rationale. Vetoing is the only power it has — the analysis decides what is
worth proposing and the numbers, the guardrails decide what may happen. If the model fails (timeout, invalid output,
not installed) the node keeps every candidate and says so in the state: the cycle degrades, it does not stop.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, create_model

from agents.candidates import Candidate
from agents.llm.base import LLMBackend
from agents.llm.errors import LLMError
from agents.llm.messages import Message

__all__ = ["CandidateReview", "Selection", "select"]


class Selection(BaseModel):
    drop: list[str] = Field(default_factory=list)
    rationale: str = ""


class CandidateReview(BaseModel):
    """The model's answer. Each call narrows ``drop`` to an enum of that call's candidate ids (a subclass), so
    constrained decoding cannot even spell an id that was not offered."""

    drop: list[str] = Field(default_factory=list)
    rationale: str = Field("", max_length=400)


def _selection_model(candidates: Sequence[Candidate]) -> type[CandidateReview]:
    ids = StrEnum("CandidateId", {f"c{i}": c.id for i, c in enumerate(candidates)})  # type: ignore[misc]
    return create_model(
        "CandidateReview",
        __base__=CandidateReview,
        drop=(
            list[ids],
            Field(
                default_factory=list,
                max_length=max(0, len(candidates) // 2),
                description="ids of candidates NOT to propose, if any is unjustified",
            ),
        ),
        rationale=(str, Field(max_length=400, description="two sentences for the human reviewer")),
    )


def select(
    llm: LLMBackend | None,
    system: str,
    context: str,
    candidates: Sequence[Candidate],
    *,
    max_tokens: int = 160,
) -> tuple[list[Candidate], Selection, bool]:
    """Returns (kept candidates, the model's selection, whether it fell back to keeping all)."""
    if not candidates:
        return [], Selection(rationale="nothing to change"), False
    listing = "\n".join(f"- {c.id}: {c.tool} {c.args} — {c.reason}" for c in candidates)
    messages = [
        Message.system(system),
        Message.user(
            f"{context}\n\nCandidate changes (computed from the data):\n{listing}\n\n"
            "Drop any candidate that the evidence does not justify (at most half), and explain briefly."
        ),
    ]
    if llm is None:
        return list(candidates), Selection(rationale="; ".join(c.reason for c in candidates)), True
    try:
        answer: Any = llm.complete_json(messages, _selection_model(candidates), max_tokens=max_tokens).value
    except LLMError:
        return list(candidates), Selection(rationale="; ".join(c.reason for c in candidates)), True
    dropped = {d.value if hasattr(d, "value") else str(d) for d in answer.drop}
    kept = [c for c in candidates if c.id not in dropped]
    return kept, Selection(drop=sorted(dropped), rationale=answer.rationale), False
