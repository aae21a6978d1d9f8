"""The standard REST routes: app-vision against its AFS twin (app-functions-sdk-go v4.0.2).

The same request goes to both; status, Content-Type and body form are compared. The routes are
go-mod-bootstrap's CommonController (bootstrap/controller/commonapi.go) on the SDK's echo router
(internal/webserver/server.go) on one side, app-vision's service/api/edgex_routes.py on the other.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from service.app import service_version
from tests.interop.twin import (
    APP_KEY,
    MAX_REQUEST_KB,
    SDK_VERSION,
    TWIN_KEY,
    TWIN_VERSION,
    Answer,
    AppVision,
    Twins,
    call,
)

pytestmark = pytest.mark.interop

UNIX_DATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ 123]\d \d{2}:\d{2}:\d{2} \S+ \d{4}$")
"""Go's time.UnixDate layout, "Mon Jan _2 15:04:05 MST 2006" (dtos/common/ping.go NewPingResponse)."""

JSON_TYPE = "application/json"


def both(twins: Twins, app_vision: AppVision, method: str, path: str, **kwargs: Any) -> tuple[Answer, Answer]:
    """(twin's answer, app-vision's answer) to the same request."""
    return call(twins().url, method, path, **kwargs), call(app_vision.url, method, path, **kwargs)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def test_ping_answers_alike(twins: Twins, app_vision: AppVision) -> None:
    twin, app = both(twins, app_vision, "GET", "/api/v3/ping")
    for answer, key in ((twin, TWIN_KEY), (app, APP_KEY)):
        assert (answer.status, answer.content_type) == (200, JSON_TYPE), answer
        body = answer.json()
        assert list(body) == ["apiVersion", "timestamp", "serviceName"], body
        assert (body["apiVersion"], body["serviceName"]) == ("v3", key)
        assert UNIX_DATE.match(body["timestamp"]), body["timestamp"]
        stamped = datetime.strptime(body["timestamp"].replace("  ", " 0"), "%a %b %d %H:%M:%S %Z %Y")
        assert abs(stamped.replace(tzinfo=UTC).timestamp() - time.time()) < 60, body["timestamp"]


def test_version_answers_alike(twins: Twins, app_vision: AppVision) -> None:
    """Same keys. Difference (by nature): app-vision is built on no SDK, so its `sdk_version` is its
    own version; the twin reports the SDK's (set at build time, as the SDK's Makefile does)."""
    twin, app = both(twins, app_vision, "GET", "/api/v3/version")
    for answer in (twin, app):
        assert (answer.status, answer.content_type) == (200, JSON_TYPE), answer
        assert list(answer.json()) == ["apiVersion", "version", "serviceName", "sdk_version"]
    assert twin.json() == {
        "apiVersion": "v3",
        "version": TWIN_VERSION,
        "serviceName": TWIN_KEY,
        "sdk_version": SDK_VERSION,
    }
    version = service_version()
    assert app.json() == {
        "apiVersion": "v3",
        "version": version,
        "serviceName": APP_KEY,
        "sdk_version": version,
    }


# The sections and keys each service's GET /api/v3/config shows, pinned so that a change on either
# side is seen. Shared: what app-vision takes over from EdgeX's app-service configuration.
SHARED_SECTIONS = {"Writable", "Service", "MessageBus", "Trigger", "Clients", "Registry"}
SDK_ONLY_SECTIONS = {"HttpServer", "Database", "ApplicationSettings"}
"""AFS features app-vision does not have: an HTTPS web server, the store-and-forward database and
the configurable pipelines' ApplicationSettings."""
APP_ONLY_SECTIONS = {"AppCustom"}
"""app-vision's own settings. The SDK shows a service's custom configuration (LoadCustomConfig)
under the key `CustomConfiguration`; app-vision shows AppCustom as a top-level section."""
SDK_ONLY_KEYS = {
    "Writable": {"Pipeline", "StoreAndForward"},  # configurable pipeline, store and forward
    "Service": {"CORSConfiguration", "MaxResultCount", "SecurityOptions"},  # CORS, zero trust
    "MessageBus": {"Disabled"},  # app-vision always needs its bus
    "Trigger": {"Type", "ExternalMqtt"},  # app-vision runs the bus trigger and /trigger together
}
APP_ONLY_KEYS = {"MessageBus": {"Optional"}}  # compared below, key by key
SDK_ONLY_OPTIONAL: set[str] = set()
APP_ONLY_OPTIONAL = {"Format", "CertFile", "KeyFile", "CaFile"}
"""MessageBus.Optional: NATS Format and the client certificate files are always shown by app-vision;
the SDK shows only what the file sets."""


def test_config_answers_in_the_same_shape(twins: Twins, app_vision: AppVision) -> None:
    twin, app = both(twins, app_vision, "GET", "/api/v3/config")
    for answer, key in ((twin, TWIN_KEY), (app, APP_KEY)):
        assert (answer.status, answer.content_type) == (200, JSON_TYPE), answer
        body = answer.json()
        assert list(body) == ["apiVersion", "config", "serviceName"], list(body)
        assert (body["apiVersion"], body["serviceName"]) == ("v3", key)
    sdk, ours = twin.json()["config"], app.json()["config"]
    assert set(sdk) == SHARED_SECTIONS | SDK_ONLY_SECTIONS
    assert set(ours) == SHARED_SECTIONS | APP_ONLY_SECTIONS
    for section in sorted(SHARED_SECTIONS - {"Clients"}):
        sdk_keys, our_keys = set(sdk[section]), set(ours[section])
        assert sdk_keys - our_keys == SDK_ONLY_KEYS.get(section, set()), section
        assert our_keys - sdk_keys == set(), section
    assert set(sdk["Clients"]) == set(ours["Clients"])
    for name in sdk["Clients"]:
        assert set(sdk["Clients"][name]) - set(ours["Clients"][name]) <= {"UseMessageBus", "SecurityOptions"}
    assert set(ours["MessageBus"]["Optional"]) - set(sdk["MessageBus"]["Optional"]) == APP_ONLY_OPTIONAL
    assert set(sdk["MessageBus"]["Optional"]) - set(ours["MessageBus"]["Optional"]) == SDK_ONLY_OPTIONAL
    # Same configuration, same values where both services are configured alike.
    for section, key in (
        ("MessageBus", "BaseTopicPrefix"),
        ("MessageBus", "Type"),
        ("MessageBus", "AuthMode"),
        ("Service", "MaxRequestSize"),
        ("Service", "RequestTimeout"),
        ("Service", "EnableNameFieldEscape"),
        ("Registry", "Type"),
    ):
        assert sdk[section][key] == ours[section][key], (section, key)
    assert ours["Service"]["MaxRequestSize"] == MAX_REQUEST_KB


def _json_types(value: Any, path: str = "") -> dict[str, str]:
    """Dotted path -> JSON type name of every leaf (objects are walked)."""
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, item in value.items():
            out.update(_json_types(item, f"{path}.{key}" if path else key))
        return out
    kind = {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}.get(
        type(value), "null"
    )
    return {path: kind}


def test_config_values_have_the_sdk_types(twins: Twins, app_vision: AppVision) -> None:
    """Every key both services show has the JSON type the SDK gives it (ConfigurationStruct in
    internal/common/config.go, go-mod-bootstrap config/types.go). A tool that reads /config (or the
    configuration pushed to core-keeper) of an EdgeX app service expects those types."""
    twin, app = both(twins, app_vision, "GET", "/api/v3/config")
    sdk = _json_types({k: v for k, v in twin.json()["config"].items() if k in SHARED_SECTIONS})
    ours = _json_types({k: v for k, v in app.json()["config"].items() if k in SHARED_SECTIONS})
    ignored = {"Writable.InsecureSecrets"}  # app-vision redacts secrets; shapes differ by content
    mismatched = {
        path: (sdk[path], ours[path])
        for path in sorted(set(sdk) & set(ours))
        if sdk[path] != ours[path] and sdk[path] != "null" and not path.startswith(tuple(ignored))
    }
    assert mismatched == {}, (
        "keys whose JSON type differs from the SDK's (path: (SDK, app-vision)); e.g. the SDK shows "
        f"Trigger.SubscribeTopics as the comma-separated string of its configuration: {mismatched}"
    )


def _secret(request_id: str) -> bytes:
    return json.dumps(
        {
            "apiVersion": "v3",
            "requestId": request_id,
            "secretName": "twin-secret",
            "secretData": [{"key": "username", "value": "edgex"}],
        }
    ).encode()


def test_secret_in_insecure_mode(twins: Twins, app_vision: AppVision) -> None:
    """Difference (on purpose): without a configuration provider the SDK cannot store a secret in
    insecure mode (go-mod-bootstrap secret/insecure.go StoreSecret writes Writable.InsecureSecrets
    through core-keeper) and answers 405; app-vision keeps it in memory and answers 201. Both answer
    a BaseResponse that echoes the requestId."""
    request_id = str(uuid.uuid4())
    twin, app = both(
        twins,
        app_vision,
        "POST",
        "/api/v3/secret",
        body=_secret(request_id),
        headers={"Content-Type": JSON_TYPE},
    )
    assert (twin.status, twin.content_type) == (405, JSON_TYPE), twin
    body = twin.json()
    assert list(body) == ["apiVersion", "requestId", "message", "statusCode"]
    assert (body["apiVersion"], body["requestId"], body["statusCode"]) == ("v3", request_id, 405)
    assert "ConfigurationProvider is not in use" in body["message"]
    assert (app.status, app.content_type) == (201, JSON_TYPE), app
    assert app.json() == {"apiVersion": "v3", "requestId": request_id, "statusCode": 201}


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"{}", json.dumps({"apiVersion": "v3", "secretName": "x", "secretData": []}).encode()],
    ids=["undecodable", "empty-object", "no-secret-data"],
)
def test_a_malformed_secret_request_is_400_on_both(twins: Twins, app_vision: AppVision, body: bytes) -> None:
    """Same status and body form; the messages are each service's own (the SDK: "JSON decode
    failed", its SecretRequest.UnmarshalJSON validates; app-vision names the invalid fields)."""
    twin, app = both(
        twins, app_vision, "POST", "/api/v3/secret", body=body, headers={"Content-Type": JSON_TYPE}
    )
    for answer in (twin, app):
        assert (answer.status, answer.content_type) == (400, JSON_TYPE), answer
        reply = answer.json()
        assert list(reply) == ["apiVersion", "message", "statusCode"], reply
        assert (reply["apiVersion"], reply["statusCode"]) == ("v3", 400) and reply["message"]
    assert twin.json()["message"] == "JSON decode failed"


@pytest.mark.parametrize("path", ["/api/v3/ping", "/api/v3/version", "/api/v3/config"])
def test_the_correlation_id_is_echoed(twins: Twins, app_vision: AppVision, path: str) -> None:
    """Both echo a request's X-Correlation-ID (go-mod-bootstrap utils.SendJsonResp). Difference
    (on purpose): without one, the SDK answers an empty X-Correlation-ID header while app-vision
    makes up a UUID (service/api/middleware.py), so a caller always has an id to quote."""
    correlation = str(uuid.uuid4())
    twin, app = both(twins, app_vision, "GET", path, headers={"X-Correlation-ID": correlation})
    assert twin.headers.get("x-correlation-id") == app.headers.get("x-correlation-id") == correlation
    twin, app = both(twins, app_vision, "GET", path)
    assert twin.headers.get("x-correlation-id") == ""
    assert _is_uuid(app.headers.get("x-correlation-id", ""))


@pytest.mark.parametrize(
    ("method", "path", "status", "sdk_message"),
    [
        ("GET", "/api/v3/no-such-route", 404, "Not Found"),
        ("DELETE", "/api/v3/ping", 405, "Method Not Allowed"),
    ],
    ids=["unknown-route", "wrong-method"],
)
def test_routing_errors(
    twins: Twins, app_vision: AppVision, method: str, path: str, status: int, sdk_message: str
) -> None:
    """Same status. Difference (on purpose): the SDK's echo router answers its own error body
    {"message": ...} (echo's DefaultHTTPErrorHandler), not a BaseResponse; app-vision answers every
    error as a BaseResponse (service/api/server.py)."""
    twin, app = both(twins, app_vision, method, path)
    assert (twin.status, twin.content_type) == (status, JSON_TYPE), twin
    assert twin.json() == {"message": sdk_message}
    assert (app.status, app.content_type) == (status, JSON_TYPE), app
    reply = app.json()
    assert (reply["apiVersion"], reply["statusCode"]) == ("v3", status) and reply["message"]
