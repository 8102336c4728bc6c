"""The policies a simulated week can run, side by side on identical markets (EVALUATION.md §5).

In every policy the auction-time bidder is the platform's, with the platform's own estimator; policies differ only
in what they do through the levers a real platform exposes.

- ``static``: the launch settings, untouched all week ("set it and forget it"). No adpilot process runs.
- ``platform_only``: the platform's own target-CPA bidding (it paces the budget and holds the target itself), no
  advertiser-side automation — the Smart Bidding stand-in. No adpilot process runs.
- ``rules``: the documented rule set of ``rules.ruleset`` (Bïrch/Revealbot style), hourly, through change-sets,
  guardrails and the apply job. No agents, no pacer.
- ``adpilot_no_llm``: the whole adpilot loop (sync, models, pacer, agents, change-sets, guardrails, apply) with the
  scripted fake LLM: today's deterministic analysis.
- ``adpilot``: the same with the embedded model (or any OpenAI-compatible server with ``--llm openai``).

In the loop policies a scripted operator (actor ``demo-scripted-human``, labelled as such in the audit log)
approves what the guardrails left waiting for approval, so the week shows the whole loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adpilot.errors import InvalidInput

__all__ = ["BASELINES", "POLICIES", "Policy", "policy_named"]


@dataclass(frozen=True)
class Policy:
    name: str
    loop: bool  # runs the store, the webhook receiver and a daemon
    agents: bool = False
    pacing: bool = False
    llm: str = "fake"
    plugins: tuple[str, ...] = ()
    sandbox: dict[str, Any] = field(default_factory=dict)  # SandboxConfig overrides (launch bid strategy)
    description: str = ""

    def with_llm(self, llm: str) -> Policy:
        return Policy(self.name, self.loop, self.agents, self.pacing, llm, self.plugins, self.sandbox,
                      self.description)


POLICIES: dict[str, Policy] = {
    p.name: p
    for p in (
        Policy("static", loop=False, description="launch settings, untouched"),
        Policy("platform_only", loop=False, sandbox={"bid_strategy": "target_cpa"},
               description="the platform's own target-CPA bidding and pacing, no advertiser automation"),
        Policy("rules", loop=True, plugins=("rules.job:register",),
               description="hourly Bïrch/Revealbot-style rules through change-sets"),
        Policy("adpilot_no_llm", loop=True, agents=True, pacing=True, llm="fake",
               description="the whole adpilot loop with the scripted (fake) LLM"),
        Policy("adpilot", loop=True, agents=True, pacing=True, llm="embedded",
               description="the whole adpilot loop with the embedded model"),
    )
}
BASELINES = ("static", "platform_only", "rules")


def policy_named(name: str) -> Policy:
    try:
        return POLICIES[name]
    except KeyError:
        raise InvalidInput(f"unknown policy {name!r}", remedy=f"use one of: {', '.join(POLICIES)}") from None
