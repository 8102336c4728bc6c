"""Logging for the long-running processes (daemon, webhook receiver): structlog to stderr, JSON lines or
key=value, and two promises about exceptions:

* **No locals.** structlog's console renderer formats exceptions with Rich and ``show_locals=True`` when Rich is
  installed; a fault in the webhook receiver printed the database password three times that way (issue 11).
  Tracebacks are formatted as plain text (``format_exc_info``), which never shows locals.
* **Secrets masked.** Every string in an event — the message, the formatted traceback, any field — has the
  configured secrets (database password, API keys, webhook secrets) replaced by ``********`` before it is rendered,
  so not even an exception message that quotes a connection string leaks one.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

from adpilot.settings import Settings

__all__ = ["MASK", "SecretMasker", "configure_logging", "secrets_of"]

MASK = "********"
_MIN_SECRET_LEN = 4  # shorter values would mask ordinary words


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value the settings hold, for :class:`SecretMasker`."""
    from sqlalchemy.engine import make_url

    found: list[str] = []
    if settings.database_url is not None:
        password = make_url(settings.database_url.get_secret_value()).password
        if password:
            found.append(str(password))
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        values = value if isinstance(value, list) else [value]
        found += [v.get_secret_value() for v in values if hasattr(v, "get_secret_value") and name != "database_url"]
    return sorted({s for s in found if s and len(s) >= _MIN_SECRET_LEN}, key=len, reverse=True)


class SecretMasker:
    """A structlog processor replacing each secret in every string value (nested too) with :data:`MASK`."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= _MIN_SECRET_LEN}, key=len, reverse=True)

    def _mask(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self.secrets:
                value = value.replace(secret, MASK)
            return value
        if isinstance(value, dict):
            return {k: self._mask(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._mask(v) for v in value)
        return value

    def __call__(self, _logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        if not self.secrets:
            return event
        return {key: self._mask(value) for key, value in event.items()}


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the moment of writing, not the object it was at configuration time
    (a replaced stream — a test's capture, a daemonised process — may have been closed since)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", *, json: bool = False, secrets: Iterable[str] = ()) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,  # plain text traceback, no locals
            SecretMasker(secrets),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
