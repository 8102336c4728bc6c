"""Budget pacing and bidding controllers: state in, per-tick feedback in, bid multiplier / bid function out.
No dependency on any platform, so the sandbox, the agents and other harnesses can all drive them.

- :mod:`pacing.interface` — the :class:`Controller` protocol and its plain data (goal, feedback, auction landscape).
- :mod:`pacing.landscape_curve` — spend/value as a function of the multiplier over a pool of auctions.
- :mod:`pacing.mpc_pacer` — :class:`LandscapePacer`, adpilot's model-predictive pacer (``adpilot_pacer``).
"""

from pacing.interface import AuctionLandscape, Controller, PacingGoal, TickFeedback
from pacing.mpc_pacer import LandscapePacer, PacerConfig

__all__ = ["AuctionLandscape", "Controller", "LandscapePacer", "PacerConfig", "PacingGoal", "TickFeedback"]
