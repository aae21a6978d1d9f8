"""POST /api/v3/trigger: app-vision against the AFS twin running the SDK's HTTP trigger.

The twin runs with Trigger.Type http (internal/trigger/http/rest.go); its pipeline (afstwin/main.go)
sets the record of what it received as the response data, so a 200 from the twin carries that
record. app-vision's pipeline sets no response data: its 200 has no body. Errors: the SDK writes
the error's text as the body (Go's net/http labels it text/plain; charset=utf-8), status 400 when
the body holds no event (runtime.DecodeMessage), 422 when the pipeline fails.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import cbor2
import pytest

from tests.interop.twin import (
    MAX_REQUEST_KB,
    TRIGGER_HTTP,
    Answer,
    AppVision,
    BusRecorder,
    TwinOptions,
    TwinProcess,
    Twins,
    call,
    counter_after,
    unique,
    wait_until,
)

pytestmark = pytest.mark.interop

TRIGGER = "/api/v3/trigger"
JSON_TYPE = "application/json"
CBOR_TYPE = "application/cbor"
TEXT_TYPE = "text/plain; charset=utf-8"
HTTP_TWIN = TwinOptions(trigger=TRIGGER_HTTP)


@pytest.fixture(scope="module")
def twin(twins: Twins) -> TwinProcess:
    return twins(HTTP_TWIN)


def add_event_request(device: str, value: str = "true") -> dict[str, Any]:
    """A device-virtual style AddEventRequest with one Bool reading (valid for EdgeX's DTO checks)."""
    now = time.time_ns()
    return {
        "apiVersion": "v3",
        "requestId": str(uuid.uuid4()),
        "event": {
            "apiVersion": "v3",
            "id": str(uuid.uuid4()),
            "deviceName": device,
            "profileName": "twin-profile",
            "sourceName": "Bool",
            "origin": now,
            "readings": [
                {
                    "id": str(uuid.uuid4()),
                    "origin": now,
                    "deviceName": device,
                    "resourceName": "Bool",
                    "profileName": "twin-profile",
                    "valueType": "Bool",
                    "value": value,
                }
            ],
        },
    }


def post_both(
    twin: TwinProcess, app_vision: AppVision, body: bytes, headers: dict[str, str]
) -> tuple[Answer, Answer]:
    return (
        call(twin.url, "POST", TRIGGER, body=body, headers=headers),
        call(app_vision.url, "POST", TRIGGER, body=body, headers=headers),
    )


def sensor_value(app_vision: AppVision, device: str) -> Any:
    rows = call(app_vision.url, "GET", "/api/v3/sensors").json()["sensors"]
    found = [row["value"] for row in rows if row["device"] == device and row["resource"] == "Bool"]
    return found[0] if found else None


def assert_accepted(twin: Answer, app: Answer, device: str, content_type: str) -> dict[str, Any]:
    """Both 200; the twin's record names the event; app-vision's answer has no body."""
    assert twin.status == 200, twin
    assert twin.content_type == JSON_TYPE  # the twin's pipeline sets it with the response data
    record: dict[str, Any] = twin.json()
    assert (record["deviceName"], record["receivedTopic"], record["inputContentType"]) == (
        device,
        "",
        content_type,
    )
    assert app.status == 200, app
    assert (app.content_type, app.body) == ("", b""), "app-vision's pipeline sets no response data"
    return record


ENCODINGS: dict[str, tuple[str, Callable[[dict[str, Any]], bytes]]] = {
    "json": (JSON_TYPE, lambda req: json.dumps(req).encode()),
    "cbor": (CBOR_TYPE, cbor2.dumps),
    "json-charset": ("application/json; charset=utf-8", lambda req: json.dumps(req).encode()),
    "bare-event-json": (JSON_TYPE, lambda req: json.dumps(req["event"]).encode()),
    "bare-event-cbor": (CBOR_TYPE, lambda req: cbor2.dumps(req["event"])),
}


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_a_valid_event_is_taken_by_both(twin: TwinProcess, app_vision: AppVision, encoding: str) -> None:
    """An AddEventRequest or a bare Event (the SDK's processEventPayload takes either), in JSON or
    CBOR: 200 from both, and the event reaches each pipeline."""
    content_type, encode = ENCODINGS[encoding]
    device = unique("trigger-dev")
    received = app_vision.metric("messages_received_total", topic_kind="trigger")
    twin_answer, app_answer = post_both(
        twin, app_vision, encode(add_event_request(device)), {"Content-Type": content_type}
    )
    assert_accepted(twin_answer, app_answer, device, content_type)
    assert wait_until(lambda: sensor_value(app_vision, device) is True), (
        "app-vision's pipeline did not get it"
    )
    assert app_vision.metric("messages_received_total", topic_kind="trigger") == received + 1


def test_the_correlation_id_reaches_both_pipelines(twin: TwinProcess, app_vision: AppVision) -> None:
    """The request's X-Correlation-ID is the message's correlation id in both (the SDK puts it in the
    envelope it builds, rest.go). Difference (on purpose): app-vision echoes it on the answer, as the
    SDK's OpenAPI (openapi/app-functions-sdk.yaml, /trigger) declares; the SDK's trigger itself sets
    no X-Correlation-ID header."""
    device, correlation = unique("trigger-corr"), str(uuid.uuid4())
    body = json.dumps(add_event_request(device)).encode()
    twin_answer, app_answer = post_both(
        twin, app_vision, body, {"Content-Type": JSON_TYPE, "X-Correlation-ID": correlation}
    )
    record = assert_accepted(twin_answer, app_answer, device, JSON_TYPE)
    assert record["correlationId"] == correlation
    twin.wait_line(lambda line: line.level == "INFO" and f"X-Correlation-ID={correlation}" in line.msg)
    assert "x-correlation-id" not in twin_answer.headers
    assert app_answer.headers.get("x-correlation-id") == correlation


def _undecodable() -> dict[str, tuple[bytes, str, str]]:
    """name -> (body, Content-Type, what the SDK's error text says)."""
    req = add_event_request("trigger-bad")
    return {
        "truncated-json": (b'{"apiVersion": "v3", "event": {', JSON_TYPE, "unexpected end of JSON input"),
        "not-json": (b"{not json", JSON_TYPE, "invalid character"),
        "cbor-sent-as-json": (cbor2.dumps(req), JSON_TYPE, "invalid character"),
        "json-sent-as-cbor": (json.dumps(req).encode(), CBOR_TYPE, "unexpected EOF"),
        "json-array": (b"[1, 2, 3]", JSON_TYPE, "cannot unmarshal array"),
    }


UNDECODABLE = _undecodable()


@pytest.mark.parametrize("case", list(UNDECODABLE))
def test_an_undecodable_body_is_400_text_as_in_the_sdk(
    twin: TwinProcess, app_vision: AppVision, case: str
) -> None:
    """runtime.DecodeMessage fails -> 400; rest.go writes the error's text as the body, which Go's
    net/http labels text/plain; charset=utf-8 (the OpenAPI's application/text is not what is sent)."""
    body, content_type, sdk_says = UNDECODABLE[case]
    invalid = app_vision.metric("invalid_messages_total", reason="event")
    twin_answer, app_answer = post_both(twin, app_vision, body, {"Content-Type": content_type})
    for answer in (twin_answer, app_answer):
        assert (answer.status, answer.content_type) == (400, TEXT_TYPE), answer
        assert answer.text.startswith("unable to process payload"), answer.text
    assert sdk_says in twin_answer.text
    assert app_vision.metric("invalid_messages_total", reason="event") == invalid + 1


def test_an_undecodable_body_is_logged_with_its_correlation_id(
    twin: TwinProcess, app_vision: AppVision
) -> None:
    """The SDK logs the decode failure at ERROR with the request's X-Correlation-ID
    (runtime.logError: "... X-Correlation-ID=<id>"); app-vision logs the same failure at WARNING, and
    should name the correlation id too, as it does for an undecodable event on the bus
    (EventIngress.on_envelope: "(correlation <id>)")."""
    correlation = str(uuid.uuid4())
    twin_answer, app_answer = post_both(
        twin, app_vision, b"{not json", {"Content-Type": JSON_TYPE, "X-Correlation-ID": correlation}
    )
    assert twin_answer.status == app_answer.status == 400
    twin.wait_line(lambda line: line.level == "ERROR" and f"X-Correlation-ID={correlation}" in line.msg)
    app_lines = [msg for level, msg in app_vision.log_messages() if level == "WARNING" and "trigger" in msg]
    assert app_lines, "app-vision logged no warning for the undecodable trigger body"
    assert any(correlation in msg for msg in app_lines), (
        f"app-vision's warning does not name the request's correlation id {correlation}: {app_lines[-1]!r}"
    )


def _invalid_events() -> dict[str, tuple[dict[str, Any], str]]:
    """name -> (an AddEventRequest EdgeX's DTO validation rejects, the SDK's validation message)."""
    cases: dict[str, tuple[dict[str, Any], str]] = {}
    req = add_event_request("trigger-invalid")
    req["event"]["origin"] = 0
    cases["origin-zero"] = (req, "AddEventRequest.Event.Origin field is required")
    req = add_event_request("trigger-invalid")
    req["event"]["readings"] = []
    cases["no-readings"] = (req, "AddEventRequest.Event.Readings field should greater than 0")
    req = add_event_request("trigger-invalid")
    req["event"]["id"] = "not-a-uuid"
    cases["event-id-not-uuid"] = (req, "AddEventRequest.Event.Id field needs a uuid")
    req = add_event_request("trigger-invalid")
    del req["event"]["deviceName"]
    cases["no-device-name"] = (req, "AddEventRequest.Event.DeviceName field is required")
    return cases


INVALID_EVENTS = _invalid_events()


@pytest.mark.parametrize("case", list(INVALID_EVENTS))
def test_an_event_edgex_validation_rejects_is_400(
    twin: TwinProcess, app_vision: AppVision, case: str
) -> None:
    """The SDK decodes the body with types.GetMsgPayload[requests.AddEventRequest], whose Unmarshal
    runs AddEventRequest.Validate (then tries a bare Event, also validated): an event without origin,
    readings, a UUID id or a device name is refused with 400. app-vision should refuse it the same way
    rather than take it into its pipeline."""
    req, sdk_says = INVALID_EVENTS[case]
    body = json.dumps(req).encode()
    twin_answer, app_answer = post_both(twin, app_vision, body, {"Content-Type": JSON_TYPE})
    assert (twin_answer.status, twin_answer.content_type) == (400, TEXT_TYPE), twin_answer
    assert sdk_says in twin_answer.text, twin_answer.text
    assert (app_answer.status, app_answer.content_type) == (400, TEXT_TYPE), (
        f"app-vision took an event EdgeX's validation rejects ({sdk_says}): {app_answer}"
    )


@pytest.mark.parametrize(
    "content_type", ["text/plain", None, "application/xml"], ids=["text-plain", "none", "xml"]
)
def test_a_content_type_other_than_json_or_cbor_is_400(
    twin: TwinProcess, app_vision: AppVision, content_type: str | None
) -> None:
    """The SDK decodes by the request's Content-Type only: anything but application/json or
    application/cbor (a missing header included) is "unsupported content type" -> 400
    (go-mod-messaging types.GetMsgPayload, unmarshalMsgPayload). app-vision should answer the same
    instead of reading the body as JSON."""
    body = json.dumps(add_event_request(unique("trigger-ctype"))).encode()
    headers = {"Content-Type": content_type} if content_type else {}
    twin_answer, app_answer = post_both(twin, app_vision, body, headers)
    assert (twin_answer.status, twin_answer.content_type) == (400, TEXT_TYPE), twin_answer
    assert f"unsupported content type: {content_type or ''}" in twin_answer.text
    assert (app_answer.status, app_answer.content_type) == (400, TEXT_TYPE), (
        f"app-vision took a {content_type or 'Content-Type-less'} body as JSON: {app_answer}"
    )


def test_an_oversize_body(twin: TwinProcess, app_vision: AppVision) -> None:
    """Difference (on purpose): the SDK does not enforce Service.MaxRequestSize: its web server
    (internal/webserver/server.go) never installs go-mod-bootstrap's RequestLimitMiddleware, which
    only the core services' HttpServer bootstrap uses, so a body over the limit is processed (200).
    app-vision refuses it with 413 and a BaseResponse, as that middleware does for core services
    (README: "bodies over Service.MaxRequestSize get 413")."""
    device = unique("trigger-big")
    req = add_event_request(device)
    reading = req["event"]["readings"][0]
    reading["valueType"], reading["value"] = "String", "x" * (MAX_REQUEST_KB * 1024 + 1)
    twin_answer, app_answer = post_both(
        twin, app_vision, json.dumps(req).encode(), {"Content-Type": JSON_TYPE}
    )
    assert twin_answer.status == 200 and twin_answer.json()["deviceName"] == device, twin_answer.status
    assert (app_answer.status, app_answer.content_type) == (413, JSON_TYPE), app_answer
    reply = app_answer.json()
    assert (reply["apiVersion"], reply["statusCode"]) == ("v3", 413)
    assert "MaxRequestSize" in reply["message"]


def test_trigger_requests_and_the_messages_received_metric(
    twin: TwinProcess, app_vision: AppVision, twin_recorder: BusRecorder
) -> None:
    """Difference (on purpose): the SDK's HTTP trigger bypasses the message processor that counts
    MessagesReceived (rest.go calls DecodeMessage/ProcessMessage directly), so its telemetry does not
    move for trigger requests; app-vision counts them (messages_received_total{topic_kind="trigger"},
    part of its MessagesReceived telemetry), one way in for bus and HTTP events alike."""
    key = HTTP_TWIN.service_key
    before_twin = counter_after(twin_recorder, key, "MessagesReceived", time.time())
    before_app = app_vision.received()
    body = json.dumps(add_event_request(unique("trigger-count"))).encode()
    for _ in range(3):
        twin_answer, app_answer = post_both(twin, app_vision, body, {"Content-Type": JSON_TYPE})
        assert twin_answer.status == app_answer.status == 200
    assert counter_after(twin_recorder, key, "MessagesReceived", time.time()) == before_twin
    assert app_vision.received() == before_app + 3
