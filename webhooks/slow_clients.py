"""A deadline for request headers, which uvicorn does not have: a connection that sends part of its headers and
stalls would otherwise hold a socket and a parser forever (issue 11: 20 such connections were all open after 45 s).

The HTTP protocol class is uvicorn's own (``httptools`` or ``h11``) with one timer added: armed when the connection
opens and when a new request begins, cancelled when the headers are complete, closing the transport when it fires.
The body has its own deadline in the receiver (408, :class:`webhooks.errors.BodyTimeout`); idle keep-alive
connections are closed by uvicorn's ``timeout_keep_alive``.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["header_deadline_protocol"]


def header_deadline_protocol(base: type[Any], timeout_s: float) -> type[Any]:
    """``base`` (a uvicorn HTTP protocol class) with a header deadline of ``timeout_s`` seconds."""

    class HeaderDeadline(base):  # type: ignore[misc, valid-type]
        _header_timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(timeout_s, self._expire)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _expire(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

    HeaderDeadline.__name__ = f"HeaderDeadline{base.__name__}"
    return HeaderDeadline
