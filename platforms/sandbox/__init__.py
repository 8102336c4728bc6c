"""The sandbox ad platform: a deterministic simulated ad market with a hidden truth (see ``platform.py``).

Public surface: :class:`SandboxPlatform` (implements ``platforms.base.AdPlatform``), its :class:`SandboxConfig` (its
``estimator``: the platform's own daily-refit model, ``learned_estimator.py``, or the objective priors; its
``bid_strategy``: ``manual`` or the platform's ``target_cpa`` bidding, ``smart_bidding.py``), the pluggable
:class:`Estimator` protocol and its :class:`PriorEstimator`, webhook configuration, and the :func:`demo_account` seed.
Evaluation harnesses read the hidden-truth scoreboard through ``platforms.sandbox.scoreboard.scoreboard_of`` only.
Everything else is internal to the simulation.
"""

from platforms.sandbox.auction import AuctionRule
from platforms.sandbox.estimator import FEATURE_NAMES, Estimator, FeatureBatch, PriorEstimator, rows_to_batch
from platforms.sandbox.events import WebhookConfig, WebhookSender, sign
from platforms.sandbox.platform import SandboxConfig, SandboxPlatform
from platforms.sandbox.seed import demo_account

__all__ = [
    "FEATURE_NAMES",
    "AuctionRule",
    "Estimator",
    "FeatureBatch",
    "PriorEstimator",
    "SandboxConfig",
    "SandboxPlatform",
    "WebhookConfig",
    "WebhookSender",
    "demo_account",
    "rows_to_batch",
    "sign",
]
