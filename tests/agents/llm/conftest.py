"""A tiny OpenAI-compatible chat-completions server on 127.0.0.1 for the OpenAI backend tests.

Each test scripts the replies (status, JSON body, delay, headers) the server gives, in order, and reads back the
request bodies it received. Standard library only, so the tests need no network and no extra dependency."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class StubReply:
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def completion(content: str | None = None, *, tool: tuple[str, str] | None = None, finish: str = "stop") -> StubReply:
    """A canned chat completion: text ``content``, or a ``(name, arguments_json)`` tool call."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool is not None:
        message["tool_calls"] = [
            {"id": "call_stub_1", "type": "function", "function": {"name": tool[0], "arguments": tool[1]}}
        ]
    body = {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "stub-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }
    return StubReply(body=body)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> StubReply:
    return StubReply(status=status, body={"error": {"message": message, "type": "error"}}, headers=headers or {})


class StubServer:
    """Serves scripted replies; an unscripted request gets a 500 so a test never hangs on a missing reply."""

    def __init__(self) -> None:
        self.replies: deque[StubReply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *replies: StubReply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, path: str, body: dict[str, Any]) -> StubReply:
        with self._lock:
            self.paths.append(path)
            self.requests.append(body)
            return self.replies.popleft() if self.replies else error(500, "stub: no scripted reply")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                reply = stub._next(self.path, body)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                payload = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and hung up, as the timeout test intends

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture()
def stub_server() -> Iterator[StubServer]:
    server = StubServer()
    server.start()
    yield server
    server.stop()
