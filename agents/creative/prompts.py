"""Prompts of the creative strategist."""

from typing import Literal

from pydantic import BaseModel, Field

from agents.llm.messages import UNTRUSTED_DATA_RULE

SYSTEM = (
    "You are a performance copywriter. Write one new search-ad variant: a headline of at most 30 characters and a "
    "description of at most 90 characters. Plain, specific, truthful copy: no ALL CAPS, at most one exclamation "
    "mark, no claims such as guaranteed, #1, free money, miracle or risk-free. " + UNTRUSTED_DATA_RULE
)

REVIEW_SYSTEM = (
    "You review creative changes of an ad campaign. Each candidate comes from a statistical test; keep it unless the "
    "evidence shown does not support it. " + UNTRUSTED_DATA_RULE
)

ANGLES = ("price", "quality", "urgency", "social_proof", "benefit")
ANGLE_HINTS = {
    "price": "lead with value for money or a saving",
    "quality": "lead with craftsmanship, materials or durability",
    "urgency": "lead with a reason to act this week, without pressure tactics",
    "social_proof": "lead with what other customers do or say",
    "benefit": "lead with what the customer gets out of it",
}


class CreativeDraft(BaseModel):
    """Arguments of the ``propose_creative`` tool as the model fills them."""

    headline: str = Field(min_length=3, max_length=30)
    description: str = Field(min_length=10, max_length=90)
    angle: Literal["price", "quality", "urgency", "social_proof", "benefit"]
