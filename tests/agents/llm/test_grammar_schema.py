"""The schema rewrite for llama-cpp's grammar converter (no model needed)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from agents.llm.llamacpp import grammar_schema


class Level(StrEnum):
    low = "low"
    high = "high"


class Inner(BaseModel):
    hour: int = Field(ge=0, le=23)


class Proposal(BaseModel):
    score: int = Field(ge=1, le=5, description="1 = poor")
    exclusive: int = Field(gt=0, lt=4)
    campaign_id: int = Field(ge=1, le=1_000_000)
    share: float = Field(ge=0, le=1)
    level: Level
    hours: list[Inner]
    title: str = Field(max_length=30)


def test_small_integer_ranges_become_enums_everywhere() -> None:
    schema = grammar_schema(Proposal.model_json_schema())
    props = schema["properties"]

    assert props["score"] == {"description": "1 = poor", "enum": [1, 2, 3, 4, 5]}
    assert props["exclusive"] == {"enum": [1, 2, 3]}
    assert schema["$defs"]["Inner"]["properties"]["hour"]["enum"] == list(range(24))


def test_other_constraints_are_left_for_the_grammar_or_for_validation() -> None:
    schema = grammar_schema(Proposal.model_json_schema())
    props = schema["properties"]

    assert props["campaign_id"] == {"maximum": 1_000_000, "minimum": 1, "type": "integer"}
    assert props["share"]["type"] == "number"
    assert props["title"] == {"maxLength": 30, "type": "string"}
    assert schema["$defs"]["Level"]["enum"] == ["low", "high"]
    assert "title" not in schema
