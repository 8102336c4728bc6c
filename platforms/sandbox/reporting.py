"""Turn the columnar impression store into the public read models: hourly stats and impression log rows.

Only outcomes leave through here (impressions, clicks, conversions that have already happened, cost) plus the
advertiser-visible features named in ``platforms.sandbox.estimator``. Conversions are attributed to the hour of the
impression and counted once they have happened.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from platforms.base import HourlyStat, ImpressionLogRow
from platforms.sandbox.campaign_state import CampaignState, CreativeState
from platforms.sandbox.clock import TICKS_PER_HOUR, SimClock
from platforms.sandbox.engine import build_features
from platforms.sandbox.logstore import LogStore
from platforms.sandbox.traffic import Opportunities, Population
from platforms.sandbox.vocabulary import segment_definitions

__all__ = ["hourly_stats", "impression_rows"]

_SEGMENT_IDS = [s.id for s in segment_definitions()]


def hourly_stats(
    store: LogStore,
    clock: SimClock,
    campaigns: list[CampaignState],
    creatives: list[CreativeState],
    tick_range: tuple[int, int],
    now_minute: float,
    campaign: int | None,
) -> list[HourlyStat]:
    idx = store.select(*tick_range, campaign=campaign)
    if idx.size == 0:
        return []
    cols = store.columns()
    hour = cols["tick"][idx].astype(np.int64) // TICKS_PER_HOUR
    keys = np.stack([cols["campaign"][idx], cols["segment"][idx], cols["creative"][idx], hour]).astype(np.int64)
    unique, inverse = np.unique(keys, axis=1, return_inverse=True)
    inverse = inverse.ravel()
    n = unique.shape[1]
    impressions = np.bincount(inverse, minlength=n)
    clicks = np.bincount(inverse, weights=cols["clicked"][idx].astype(float), minlength=n)
    conversions = np.bincount(inverse, weights=store.converted_by(idx, now_minute).astype(float), minlength=n)
    cost = np.zeros(n, dtype=np.int64)
    np.add.at(cost, inverse, cols["cost"][idx].astype(np.int64))
    return [
        HourlyStat(
            campaign_id=campaigns[int(unique[0, k])].id,
            segment_id=_SEGMENT_IDS[int(unique[1, k])],
            creative_id=creatives[int(unique[2, k])].id,
            hour_start=clock.time_of(int(unique[3, k]) * TICKS_PER_HOUR),
            impressions=int(impressions[k]),
            clicks=round(clicks[k]),
            conversions=round(conversions[k]),
            cost_micros=int(cost[k]),
        )
        for k in range(n)
    ]


def impression_rows(
    store: LogStore,
    clock: SimClock,
    population: Population,
    campaigns: list[CampaignState],
    creatives: list[CreativeState],
    tick_range: tuple[int, int],
    now_minute: float,
    campaign: int,
    limit: int | None,
) -> list[ImpressionLogRow]:
    idx = store.select(*tick_range, campaign=campaign)[:limit]
    if idx.size == 0:
        return []
    cols = store.columns()
    ticks = cols["tick"][idx].astype(np.int64)
    opps = Opportunities(
        tick=ticks, campaign=cols["campaign"][idx], user=cols["user"][idx], site=cols["site"][idx],
        placement=cols["placement"][idx], position=cols["position"][idx],
    )
    hours = np.array([clock.hour_of(int(t)) for t in ticks])
    dows = np.array([clock.day_of_week(int(t)) for t in ticks])
    rows = (
        np.array([c.id for c in creatives]),
        np.array([c.headline for c in creatives]),
        np.array([c.description for c in creatives]),
    )
    campaign_ids = np.array([c.id for c in campaigns])
    features = build_features(population, opps, hours, dows, campaign_ids, rows, cols["creative"][idx],
                              cols["user_frequency"][idx])
    converted = store.converted_by(idx, now_minute)
    minute = cols["convert_minute"][idx]
    names = list(features)
    columns = [features[name].tolist() for name in names]
    clicked = cols["clicked"][idx].tolist()
    cost = cols["cost"][idx].tolist()
    out: list[ImpressionLogRow] = []
    for k, values in enumerate(zip(*columns, strict=True)):
        feats = dict(zip(names, values, strict=True))
        out.append(ImpressionLogRow(
            impression_id=f"imp_{int(idx[k]):09d}",
            campaign_id=str(feats["campaign_id"]),
            segment_id=str(feats["segment_id"]),
            creative_id=str(feats["creative_id"]),
            timestamp=clock.time_of(int(ticks[k])),
            features=feats,
            clicked=bool(clicked[k]),
            converted_at=clock.start + timedelta(minutes=float(minute[k])) if converted[k] else None,
            cost_micros=int(cost[k]),
        ))
    return out
