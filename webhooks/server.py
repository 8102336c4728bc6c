"""Running the receiver under uvicorn: one process, or several sharing one listening socket.

Why our own process runner instead of ``uvicorn --workers``: uvicorn's workers import the app from a string and so
would have to rebuild settings from the environment; here the parent binds the socket, then starts ``workers``
spawned children that each get the validated :class:`Settings` as an argument and serve on the inherited socket.
The receiver is stateless (the inbox is the state), so workers and replicas behind a load balancer need no
coordination. uvloop and httptools are used when installed (they roughly double requests/s per core).
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import multiprocessing
import os
import signal
import socket
import threading
import time
from types import FrameType

import structlog
import uvicorn

from adpilot.logs import configure_logging as setup_logging
from adpilot.logs import secrets_of
from adpilot.settings import Settings
from db.database import open_database
from webhooks.app import ReceiverOptions, create_app
from webhooks.slow_clients import header_deadline_protocol

__all__ = ["bind_socket", "configure_logging", "serve", "serve_on_socket"]

log = structlog.get_logger(__name__)


def configure_logging(settings: Settings) -> None:
    """structlog to stderr (stdout may carry a command's JSON): plain tracebacks, secrets masked
    (:mod:`adpilot.logs`)."""
    setup_logging(settings.log_level, json=settings.log_json, secrets=secrets_of(settings))


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _uvicorn_config(settings: Settings, options: ReceiverOptions | None) -> uvicorn.Config:
    database = open_database(settings)
    app = create_app(settings, database, options)
    has = importlib.util.find_spec
    if has("httptools"):
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    else:  # pragma: no cover - httptools is a dependency; h11 has no on_message_begin hook, only the body deadline
        base = None
    return uvicorn.Config(
        app,
        loop="uvloop" if has("uvloop") else "asyncio",
        http=header_deadline_protocol(base, settings.webhook_header_timeout_s) if base else "h11",
        access_log=False,
        log_level=settings.log_level.lower(),
        lifespan="on",
        timeout_graceful_shutdown=10,
        backlog=2048,
        proxy_headers=False,  # webhook handling never uses the client address
        server_header=False,
    )


def _exit_with_parent(parent_pid: int) -> None:
    """A worker whose parent died (SIGKILL, OOM) must not keep serving alone: poll and SIGTERM ourselves."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve_on_socket(
    settings: Settings, sock: socket.socket, options: ReceiverOptions | None = None, parent_pid: int | None = None
) -> None:
    """Serve until SIGTERM/SIGINT on an already bound socket (the body of each worker)."""
    if parent_pid is not None:
        _exit_with_parent(parent_pid)
    configure_logging(settings)
    server = uvicorn.Server(_uvicorn_config(settings, options))
    # Everything imported so far lives as long as the process: move it out of the collector's sight, and collect
    # young objects less often (each delivery allocates a few hundred short-lived objects; cycles are rare).
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    server.run(sockets=[sock])


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    workers: int = 1,
    options: ReceiverOptions | None = None,
) -> None:
    """Bind ``host:port`` and serve with ``workers`` processes until SIGTERM/SIGINT."""
    configure_logging(settings)
    sock = bind_socket(host, port)
    log.info("webhook_receiver_listening", host=host, port=sock.getsockname()[1], workers=workers)
    if workers <= 1:
        serve_on_socket(settings, sock, options)
        return
    ctx = multiprocessing.get_context("spawn")
    parent = os.getpid()
    children = [ctx.Process(target=serve_on_socket, args=(settings, sock, options, parent)) for _ in range(workers)]
    for child in children:
        child.start()

    def forward(signum: int, _frame: FrameType | None) -> None:
        for child in children:
            if child.is_alive() and child.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        for child in children:
            child.join()
    finally:
        for child in children:
            if child.is_alive():
                child.kill()
        sock.close()
