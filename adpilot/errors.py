"""The adpilot exception tree. Every error carries a ``remedy``: what the user should do next.

    AdpilotError                  base; ``str(err)`` is the message, ``err.remedy`` the next step
    ├── ConfigError               settings or policy file invalid / missing
    ├── InvalidInput              a value the caller passed is out of range or malformed
    ├── NotFound                  a referenced row or platform object does not exist
    ├── DatabaseUnavailable       the Postgres server cannot be reached
    ├── SchemaOutOfDate           the database is not migrated to the code's head revision
    ├── ConstraintViolation       the database refused a write (unique, foreign key, check)
    ├── GuardrailViolation        a change was blocked by the guardrail policy
    ├── KillSwitchEngaged         mutations are stopped by the kill switch or read-only mode
    └── PlatformError             raised by ad-platform adapters (see ``platforms.base``)

Vendor exceptions (psycopg, SQLAlchemy, OpenAI, platform SDKs) are translated into these at the boundary, so
nothing above ``db/`` or ``platforms/`` ever sees them.
"""

from __future__ import annotations


class AdpilotError(Exception):
    """Base class. ``remedy`` tells the operator what to do; the CLI prints both."""

    default_remedy = "re-run with --debug for details and report the problem if it persists"

    def __init__(self, message: str, *, remedy: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy or self.default_remedy

    def __str__(self) -> str:
        return self.message


class ConfigError(AdpilotError):
    default_remedy = "check the ADPILOT_* environment variables or .env (see `adpilot config show`)"


class InvalidInput(AdpilotError):
    default_remedy = "correct the value and try again"


class NotFound(AdpilotError):
    default_remedy = "check the id (list them with the matching `adpilot … list` command)"


class DatabaseUnavailable(AdpilotError):
    default_remedy = "start Postgres or unset ADPILOT_DATABASE_URL to use the embedded one"


class SchemaOutOfDate(AdpilotError):
    default_remedy = "run `adpilot db upgrade`"


class ConstraintViolation(AdpilotError):
    """The database refused a write. ``constraint`` names the constraint when Postgres reported it."""

    default_remedy = "the row conflicts with existing data; check the values (ids, uniqueness, ranges)"

    def __init__(self, message: str, *, constraint: str | None = None, remedy: str | None = None) -> None:
        super().__init__(message, remedy=remedy)
        self.constraint = constraint


class GuardrailViolation(AdpilotError):
    default_remedy = "adjust the change to fit the guardrail policy, or change the policy file deliberately"


class KillSwitchEngaged(AdpilotError):
    default_remedy = "turn it off with `adpilot kill-switch off` (or unset ADPILOT_READ_ONLY) when it is safe"
