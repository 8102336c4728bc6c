"""Repository for ad accounts. Validates what Python can explain better than a CHECK violation (time zone,
currency), and leaves uniqueness and ranges to the database constraints."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from adpilot.errors import InvalidInput, NotFound
from db.enums import Platform, values
from db.schema import AdAccount

__all__ = ["AccountRepository"]


class AccountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        platform: str,
        external_id: str,
        name: str,
        currency: str = "USD",
        time_zone: str = "UTC",
        daily_ceiling_micros: int | None = None,
    ) -> AdAccount:
        if platform not in values(Platform):
            raise InvalidInput(f"unknown platform {platform!r}", remedy=f"use one of: {', '.join(values(Platform))}")
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(
                f"unknown time zone {time_zone!r}", remedy="use an IANA name such as Europe/Berlin or UTC"
            ) from exc
        account = AdAccount(
            platform=platform,
            external_id=external_id,
            name=name,
            currency=currency.upper(),
            time_zone=time_zone,
            daily_ceiling_micros=daily_ceiling_micros,
        )
        self.session.add(account)
        self.session.flush()
        return account

    def get(self, account_id: int) -> AdAccount:
        account = self.session.get(AdAccount, account_id)
        if account is None:
            raise NotFound(f"ad account {account_id} does not exist", remedy="list them with `adpilot accounts list`")
        return account

    def find(self, platform: str, external_id: str) -> AdAccount | None:
        stmt = select(AdAccount).where(AdAccount.platform == platform, AdAccount.external_id == external_id)
        return self.session.scalars(stmt).one_or_none()

    def list_accounts(self) -> list[AdAccount]:
        return list(self.session.scalars(select(AdAccount).order_by(AdAccount.id)))
