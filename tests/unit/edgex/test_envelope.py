"""MessageEnvelope: golden decoding of every capture, the three encodings, round trips."""

from __future__ import annotations

import base64
import json
from typing import Any

import cbor2
import pytest

from service.edgex.dtos import Reading, decode_event_payload, new_add_event_request, new_event
from service.edgex.envelope import (
    EnvelopeForm,
    MessageEnvelope,
    decode_envelope,
    encode_envelope,
    envelope_for_event,
    event_from_envelope,
    payload_bytes,
    payload_value,
)
from service.edgex.errors import DecodeError, EnvelopeDecodeError, PayloadDecodeError
from service.edgex.system_events import system_event_from_json
from service.edgex.wire_format import WireFormat

ENVELOPE_KEYS = [
    "apiVersion",
    "receivedTopic",
    "correlationID",
    "requestID",
    "errorCode",
    "payload",
    "contentType",
]


def test_every_capture_decodes_with_its_fields(captures: dict[str, Any]) -> None:
    assert len(captures) == 29
    for cap in captures.values():
        raw = json.loads(cap.data)
        env = decode_envelope(cap.data, cap.topic)
        assert env.received_topic == cap.topic
        assert env.correlation_id == raw["correlationID"] and env.request_id == raw["requestID"]
        assert env.error_code == raw["errorCode"] and env.content_type == raw["contentType"]
        assert dict(env.query_params) == raw.get("queryParams", {})


@pytest.mark.parametrize(
    ("name", "device", "command", "query", "payload"),
    [
        (
            "command-Bool_get_nested_request",
            "Random-Boolean-Device",
            "Bool",
            {"ds-pushevent": "false", "ds-returnevent": "true"},
            None,
        ),
        ("command-get_noqp_request", "Random-Boolean-Device", "Bool", {}, None),
        (
            "command-WriteBoolValue_set_nested_request",
            "Random-Boolean-Device",
            "WriteBoolValue",
            {},
            {"Bool": "true", "EnableRandomization_Bool": "false"},
        ),
        (
            "command-WriteBoolValue_set_b64_request",
            "Random-Boolean-Device",
            "WriteBoolValue",
            {},
            {"Bool": "false"},
        ),
        ("command-err_badval_request", "Random-Boolean-Device", "WriteBoolValue", {}, {"Bool": "notabool"}),
        ("command-err_badqp_request", "Random-Boolean-Device", "Bool", {"ds-returnevent": "maybe"}, None),
        ("command-err_nocmd_request", "Random-Boolean-Device", "NoSuchCmd", {}, None),
        ("command-err_nodevice_request", "No-Such-Device", "Bool", {}, None),
    ],
)
def test_command_requests(
    captures: dict[str, Any], name: str, device: str, command: str, query: dict[str, str], payload: Any
) -> None:
    cap = captures[name]
    env = decode_envelope(cap.data, cap.topic)
    assert cap.topic.split("/")[-3:-1] == [device, command]
    assert dict(env.query_params) == query
    assert payload_value(env) == payload
    assert len(env.request_id) == 36


@pytest.mark.parametrize(
    ("name", "bool_value"),
    [("command-Bool_get_nested_reply", True), ("command-get_noqp_reply", False)],
)
def test_command_get_replies_carry_an_event_response(
    captures: dict[str, Any], name: str, bool_value: bool
) -> None:
    env = decode_envelope(captures[name].data)
    assert not env.is_error and isinstance(env.payload, dict)
    assert env.payload["statusCode"] == 200 and env.payload["requestId"] == env.request_id
    reading = event_from_envelope(env).event.readings[0]
    assert reading.device_name == "Random-Boolean-Device" and reading.as_bool() is bool_value


@pytest.mark.parametrize(
    "name",
    [
        "command-WriteBoolValue_set_nested_reply",
        "command-WriteBoolValue_set_b64_reply",
        "metadata-validate-device-reply",
    ],
)
def test_success_replies_have_null_payload(captures: dict[str, Any], name: str) -> None:
    env = decode_envelope(captures[name].data)
    assert env.payload is None and not env.is_error and payload_bytes(env) == b""


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("command-err_badqp_reply", "invalid query parameter, ds-returnevent has to be 'true' or 'false'"),
        ("command-err_nocmd_reply", "Regex DeviceResource NoSuchCmd not found"),
        ("command-err_nodevice_reply", "failed to get Device by name No-Such-Device"),
        ("command-err_badval_reply", 'parsing "notabool": invalid syntax'),
    ],
)
def test_error_replies_are_plain_text(captures: dict[str, Any], name: str, text: str) -> None:
    env = decode_envelope(captures[name].data)
    assert env.is_error and env.error_code == 1 and env.media_type == "text/plain"
    assert isinstance(env.payload, str) and text in env.payload
    with pytest.raises(PayloadDecodeError):
        event_from_envelope(env)


def test_v3_error_payload_is_base64_text() -> None:
    text = "device locked"
    raw = json.dumps(
        {
            "apiVersion": "v3",
            "errorCode": 1,
            "contentType": "text/plain",
            "payload": base64.b64encode(text.encode()).decode(),
        }
    ).encode()
    assert decode_envelope(raw).payload == text


def test_system_event(captures: dict[str, Any]) -> None:
    cap = captures["system-event-device-add"]
    event = system_event_from_json(payload_value(decode_envelope(cap.data, cap.topic)))
    assert (event.type, event.action, event.source, event.owner) == (
        "device",
        "add",
        "core-metadata",
        "device-virtual",
    )
    assert event.device_name == "Random-Boolean-Device" and event.timestamp == 1795569494364924773


def test_metadata_validate_request(captures: dict[str, Any]) -> None:
    env = decode_envelope(captures["metadata-validate-device-request"].data)
    value = payload_value(env)
    assert isinstance(value, dict) and isinstance(value["device"], dict)
    assert value["device"]["name"] == "Random-Boolean-Device"
    assert value["device"]["protocols"] == {"other": {"Address": "device-virtual-bool-01", "Port": 300}}


def test_content_type_parameters_are_stripped() -> None:
    env = MessageEnvelope(payload={"a": 1}, content_type="application/json; charset=utf-8")
    back = decode_envelope(encode_envelope(env, EnvelopeForm.BASE64_JSON))
    assert back.media_type == "application/json" and back.content_type == env.content_type
    assert payload_value(back) == {"a": 1}


@pytest.mark.parametrize("form", list(EnvelopeForm))
@pytest.mark.parametrize("binary", [False, True])
def test_event_round_trip_in_every_form(form: EnvelopeForm, binary: bool) -> None:
    readings = [Reading.simple("Temp", "Float64", 21.5), Reading.object("Box", {"x": [1, 2]})]
    if binary:
        readings.append(Reading.binary("Image", b"\xff\xd8jpeg\x00", "image/jpeg"))
    req = new_add_event_request(new_event("cam-01", "camera", "Frame", readings))
    env = envelope_for_event(req, form, correlation_id="c-1")
    wire = encode_envelope(env, form)
    back = decode_envelope(wire, "edgex/events/device/x/camera/cam-01/Frame")
    assert back.correlation_id == "c-1" and back.request_id == ""
    assert event_from_envelope(back) == req
    expected_type = "application/cbor" if binary or form is EnvelopeForm.CBOR else "application/json"
    assert back.media_type == expected_type


def test_nested_form_shape_matches_capture(captures: dict[str, Any]) -> None:
    env = envelope_for_event(
        new_add_event_request(new_event("d", "p", "s", [Reading.simple("s", "Bool", True)])),
        EnvelopeForm.NESTED_JSON,
    )
    ours = json.loads(encode_envelope(env, EnvelopeForm.NESTED_JSON))
    theirs = json.loads(captures["event-v4-bool"].data)
    assert list(ours) == list(theirs) == ENVELOPE_KEYS
    assert isinstance(ours["payload"], dict) and list(ours["payload"]) == list(theirs["payload"])
    assert list(ours["payload"]["event"]) == list(theirs["payload"]["event"])


def test_base64_form_shape_matches_v3_capture(captures: dict[str, Any]) -> None:
    req = new_add_event_request(new_event("d", "p", "s", [Reading.simple("s", "Bool", True)]))
    ours = json.loads(
        encode_envelope(envelope_for_event(req, EnvelopeForm.BASE64_JSON), EnvelopeForm.BASE64_JSON)
    )
    theirs = json.loads(captures["event-v3form-base64-bool"].data)
    assert list(ours) == list(theirs)
    inner_ours, inner_theirs = (json.loads(base64.b64decode(x["payload"])) for x in (ours, theirs))
    assert list(inner_ours) == list(inner_theirs) and list(inner_ours["event"]) == list(inner_theirs["event"])


def test_binary_event_shape_matches_capture(captures: dict[str, Any]) -> None:
    req = new_add_event_request(new_event("d", "p", "s", [Reading.binary("s", b"\x00\x01", "image/png")]))
    ours = json.loads(
        encode_envelope(envelope_for_event(req, EnvelopeForm.NESTED_JSON), EnvelopeForm.NESTED_JSON)
    )
    theirs = json.loads(captures["event-v4-binary-cbor"].data)
    assert list(ours) == list(theirs) and ours["contentType"] == theirs["contentType"] == "application/cbor"
    inner_ours, inner_theirs = (cbor2.loads(base64.b64decode(x["payload"])) for x in (ours, theirs))
    assert list(inner_ours["event"]["readings"][0]) == list(inner_theirs["event"]["readings"][0])


@pytest.mark.parametrize(
    "name",
    [
        "event-v4-bool",
        "event-v4-binary-cbor",
        "command-Bool_get_nested_request",
        "command-err_nocmd_reply",
        "system-event-device-add",
        "command-WriteBoolValue_set_b64_request",
    ],
)
def test_whole_cbor_envelope_variants_of_captures(captures: dict[str, Any], name: str) -> None:
    """Re-encode each capture as EDGEX_MSG_CBOR_ENCODE=true would put it on the wire."""
    env = decode_envelope(captures[name].data)
    wire = encode_envelope(env, EnvelopeForm.CBOR)
    raw = cbor2.loads(wire)
    assert list(raw)[:7] == ENVELOPE_KEYS and raw["contentType"] == "application/cbor"
    assert not isinstance(raw["payload"], bytes)  # the DTO is nested, not pre-encoded
    back = decode_envelope(wire)
    assert (back.request_id, back.correlation_id, back.error_code) == (
        env.request_id,
        env.correlation_id,
        env.error_code,
    )
    assert dict(back.query_params) == dict(env.query_params)
    if name.startswith("event"):
        assert event_from_envelope(back) == event_from_envelope(env)
    else:
        assert payload_value(back) == payload_value(env)


def test_encode_all_events_cbor() -> None:
    req = new_add_event_request(new_event("d", "p", "s", [Reading.simple("s", "Int8", 3)]))
    env = envelope_for_event(req, EnvelopeForm.NESTED_JSON, cbor_all_events=True)
    assert env.media_type == "application/cbor" and isinstance(env.payload, bytes)
    assert decode_event_payload(env.payload, env.content_type) == req


def test_query_params_only_when_present() -> None:
    plain = json.loads(encode_envelope(MessageEnvelope(), EnvelopeForm.NESTED_JSON))
    assert "queryParams" not in plain and plain["payload"] is None
    with_qp = json.loads(
        encode_envelope(MessageEnvelope(query_params={"ds-pushevent": "true"}), EnvelopeForm.NESTED_JSON)
    )
    assert with_qp["queryParams"] == {"ds-pushevent": "true"}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   ",
        b"[1,2]",
        b"null",
        b"\x00",
        b"{",
        b'{"errorCode": "0"}',
        b'{"payload": "not base64!"}',
        b'{"queryParams": {"a": 1}}',
        b'{"requestID": 5}',
        cbor2.dumps({"errorCode": 1.5}),
        cbor2.dumps({1: 2}),
        b"\xa1",
    ],
)
def test_malformed_envelopes_raise_decode_error(data: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_envelope(data)


def test_envelope_errors_are_envelope_decode_errors() -> None:
    with pytest.raises(EnvelopeDecodeError):
        decode_envelope(b"garbage")


@pytest.mark.parametrize(
    ("environ", "form", "all_cbor"),
    [
        ({}, EnvelopeForm.NESTED_JSON, False),
        ({"EDGEX_MSG_BASE64_PAYLOAD": "true"}, EnvelopeForm.BASE64_JSON, False),
        ({"EDGEX_MSG_CBOR_ENCODE": "true", "EDGEX_MSG_BASE64_PAYLOAD": "true"}, EnvelopeForm.CBOR, False),
        (
            {"EDGEX_MSG_CBOR_ENCODE": "false", "EDGEX_ENCODE_ALL_EVENTS_CBOR": "true"},
            EnvelopeForm.NESTED_JSON,
            True,
        ),
        ({"EDGEX_MSG_BASE64_PAYLOAD": "yes"}, EnvelopeForm.NESTED_JSON, False),
        # EdgeX compares with the exact string "true": Go-style "1"/"True" leave every service on JSON.
        (
            {"EDGEX_MSG_CBOR_ENCODE": "1", "EDGEX_ENCODE_ALL_EVENTS_CBOR": "1"},
            EnvelopeForm.NESTED_JSON,
            False,
        ),
        ({"EDGEX_MSG_BASE64_PAYLOAD": "True"}, EnvelopeForm.NESTED_JSON, False),
    ],
)
def test_wire_format_from_environ(environ: dict[str, str], form: EnvelopeForm, all_cbor: bool) -> None:
    wire = WireFormat.from_environ(environ, enable_name_field_escape=True)
    assert (wire.form, wire.encode_all_events_cbor, wire.name_field_escape) == (form, all_cbor, True)
