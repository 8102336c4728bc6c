"""Closed vocabularies of the store. Stored as text with a CHECK constraint (see ``db.base.one_of``)."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AgentRunStatus",
    "ApprovalDecision",
    "AuditEvent",
    "BidStrategy",
    "CampaignStatus",
    "ChangeAction",
    "ChangeItemStatus",
    "ChangeSetStatus",
    "CreativeOrigin",
    "CreativeStatus",
    "ModelKind",
    "ModelStatus",
    "Objective",
    "Platform",
    "PolicyVerdict",
]


class Platform(StrEnum):
    SANDBOX = "sandbox"
    GOOGLE_ADS = "google_ads"
    META = "meta"
    TIKTOK = "tiktok"


class Objective(StrEnum):
    CONVERSIONS = "conversions"
    SALES = "sales"
    LEADS = "leads"
    APP_INSTALLS = "app_installs"
    TRAFFIC = "traffic"
    AWARENESS = "awareness"


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    REMOVED = "removed"


class BidStrategy(StrEnum):
    MANUAL_CPC = "manual_cpc"
    TARGET_CPA = "target_cpa"
    TARGET_ROAS = "target_roas"
    MAX_CONVERSIONS = "max_conversions"


class CreativeStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    DISAPPROVED = "disapproved"
    REMOVED = "removed"


class CreativeOrigin(StrEnum):
    HUMAN = "human"
    LLM = "llm"


class PolicyVerdict(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DISAPPROVED = "disapproved"


class ModelKind(StrEnum):
    CTR = "ctr"
    CVR = "cvr"


class ModelStatus(StrEnum):
    CANDIDATE = "candidate"
    CHAMPION = "champion"
    RETIRED = "retired"


class ChangeSetStatus(StrEnum):
    PROPOSED = "proposed"
    BLOCKED = "blocked"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    VALIDATED = "validated"
    APPLIED = "applied"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    EXPIRED = "expired"


class ChangeItemStatus(StrEnum):
    PROPOSED = "proposed"
    BLOCKED = "blocked"
    VALIDATED = "validated"
    PENDING = "pending"  # intent recorded, platform write in flight (crash-recovery reads the platform back)
    APPLIED = "applied"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    SKIPPED = "skipped"


class ChangeAction(StrEnum):
    SET_BUDGET = "set_budget"
    SET_TARGET_CPA = "set_target_cpa"
    SET_BID_MULTIPLIER = "set_bid_multiplier"
    SET_SEGMENT_MODIFIER = "set_segment_modifier"
    SET_SEGMENT_EXCLUSION = "set_segment_exclusion"
    SET_DAYPART_MODIFIER = "set_daypart_modifier"
    SET_PLACEMENT_MODIFIER = "set_placement_modifier"
    SET_FREQUENCY_CAP = "set_frequency_cap"
    CREATE_CREATIVE = "create_creative"
    PAUSE_CREATIVE = "pause_creative"
    RESUME_CREATIVE = "resume_creative"
    PAUSE_CAMPAIGN = "pause_campaign"
    RESUME_CAMPAIGN = "resume_campaign"


class ApprovalDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class AgentRunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # will be retried after run_after
    DEAD = "dead"  # attempts exhausted: dead-letter


class AuditEvent(StrEnum):
    PROPOSED = "proposed"
    VERDICT = "verdict"
    APPROVED = "approved"
    REJECTED = "rejected"
    DRY_RUN = "dry_run"
    APPLIED = "applied"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    EXPIRED = "expired"
    OUTCOME = "outcome"
    KILL_SWITCH = "kill_switch"
    POLICY_LOADED = "policy_loaded"
    MANUAL_EDIT = "manual_edit"


def values(enum: type[StrEnum]) -> list[str]:
    return [member.value for member in enum]
