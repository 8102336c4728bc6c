"""The daemon's built-in jobs, one module each. :func:`register_builtin` wires the ones that can run in this
deployment (platform-bound jobs need ``--platform-url``; the sandbox clock needs the simulated clock)."""

from __future__ import annotations

from typing import Any

from scheduler.jobs import agent_cycles, agents, anomalies, hooks, inbox, pacing, retention, sandbox_clock, sync
from scheduler.registry import JobRegistry

__all__ = ["register_builtin"]


def register_builtin(registry: JobRegistry, *, has_platform: bool, simulated: bool, log: Any) -> None:
    if has_platform:
        sync.register(registry)
        if simulated:
            sandbox_clock.register(registry)
    else:
        log.info("no platform configured: stats sync and sandbox clock are not scheduled")
    pacing.register(registry)
    retention.register(registry)
    anomalies.register(registry)
    agent_cycles.register(registry)
    agents.register(registry)
    inbox.register(registry)
    hooks.register(registry, log)
