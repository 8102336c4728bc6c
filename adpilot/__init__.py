"""adpilot core: settings, the error tree and money/time conventions shared by every package.

The other top-level packages (``db``, ``models``, ``tools``, ``agents``, ``scheduler``, ``platforms``, ``webhooks``,
``cli``, ``bench``, ``pacing``) are the architecture; this one holds only what all of them need.
"""

from adpilot.errors import (
    AdpilotError,
    ConfigError,
    ConstraintViolation,
    DatabaseUnavailable,
    GuardrailViolation,
    InvalidInput,
    KillSwitchEngaged,
    NotFound,
    SchemaOutOfDate,
)
from adpilot.settings import Settings, load_settings

__all__ = [
    "AdpilotError",
    "ConfigError",
    "ConstraintViolation",
    "DatabaseUnavailable",
    "GuardrailViolation",
    "InvalidInput",
    "KillSwitchEngaged",
    "NotFound",
    "SchemaOutOfDate",
    "Settings",
    "load_settings",
]

__version__ = "0.1.0"
