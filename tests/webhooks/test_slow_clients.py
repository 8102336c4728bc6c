"""Issue 11 item 18: connections that send headers (or a body) in part and stall are closed, not held forever.
The real uvicorn server with the receiver's own configuration, on loopback, with short deadlines."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from tests.webhooks.deliveries import receiver_settings
from webhooks.server import _uvicorn_config, bind_socket


def _closed(sock: socket.socket, deadline: float) -> tuple[bool, bytes]:
    """Whether the server closed the connection before ``deadline`` (reading whatever it answered first)."""
    answer = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            return False, answer
        except OSError:
            return True, answer
        if not chunk:
            return True, answer
        answer += chunk
    return False, answer


def test_stalled_headers_and_bodies_are_cut_off(database, database_url) -> None:
    settings = receiver_settings(database_url, webhook_header_timeout_s=1.5, webhook_body_timeout_s=1.5)
    listener = bind_socket("127.0.0.1", 0)
    port = listener.getsockname()[1]
    server = uvicorn.Server(_uvicorn_config(settings, None))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        stalled = []
        for i in range(20):
            sock = socket.create_connection(("127.0.0.1", port))
            if i % 2:
                sock.sendall(b"POST /webhooks/sandbox HTTP/1.1\r\nHost: x\r\nContent-Ty")  # headers cut short
            else:
                sock.sendall(
                    b"POST /webhooks/sandbox HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b'Content-Length: 500\r\n\r\n{"type": "budg'  # body cut short
                )
            stalled.append(sock)
        deadline = time.monotonic() + 8.0  # 1.5 s deadlines; generous for a loaded machine, far below 45 s
        results = [_closed(sock, deadline) for sock in stalled]
        assert all(closed for closed, _ in results), [i for i, (closed, _) in enumerate(results) if not closed]
        assert all(b" 408 " in answer for i, (_, answer) in enumerate(results) if i % 2 == 0)
        # the server still serves a well-behaved client
        with socket.create_connection(("127.0.0.1", port)) as ok:
            ok.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert b" 200 " in _closed(ok, time.monotonic() + 5)[1]
        for sock in stalled:
            sock.close()
    finally:
        server.should_exit = True
        thread.join(10)
