"""A core-keeper stand-in that checks every exchange against EdgeX's core-keeper.yaml.

The real core-keeper cannot be built here (the Go module proxy refuses edgexfoundry/edgex-go), so
this real HTTP server on loopback keeps registrations and KV pairs in memory, emulates keeper's
`flatten`, and validates each request and its own reply with openapi-core, plus a strict schema for
registration bodies (unknown keys rejected). Violations are collected in `spec_errors`.

    with running_keeper() as keeper:
        keeper.port, keeper.registrations, keeper.kv, keeper.spec_errors
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jsonschema
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from tests.fakes.openapi_schemas import openapi_schema
from tests.shared_material import OPENAPI_DIR

SPEC = OpenAPI.from_file_path(str(OPENAPI_DIR / "core-keeper.yaml"))
SPEC_SERVER = "http://localhost:59890"  # the spec's server URL; the stand-in listens elsewhere


class FakeKeeper:
    """State and spec checks; the HTTP handler below only parses and dispatches."""

    def __init__(self) -> None:
        self.port = 0
        self.registrations: dict[str, dict[str, Any]] = {}
        self.kv: dict[str, Any] = {}
        self.spec_errors: list[str] = []
        self.raw_paths: list[str] = []
        self.validators = {
            name: jsonschema.Draft202012Validator(openapi_schema("core-keeper.yaml", name, strict=True))
            for name in ("AddRegistrationRequest", "Key", "KeyValue")
        }
        self.lock = threading.Lock()

    def handle(self, method: str, raw_path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        request = MockRequest(
            SPEC_SERVER,
            method.lower(),
            raw_path,
            args=query,
            data=body or None,
            content_type="application/json",
        )
        try:
            SPEC.validate_request(request)
        except Exception as exc:  # collected and asserted by the test fixture
            self.spec_errors.append(f"{method} {raw_path} {query}: {exc}")
        with self.lock:
            status, reply = self._route(method, raw_path.removeprefix("/api/v3"), query, body)
        if method == "GET" and raw_path.startswith("/api/v3/kvs/") and status == 200:
            self._check_kv_reply(query, reply)
        elif status != 404 or reply is not None:
            data = b"" if reply is None else json.dumps(reply).encode()
            try:
                SPEC.validate_response(request, MockResponse(data, status, content_type="application/json"))
            except Exception as exc:
                self.spec_errors.append(f"reply to {method} {raw_path}: {exc}")
        return status, reply

    def _check_kv_reply(self, query: dict[str, str], reply: dict[str, Any]) -> None:
        # The spec's 200 reply is oneOf(MultiKVsResponse, MultiKeysResponse), two schemas with no
        # required field, so no body can match exactly one; and it names the list `keyValues` /
        # `keys` where go-mod-core-contracts and the spec's own examples use `response`. Check
        # each element against the spec's Key / KeyValue schemas instead.
        name = "Key" if query.get("keyOnly") == "true" else "KeyValue"
        for item in reply["response"]:
            self.spec_errors += [f"{name}: {e.message}" for e in self.validators[name].iter_errors(item)]

    def _route(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        if path == "/ping":
            return 200, {"apiVersion": "v3", "timestamp": time.strftime("%a, %d %b %Y %H:%M:%S UTC")}
        if path == "/registry":
            return self._register(method, json.loads(body))
        if path.startswith("/registry/serviceId/"):
            return self._registration(method, unquote(path.rsplit("/", 1)[1]))
        if path.startswith("/kvs/key/"):
            return self._kvs(method, unquote(path.removeprefix("/kvs/key/")), query, body)
        return 404, _error(404, "no route")

    def _register(self, method: str, request: dict[str, Any]) -> tuple[int, Any]:
        strict = self.validators["AddRegistrationRequest"]
        self.spec_errors += [f"registration: {e.message}" for e in strict.iter_errors(request)]
        reg = request["registration"]
        exists = reg["serviceId"] in self.registrations
        if method == "POST" and exists:
            return 409, _error(409, "exists")
        if method == "PUT" and not exists:
            return 404, _error(404, "not registered")
        self.registrations[reg["serviceId"]] = {**reg, "status": "UP", "created": 1, "modified": 2}
        return (201, None) if method == "POST" else (204, None)

    def _registration(self, method: str, service_id: str) -> tuple[int, Any]:
        if service_id not in self.registrations:
            return 404, _error(404, f"{service_id} not found")
        if method == "DELETE":
            del self.registrations[service_id]
            return 204, None
        return 200, {"apiVersion": "v3", "statusCode": 200, "registration": self.registrations[service_id]}

    def _kvs(self, method: str, key: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:
        if method == "PUT":
            value = json.loads(body)["value"]
            pairs = flatten(key, value) if query.get("flatten") == "true" else {key: value}
            self.kv.update(pairs)
            return 200, {"apiVersion": "v3", "statusCode": 200, "response": sorted(pairs)}
        found = sorted(k for k in self.kv if k == key or k.startswith(key + "/"))
        if not found:
            return 404, _error(404, f"{key} not found")
        if query.get("keyOnly") == "true":
            return 200, {"apiVersion": "v3", "statusCode": 200, "response": found}
        kvs = [{"key": k, "value": self.kv[k], "created": 1, "modified": 1} for k in found]
        return 200, {"apiVersion": "v3", "statusCode": 200, "response": kvs}


def flatten(prefix: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {prefix: value}
    out: dict[str, Any] = {}
    for key, child in value.items():
        out.update(flatten(f"{prefix}/{key}", child))
    return out


def _error(status: int, message: str) -> dict[str, Any]:
    return {"apiVersion": "v3", "statusCode": status, "message": message}


def keeper_handler(keeper: FakeKeeper) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            keeper.raw_paths.append(parts.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, reply = keeper.handle(self.command, parts.path, query, body)
            data = b"" if reply is None else json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def running_keeper() -> Iterator[FakeKeeper]:
    """Serve a FakeKeeper on a free loopback port; on exit, assert it saw no spec violation."""
    fake = FakeKeeper()
    server = ThreadingHTTPServer(("127.0.0.1", 0), keeper_handler(fake))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.port = server.server_address[1]
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
    assert fake.spec_errors == []
