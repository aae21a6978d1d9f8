"""The standard EdgeX routes, each response validated against the AFS OpenAPI file."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import cbor2
import httpx
import pytest

from service.api.edgex_routes import ping_timestamp
from service.config import REDACTED
from service.edgex.dtos import AddEventRequest, Reading, add_event_request_to_cbor, add_event_request_to_json
from service.edgex.event_types import new_event
from tests.unit.api.harness import ApiHarness

Contract = Callable[[httpx.Response], None]
CORRELATION = "14a42ea6-c394-41c3-8bcd-a29b9f5e6835"


def _event(binary: bool = False) -> AddEventRequest:
    reading = (
        Reading.binary("Frame", b"\xff\xd8\xff\xe0jpeg", "image/jpeg")
        if binary
        else Reading.simple("Motion", "Bool", True)
    )
    return AddEventRequest(
        request_id=str(uuid.uuid4()), event=new_event("cam-1", "camera", "Frame", [reading])
    )


def test_ping_answers_with_service_name_and_unix_date(api: ApiHarness, openapi_contract: Contract) -> None:
    response = api.client.get("/api/v3/ping", headers={"X-Correlation-ID": CORRELATION})
    openapi_contract(response)
    body = response.json()
    assert body["apiVersion"] == "v3" and body["serviceName"] == "app-vision"
    datetime.strptime(body["timestamp"].replace("  ", " "), "%a %b %d %H:%M:%S %Z %Y")
    assert response.headers["X-Correlation-ID"] == CORRELATION


def test_ping_timestamp_pads_the_day_like_go() -> None:
    assert ping_timestamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "Fri Jan  2 03:04:05 UTC 2026"


def test_version_reports_sdk_version(api: ApiHarness, openapi_contract: Contract) -> None:
    response = api.client.get("/api/v3/version")
    openapi_contract(response)
    assert response.json() == {
        "apiVersion": "v3",
        "version": "1.2.3",
        "serviceName": "app-vision",
        "sdk_version": "1.2.3",
    }
    uuid.UUID(response.headers["X-Correlation-ID"])  # a fresh one when the request had none


def test_config_is_redacted(api: ApiHarness, openapi_contract: Contract) -> None:
    response = api.client.get("/api/v3/config")
    openapi_contract(response)
    config = response.json()["config"]
    assert config["Service"]["Port"] == 59760
    assert config["Clients"]["core-command"]["Port"] == 59882
    assert config["Writable"]["InsecureSecrets"]["bus"]["SecretData"] == {"password": REDACTED}
    assert "hunter2" not in response.text and '"x"' not in response.text
    assert "AppCustom" in config


@pytest.mark.parametrize(
    ("body", "stored"),
    [
        (
            {"apiVersion": "v3", "secretName": "mqtt-bus", "secretData": [{"key": "username", "value": "u"}]},
            {"username": "u", "password": "hunter2"},  # merged into the configured secret
        ),
        (
            {
                "apiVersion": "v3",
                "requestId": CORRELATION,
                "secretName": "db",
                "secretData": [{"key": "username", "value": "u"}, {"key": "password", "value": "p"}],
            },
            {"username": "u", "password": "p"},
        ),
    ],
)
def test_secret_is_stored_in_memory(
    api: ApiHarness, openapi_contract: Contract, body: dict[str, Any], stored: dict[str, str]
) -> None:
    response = api.client.post("/api/v3/secret", json=body, headers={"X-Correlation-ID": CORRELATION})
    openapi_contract(response)
    assert response.status_code == 201
    assert response.json().get("requestId") == body.get("requestId")
    assert api.secrets.get(body["secretName"]) == stored


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"secretName": "x"}, "secretData: Field required"),
        ({"secretName": "", "secretData": [{"key": "a", "value": "b"}]}, "secretName"),
        ({"secretName": "x", "secretData": []}, "secretData"),
        ({"secretName": "x", "secretData": [{"key": "a"}]}, "secretData.0.value"),
        ({"secretName": "x", "secretData": [{"key": "a", "value": "b"}], "extra": 1}, "extra"),
        ({"apiVersion": "v2", "secretName": "x", "secretData": [{"key": "a", "value": "b"}]}, "apiVersion"),
    ],
)
def test_bad_secret_is_400_base_response(
    api: ApiHarness, openapi_contract: Contract, body: dict[str, Any], fragment: str
) -> None:
    response = api.client.post("/api/v3/secret", json=body, headers={"X-Correlation-ID": CORRELATION})
    openapi_contract(response)
    assert response.status_code == 400
    assert fragment in response.json()["message"]
    assert api.secrets.names() == ("mqtt-bus",)


def test_malformed_json_secret_is_400(api: ApiHarness, openapi_contract: Contract) -> None:
    response = api.client.post(
        "/api/v3/secret",
        content=b"{not json",
        headers={"Content-Type": "application/json", "X-Correlation-ID": CORRELATION},
    )
    openapi_contract(response)
    assert response.status_code == 400


@pytest.mark.parametrize("encoding", ["json", "cbor", "cbor-binary"])
def test_trigger_takes_the_bus_event_path(api: ApiHarness, encoding: str) -> None:
    req = _event(binary=encoding == "cbor-binary")
    if encoding == "json":
        kwargs: dict[str, Any] = {"json": add_event_request_to_json(req)}
    else:
        kwargs = {"content": add_event_request_to_cbor(req), "headers": {"Content-Type": "application/cbor"}}
    headers = {"X-Correlation-ID": CORRELATION, **kwargs.pop("headers", {})}
    response = api.client.post("/api/v3/trigger", headers=headers, **kwargs)
    # The SDK answers 200 with the pipeline's response data: ours sets none, so no body.
    assert response.status_code == 200, response.text
    assert response.content == b""
    assert response.headers["X-Correlation-ID"] == CORRELATION
    assert [(r.event.id, topic) for r, topic in api.sink.events] == [(req.event.id, "")]
    assert api.sink.events[0][0].event.readings == req.event.readings


def test_trigger_accepts_a_bare_event(api: ApiHarness) -> None:
    req = _event()
    bare = add_event_request_to_json(req)["event"]
    response = api.client.post("/api/v3/trigger", json=bare, headers={"X-Correlation-ID": CORRELATION})
    assert response.status_code == 200
    assert api.sink.events[0][0].event.id == req.event.id


@pytest.mark.parametrize("content_type", ["application/xml", "text/plain", ""])
def test_a_content_type_other_than_json_or_cbor_is_refused_as_the_sdk_does(
    api: ApiHarness, content_type: str
) -> None:
    """go-mod-messaging's GetMsgPayload reads JSON or CBOR only: anything else is 400."""
    body = json.dumps(add_event_request_to_json(_event())).encode()
    response = api.client.post("/api/v3/trigger", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert response.text == f"unable to process payload unsupported content type: {content_type}"
    assert api.sink.events == [] and len(api.sink.rejected) == 1


def test_an_event_edgex_validation_refuses_is_400(api: ApiHarness) -> None:
    body = add_event_request_to_json(_event())
    body["event"]["origin"] = 0
    response = api.client.post("/api/v3/trigger", json=body)
    assert response.status_code == 400
    assert "AddEventRequest.Event.Origin field is required" in response.text
    assert api.sink.events == []


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"apiVersion":"v3","event":"nope"}', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"not json at all", "application/json"),
        (cbor2.dumps({"event": 5}), "application/cbor"),
        (b"<xml/>", "application/xml"),
    ],
)
def test_bad_trigger_bodies(api: ApiHarness, content: bytes, content_type: str) -> None:
    """The SDK's DecodeMessage: 400, the error's text as a text/plain body (the spec says
    application/text, but Go's net/http labels the SDK's plain write text/plain)."""
    headers = {"Content-Type": content_type, "X-Correlation-ID": CORRELATION}
    response = api.client.post("/api/v3/trigger", content=content, headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text.startswith("unable to process payload ")
    assert response.headers["X-Correlation-ID"] == CORRELATION
    assert api.sink.events == []


def test_undecodable_trigger_bodies_are_counted_by_the_sink(api: ApiHarness) -> None:
    for content, content_type in ((b"not json at all", "application/json"), (b"<xml/>", "application/xml")):
        api.client.post("/api/v3/trigger", content=content, headers={"Content-Type": content_type})
    assert len(api.sink.rejected) == 2
    assert api.sink.events == []


def test_trigger_hands_the_correlation_id_to_the_pipeline(api: ApiHarness) -> None:
    body = add_event_request_to_json(_event())
    api.client.post("/api/v3/trigger", json=body, headers={"X-Correlation-ID": CORRELATION})
    response = api.client.post("/api/v3/trigger", json=body)  # none sent: the middleware makes one up
    made_up = response.headers["X-Correlation-ID"]
    assert api.sink.correlation_ids == [CORRELATION, made_up] and made_up != CORRELATION


def test_trigger_reports_a_failing_pipeline_as_422(api: ApiHarness) -> None:
    """The SDK's ProcessMessage: a pipeline function's error is 422 with the error's text."""
    api.sink.fail = True
    response = api.client.post(
        "/api/v3/trigger", json=add_event_request_to_json(_event()), headers={"X-Correlation-ID": CORRELATION}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "pipeline refused" in response.text
