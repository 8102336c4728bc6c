"""The demo account: one advertiser (an outdoor/running retailer) with 1–5 campaigns of different objectives,
budgets and target CPAs, and human-written starter creatives — some strong, some weak — so agents have something
realistic to improve. ``seed`` jitters budgets, traffic and truth; the campaign roster is fixed, in this order.

Hidden fields (base rates, market value, traffic volume) shape the truth and never leave the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from adpilot.errors import InvalidInput
from platforms.base import CreativeStatus
from platforms.sandbox.campaign_state import CampaignState, CreativeState
from platforms.sandbox.creative_text import rule_violations
from platforms.sandbox.streams import Stream, rng_for

__all__ = ["AccountSeed", "demo_account"]

_M = 1_000_000


@dataclass(frozen=True)
class _Template:
    name: str
    objective: str
    budget: int
    target_cpa: int | None
    value: int
    ctr: float
    cvr: float
    volume: float
    creatives: tuple[tuple[str, str], ...]


_TEMPLATES = (
    _Template("Spring Sale — Running Shoes", "sales", 120 * _M, 40 * _M, 60 * _M, 0.016, 0.05, 36_000, (
        ("Running Shoes 30% Off Today", "Save on top trail and road models. Free returns within 60 days. Shop now."),
        ("Premium Running Shoes", "Engineered cushioning and durable outsoles, rated 4.8 stars by 12,000 runners."),
        ("Shoes for running", "We sell shoes."),
    )),
    _Template("Newsletter Sign-ups", "leads", 60 * _M, 6 * _M, 8 * _M, 0.012, 0.13, 30_000, (
        ("Get Weekly Training Plans", "Join 80,000 runners: one easy plan a week, built by expert coaches. Sign up."),
        ("Our Newsletter", "Subscribe to our newsletter for updates and news about our company."),
    )),
    _Template("Run Tracker App Installs", "app_installs", 40 * _M, 4 * _M, 5 * _M, 0.02, 0.09, 34_000, (
        ("Track Every Run in One Tap", "Fast GPS tracking, simple stats, works anywhere. Download free today."),
        ("Best running app", "Download it now, it has many features you might like to try sometime."),
        ("Loved by 2M Runners", "Trusted by thousands of clubs. Plans, routes and reviews in one easy app."),
    )),
    _Template("Trail Gear — Prospecting", "conversions", 200 * _M, 55 * _M, 80 * _M, 0.013, 0.04, 28_000, (
        ("Handmade Trail Packs", "Crafted from durable ripstop, built to last a decade of trails. Discover more."),
        ("Limited Trail Gear Deal", "Last chance: 25% off packs and poles ends tonight. Order now, fast delivery."),
    )),
    _Template("Store Traffic — Weekend Events", "traffic", 40 * _M, None, 15 * _M, 0.022, 0.03, 26_000, (
        ("Free Gait Analysis Saturday", "Book a 10-minute session with our experts at your nearest store."),
        ("Visit our stores", "We have stores in many places. Come and see what we have this weekend."),
    )),
)


@dataclass(frozen=True)
class AccountSeed:
    account_id: str
    account_name: str
    currency: str
    campaigns: list[CampaignState]
    creatives: list[CreativeState]


def demo_account(n_campaigns: int = 4, seed: int = 0, *, account_id: str = "acc_demo") -> AccountSeed:
    """A realistic demo account with ``n_campaigns`` (1–5) campaigns; budgets and volumes vary with ``seed``."""
    if not 1 <= n_campaigns <= len(_TEMPLATES):
        raise InvalidInput(f"n_campaigns must be 1..{len(_TEMPLATES)}, got {n_campaigns}")
    rng = rng_for(seed, Stream.ACCOUNT)
    campaigns: list[CampaignState] = []
    creatives: list[CreativeState] = []
    for i, t in enumerate(_TEMPLATES[:n_campaigns]):
        jitter = float(rng.uniform(0.85, 1.15))
        budget = round(t.budget * jitter / 5_000_000) * 5_000_000
        campaigns.append(CampaignState(
            id=f"cmp_{i + 1}", index=i, account_id=account_id, name=t.name, objective=t.objective,
            daily_budget_micros=max(budget, 10 * _M), target_cpa_micros=t.target_cpa,
            conversion_value_micros=t.value, base_ctr=t.ctr, base_cvr=t.cvr,
            market_value_micros=t.target_cpa or t.value,
            daily_opportunities=float(t.volume * rng.uniform(0.9, 1.1)),
        ))
        for headline, description in t.creatives:
            reasons = rule_violations(headline, description)
            creatives.append(CreativeState(
                id=f"cr_{len(creatives) + 1:04d}", index=len(creatives), campaign_id=f"cmp_{i + 1}",
                headline=headline, description=description,
                status=(CreativeStatus.DISAPPROVED if reasons else CreativeStatus.ACTIVE).value,
                disapproval_reasons=list(reasons), created_tick=0,
            ))
    return AccountSeed(account_id, "Northtrail Running Co.", "USD", campaigns, creatives)


def base_rates(campaigns: list[CampaignState]) -> list[tuple[float, float]]:
    return [(c.base_ctr, c.base_cvr) for c in campaigns]


def reference_p(campaigns: list[CampaignState]) -> np.ndarray:
    return np.array([c.base_ctr * c.base_cvr for c in campaigns])
