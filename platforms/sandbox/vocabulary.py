"""The advertiser-visible feature vocabulary of the sandbox market and its segment partition.

Cardinalities are chosen to look like a mid-size display/social account: 6 age bands, 12 geos, 3 devices, 16 interest
categories, 12 site/app categories, 4 placements × up to 4 positions, 24 hours, 7 days of week. Segments partition the
audience by age band × device (18 segments), which is how the advertiser sets segment bid modifiers and exclusions and
how hourly stats are broken down. Interests and geo stay features (visible in logs) but are not segment keys.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AGE_BANDS",
    "DEVICES",
    "GEOS",
    "INTERESTS",
    "PLACEMENTS",
    "POSITIONS",
    "SITE_CATEGORIES",
    "SegmentDef",
    "segment_definitions",
    "segment_index",
]

AGE_BANDS: tuple[str, ...] = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
GEOS: tuple[str, ...] = (
    "US-CA", "US-TX", "US-NY", "US-FL", "US-IL", "US-WA", "UK", "DE", "FR", "CA", "AU", "NL",
)
DEVICES: tuple[str, ...] = ("mobile", "desktop", "tablet")
INTERESTS: tuple[str, ...] = (
    "running", "outdoors", "fitness", "fashion", "tech", "gaming", "travel", "cooking",
    "finance", "parenting", "music", "home", "beauty", "autos", "pets", "books",
)
SITE_CATEGORIES: tuple[str, ...] = (
    "news", "sports", "games", "shopping", "social", "video", "finance", "travel",
    "lifestyle", "tech", "health", "entertainment",
)
PLACEMENTS: tuple[str, ...] = ("feed", "banner", "sidebar", "interstitial")
POSITIONS: tuple[int, ...] = (1, 2, 3, 4)


@dataclass(frozen=True)
class SegmentDef:
    index: int
    id: str
    name: str
    age_band: str
    device: str


def segment_index(age_code: int, device_code: int) -> int:
    """Segment number of an (age band code, device code) pair; works elementwise on numpy arrays too."""
    return age_code * len(DEVICES) + device_code


def segment_definitions() -> list[SegmentDef]:
    return [
        SegmentDef(
            index=segment_index(a, d),
            id=f"seg_{age}_{device}",
            name=f"{age} · {device}",
            age_band=age,
            device=device,
        )
        for a, age in enumerate(AGE_BANDS)
        for d, device in enumerate(DEVICES)
    ]
