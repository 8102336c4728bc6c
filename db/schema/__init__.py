"""The campaign store's ORM, one module per part of the domain. Import tables from here: ``from db.schema import
Campaign``."""

from db.base import Base
from db.schema.accounts import AdAccount, AudienceSegment, Campaign, Creative
from db.schema.changes import Approval, AuditLog, ChangeItem, ChangeSet, GuardrailPolicySnapshot, KillSwitch
from db.schema.facts import ImpressionLog, PerformanceHour
from db.schema.modeling import ModelVersion
from db.schema.operations import AgentRun, Alert, Lease, PeriodClaim, Replica, SimClockRow, WebhookInbox

__all__ = [
    "AdAccount",
    "AgentRun",
    "Alert",
    "Approval",
    "AudienceSegment",
    "AuditLog",
    "Base",
    "Campaign",
    "ChangeItem",
    "ChangeSet",
    "Creative",
    "GuardrailPolicySnapshot",
    "ImpressionLog",
    "KillSwitch",
    "Lease",
    "ModelVersion",
    "PerformanceHour",
    "PeriodClaim",
    "Replica",
    "SimClockRow",
    "WebhookInbox",
]
