"""The guardrail policy and its engine: a pure function ``(change-set, context, policy) -> verdict`` out of the
model's reach. Evaluated when a change-set is proposed and again when it is applied. Fail closed: a missing or
invalid policy means no mutation at all."""

from guardrails.engine import GuardrailContext, ItemVerdict, ProposedItem, Verdict, evaluate
from guardrails.policy import GuardrailPolicy, load_policy

__all__ = ["GuardrailContext", "GuardrailPolicy", "ItemVerdict", "ProposedItem", "Verdict", "evaluate", "load_policy"]
