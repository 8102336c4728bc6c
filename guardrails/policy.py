"""The guardrail policy file: YAML merged over conservative defaults, so a partial file never disables the rules it
omits (STYLE.md 8). Unknown keys and out-of-range values are errors — a typo must not silently loosen a limit.

Example ``guardrails.yaml``::

    budget:
      max_change_pct_per_step: 20
      max_change_pct_per_day: 30
    account_daily_ceiling_micros: 2000000000   # 2,000 units/day, checked against 2x the budgets
    protected_campaigns: ["brand-core"]
    autonomy:
      auto_apply: [set_bid_multiplier, set_daypart_modifier]
      max_auto_change_pct: 10
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from adpilot.errors import ConfigError
from db.enums import ChangeAction, values

__all__ = ["GuardrailPolicy", "load_policy"]


class _Strict(BaseModel):
    """Unknown keys, infinities, NaN and booleans where a number belongs are refused at load (issue 11:
    ``cooldown_hours: .inf`` loaded and failed later; ``cooldown_hours: true`` was read as 1 h)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, value: Any, info: Any) -> Any:
        annotation = str(cls.model_fields[info.field_name].annotation)
        if isinstance(value, bool) and ("int" in annotation or "float" in annotation) and "bool" not in annotation:
            raise ValueError("must be a number, not true/false")
        return value


class StepLimits(_Strict):
    max_change_pct_per_step: float = Field(20.0, gt=0, le=100)
    max_change_pct_per_day: float = Field(30.0, gt=0, le=500)


class EvidenceRules(_Strict):
    """Minimum data before an automated change of each kind (recent window, see ``window_days``)."""

    window_days: int = Field(7, ge=1, le=90)
    min_conversions_for_bid_or_budget: int = Field(10, ge=0)
    min_impressions_for_segment: int = Field(1000, ge=0)
    min_clicks_for_creative_pause: int = Field(100, ge=0)


class CreativeRules(_Strict):
    max_headline_chars: int = Field(30, gt=0)
    max_description_chars: int = Field(90, gt=0)
    banned_phrases: tuple[str, ...] = (
        "guaranteed",
        "guarantee",
        "#1",
        "number one",
        "free money",
        "risk-free",
        "miracle",
        "cure",
        "100% free",
        "act now or",
    )
    max_caps_ratio: float = Field(0.5, gt=0, le=1)
    max_exclamations: int = Field(1, ge=0)


class Autonomy(_Strict):
    """Which changes may apply without a human. Everything else waits in ``pending_approval``."""

    auto_apply: tuple[str, ...] = ("set_bid_multiplier", "set_daypart_modifier", "set_placement_modifier")
    max_auto_change_pct: float = Field(10.0, ge=0, le=100)

    @model_validator(mode="after")
    def _known_actions(self) -> Autonomy:
        unknown = set(self.auto_apply) - set(values(ChangeAction))
        if unknown:
            raise ValueError(f"unknown actions in auto_apply: {sorted(unknown)}")
        return self


class PacingRules(_Strict):
    """Bounds for every item of origin ``pacer``, whoever built it: it may only move the bid multiplier, inside these
    bounds (per step and per day), never on a protected campaign, without cooldowns or evidence gates — it is a
    feedback controller, not a decision."""

    min_multiplier: float = Field(0.2, gt=0)
    max_multiplier: float = Field(4.0, gt=0, le=100)
    max_step_pct: float = Field(30.0, gt=0, le=100)
    max_change_pct_per_day: float = Field(
        100.0, gt=0, le=500, description="the multiplier's move since the day's first value, both directions"
    )


class GuardrailPolicy(_Strict):
    budget: StepLimits = StepLimits()
    bid: StepLimits = StepLimits(max_change_pct_per_step=15.0, max_change_pct_per_day=25.0)
    modifier_min: float = Field(0.1, ge=0)
    modifier_max: float = Field(3.0, gt=0, le=10)
    min_daily_budget_micros: int = Field(1_000_000, ge=0)
    account_daily_ceiling_micros: int | None = Field(None, ge=0)
    overdelivery_factor: float = Field(
        2.0, ge=1, le=10, description="platforms may spend this × the daily budget in a day"
    )
    cooldown_hours: float = Field(
        24.0, ge=0, le=720, description="learning phase after an edit of the same control (at most 30 days)"
    )
    protected_campaigns: tuple[str, ...] = ()
    max_items_per_changeset: int = Field(10, ge=1, le=100)
    max_frequency_cap: int = Field(20, ge=1)
    changeset_ttl_hours: float = Field(24.0, gt=0, le=168, description="at most a week")
    evidence: EvidenceRules = EvidenceRules()
    creative: CreativeRules = CreativeRules()
    autonomy: Autonomy = Autonomy()
    pacing: PacingRules = PacingRules()

    @model_validator(mode="after")
    def _modifier_range(self) -> GuardrailPolicy:
        if self.modifier_min >= self.modifier_max:
            raise ValueError("modifier_min must be below modifier_max")
        return self

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @property
    def sha256(self) -> str:
        canonical = json.dumps(self.as_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def load_policy(path: Path | None) -> GuardrailPolicy:
    """Defaults when ``path`` is None; otherwise the file merged over the defaults. Any problem is a ConfigError,
    and callers treat a ConfigError as "no mutation at all"."""
    if path is None:
        return GuardrailPolicy()
    remedy = f"fix {path} (see the example in guardrails/policy.py) or unset ADPILOT_GUARDRAIL_POLICY_PATH"
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"guardrail policy file {path} does not exist; all mutations blocked", remedy=remedy) from exc
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"guardrail policy {path} is unreadable: {exc}; all mutations blocked", remedy=remedy
        ) from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"guardrail policy {path} must be a mapping; all mutations blocked", remedy=remedy)
    try:
        return GuardrailPolicy.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(
            f"guardrail policy {path} is invalid ({problems}); all mutations blocked", remedy=remedy
        ) from exc
