"""Outcome evaluation: after the observation window, write the realised effect of an applied change-set next to
its predicted effect, so forecasts are checked against what happened (and so are the agents).

Realised effect = daily conversions and spend of the change-set's campaign in the window after the application
minus the same window before it. It is an observational before/after difference, not a controlled experiment —
``basis`` says so in every row — but it is the same measurement for every change-set, so forecast errors are
comparable across them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from db.audit import AuditRepository
from db.changesets import ChangeSetRepository
from db.database import Database
from db.enums import AuditEvent
from db.performance import PerformanceRepository

__all__ = ["OBSERVATION_DAYS", "evaluate_outcomes"]

OBSERVATION_DAYS = 2


def evaluate_outcomes(database: Database, *, now: datetime, days: int = OBSERVATION_DAYS) -> dict[str, Any]:
    """Write realised effects for every applied change-set whose window has closed; returns a count."""
    window = timedelta(days=days)
    written = 0
    with database.transaction() as session:
        perf, audit = PerformanceRepository(session), AuditRepository(session)
        for cs in ChangeSetRepository(session).awaiting_outcome(now - window):
            if cs.campaign_id is None or cs.applied_at is None:
                cs.realised_effect = {"basis": "account-level change-set: not measured per campaign"}
                continue
            before = perf.campaign_totals(cs.campaign_id, cs.applied_at - window, cs.applied_at)
            after = perf.campaign_totals(cs.campaign_id, cs.applied_at, cs.applied_at + window)
            d_conv = (after.conversions - before.conversions) / days
            d_spend = (after.spend_micros - before.spend_micros) / days
            predicted = cs.predicted_effect or {}
            realised: dict[str, Any] = {
                "window_days": days,
                "delta_conversions_per_day": round(d_conv, 3),
                "delta_spend_micros_per_day": int(d_spend),
                "basis": "campaign totals, window after minus window before (observational)",
            }
            if "delta_conversions_per_day" in predicted:
                realised["forecast_error_conversions_per_day"] = round(
                    d_conv - float(predicted["delta_conversions_per_day"]), 3
                )
            cs.realised_effect = realised
            audit.append(
                AuditEvent.OUTCOME,
                actor="scheduler",
                change_set_id=cs.id,
                campaign_id=cs.campaign_id,
                details={"predicted": predicted, "realised": realised},
            )
            written += 1
    return {"evaluated": written}
