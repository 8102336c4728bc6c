"""``SandboxPlatform``: the simulated market behind the ``AdPlatform`` interface.

Why a facade over small modules: the interface (reads, idempotent writes, events) is all a caller sees; the market's
moving parts (traffic, truth, auction, engine) stay private (underscore attributes) so the hidden truth cannot leak.
Time only moves when the owner calls :meth:`advance` — the daemon (or a test) owns the clock.

State that changes (campaign controls and counters, creatives, write log, events, impressions, clock tick) is
exported by :meth:`snapshot` as JSON-able data and loaded by :meth:`restore`; everything else (population, truth,
market) is rebuilt from the seed, and the per-day frequency counters are recomputed from the impression store.
Writes take effect from the next simulated tick.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np

from platforms.base import (
    Account,
    Campaign,
    CampaignControls,
    Capabilities,
    Creative,
    EventType,
    HourlyStat,
    ImpressionLogRow,
    InvalidValue,
    JsonValue,
    PlatformEvent,
    PlatformObjectNotFound,
    Segment,
    WriteResult,
    WriteStatus,
)
from platforms.sandbox.auction import AuctionRule
from platforms.sandbox.campaign_state import CampaignState, CreativeState
from platforms.sandbox.clock import DEFAULT_START, TICK, TICKS_PER_DAY, TICKS_PER_HOUR, SimClock
from platforms.sandbox.engine import Engine
from platforms.sandbox.estimator import Estimator, PriorEstimator
from platforms.sandbox.events import EventLog, WebhookSender
from platforms.sandbox.learned_estimator import PlatformEstimator
from platforms.sandbox.logstore import LogStore
from platforms.sandbox.market import Market
from platforms.sandbox.reporting import hourly_stats, impression_rows
from platforms.sandbox.scoreboard import LaunchTerms, Scoreboard
from platforms.sandbox.seed import base_rates, demo_account, reference_p
from platforms.sandbox.smart_bidding import MANUAL, TARGET_CPA, SmartBidding
from platforms.sandbox.traffic import Population, TrafficModel
from platforms.sandbox.truth import MAX_DELAY_HOURS, Truth
from platforms.sandbox.vocabulary import segment_definitions
from platforms.sandbox.write_log import WriteLog
from platforms.sandbox.writes import WriteMixin

__all__ = ["SandboxConfig", "SandboxPlatform"]

_TICK_MINUTES = TICK.total_seconds() / 60
_DELAY_TICKS = int(MAX_DELAY_HOURS * TICKS_PER_HOUR) + 1  # an impression's conversion comes at most this late


@dataclass(frozen=True)
class SandboxConfig:
    seed: int = 0
    n_campaigns: int = 4
    n_users: int = 60_000
    auction: AuctionRule = AuctionRule.SECOND
    reserve_scale: float = 1.0
    shocks: bool = True
    traffic_scale: float = 1.0
    max_writes_per_tick: int = 60
    start: datetime = DEFAULT_START
    account_id: str = "acc_demo"
    # "platform": the sandbox fits its own CTR/CVR model on its full history, daily (learned_estimator.py);
    # "prior": keep the objective priors for good (older tests and benchmarks that rely on them)
    estimator: str = "platform"
    # bid strategy every campaign launches with: "manual" (bid = multiplier · modifiers · p̂ · target CPA) or
    # "target_cpa" (the platform's own target-CPA bidding with pacing, smart_bidding.py)
    bid_strategy: str = MANUAL

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["auction"] = self.auction.value
        data["start"] = self.start.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SandboxConfig:
        return cls(**{**data, "auction": AuctionRule(data["auction"]), "start": datetime.fromisoformat(data["start"])})


def _check_choices(config: SandboxConfig) -> None:
    if config.estimator not in ("platform", "prior"):
        raise InvalidValue(f"estimator must be 'platform' or 'prior', got {config.estimator!r}", field="estimator")
    if config.bid_strategy not in (MANUAL, TARGET_CPA):
        raise InvalidValue(f"bid_strategy must be {MANUAL!r} or {TARGET_CPA!r}, got {config.bid_strategy!r}",
                           field="bid_strategy")


class SandboxPlatform(WriteMixin):
    """The simulated ad platform. Implements :class:`platforms.base.AdPlatform`."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        estimator: Estimator | None = None,
        webhooks: WebhookSender | None = None,
    ) -> None:
        self.config = config or SandboxConfig()
        if self.config.start.tzinfo is None:
            raise InvalidValue("start must be timezone-aware (UTC)", field="start")
        _check_choices(self.config)
        seeded = demo_account(self.config.n_campaigns, self.config.seed, account_id=self.config.account_id)
        self._account = Account(seeded.account_id, seeded.account_name, seeded.currency, "UTC")
        self._campaigns: list[CampaignState] = seeded.campaigns
        self._creatives: list[CreativeState] = seeded.creatives
        for camp in self._campaigns:
            camp.bid_strategy = self.config.bid_strategy
        self._clock = SimClock(self.config.start)
        self._tick = 0
        self._store = LogStore()
        self._events = EventLog(seeded.account_id)
        self._writes = WriteLog(self.config.max_writes_per_tick)
        self._webhooks = webhooks
        self._build_engine(estimator)
        for creative in self._creatives:
            if creative.disapproval_reasons:
                self._emit_disapproval(creative)

    def _build_engine(self, estimator: Estimator | None) -> None:
        """Everything rebuilt from the seed and the config (also by :meth:`restore`)."""
        seed = self.config.seed
        launch = demo_account(self.config.n_campaigns, seed)
        # evaluation only (hidden truth): see scoreboard.py
        self._scoreboard = Scoreboard(TICKS_PER_DAY, [
            LaunchTerms(c.daily_budget_micros, c.target_cpa_micros or c.conversion_value_micros)
            for c in launch.campaigns
        ])
        population = Population.generate(seed, self.config.n_users)
        volumes = [c.daily_opportunities * self.config.traffic_scale for c in self._campaigns]
        self._engine = Engine(
            seed=seed,
            clock=self._clock,
            population=population,
            traffic=TrafficModel(seed, population, volumes),
            truth=Truth(seed, population, base_rates(self._campaigns)),
            market=Market(seed, [c.market_value_micros for c in self._campaigns], reference_p(self._campaigns),
                          shocks=self.config.shocks),
            auction=self.config.auction,
            reserve_scale=self.config.reserve_scale,
            launch_creatives=launch.creatives,
            campaign_ids=[c.id for c in self._campaigns],
        )
        self._smart = SmartBidding(first_price=self.config.auction is AuctionRule.FIRST)
        prior = PriorEstimator.for_objectives({c.id: c.objective for c in self._campaigns})
        self._platform_model: PlatformEstimator | None = None
        if estimator is not None:
            self._estimator: Estimator = estimator
        elif self.config.estimator == "platform":
            self._platform_model = PlatformEstimator(prior, [c.id for c in self._campaigns], self._clock, seed)
            self._estimator = self._platform_model
            self._refit(self._tick - self._tick % TICKS_PER_DAY)
        else:
            self._estimator = prior
        self._frequency = np.zeros((len(self._campaigns), self.config.n_users), dtype=np.int32)
        day_start = self._tick - self._tick % TICKS_PER_DAY
        idx = self._store.select(day_start, self._tick)
        cols = self._store.columns()
        if idx.size:
            np.add.at(self._frequency, (cols["campaign"][idx].astype(np.int64), cols["user"][idx].astype(np.int64)), 1)

    def _refit(self, tick: int) -> None:
        if self._platform_model is not None and tick > 0:
            self._platform_model.refit(self._store, self._engine.population, [c.id for c in self._creatives], tick)

    # ------------------------------------------------------------------------------------------ simulation
    def set_estimator(self, estimator: Estimator) -> None:
        """Replace the bidder's CTR/CVR estimator for good (the platform's daily refits stop)."""
        self._estimator = estimator
        self._platform_model = None

    @property
    def tick(self) -> int:
        return self._tick

    def advance(self, ticks: int = 1) -> None:
        """Simulate ``ticks`` ticks of 30 minutes; then emit events and deliver webhooks."""
        first_event = self._events.next_seq
        for _ in range(ticks):
            self._step()
        if self._webhooks is not None:
            new = self._events.after(f"evt_{self._account.id}_{first_event - 1:09d}", limit=10**9)
            self._webhooks.enqueue(new)
            self._webhooks.flush()

    def run_until(self, when: datetime) -> None:
        self.advance(max(0, self._clock.tick_of(when) - self._tick))

    def _step(self) -> None:
        tick = self._tick
        result = self._engine.step(tick, self._campaigns, self._creatives, self._estimator, self._frequency,
                                   self._smart)
        self._store.append(result.chunk)
        if result.scored is not None:
            self._scoreboard.record(tick, result.scored)
        for index in result.depleted:
            camp = self._campaigns[index]
            self._events.emit(EventType.BUDGET_DEPLETED, self._clock.time_of(tick + 1), camp.id, {
                "daily_budget_micros": camp.daily_budget_micros, "spend_today_micros": camp.spend_today_micros,
            })
        self._tick = tick + 1
        if self._tick % TICKS_PER_HOUR == 0:
            self._emit_conversions(self._tick)
        if self._tick % TICKS_PER_DAY == 0:
            self._close_day(self._tick)

    def _emit_conversions(self, tick: int) -> None:
        hi = tick * _TICK_MINUTES
        counts = self._store.conversions_between(hi - 60.0, hi, len(self._campaigns),
                                                 since_tick=tick - TICKS_PER_HOUR - _DELAY_TICKS)
        self._smart.calibrate(tick, self._store)
        for camp in self._campaigns:
            if counts[camp.index]:
                self._events.emit(EventType.CONVERSIONS, self._clock.time_of(tick), camp.id, {
                    "count": int(counts[camp.index]),
                    "value_micros": int(counts[camp.index]) * camp.conversion_value_micros,
                    "hour_start": self._clock.time_of(tick - TICKS_PER_HOUR).isoformat(),
                })

    def _close_day(self, tick: int) -> None:
        day_start = tick - TICKS_PER_DAY
        idx = self._store.select(day_start, tick)
        cols = self._store.columns()
        lo, hi = day_start * _TICK_MINUTES, tick * _TICK_MINUTES
        conversions = self._store.conversions_between(lo, hi, len(self._campaigns), since_tick=day_start - _DELAY_TICKS)
        for camp in self._campaigns:
            mine = idx[cols["campaign"][idx] == camp.index]
            self._events.emit(EventType.DAILY_SUMMARY, self._clock.time_of(tick), camp.id, {
                "day": self._clock.time_of(day_start).date().isoformat(),
                "impressions": int(mine.size),
                "clicks": int(cols["clicked"][mine].sum()),
                "conversions": int(conversions[camp.index]),
                "spend_micros": camp.spend_today_micros,
                "daily_budget_micros": camp.daily_budget_micros,
            })
            camp.spend_today_micros = 0
            camp.depleted_today = False
        self._frequency[:] = 0
        self._refit(tick)
        model = self._platform_model
        self._smart.start_day(tick, estimator_changed=model is not None and model.fitted_at == tick)

    def _emit_disapproval(self, creative: CreativeState) -> None:
        self._events.emit(EventType.CREATIVE_DISAPPROVED, self._clock.time_of(self._tick), creative.campaign_id, {
            "creative_id": creative.id, "reasons": list(creative.disapproval_reasons),
        })

    # ------------------------------------------------------------------------------------------ reads
    def capabilities(self) -> Capabilities:
        return Capabilities(impression_logs=True, daypart_modifiers=True, placement_modifiers=True,
                            frequency_cap=True, webhooks=True)

    def now(self) -> datetime:
        return self._clock.time_of(self._tick)

    def list_accounts(self) -> list[Account]:
        return [self._account]

    def _check_account(self, account_id: str) -> None:
        if account_id != self._account.id:
            raise PlatformObjectNotFound(f"no account {account_id!r}")

    def list_campaigns(self, account_id: str) -> list[Campaign]:
        self._check_account(account_id)
        return [c.to_campaign() for c in self._campaigns]

    def list_segments(self, account_id: str) -> list[Segment]:
        self._check_account(account_id)
        return [
            Segment(s.id, account_id, s.name, {"age_band": s.age_band, "device": s.device})
            for s in segment_definitions()
        ]

    def list_creatives(self, campaign_id: str) -> list[Creative]:
        self._campaign(campaign_id)
        return [c.to_creative(self._clock) for c in self._creatives if c.campaign_id == campaign_id]

    def get_controls(self, campaign_id: str) -> CampaignControls:
        return self._campaign(campaign_id).to_controls()

    def _tick_range(self, start: datetime, end: datetime) -> tuple[int, int]:
        """Ticks starting in ``[start, end)`` that have already been simulated."""
        for name, value in (("start", start), ("end", end)):
            if value.tzinfo is None:
                raise InvalidValue(f"{name} must be timezone-aware (UTC)", field=name)
        lo = max(0, math.ceil((start - self._clock.start) / TICK))
        hi = min(self._tick, max(0, math.ceil((end - self._clock.start) / TICK)))
        return lo, hi

    def hourly_stats(
        self, account_id: str, start: datetime, end: datetime, *, campaign_id: str | None = None
    ) -> list[HourlyStat]:
        self._check_account(account_id)
        index = self._campaign(campaign_id).index if campaign_id else None
        return hourly_stats(self._store, self._clock, self._campaigns, self._creatives,
                            self._tick_range(start, end), self._tick * _TICK_MINUTES, index)

    def impression_logs(
        self, campaign_id: str, start: datetime, end: datetime, *, limit: int | None = None
    ) -> list[ImpressionLogRow]:
        index = self._campaign(campaign_id).index
        return impression_rows(self._store, self._clock, self._engine.population, self._campaigns,
                               self._creatives, self._tick_range(start, end), self._tick * _TICK_MINUTES,
                               index, limit)

    def poll_events(self, account_id: str, *, after_id: str | None = None, limit: int = 100) -> list[PlatformEvent]:
        self._check_account(account_id)
        return self._events.after(after_id, limit)

    # ------------------------------------------------------------------------------------------ write plumbing
    def _campaign(self, campaign_id: str | None) -> CampaignState:
        for camp in self._campaigns:
            if camp.id == campaign_id:
                return camp
        raise PlatformObjectNotFound(f"no campaign {campaign_id!r}")

    def _creative(self, creative_id: str) -> CreativeState:
        for creative in self._creatives:
            if creative.id == creative_id:
                return creative
        raise PlatformObjectNotFound(f"no creative {creative_id!r}")

    def _write(
        self,
        operation: str,
        target_id: str,
        payload: dict[str, JsonValue],
        key: str,
        validate_only: bool,
        plan: Callable[[], tuple[JsonValue, JsonValue, Callable[[], JsonValue | None]]],
    ) -> WriteResult:
        """Common path of every write: idempotency, rate limit, validation (``plan``), then apply and record.
        ``plan`` validates and returns ``(before, after, apply)``; ``apply`` may return a refined ``after``."""
        duplicate = self._writes.lookup(key, operation, target_id, payload)
        if duplicate is not None:
            return duplicate
        seconds_left = (self._clock.time_of(self._tick + 1) - self.now()).total_seconds()
        self._writes.admit(self._tick, seconds_left)
        before, after, apply = plan()
        result = WriteResult(WriteStatus.VALIDATED, key, operation, target_id, before, after, None)
        if validate_only:
            return result
        refined = apply()
        result = replace(result, status=WriteStatus.APPLIED, applied_at=self.now(),
                         after=refined if refined is not None else after)
        self._writes.record(target_id, payload, result)
        return result

    # ------------------------------------------------------------------------------------------ snapshot
    def snapshot(self) -> dict[str, Any]:
        """All changing state as JSON-able data (see the module docstring)."""
        return {
            "version": 1,
            "config": self.config.to_json(),
            "tick": self._tick,
            "campaigns": [c.to_json() for c in self._campaigns],
            "creatives": [c.to_json() for c in self._creatives],
            "events": self._events.to_json(),
            "writes": self._writes.to_json(),
            "impressions": self._store.to_json(),
        }

    @classmethod
    def restore(
        cls,
        data: dict[str, Any],
        *,
        estimator: Estimator | None = None,
        webhooks: WebhookSender | None = None,
    ) -> SandboxPlatform:
        platform = cls.__new__(cls)
        platform.config = SandboxConfig.from_json(data["config"])
        seeded = demo_account(platform.config.n_campaigns, platform.config.seed, account_id=platform.config.account_id)
        platform._account = Account(seeded.account_id, seeded.account_name, seeded.currency, "UTC")
        platform._campaigns = [CampaignState.from_json(c) for c in data["campaigns"]]
        platform._creatives = [CreativeState.from_json(c) for c in data["creatives"]]
        platform._clock = SimClock(platform.config.start)
        platform._tick = int(data["tick"])
        platform._store = LogStore.from_json(data["impressions"])
        platform._events = EventLog.from_json(data["events"])
        platform._writes = WriteLog.from_json(data["writes"])
        platform._webhooks = webhooks
        platform._build_engine(estimator)  # the scoreboard and the smart bidder's state are not in the snapshot
        return platform
