"""Bus input: the same message, on one Mosquitto, to app-vision and to the AFS twin.

Valid events are published by edgexpeer (device-sdk-go's SendEvent steps on go-mod-messaging and
go-mod-core-contracts v4.0.3) in each wire form; bad envelopes by a plain paho client. Both
services subscribe `edgex/events/#`. Two twins listen: one in JSON mode (EDGEX_MSG_CBOR_ENCODE
unset), one in CBOR mode (EDGEX_MSG_CBOR_ENCODE=true), since an EdgeX service decodes only the
envelope form its own switch selects. What each does is read from:
  - the twin: its pipeline's records (what the SDK handed it), its log lines, its output on
    Trigger.PublishTopic (edgex/twin/records) and its MessagesReceived/InvalidMessagesReceived
    telemetry (the SDK's own counters, reported every second);
  - app-vision: messages_received_total / invalid_messages_total (its Metrics object; the
    MessagesReceived/InvalidMessagesReceived telemetry sums them), the sensor table and cameras at
    GET /api/v3/sensors and /cameras, its log, and its result events.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from service.edgex.envelope import EnvelopeForm
from service.simulator.photos import photo_jpeg
from tests.bus.brokers import Broker
from tests.interop.peer import Json, Peer
from tests.interop.samples import write_jpeg
from tests.interop.twin import (
    APP_KEY,
    RESULT_CAMERA,
    TWIN_KEY,
    AppVision,
    BusRecorder,
    LogLine,
    TwinOptions,
    TwinProcess,
    Twins,
    call,
    counter_after,
    counter_reaches,
    decode_envelope_bytes,
    envelope_payload,
    unique,
    wait_until,
)

pytestmark = pytest.mark.interop

JSON_TWIN = TwinOptions()
CBOR_TWIN = TwinOptions(form=EnvelopeForm.CBOR)
RECORDS_TOPIC = "edgex/twin/records"
RESULT_TOPIC = "edgex/events/device/app-vision/app-vision-result/app-vision/Alert"
FORMS = list(EnvelopeForm)


@pytest.fixture(scope="module")
def json_twin(twins: Twins) -> TwinProcess:
    return twins(JSON_TWIN)


@pytest.fixture(scope="module")
def cbor_twin(twins: Twins) -> TwinProcess:
    return twins(CBOR_TWIN)


@pytest.fixture
def peer(peer_binary: Path, twin_broker: Broker) -> Iterator[Peer]:
    running = Peer(peer_binary, twin_broker.port)
    try:
        yield running
    finally:
        running.stop_all()


def receiving_twin(form: EnvelopeForm, json_twin: TwinProcess, cbor_twin: TwinProcess) -> TwinProcess:
    """The twin whose EDGEX_MSG_CBOR_ENCODE matches the publisher's (EdgeX: all switch together)."""
    return cbor_twin if form is EnvelopeForm.CBOR else json_twin


def other_twin(form: EnvelopeForm, json_twin: TwinProcess, cbor_twin: TwinProcess) -> TwinProcess:
    return json_twin if form is EnvelopeForm.CBOR else cbor_twin


def publish_bool(peer: Peer, form: EnvelopeForm, device: str, value: str = "true") -> Json:
    return peer.run(
        "publish-event",
        ["-profile", "twin-profile", "-device", device, "-source", "Bool", "-bool", value],
        form,
    )


def go_float64_round_trip(value: int) -> int:
    """An int64 that went through Go's float64 and back out of encoding/json (shortest repr)."""
    return int(Decimal(repr(float(value))))


def sensors(app_vision: AppVision, device: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = call(app_vision.url, "GET", "/api/v3/sensors").json()["sensors"]
    return [row for row in rows if row["device"] == device]


def camera(app_vision: AppVision, name: str) -> dict[str, Any] | None:
    rows = call(app_vision.url, "GET", "/api/v3/cameras").json()["cameras"]
    return next((row for row in rows if row["name"] == name), None)


def envelope_error_line(twin: TwinProcess, seen: set[int]) -> LogLine:
    """The SDK's next log line for a message go-mod-messaging could not decode as an envelope."""
    return twin.wait_line(
        lambda line: (
            line.level == "ERROR" and "error receiving message from bus" in line.msg and id(line) not in seen
        )
    )


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.value)
def test_a_bool_event_in_each_form(
    form: EnvelopeForm, peer: Peer, json_twin: TwinProcess, cbor_twin: TwinProcess, app_vision: AppVision
) -> None:
    """Taken by both, with the publisher's correlation id and topic. Difference (on purpose): the
    twin in the other envelope mode refuses the message (go-mod-messaging decodes only the form its
    EDGEX_MSG_CBOR_ENCODE selects, logging "error receiving message from bus" and counting it
    invalid); app-vision decodes every form whatever its own switch (README: JSON v4 object | JSON
    v3 base64 | whole-envelope CBOR), so a mixed deployment still reaches it."""
    device = unique("bus-bool")
    twin, other = receiving_twin(form, json_twin, cbor_twin), other_twin(form, json_twin, cbor_twin)
    seen_other = {id(line) for line in other.lines_where(lambda _line: True)}
    received, invalid = (
        app_vision.metric("messages_received_total", topic_kind="events"),
        app_vision.invalid(),
    )
    published = publish_bool(peer, form, device)
    record = twin.wait_record(lambda r: r["deviceName"] == device)
    assert record["correlationId"] == published["correlationID"]
    assert record["receivedTopic"] == published["topic"]
    assert record["inputContentType"] == (
        "application/cbor" if form is EnvelopeForm.CBOR else "application/json"
    )
    assert [(r["resourceName"], r["valueType"], r["value"]) for r in record["readings"]] == [
        ("Bool", "Bool", "true")
    ]
    twin.wait_line(
        lambda line: (
            line.level == "INFO"
            and f"on topic '{published['topic']}'" in line.msg
            and f"X-Correlation-ID={published['correlationID']}" in line.msg
        )
    )
    assert wait_until(lambda: bool(sensors(app_vision, device))), "app-vision's sensor table did not get it"
    (row,) = sensors(app_vision, device)
    assert (row["resource"], row["valueType"], row["value"]) == ("Bool", "Bool", True)
    # Difference (EdgeX's, docs/INTEROP.md): a nested-JSON payload reaches the SDK as map[string]any,
    # so GetMsgPayload carries the ns origin through float64; app-vision keeps it exact.
    expected = go_float64_round_trip(row["origin"]) if form is EnvelopeForm.NESTED_JSON else row["origin"]
    assert record["readings"][0]["origin"] == expected
    assert app_vision.metric("messages_received_total", topic_kind="events") == received + 1
    assert app_vision.invalid() == invalid
    envelope_error_line(other, seen_other)
    assert other.records_where(lambda r: r["deviceName"] == device) == []


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.value)
def test_an_image_event_in_each_form(
    form: EnvelopeForm,
    peer: Peer,
    json_twin: TwinProcess,
    cbor_twin: TwinProcess,
    app_vision: AppVision,
    tmp_path: Path,
) -> None:
    """A Binary image/jpeg reading (a CBOR AddEventRequest, base64 inside a JSON envelope or a byte
    string inside a CBOR one): the SDK hands the twin the exact bytes, app-vision counts a frame of
    the camera."""
    device = unique("bus-cam")
    path, jpeg = write_jpeg(tmp_path)
    twin = receiving_twin(form, json_twin, cbor_twin)
    published = peer.run(
        "publish-event",
        ["-profile", "camera", "-device", device, "-source", "Image", "-image", str(path)],
        form,
    )
    assert published["contentType"] == "application/cbor"
    record = twin.wait_record(lambda r: r["deviceName"] == device)
    assert record["correlationId"] == published["correlationID"]
    (reading,) = record["readings"]
    assert (reading["valueType"], reading["mediaType"]) == ("Binary", "image/jpeg")
    assert (reading["binarySize"], reading["binarySha256"]) == (len(jpeg), hashlib.sha256(jpeg).hexdigest())
    assert wait_until(lambda: (camera(app_vision, device) or {}).get("framesReceived") == 1), camera(
        app_vision, device
    )


def _raw(
    correlation: str, payload: Any, content_type: str = "application/json", error_code: int = 0
) -> bytes:
    return json.dumps(
        {
            "apiVersion": "v3",
            "receivedTopic": "",
            "correlationID": correlation,
            "requestID": "",
            "errorCode": error_code,
            "payload": payload,
            "contentType": content_type,
        }
    ).encode()


def _event_without_origin() -> dict[str, Any]:
    now = time.time_ns()
    return {
        "apiVersion": "v3",
        "requestId": str(uuid.uuid4()),
        "event": {
            "apiVersion": "v3",
            "id": str(uuid.uuid4()),
            "deviceName": "bus-invalid",
            "profileName": "twin-profile",
            "sourceName": "Bool",
            "origin": 0,
            "readings": [
                {
                    "origin": now,
                    "deviceName": "bus-invalid",
                    "resourceName": "Bool",
                    "profileName": "twin-profile",
                    "valueType": "Bool",
                    "value": "true",
                }
            ],
        },
    }


# name -> (message bytes for a correlation id, where the SDK fails, app-vision's invalid reason)
BAD_MESSAGES: dict[str, tuple[Any, str, str]] = {
    "not-an-envelope": (lambda c: b"not an envelope", "envelope", "envelope"),
    "json-array": (lambda c: b"[1, 2, 3]", "envelope", "envelope"),
    "payload-not-an-event": (lambda c: _raw(c, {"foo": 1}), "payload", "event"),
    # The SDK decodes the envelope and fails on the payload; app-vision already refuses the envelope.
    "payload-not-base64": (lambda c: _raw(c, "***"), "payload", "envelope"),
    "error-envelope": (lambda c: _raw(c, "device error", "text/plain", 1), "payload", "event"),
    "null-payload": (lambda c: _raw(c, None), "payload", "event"),
}


@pytest.mark.parametrize("case", list(BAD_MESSAGES))
def test_a_bad_message_is_dropped_by_both(
    case: str, json_twin: TwinProcess, app_vision: AppVision, twin_recorder: BusRecorder
) -> None:
    """Both drop it, log it and count it invalid. Where the SDK names the correlation id
    (runtime.logError "... X-Correlation-ID=<id>", once the envelope decoded) app-vision names it too,
    and it also names the topic, which the SDK's log lines do not. Difference (where it fails, not
    whether): a JSON envelope whose payload string is not base64 is an envelope error for app-vision
    (reason "envelope", logged without the correlation id), a payload error for the SDK
    (GetMsgPayload's base64 decode, logged with it); both count it invalid."""
    make, sdk_stage, app_reason = BAD_MESSAGES[case]
    correlation = str(uuid.uuid4())
    topic = f"edgex/events/device/raw/twin-profile/{unique(case)}/Bool"
    seen = {id(line) for line in json_twin.lines_where(lambda _line: True)}
    invalid = app_vision.metric("invalid_messages_total", reason=app_reason)
    before = len(app_vision.log_messages())
    twin_recorder.publish(topic, make(correlation))
    if sdk_stage == "envelope":
        envelope_error_line(json_twin, seen)
    else:
        json_twin.wait_line(
            lambda line: (
                line.level == "ERROR"
                and line.msg.startswith("unable to process payload")
                and f"X-Correlation-ID={correlation}" in line.msg
            )
        )
    assert wait_until(lambda: app_vision.metric("invalid_messages_total", reason=app_reason) == invalid + 1)
    warnings = [
        msg for level, msg in app_vision.log_messages()[before:] if level == "WARNING" and topic in msg
    ]
    assert warnings, f"app-vision logged no warning naming {topic}"
    if sdk_stage == "payload" and app_reason == "event":
        assert correlation in warnings[0], warnings[0]
    assert json_twin.records_where(lambda r: r["receivedTopic"] == topic) == []


def test_an_event_edgex_validation_rejects_is_dropped(
    json_twin: TwinProcess, app_vision: AppVision, twin_recorder: BusRecorder
) -> None:
    """An AddEventRequest whose event has origin 0: the SDK's decode runs AddEventRequest.Validate
    ("AddEventRequest.Event.Origin field is required") and drops it as invalid. app-vision should
    drop and count it too (invalid_messages_total{reason="event"}) instead of ingesting it."""
    correlation = str(uuid.uuid4())
    topic = f"edgex/events/device/raw/twin-profile/{unique('bus-invalid')}/Bool"
    invalid = app_vision.invalid()
    twin_recorder.publish(topic, _raw(correlation, _event_without_origin()))
    line = json_twin.wait_line(lambda item: f"X-Correlation-ID={correlation}" in item.msg)
    assert line.level == "ERROR" and "AddEventRequest.Event.Origin field is required" in line.msg
    assert wait_until(lambda: app_vision.invalid() == invalid + 1, 3), (
        "app-vision took an event EdgeX's validation rejects (origin 0) as valid"
    )


def test_received_and_invalid_counts_agree(
    peer: Peer, json_twin: TwinProcess, app_vision: AppVision, twin_recorder: BusRecorder
) -> None:
    """The same batch (two good events, one per JSON form, and every bad message above) moves the
    SDK's MessagesReceived/InvalidMessagesReceived (read from the JSON twin's telemetry) and
    app-vision's by the same amounts."""
    start = time.time()
    twin_received = counter_after(twin_recorder, TWIN_KEY, "MessagesReceived", start)
    twin_invalid = counter_after(twin_recorder, TWIN_KEY, "InvalidMessagesReceived", start)
    app_received, app_invalid = app_vision.received(), app_vision.invalid()
    for form in (EnvelopeForm.NESTED_JSON, EnvelopeForm.BASE64_JSON):
        publish_bool(peer, form, unique("bus-count"))
    for case, (make, _stage, _reason) in BAD_MESSAGES.items():
        twin_recorder.publish(
            f"edgex/events/device/raw/twin-profile/{unique(case)}/Bool", make(str(uuid.uuid4()))
        )
    total, bad = 2 + len(BAD_MESSAGES), len(BAD_MESSAGES)
    assert wait_until(lambda: app_vision.received() == app_received + total)
    assert app_vision.invalid() == app_invalid + bad
    sent = time.time()
    assert counter_reaches(twin_recorder, TWIN_KEY, "MessagesReceived", twin_received + total, sent) == (
        twin_received + total
    )
    assert counter_reaches(twin_recorder, TWIN_KEY, "InvalidMessagesReceived", twin_invalid + bad, sent) == (
        twin_invalid + bad
    )


def test_the_correlation_id_reaches_the_outputs(
    peer: Peer,
    json_twin: TwinProcess,
    app_vision: AppVision,
    twin_recorder: BusRecorder,
    tmp_path: Path,
) -> None:
    """A frame with a person on app-vision's rule camera. The SDK publishes the twin's pipeline output
    with the triggering message's correlation id (messagebus trigger responseHandler); app-vision's
    result event carries the same id (ActionSenders, "as the AFS passes it on"); and the twin, an
    EdgeX app service, takes that result event and records the id again."""
    path = tmp_path / "person.jpg"
    path.write_bytes(photo_jpeg("astronaut"))
    published = peer.run(
        "publish-event",
        ["-profile", "camera", "-device", RESULT_CAMERA, "-source", "Image", "-image", str(path)],
        EnvelopeForm.NESTED_JSON,
    )
    correlation = published["correlationID"]
    record = json_twin.wait_record(
        lambda r: r["correlationId"] == correlation and r["deviceName"] == RESULT_CAMERA
    )
    outputs = twin_recorder.wait(
        lambda m: m.topic == RECORDS_TOPIC and decode_envelope_bytes(m.data)["correlationID"] == correlation
    )
    assert outputs, "the twin published no output for the frame"
    output = decode_envelope_bytes(outputs[0].data)
    assert envelope_payload(output) == record  # the response data, as the SDK published it
    results = twin_recorder.wait(lambda m: m.topic == RESULT_TOPIC, timeout_s=20)
    assert results, "app-vision published no result event for the person"
    result = decode_envelope_bytes(results[0].data)
    assert result["correlationID"] == correlation
    event = envelope_payload(result)["event"]
    assert (event["deviceName"], event["sourceName"]) == (APP_KEY, "Alert")
    seen_by_twin = json_twin.wait_record(lambda r: r["receivedTopic"] == RESULT_TOPIC)
    assert seen_by_twin["correlationId"] == correlation
    assert seen_by_twin["eventId"] == event["id"]
