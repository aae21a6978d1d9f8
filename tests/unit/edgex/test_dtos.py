"""Event DTOs: golden decoding of every captured event, accessors, encoding shape, back-fill."""

from __future__ import annotations

import base64
import json
from typing import Any

import cbor2
import pytest

from service.edgex.dtos import (
    AddEventRequest,
    Event,
    Reading,
    ReadingValueError,
    add_event_request_to_cbor,
    add_event_request_to_json,
    backfill_readings,
    decode_event_payload,
    new_add_event_request,
    new_event,
)
from service.edgex.envelope import decode_envelope, event_from_envelope
from service.edgex.errors import DecodeError, PayloadDecodeError


def _event(captures: dict[str, Any], name: str) -> AddEventRequest:
    return event_from_envelope(decode_envelope(captures[name].data, captures[name].topic))


# name, device, profile, source, origin, valueType, typed value read through the accessor
GOLDEN_EVENTS = [
    (
        "event-v4-bool",
        "Random-Boolean-Device",
        "Random-Boolean-Device",
        "Bool",
        1795569504369870084,
        "Bool",
        lambda r: r.as_bool(),
        True,
    ),
    (
        "event-v3form-base64-bool",
        "Random-Boolean-Device",
        "Random-Boolean-Device",
        "Bool",
        1795569781990610249,
        "Bool",
        lambda r: r.as_bool(),
        True,
    ),
    (
        "event-v4-int64",
        "Random-Integer-Device",
        "Random-Integer-Device",
        "Int64",
        1795569509447596283,
        "Int64",
        lambda r: r.as_int(),
        -792440581013538726,
    ),
    (
        "event-v4-float64",
        "Random-Float-Device",
        "Random-Float-Device",
        "Float64",
        1795569524520115442,
        "Float64",
        lambda r: r.as_float(),
        1.2473214949875589e307,
    ),
    (
        "event-v4-boolarray",
        "Random-Boolean-Device",
        "Random-Boolean-Device",
        "BoolArray",
        1795569679191124237,
        "BoolArray",
        lambda r: r.as_array(),
        [False, True, False, True, False],
    ),
    (
        "event-v4-float32array",
        "Random-Float-Device",
        "Random-Float-Device",
        "Float32Array",
        1795569679204456474,
        "Float32Array",
        lambda r: r.as_array(),
        [-1.7914651e38, 1.9114508e38, 2.7323108e37, -1.0967611e38, -3.4337405e37],
    ),
    (
        "event-v4-object",
        "Fixed-Object-Device",
        "Fixed-Object-Device",
        "Object",
        1795569679164121130,
        "Object",
        lambda r: r.as_object(),
        {"key1": "value1", "key2": 123},
    ),
    (
        "event-v4-objectarray",
        "Fixed-Object-Device",
        "Fixed-Object-Device",
        "ObjectArray",
        1795569679178077225,
        "ObjectArray",
        lambda r: r.as_object(),
        [{"key1": "value1", "key2": 123}, {"key1": "value2", "key2": 456}],
    ),
    (
        "event-v4-device-rest-object",
        "sample-json",
        "sample-json",
        "json",
        1795569679236038626,
        "Object",
        lambda r: r.as_object(),
        {"box": [1, 2, 3, 4], "label": "person", "score": 0.9},
    ),
]


@pytest.mark.parametrize(
    ("name", "device", "profile", "source", "origin", "value_type", "read", "expected"), GOLDEN_EVENTS
)
def test_golden_event_decodes_to_expected_values(
    captures: dict[str, Any],
    name: str,
    device: str,
    profile: str,
    source: str,
    origin: int,
    value_type: str,
    read: Any,
    expected: Any,
) -> None:
    req = _event(captures, name)
    event = req.event
    assert (event.device_name, event.profile_name, event.source_name) == (device, profile, source)
    assert event.origin == origin  # exact nanoseconds, no float rounding
    assert len(event.readings) == 1
    reading = event.readings[0]
    assert reading.value_type == value_type
    assert (reading.device_name, reading.profile_name, reading.resource_name) == (device, profile, source)
    assert read(reading) == expected
    assert not reading.is_null
    assert len(req.request_id) == 36 and len(event.id) == 36 and len(reading.id) == 36


def test_golden_binary_cbor_event(captures: dict[str, Any]) -> None:
    env = decode_envelope(captures["event-v4-binary-cbor"].data)
    assert env.media_type == "application/cbor" and isinstance(env.payload, bytes)
    req = event_from_envelope(env)
    assert req.request_id == "73f4cddc-34de-4a66-a0db-75bfe819d090"
    reading = req.event.readings[0]
    assert (req.event.device_name, reading.value_type, reading.media_type) == (
        "Random-Binary-Device",
        "Binary",
        "random",
    )
    inner = cbor2.loads(env.payload)
    assert reading.binary_value == inner["event"]["readings"][0]["binaryValue"]
    assert isinstance(reading.binary_value, bytes) and len(reading.binary_value) > 0
    assert reading.value is None and req.event.has_binary
    with pytest.raises(ReadingValueError):
        reading.as_str()


def test_rest_get_reply_decodes_as_event_response(rest_captures: dict[str, Any]) -> None:
    req = decode_event_payload(rest_captures["rest-core-command-get-reply"], "application/json")
    assert req.event.id == "5777d0a2-a592-47f4-aaa7-bd7262a7a4d8"
    assert req.event.origin == 1795569607466290733
    assert req.event.readings[0].as_bool() is False


@pytest.mark.parametrize("name", [g[0] for g in GOLDEN_EVENTS] + ["event-v4-binary-cbor"])
def test_our_json_encoding_has_the_captured_shape(captures: dict[str, Any], name: str) -> None:
    """Same keys and value types as the real device service's AddEventRequest."""
    env = json.loads(captures[name].data)
    original = env["payload"]
    if isinstance(original, str):
        raw = base64.b64decode(original)
        original = cbor2.loads(raw) if env["contentType"] == "application/cbor" else json.loads(raw)
    ours = add_event_request_to_json(_event(captures, name))
    if name == "event-v4-binary-cbor":
        ours = cbor2.loads(add_event_request_to_cbor(_event(captures, name)))
    assert _shape(ours) == _shape(original)
    assert ours == original  # and, since we keep every field, the very same content


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def test_cbor_encoding_keeps_bytes_and_exact_origin() -> None:
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256))
    event = new_event("cam", "camera", "Snapshot", [Reading.binary("Snapshot", jpeg, "image/jpeg")])
    req = new_add_event_request(event)
    raw = cbor2.loads(add_event_request_to_cbor(req))
    reading = raw["event"]["readings"][0]
    assert reading["binaryValue"] == jpeg and reading["mediaType"] == "image/jpeg"
    assert raw["event"]["origin"] == event.origin and isinstance(raw["event"]["origin"], int)
    assert "value" not in reading and "objectValue" not in reading
    back = decode_event_payload(add_event_request_to_cbor(req), "application/cbor")
    assert back == req
    as_json: Any = add_event_request_to_json(req)["event"]
    assert as_json["readings"][0]["binaryValue"] == base64.b64encode(jpeg).decode()


@pytest.mark.parametrize(
    ("reading", "carrier"),
    [
        (Reading.simple("Temp", "Float32", None), "value"),
        (Reading.binary("Img", None, "image/jpeg"), "binaryValue"),
        (Reading.object("Obj", None), "objectValue"),
    ],
)
def test_null_readings_round_trip(reading: Reading, carrier: str) -> None:
    req = new_add_event_request(new_event("d", "p", "s", [reading]))
    body: Any = add_event_request_to_json(req)
    encoded = body["event"]["readings"][0]
    assert encoded[carrier] is None
    back = decode_event_payload(json.dumps(body).encode(), "application/json").event.readings[0]
    assert back.is_null and back.value_type == reading.value_type
    with pytest.raises(ReadingValueError):
        back.as_float()


def test_optimized_payload_is_back_filled() -> None:
    payload: dict[str, Any] = {
        "apiVersion": "v3",
        "event": {
            "apiVersion": "v3",
            "id": "e1",
            "deviceName": "dev",
            "profileName": "prof",
            "sourceName": "Temp",
            "origin": 1700000000000000001,
            "readings": [{"valueType": "float64", "value": "2.345000e+01"}],
        },
    }
    reading = decode_event_payload(payload, "application/json").event.readings[0]
    assert (reading.device_name, reading.profile_name, reading.resource_name) == ("dev", "prof", "Temp")
    assert reading.origin == 1700000000000000001 and reading.id == ""
    assert reading.value_type == "Float64"  # case normalised
    assert reading.as_float() == 23.45


def test_bare_event_is_accepted() -> None:
    bare = {
        "apiVersion": "v3",
        "id": "e",
        "deviceName": "d",
        "profileName": "p",
        "sourceName": "s",
        "origin": 5,
        "readings": [{"resourceName": "s", "valueType": "String", "value": "hi"}],
    }
    req = decode_event_payload(json.dumps(bare).encode(), "application/json; charset=utf-8")
    assert req.request_id == "" and req.event.readings[0].as_str() == "hi"


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"\xff\x00", "application/cbor"),
        (b"{}", "application/json"),
        (b'{"event": []}', "application/json"),
        (b'{"event": {"readings": [{"valueType": "Nope", "value": "1"}]}}', "application/json"),
        (b'{"event": {"readings": [{"valueType": "Int8", "value": 1}]}}', "application/json"),
        (b'{"event": {"origin": "1", "readings": []}}', "application/json"),
        (b'{"event": {"readings": [{"valueType": "Binary", "binaryValue": "!!"}]}}', "application/json"),
        (b"<xml/>", "application/xml"),
        ("text", "application/json"),
    ],
)
def test_malformed_payloads_raise_decode_error(payload: Any, content_type: str) -> None:
    with pytest.raises(PayloadDecodeError):
        decode_event_payload(payload, content_type)


def test_reading_constructors_and_accessors() -> None:
    assert Reading.simple("t", "float32", 23.45).value == "2.345000e+01"
    assert Reading.simple("t", "Float64", float("inf")).value == "+Inf"
    assert Reading.simple("b", "bool", True).as_bool() is True
    assert Reading.simple("i", "Uint8", 7).as_int() == 7
    assert Reading.simple("i", "Uint8", 7).as_float() == 7.0
    assert Reading.simple("a", "Int16Array", [1, -2]).value == "[1, -2]"
    assert Reading.simple("a", "StringArray", ["x", "y z"]).as_array() == ["x", "y z"]
    obj = Reading.object("o", [{"a": 1}])
    assert obj.value_type == "ObjectArray" and obj.as_object() == [{"a": 1}]
    with pytest.raises(ReadingValueError):
        Reading.simple("b", "Bool", "yes")
    with pytest.raises(ReadingValueError):
        Reading.simple("s", "String", "x").as_int()
    with pytest.raises(ReadingValueError):
        Reading.simple("s", "Bool", True).as_array()
    with pytest.raises(ReadingValueError):
        Reading.simple("s", "Complex", 1)
    with pytest.raises(ReadingValueError):
        Reading.simple("s", "Object", {"a": 1})  # type: ignore[arg-type]


def test_new_event_fills_names_and_origin() -> None:
    event = new_event("dev", "prof", "src", [Reading.simple("r", "Int32", 1, origin=0)])
    assert isinstance(event, Event) and event.origin > 1_600_000_000 * 10**9
    reading = event.readings[0]
    assert (reading.device_name, reading.profile_name, reading.origin) == ("dev", "prof", event.origin)
    assert new_event("d", "p", "s", []).id != new_event("d", "p", "s", []).id


def test_decode_error_is_the_base_of_payload_errors() -> None:
    assert issubclass(PayloadDecodeError, DecodeError)


def test_dtos_all_lists_exactly_its_public_names() -> None:
    from service.edgex import dtos

    public = {name for name in vars(dtos) if not name.startswith("_") and name != "annotations"}
    assert set(dtos.__all__) == public


def test_back_fill_keeps_a_complete_event_and_fills_only_missing_fields() -> None:
    complete = Reading("r1", 7, "dev", "Temp", "prof", "Float64", value="1.0")
    event = Event("e1", "dev", "prof", "Temp", 5, (complete,))
    assert backfill_readings(event) is event  # nothing to fill: no per-frame copy
    partial = Reading("r2", 0, "", "", "other", "Float64", value="2.0")
    filled = backfill_readings(Event("e2", "dev", "prof", "Temp", 5, (complete, partial)))
    assert filled.readings[0] == complete
    second = filled.readings[1]
    assert (second.origin, second.device_name, second.resource_name, second.profile_name) == (
        5,
        "dev",
        "Temp",
        "other",
    )
