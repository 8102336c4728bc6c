"""Simulated weeks on the stepped clock: one policy on one seed (``week``), the policies compared side by side
(``policies``), what a week achieved (``outcome``), its processes (``processes``) and scratch stores
(``scratch``). Used by ``adpilot demo`` and ``adpilot bench system`` / ``bench soak``."""

from simulation.policies import BASELINES, POLICIES, Policy, policy_named
from simulation.week import SCRIPTED_HUMAN, WeekRun, WeekSpec, run_week

__all__ = ["BASELINES", "POLICIES", "SCRIPTED_HUMAN", "Policy", "WeekRun", "WeekSpec", "policy_named", "run_week"]
