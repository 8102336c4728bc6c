"""The benchmark's 20 structured-output and 20 tool-call tasks, built from the agents' own prompts and schemas
(the reviewer's note, the candidate selection, the creative strategist's ``propose_creative`` tool), with campaign
facts varied by index so that no two prompts are the same."""

from __future__ import annotations

from agents.creative import prompts as creative
from agents.creative.node import PROPOSE_CREATIVE
from agents.llm.messages import Message, untrusted
from agents.reviewer.node import SYSTEM as REVIEW_SYSTEM
from agents.reviewer.node import ReviewNote

__all__ = ["PRODUCTS", "TASKS", "structured_task", "tool_task"]

TASKS = 20
PRODUCTS = (
    "trail running shoes",
    "espresso machines",
    "standing desks",
    "noise-cancelling headphones",
    "yoga mats",
    "winter jackets",
    "electric toothbrushes",
    "bike helmets",
    "cast-iron pans",
    "mechanical keyboards",
)


def structured_task(i: int) -> tuple[list[Message], type[ReviewNote]]:
    product = PRODUCTS[i % len(PRODUCTS)]
    budget = 40 + 7 * i
    change = [10, -15, 20, -5][i % 4]
    messages = [
        Message.system(REVIEW_SYSTEM),
        Message.user(
            f"Trigger: {untrusted('trigger', 'daily', max_chars=300)}\n"
            f"Proposed changes:\n- set_budget {100 + i}: {{'daily_budget_micros': {budget * (100 + change) * 10_000}}} "
            f"(CPA {12 + i % 5}.40 below target for {product}; budget {budget}.00 exhausted by 18:00)\n\n"
            f"Findings: conversions {30 + i} last 7 days, CPA target 15.00.\n"
            f"Expected effect: {{'delta_conversions_per_day': {0.4 + i / 10:.1f}}}\nFlags: none"
        ),
    ]
    return messages, ReviewNote


def tool_task(i: int) -> tuple[list[Message], object]:
    product = PRODUCTS[i % len(PRODUCTS)]
    angle = creative.ANGLES[i % len(creative.ANGLES)]
    headline = untrusted("creative_headline", f"Quality {product.title()}", max_chars=120)
    description = untrusted("creative_description", f"Shop our {product} with free returns.", max_chars=200)
    messages = [
        Message.system(creative.SYSTEM),
        Message.user(
            f"Why a new variant: CTR fell {10 + i}% in 7 days.\nCurrent creatives by CTR:\n"
            f"- CTR 0.0{31 + i}: {headline} / {description}\n"
            f"Write a variant with the '{angle}' angle: {creative.ANGLE_HINTS[angle]}."
        ),
    ]
    return messages, PROPOSE_CREATIVE
