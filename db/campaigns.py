"""Repository for campaigns. Money in micros; status changes and budget edits are the only writes exposed here —
everything an agent wants to change goes through change-sets (``db.changesets``), not these methods."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from adpilot.errors import InvalidInput, NotFound
from db.enums import BidStrategy, CampaignStatus, Objective, values
from db.schema import Campaign

__all__ = ["CampaignRepository"]


def _check_choice(name: str, value: str, allowed: list[str]) -> None:
    if value not in allowed:
        raise InvalidInput(f"unknown {name} {value!r}", remedy=f"use one of: {', '.join(allowed)}")


class CampaignRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self,
        *,
        account_id: int,
        external_id: str,
        name: str,
        objective: str,
        daily_budget_micros: int,
        bid_strategy: str = BidStrategy.TARGET_CPA.value,
        target_cpa_micros: int | None = None,
        target_roas: Decimal | None = None,
        bid_multiplier: Decimal = Decimal("1"),
        protected: bool = False,
    ) -> Campaign:
        _check_choice("objective", objective, values(Objective))
        _check_choice("bid strategy", bid_strategy, values(BidStrategy))
        campaign = Campaign(
            account_id=account_id,
            external_id=external_id,
            name=name,
            objective=objective,
            daily_budget_micros=daily_budget_micros,
            bid_strategy=bid_strategy,
            target_cpa_micros=target_cpa_micros,
            target_roas=target_roas,
            bid_multiplier=bid_multiplier,
            protected=protected,
            status=CampaignStatus.ACTIVE.value,
        )
        self.session.add(campaign)
        self.session.flush()
        return campaign

    def get(self, campaign_id: int, *, for_update: bool = False) -> Campaign:
        stmt = select(Campaign).where(Campaign.id == campaign_id)
        if for_update:
            stmt = stmt.with_for_update()
        campaign = self.session.scalars(stmt).one_or_none()
        if campaign is None:
            raise NotFound(f"campaign {campaign_id} does not exist", remedy="list them with `adpilot campaigns list`")
        return campaign

    def list_campaigns(self, *, account_id: int | None = None, status: str | None = None) -> list[Campaign]:
        stmt = select(Campaign).order_by(Campaign.id)
        if account_id is not None:
            stmt = stmt.where(Campaign.account_id == account_id)
        if status is not None:
            _check_choice("status", status, values(CampaignStatus))
            stmt = stmt.where(Campaign.status == status)
        return list(self.session.scalars(stmt))

    def set_status(self, campaign_id: int, status: CampaignStatus) -> tuple[str, Campaign]:
        """Returns the previous status and the updated campaign (row-locked for the transaction)."""
        campaign = self.get(campaign_id, for_update=True)
        if campaign.status == CampaignStatus.REMOVED.value:
            raise InvalidInput(f"campaign {campaign_id} is removed", remedy="removed campaigns cannot change status")
        before = campaign.status
        campaign.status = status.value
        self.session.flush()
        return before, campaign

    def set_budget(self, campaign_id: int, daily_budget_micros: int) -> tuple[int, Campaign]:
        """Returns the previous budget (micros) and the updated campaign."""
        if daily_budget_micros < 0:
            raise InvalidInput("a daily budget cannot be negative", remedy="pass a budget of 0 or more")
        campaign = self.get(campaign_id, for_update=True)
        before = campaign.daily_budget_micros
        campaign.daily_budget_micros = daily_budget_micros
        self.session.flush()
        return before, campaign
