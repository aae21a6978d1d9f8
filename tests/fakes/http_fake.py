"""A real threaded HTTP server on a free loopback port that validates every request against an
EdgeX OpenAPI file, records it, and can be switched down (connection refused, or 503) and back.

Subclasses implement `route(method, path, query, body_json) -> (status, body)`; a request that
violates the spec is answered 400 (EdgeX ErrorResponse) and recorded with `valid=False`, so a test
can assert both that the client is spec-conformant and what it sent.

`jwt_check` (default None: off) makes the fake behave as an EdgeX service in secure mode: every
route but ping wants `Authorization: Bearer <jwt>` the check accepts, else 401 (recorded too).
"""

from __future__ import annotations

import collections
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.openapi_spec import SpecValidator

DownMode = Literal["refuse", "503"]
Reply = tuple[int, Any]
JwtCheck = Callable[[str], bool]
"""Secure mode: True when the bearer JWT (the header's token) is acceptable."""


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received: raw and parsed body, spec verdict, and the status we answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    valid: bool
    errors: tuple[str, ...]
    status: int

    def key(self) -> str:
        """Identity of the request content (method, path, canonical JSON body) for counting."""
        return f"{self.method} {self.path} {json.dumps(self.json, sort_keys=True)}"


def error_body(status: int, message: str) -> dict[str, Any]:
    """EdgeX ErrorResponse."""
    return {"apiVersion": "v3", "statusCode": status, "message": message}


class FakeHttpPeer:
    """Base of the fakes; use as a context manager: `with FakeX() as peer: peer.url ...`."""

    spec_name = ""

    def __init__(self, jwt_check: JwtCheck | None = None) -> None:
        self.jwt_check = jwt_check
        self._validator = SpecValidator(self.spec_name)
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._response_errors: list[str] = []
        self._failures: collections.deque[Reply] = collections.deque()
        self._down: DownMode | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Bind (a free port the first time, the same port afterwards) and serve in a thread."""
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name=f"fake-{self.spec_name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the listening socket (new connections are refused)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>` (clients append /api/v3/...)."""
        return f"http://127.0.0.1:{self.port}"

    def set_down(self, down: bool, mode: DownMode = "refuse") -> None:
        """Down: "refuse" closes the socket (connection refused), "503" answers 503 to everything."""
        if down and mode == "refuse" and self._server is not None:
            self.stop()
        if not down and self._server is None:
            self.start()
        self._down = mode if down else None

    @property
    def refusing(self) -> bool:
        """True while down in "refuse" mode."""
        return self._down == "refuse"

    def fail_next(self, status: int, message: str = "injected failure", times: int = 1) -> None:
        """Answer the next `times` valid requests with this status and an ErrorResponse."""
        with self._lock:
            self._failures.extend([(status, error_body(status, message))] * times)

    # inspection --------------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (valid or not), in order."""
        with self._lock:
            return list(self._requests)

    @property
    def invalid_requests(self) -> list[RecordedRequest]:
        """Requests that violated the OpenAPI spec."""
        return [r for r in self.requests if not r.valid]

    @property
    def response_errors(self) -> list[str]:
        """Spec violations in the fake's own answers (should stay empty)."""
        with self._lock:
            return list(self._response_errors)

    def counts(self) -> collections.Counter[str]:
        """How often each distinct request content (see RecordedRequest.key) arrived."""
        return collections.Counter(r.key() for r in self.requests)

    def count_by_correlation_id(self) -> collections.Counter[str]:
        """How often each X-Correlation-ID header arrived (valid requests only)."""
        return collections.Counter(r.headers.get("X-Correlation-ID", "") for r in self.requests if r.valid)

    def clear(self) -> None:
        """Forget recorded requests."""
        with self._lock:
            self._requests.clear()

    # request handling --------------------------------------------------------------------------
    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        """Answer a spec-valid request; subclasses override."""
        return 404, error_body(404, f"no route for {method} {path}")

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Reply:
        """Validate, record and answer one request (called on the server's threads)."""
        parts = urlsplit(raw_path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        content_type = headers.get("Content-Type", "application/json")
        errors = self._validator.request_errors(method, parts.path, query, headers, body, content_type)
        parsed = _parse_json(body)
        refused = self._jwt_refusal(parts.path, headers)
        reply = refused or self._answer(method, parts.path, query, parsed, errors)
        if not errors and 200 <= reply[0] < 300:
            encoded = json.dumps(reply[1]).encode()
            found = self._validator.response_errors(method, parts.path, query, reply[0], encoded)
            with self._lock:
                self._response_errors.extend(found)
        record = RecordedRequest(
            method, parts.path, query, headers, body, parsed, not errors, tuple(errors), reply[0]
        )
        with self._lock:
            self._requests.append(record)
        return reply

    def _jwt_refusal(self, path: str, headers: dict[str, str]) -> Reply | None:
        """401 as an EdgeX service in secure mode answers a call without an acceptable JWT."""
        if self.jwt_check is None or path == "/api/v3/ping":
            return None
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and token and self.jwt_check(token):
            return None
        return 401, error_body(401, "unauthorized")

    def _answer(self, method: str, path: str, query: dict[str, str], parsed: Any, errors: list[str]) -> Reply:
        if self._down == "503":
            return 503, error_body(503, "service unavailable (fake is down)")
        if errors:
            return 400, error_body(400, "; ".join(errors)[:2000])
        with self._lock:
            injected = self._failures.popleft() if self._failures else None
        if injected is not None:
            return injected
        return self.route(method, path, query, parsed)


def _parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _handler_for(peer: FakeHttpPeer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            if peer.refusing:  # a kept-alive connection opened before set_down: drop it
                self.close_connection = True
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload = peer.handle(self.command, self.path, dict(self.headers.items()), body)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
