"""Reads for the ``rules`` baseline policy (``rules.job``): which rules already fired for a campaign, from the
change-sets they proposed. The performance figures the rules judge come from ``db.performance``.

A firing is a change-set of the rules' origin whose flags name the rule (``rule:<name>``); the change-sets are the
rule engine's memory, so a restarted daemon or another replica sees the same "already fired today" as the one that
proposed them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.enums import ChangeItemStatus
from db.schema import ChangeSet

__all__ = ["RULE_FLAG_PREFIX", "RuleFactsRepository", "RuleFiring"]

RULE_FLAG_PREFIX = "rule:"


@dataclass(frozen=True)
class RuleFiring:
    change_set_id: int
    rule: str
    status: str
    created_at: datetime
    blocked_by: frozenset[str]  # the guardrail rules that blocked its items (empty unless some item was blocked)


class RuleFactsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def firings(self, campaign_id: int, *, origin: str, since: datetime, until: datetime) -> list[RuleFiring]:
        """Rule change-sets of ``origin`` for the campaign created in ``[since, until)``, oldest first."""
        stmt = (
            select(ChangeSet)
            .where(
                ChangeSet.origin == origin,
                ChangeSet.campaign_id == campaign_id,
                ChangeSet.created_at >= since,
                ChangeSet.created_at < until,
            )
            .options(selectinload(ChangeSet.items))
            .order_by(ChangeSet.created_at, ChangeSet.id)
        )
        out: list[RuleFiring] = []
        for cs in self.session.scalars(stmt):
            names = [str(f)[len(RULE_FLAG_PREFIX) :] for f in cs.flags or [] if str(f).startswith(RULE_FLAG_PREFIX)]
            blocked = frozenset(
                str(rule)
                for item in cs.items
                if item.status == ChangeItemStatus.BLOCKED.value
                for rule in (item.guardrail_verdict or {}).get("rules", [])
            )
            out.extend(RuleFiring(cs.id, name, cs.status, cs.created_at, blocked) for name in names)
        return out
