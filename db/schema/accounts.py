"""The advertiser side of the store: ad accounts, campaigns, audience segments, creatives.

Money columns are integer micros with non-negative CHECKs; ratios (bid multipliers, modifiers, ROAS) are
exact ``NUMERIC`` so a 1.15 multiplier stays 1.15.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, Timestamped, one_of
from db.enums import (
    BidStrategy,
    CampaignStatus,
    CreativeOrigin,
    CreativeStatus,
    Objective,
    Platform,
    PolicyVerdict,
    values,
)
from db.types import Micros

__all__ = ["AdAccount", "AudienceSegment", "Campaign", "Creative"]


class AdAccount(Timestamped, Base):
    __tablename__ = "ad_accounts"
    __table_args__ = (
        UniqueConstraint("platform", "external_id"),
        one_of("platform", values(Platform)),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso4217"),
        CheckConstraint("daily_ceiling_micros IS NULL OR daily_ceiling_micros >= 0", name="ceiling_nonneg"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(256))
    currency: Mapped[str] = mapped_column(String(3))
    time_zone: Mapped[str] = mapped_column(String(64))
    daily_ceiling_micros: Mapped[int | None] = mapped_column(Micros)

    campaigns: Mapped[list[Campaign]] = relationship(back_populates="account")


class Campaign(Timestamped, Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        UniqueConstraint("account_id", "external_id"),
        one_of("objective", values(Objective)),
        one_of("status", values(CampaignStatus)),
        one_of("bid_strategy", values(BidStrategy)),
        CheckConstraint("daily_budget_micros >= 0", name="budget_nonneg"),
        CheckConstraint("target_cpa_micros IS NULL OR target_cpa_micros > 0", name="target_cpa_pos"),
        CheckConstraint("target_roas IS NULL OR target_roas > 0", name="target_roas_pos"),
        CheckConstraint("bid_multiplier > 0 AND bid_multiplier <= 100", name="bid_multiplier_range"),
        CheckConstraint("frequency_cap_per_day IS NULL OR frequency_cap_per_day > 0", name="freq_cap_pos"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ad_accounts.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(256))
    objective: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.ACTIVE.value)
    daily_budget_micros: Mapped[int] = mapped_column(Micros)
    bid_strategy: Mapped[str] = mapped_column(String(32), default=BidStrategy.TARGET_CPA.value)
    target_cpa_micros: Mapped[int | None] = mapped_column(Micros)
    target_roas: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    bid_multiplier: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=Decimal("1"))
    frequency_cap_per_day: Mapped[int | None] = mapped_column()
    daypart_modifiers: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    placement_modifiers: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    protected: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    account: Mapped[AdAccount] = relationship(back_populates="campaigns")
    segments: Mapped[list[AudienceSegment]] = relationship(back_populates="campaign")
    creatives: Mapped[list[Creative]] = relationship(back_populates="campaign")


class AudienceSegment(Timestamped, Base):
    __tablename__ = "audience_segments"
    __table_args__ = (
        UniqueConstraint("campaign_id", "external_id"),
        CheckConstraint("bid_modifier >= 0 AND bid_modifier <= 10", name="modifier_range"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(256))
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    bid_modifier: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal("1"))
    excluded: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")

    campaign: Mapped[Campaign] = relationship(back_populates="segments")


class Creative(Timestamped, Base):
    __tablename__ = "creatives"
    __table_args__ = (
        UniqueConstraint("campaign_id", "external_id"),
        one_of("status", values(CreativeStatus)),
        one_of("origin", values(CreativeOrigin)),
        one_of("policy_verdict", values(PolicyVerdict)),
        CheckConstraint("length(headline) > 0", name="headline_nonempty"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(128))
    headline: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    body: Mapped[str] = mapped_column(Text, default="", server_default="")
    call_to_action: Mapped[str | None] = mapped_column(String(64))
    final_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=CreativeStatus.ACTIVE.value)
    origin: Mapped[str] = mapped_column(String(8), default=CreativeOrigin.HUMAN.value)
    policy_verdict: Mapped[str] = mapped_column(String(16), default=PolicyVerdict.PENDING.value)
    policy_reasons: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")

    campaign: Mapped[Campaign] = relationship(back_populates="creatives")
