"""``adpilot demo``: a simulated week of the whole system — sandbox market, webhook receiver, daemon replica(s),
agents and models — followed by a summary and an HTML report."""

from demo.run import DemoOptions, run_demo

__all__ = ["DemoOptions", "run_demo"]
