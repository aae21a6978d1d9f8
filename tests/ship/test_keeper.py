"""service/edgex/keeper.py against a core-keeper stand-in that checks every exchange with core-keeper.yaml.

The stand-in (a real HTTP server on loopback) keeps registrations and KV pairs in memory, emulates
keeper's `flatten`, and validates each request and its own reply with openapi-core against
shared/edgex/openapi/core-keeper.yaml, plus a strict schema for registration bodies (unknown keys
rejected). tests/ship/test_keeper_real.py runs the same client against the real core-keeper.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jsonschema
import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from service.edgex.clients import HttpPeer, PeerSettings
from service.edgex.keeper import (
    KeeperClient,
    Registration,
    WritableWatcher,
    config_topic,
    decode_pairs,
    encode_tree,
    parse_provider_url,
)
from tests.shared_material import OPENAPI_DIR

SPEC = OpenAPI.from_file_path(str(OPENAPI_DIR / "core-keeper.yaml"))
SPEC_SERVER = "http://localhost:59890"  # the spec's server URL; the stand-in listens elsewhere
HOST = "http://127.0.0.1"


class FakeKeeper:
    """State and spec checks; the HTTP handler below only parses and dispatches."""

    def __init__(self, schema_of: Callable[..., dict[str, Any]]) -> None:
        self.registrations: dict[str, dict[str, Any]] = {}
        self.kv: dict[str, Any] = {}
        self.spec_errors: list[str] = []
        self.raw_paths: list[str] = []
        self.validators = {
            name: jsonschema.Draft202012Validator(schema_of("core-keeper.yaml", name, strict=True))
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
            pairs = _flatten(key, value) if query.get("flatten") == "true" else {key: value}
            self.kv.update(pairs)
            return 200, {"apiVersion": "v3", "statusCode": 200, "response": sorted(pairs)}
        found = sorted(k for k in self.kv if k == key or k.startswith(key + "/"))
        if not found:
            return 404, _error(404, f"{key} not found")
        if query.get("keyOnly") == "true":
            return 200, {"apiVersion": "v3", "statusCode": 200, "response": found}
        kvs = [{"key": k, "value": self.kv[k], "created": 1, "modified": 1} for k in found]
        return 200, {"apiVersion": "v3", "statusCode": 200, "response": kvs}


def _flatten(prefix: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {prefix: value}
    out: dict[str, Any] = {}
    for key, child in value.items():
        out.update(_flatten(f"{prefix}/{key}", child))
    return out


def _error(status: int, message: str) -> dict[str, Any]:
    return {"apiVersion": "v3", "statusCode": status, "message": message}


def _handler(keeper: FakeKeeper) -> type[BaseHTTPRequestHandler]:
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


@pytest.fixture()
def keeper(schema_of: Callable[..., dict[str, Any]]) -> Iterator[FakeKeeper]:
    fake = FakeKeeper(schema_of)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.port = server.server_address[1]  # type: ignore[attr-defined]
    yield fake
    server.shutdown()
    server.server_close()
    assert fake.spec_errors == []


@pytest.fixture()
def client(keeper: FakeKeeper) -> Iterator[KeeperClient]:
    peer = HttpPeer(PeerSettings("core-keeper", "127.0.0.1", keeper.port, timeout_s=3.0))  # type: ignore[attr-defined]
    yield KeeperClient(peer, "app-vision")
    peer.close()


def test_register_posts_then_puts_with_ping_health_check(client: KeeperClient, keeper: FakeKeeper) -> None:
    reg = Registration("app-vision", "edgex-app-vision", 59760, check_interval="15s")
    assert client.register(reg) == "created"
    assert client.register(reg) == "updated"
    stored = client.registration("app-vision")
    assert stored is not None
    assert (stored["host"], stored["port"]) == ("edgex-app-vision", 59760)
    assert stored["healthCheck"] == {"interval": "15s", "path": "/api/v3/ping", "type": "http"}


def test_deregister_deletes_and_reports_absence(client: KeeperClient, keeper: FakeKeeper) -> None:
    client.register(Registration("app-vision", "localhost", 59760))
    assert client.deregister("app-vision") is True
    assert client.registration("app-vision") is None
    assert client.deregister("app-vision") is False
    assert "/api/v3/registry/serviceId/app-vision" in keeper.raw_paths


def test_first_start_pushes_local_config_then_reads_kv(client: KeeperClient, keeper: FakeKeeper) -> None:
    local: dict[str, Any] = {
        "Writable": {"LogLevel": "INFO", "Telemetry": {"Interval": "30s"}},
        "Service": {"Port": 59760, "EnableNameFieldEscape": False},
        "AppCustom": {"Pipeline": {"Zones": [[0, 0], [10, 0], [10, 10]]}},
    }
    assert client.has_configuration() is False
    assert client.load_configuration(local) == local  # first start: the local tree is used as is
    assert keeper.kv["edgex/v4/app-vision/Writable/LogLevel"] == "INFO"
    assert keeper.kv["edgex/v4/app-vision/AppCustom/Pipeline/Zones"] == "[[0, 0], [10, 0], [10, 10]]"
    # Keys travel URL-escaped as one path segment, as Go's EscapeAndJoinPath does.
    assert "/api/v3/kvs/key/edgex%2Fv4%2Fapp-vision" in keeper.raw_paths
    keeper.kv["edgex/v4/app-vision/Writable/LogLevel"] = "DEBUG"  # an operator edits KV
    loaded = client.load_configuration(local)
    assert loaded["Writable"] == {"LogLevel": "DEBUG", "Telemetry": {"Interval": "30s"}}
    assert loaded["Service"] == {"Port": "59760", "EnableNameFieldEscape": "false"}  # text, as in Go
    assert loaded["AppCustom"] == local["AppCustom"]
    assert client.load_configuration(local, overwrite=True) == local
    assert keeper.kv["edgex/v4/app-vision/Writable/LogLevel"] == "INFO"


def test_common_configuration_is_read_from_the_bootstrapper_keys(client: KeeperClient) -> None:
    client.write("edgex/v4/core-common-config-bootstrapper/all-services", {"MessageBus": {"Host": "broker"}})
    client.write("edgex/v4/core-common-config-bootstrapper/app-services", {"Clients": {"core-metadata": {}}})
    all_services, app_services = client.common_configuration()
    assert all_services == {"MessageBus": {"Host": "broker"}}
    assert app_services == {}  # keeper stores no key for an empty map


def test_writable_watcher_applies_changes_once(client: KeeperClient) -> None:
    client.push_configuration({"Writable": {"LogLevel": "INFO"}, "Service": {"Port": 59760}})
    seen: list[dict[str, Any]] = []
    watcher = WritableWatcher(client, seen.append, interval_s=0.05)
    watcher.start(initial={"LogLevel": "INFO"})
    try:
        time.sleep(0.2)
        assert seen == []
        client.write("edgex/v4/app-vision/Writable", {"LogLevel": "DEBUG"})
        deadline = time.monotonic() + 3.0
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
        assert seen == [{"LogLevel": "DEBUG"}]
        assert watcher.refresh() is False
    finally:
        watcher.stop()


def test_ping_is_false_when_keeper_is_down() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    peer = HttpPeer(PeerSettings("core-keeper", "127.0.0.1", port, timeout_s=1.0))
    assert KeeperClient(peer, "app-vision").ping() is False


def test_stand_in_rejects_inline_health_check(keeper: FakeKeeper) -> None:
    # PROTOCOL.md calls the fields "inlined"; the spec and go-mod-registry nest them in healthCheck.
    body = {"apiVersion": "v3", "registration": {"serviceId": "x", "host": "h", "port": 1, "interval": "10s",
                                                 "path": "/api/v3/ping", "type": "http"}}  # fmt: skip
    requests.post(f"{HOST}:{keeper.port}/api/v3/registry", json=body, timeout=3)  # type: ignore[attr-defined]
    assert any("healthCheck" in e for e in keeper.spec_errors)
    keeper.spec_errors.clear()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("keeper.http://edgex-core-keeper:59890", ("keeper", "http", "edgex-core-keeper", 59890)),
        ("keeper.https://127.0.0.1:1", ("keeper", "https", "127.0.0.1", 1)),
        ("consul.http://edgex-core-consul:8500", ValueError),
        ("keeper.http://edgex-core-keeper", ValueError),
        ("keeper.ftp://host:1", ValueError),
        ("none", ValueError),
    ],
)
def test_parse_provider_url(text: str, expected: object) -> None:
    if expected is ValueError:
        with pytest.raises(ValueError, match="config provider"):
            parse_provider_url(text)
    else:
        url = parse_provider_url(text)
        assert (url.type, url.protocol, url.host, url.port) == expected


@pytest.mark.parametrize(
    ("tree", "stored"),
    [
        (
            {"A": {"B": {"C": "x"}}, "D": 1, "E": True, "F": 1.5, "G": None},
            {"A/B/C": "x", "D": "1", "E": "true", "F": "1.5"},
        ),
        (
            {"Rules": [{"Name": "r1", "Labels": ["person"]}], "Empty": [], "Text": "[not json"},
            {"Rules": '[{"Name": "r1", "Labels": ["person"]}]', "Empty": "[]", "Text": "[not json"},
        ),
    ],
)
def test_values_are_stored_as_text_and_read_back(tree: dict[str, Any], stored: dict[str, str]) -> None:
    pairs = _flatten("p", encode_tree(tree))
    assert pairs == {f"p/{key}": value for key, value in stored.items()}
    back = decode_pairs("p", pairs.items())
    assert back["Rules" if "Rules" in tree else "A"] == tree["Rules" if "Rules" in tree else "A"]


def test_bytes_cannot_be_stored() -> None:
    with pytest.raises(ValueError, match="configuration key Blob"):
        encode_tree({"Blob": b"\x00"})


def test_decode_rejects_a_key_that_is_both_value_and_section() -> None:
    with pytest.raises(ValueError, match="both a value and a section"):
        decode_pairs("p", [("p/A", "1"), ("p/A/B", "2")])


def test_config_topic() -> None:
    assert config_topic("app-vision") == "edgex/configs/edgex/v4/app-vision/Writable/#"
