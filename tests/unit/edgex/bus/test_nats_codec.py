"""MessageEnvelope <-> NATS headers/body in the `nats` and `json` formats."""

from __future__ import annotations

import json

import pytest

from service.edgex.bus.errors import UnsupportedBusType
from service.edgex.bus.nats_codec import NatsCodec
from service.edgex.envelope import EnvelopeForm, MessageEnvelope, decode_envelope
from service.edgex.errors import DecodeError
from tests.shared_material import CAPTURES_DIR

CAPTURES = CAPTURES_DIR


def capture(name: str) -> bytes:
    return (CAPTURES / f"{name}.bin").read_bytes()


def test_nats_format_puts_metadata_in_headers_and_the_raw_payload_in_the_body() -> None:
    env = decode_envelope(capture("command-Bool_get_nested_request"))
    headers, body = NatsCodec("nats", EnvelopeForm.NESTED_JSON).encode(env)
    assert headers is not None
    assert dict(headers) | {"QueryParams": ""} == {
        "X-Correlation-ID": env.correlation_id,
        "Content-Type": "application/json",
        "RequestId": env.request_id,
        "ApiVersion": "v3",
        "ErrorCode": "0",
        "QueryParams": "",
    }
    assert sorted(value for key, value in headers.items() if key == "QueryParams") == [
        f"{key}:{value}" for key, value in sorted(env.query_params.items())
    ]
    assert body == b""  # a get request carries no payload


def test_nats_format_body_is_the_dto_bytes() -> None:
    env = decode_envelope(capture("event-v4-bool"))
    _, body = NatsCodec("nats", EnvelopeForm.BASE64_JSON).encode(env)
    assert json.loads(body) == env.payload


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        (
            {
                "Content-Type": "application/json",
                "X-Correlation-ID": "c",
                "RequestId": "r",
                "ApiVersion": "v3",
                "ErrorCode": "0",
                "QueryParams": "ds-pushevent:false\nds-returnevent: true",
            },
            b'{"a":1}',
            MessageEnvelope(
                correlation_id="c",
                request_id="r",
                payload=b'{"a":1}',
                received_topic="t/1",
                query_params={"ds-pushevent": "false", "ds-returnevent": "true"},
            ),
        ),
        (
            {"Content-Type": "text/plain", "ErrorCode": "1"},
            b"device not found",
            MessageEnvelope(
                api_version="",
                error_code=1,
                payload="device not found",
                content_type="text/plain",
                received_topic="t/1",
            ),
        ),
        (None, b"", MessageEnvelope(api_version="", content_type="", received_topic="t/1")),
    ],
)
def test_nats_format_decode(headers: dict[str, str] | None, body: bytes, expected: MessageEnvelope) -> None:
    env = NatsCodec("nats", EnvelopeForm.NESTED_JSON).decode("t/1", headers, body)
    assert env.payload == expected.payload
    assert env == expected


@pytest.mark.parametrize(
    ("headers", "body"),
    [({"ErrorCode": "x"}, b"{}"), ({"Content-Type": "text/plain"}, b"\xff\xfe")],
)
def test_nats_format_decode_errors(headers: dict[str, str], body: bytes) -> None:
    with pytest.raises(DecodeError):
        NatsCodec("nats", EnvelopeForm.NESTED_JSON).decode("t", headers, body)


@pytest.mark.parametrize("form", list(EnvelopeForm))
def test_json_format_carries_the_whole_envelope(form: EnvelopeForm) -> None:
    env = decode_envelope(capture("event-v4-bool"))
    codec = NatsCodec("json", form)
    headers, body = codec.encode(env)
    assert headers is None
    decoded = codec.decode("edgex/events/x", None, body)
    assert decoded.received_topic == "edgex/events/x"
    assert decoded.correlation_id == env.correlation_id
    with pytest.raises(DecodeError):
        codec.decode("edgex/events/x", None, b"garbage")


def test_unknown_format_names_the_valid_ones() -> None:
    with pytest.raises(UnsupportedBusType, match="nats, json"):
        NatsCodec("protobuf", EnvelopeForm.NESTED_JSON)
