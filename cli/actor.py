"""Who is acting at the CLI: ``--actor NAME`` when given, else the OS user. Never empty (issue 11: an empty
``--actor ""`` was silently recorded as the OS user)."""

from __future__ import annotations

import getpass

from adpilot.errors import InvalidInput

__all__ = ["named_actor"]


def named_actor(actor: str | None) -> str:
    if actor is None:
        return getpass.getuser()
    if not actor.strip():
        raise InvalidInput("--actor is empty", remedy="pass your name: --actor NAME (or omit it to use the OS user)")
    return actor.strip()
