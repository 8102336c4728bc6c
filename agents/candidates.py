"""Candidates: proposals computed by deterministic analysis, each naming the propose tool and its arguments. The
LLM may select among candidates (by id) and explain them; it never invents the numbers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["Candidate"]


class Candidate(BaseModel):
    id: str = Field(description="stable id, e.g. seg-12-up")
    tool: str = Field(description="the propose tool this candidate calls")
    args: dict[str, Any]
    reason: str = Field(description="the deterministic evidence, one sentence")
    priority: float = Field(0.0, description="higher first when the change-set has to be trimmed")
