"""The EdgeX MessageEnvelope: decode all three wire forms, encode the configured one.

Forms (PROTOCOL.md §1.2): v4 JSON with the DTO nested as a JSON object (4.x default), JSON with
the DTO as a base64 string (3.x, or 4.x with EDGEX_MSG_BASE64_PAYLOAD=true), and the whole
envelope as a CBOR map (EDGEX_MSG_CBOR_ENCODE=true). After decoding, `payload` is the nested
value (JSON form / CBOR map), bytes (base64 / CBOR byte string), str (text/plain error) or None.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from service.edgex.errors import DecodeError, EnvelopeDecodeError, PayloadDecodeError
from service.edgex.event_codec import (
    CBOR,
    JSON,
    add_event_request_to_cbor,
    add_event_request_to_json,
    decode_event_payload,
)
from service.edgex.event_types import API_VERSION, AddEventRequest, JsonValue
from service.edgex.payload_codec import (
    b64decode_strict,
    b64encode,
    cbor_dumps,
    cbor_loads,
    json_dumps,
    json_loads,
    media_type_of,
    to_json_compatible,
)

TEXT = "text/plain"
_NO_PARAMS: Mapping[str, str] = MappingProxyType({})


class EnvelopeForm(enum.Enum):
    """How envelopes are written on the wire."""

    NESTED_JSON = "nested-json"
    BASE64_JSON = "base64-json"
    CBOR = "cbor"


@dataclass(frozen=True, slots=True)
class MessageEnvelope:
    """GMM types.MessageEnvelope (note the envelope's `requestID`/`correlationID` spelling)."""

    api_version: str = API_VERSION
    received_topic: str = ""
    correlation_id: str = ""
    request_id: str = ""
    error_code: int = 0
    payload: bytes | JsonValue = None
    content_type: str = JSON
    query_params: Mapping[str, str] = field(default_factory=lambda: _NO_PARAMS)

    @property
    def media_type(self) -> str:
        """contentType without parameters, lower-case."""
        return media_type_of(self.content_type)

    @property
    def is_error(self) -> bool:
        """True for an error reply (errorCode 1, payload the error text)."""
        return self.error_code != 0


def decode_envelope(data: bytes, received_topic: str = "") -> MessageEnvelope:
    """Decode a JSON or CBOR envelope; raises DecodeError (only) on any malformed input."""
    stripped = data.lstrip()
    try:
        if stripped[:1] == b"{":
            raw = json_loads(stripped)
        elif data and 0xA0 <= data[0] <= 0xBF:
            raw = cbor_loads(data)
        else:
            raise EnvelopeDecodeError("neither a JSON object nor a CBOR map")
    except PayloadDecodeError as exc:
        raise EnvelopeDecodeError(str(exc)) from exc
    if not isinstance(raw, dict):
        raise EnvelopeDecodeError("envelope is not an object")
    return _envelope_from_map(raw, received_topic)


def _field_str(raw: Mapping[str, JsonValue], key: str, default: str = "") -> str:
    value = raw.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise EnvelopeDecodeError(f"{key} must be a string")
    return value


def _envelope_from_map(raw: Mapping[str, JsonValue], received_topic: str) -> MessageEnvelope:
    error_code = raw.get("errorCode", 0)
    if error_code is None:
        error_code = 0
    if isinstance(error_code, bool) or not isinstance(error_code, int):
        raise EnvelopeDecodeError("errorCode must be an integer")
    params = raw.get("queryParams") or {}
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise EnvelopeDecodeError("queryParams must map strings to strings")
    content_type = _field_str(raw, "contentType", JSON)
    return MessageEnvelope(
        api_version=_field_str(raw, "apiVersion"),
        received_topic=received_topic or _field_str(raw, "receivedTopic"),
        correlation_id=_field_str(raw, "correlationID"),
        request_id=_field_str(raw, "requestID"),
        error_code=error_code,
        payload=_decode_payload_field(raw.get("payload"), content_type, error_code),
        content_type=content_type,
        query_params=MappingProxyType({str(k): str(v) for k, v in params.items()}) if params else _NO_PARAMS,
    )


def _decode_payload_field(payload: JsonValue, content_type: str, error_code: int) -> bytes | JsonValue:
    """PROTOCOL §1.2 rule 2: strings are base64, except a v4 plain-text error."""
    if not isinstance(payload, str):
        return payload
    is_text = media_type_of(content_type) == TEXT or error_code != 0
    try:
        decoded = b64decode_strict(payload)
    except DecodeError as exc:
        if is_text:
            return payload
        raise EnvelopeDecodeError("payload string is not base64") from exc
    if is_text:
        try:
            return decoded.decode("utf-8")  # v3 error: base64 of the error text
        except UnicodeDecodeError:
            return payload
    return decoded


def payload_value(env: MessageEnvelope) -> JsonValue | bytes:
    """The payload as a value: nested JSON as-is, bytes decoded per contentType, text as str."""
    payload = env.payload
    if not isinstance(payload, bytes):
        return payload
    media = env.media_type
    if media == CBOR:
        return cbor_loads(payload)
    if media in (JSON, ""):
        return json_loads(payload)
    if media == TEXT:
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PayloadDecodeError("text/plain payload is not UTF-8") from exc
    return payload


def payload_bytes(env: MessageEnvelope) -> bytes:
    """The payload as the bytes a v3 peer would have carried (JSON or CBOR per contentType)."""
    payload = env.payload
    if payload is None:
        return b""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str) and env.media_type == TEXT:
        return payload.encode("utf-8")
    if env.media_type == CBOR:
        return cbor_dumps(payload)
    return json_dumps(payload)


def encode_envelope(env: MessageEnvelope, form: EnvelopeForm) -> bytes:
    """Serialise in the given form (Go key order; queryParams only when present)."""
    if form is EnvelopeForm.CBOR:
        return cbor_dumps(_envelope_map(env, _cbor_payload(env), CBOR))
    if form is EnvelopeForm.BASE64_JSON:
        raw = None if env.payload is None else b64encode(payload_bytes(env))
        return json_dumps(_envelope_map(env, raw, env.content_type))
    return json_dumps(_envelope_map(env, _nested_payload(env), env.content_type))


def _nested_payload(env: MessageEnvelope) -> JsonValue:
    payload = env.payload
    if isinstance(payload, bytes):
        return b64encode(payload)  # CBOR or opaque bytes stay base64 in 4.x
    return to_json_compatible(payload)


def _cbor_payload(env: MessageEnvelope) -> JsonValue:
    """Full-envelope CBOR embeds the DTO as a nested map, never pre-encoded."""
    payload = env.payload
    if isinstance(payload, bytes) and env.media_type in (CBOR, JSON):
        return payload_value(env)
    return payload


def _envelope_map(env: MessageEnvelope, payload: JsonValue, content_type: str) -> dict[str, JsonValue]:
    out: dict[str, JsonValue] = {
        "apiVersion": env.api_version,
        "receivedTopic": env.received_topic,
        "correlationID": env.correlation_id,
        "requestID": env.request_id,
        "errorCode": env.error_code,
        "payload": payload,
        "contentType": content_type,
    }
    if env.query_params:
        out["queryParams"] = dict(env.query_params)
    return out


def envelope_for_event(
    req: AddEventRequest,
    form: EnvelopeForm,
    *,
    cbor_all_events: bool = False,
    correlation_id: str | None = None,
) -> MessageEnvelope:
    """Wrap an event as a device service does: CBOR bytes when it holds Binary (or all-CBOR is on)."""
    corr = correlation_id or str(uuid.uuid4())
    if req.event.has_binary or cbor_all_events:
        return MessageEnvelope(correlation_id=corr, payload=add_event_request_to_cbor(req), content_type=CBOR)
    payload: JsonValue = add_event_request_to_json(req)
    if form is EnvelopeForm.BASE64_JSON:
        return MessageEnvelope(correlation_id=corr, payload=json_dumps(payload), content_type=JSON)
    return MessageEnvelope(correlation_id=corr, payload=payload, content_type=JSON)


def event_from_envelope(env: MessageEnvelope) -> AddEventRequest:
    """The AddEventRequest (or bare Event) carried by an event envelope; DecodeError otherwise."""
    if env.is_error:
        raise PayloadDecodeError(f"error envelope: {env.payload!r:.200}")
    return decode_event_payload(env.payload, env.content_type)
