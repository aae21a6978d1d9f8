"""MessageEnvelope <-> NATS message, in go-mod-messaging's two `Optional.Format`s.

`nats` (default): envelope metadata in headers (Content-Type, X-Correlation-ID, RequestId,
ApiVersion, ErrorCode, one QueryParams `key:value` header per parameter) and the raw payload bytes
as the body. `json`: the whole envelope, in the deployment's wire form, as the body (interoperates
with MQTT clients through NATS's MQTT mode).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from service.edgex.bus.errors import UnsupportedBusType
from service.edgex.envelope import (
    TEXT,
    EnvelopeForm,
    MessageEnvelope,
    decode_envelope,
    encode_envelope,
    payload_bytes,
)
from service.edgex.errors import EnvelopeDecodeError
from service.edgex.payload_codec import media_type_of

FORMATS = ("nats", "json")
CONTENT_TYPE = "Content-Type"
CORRELATION_ID = "X-Correlation-ID"
REQUEST_ID = "RequestId"
API_VERSION = "ApiVersion"
ERROR_CODE = "ErrorCode"
QUERY_PARAMS = "QueryParams"
QUERY_PARAMS_SEPARATOR = "\n"  # how several QueryParams headers arrive folded into one value


class RepeatedHeaders(dict[str, str]):
    """Headers for nats-py's publish, which writes one line per `items()` pair: this lets
    QueryParams repeat as Go's `Header.Add` does (the dict view keeps the last value)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._pairs = list(pairs)
        super().__init__(self._pairs)

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return list(self._pairs)


class NatsCodec:
    """Encodes for and decodes from NATS in one `Optional.Format`."""

    def __init__(self, nats_format: str, form: EnvelopeForm) -> None:
        if nats_format not in FORMATS:
            raise UnsupportedBusType("MessageBus.Optional.Format", nats_format, FORMATS)
        self._headers = nats_format == "nats"
        self._form = form

    def encode(self, env: MessageEnvelope) -> tuple[dict[str, str] | None, bytes]:
        """(headers or None, body)."""
        if not self._headers:
            return None, encode_envelope(env, self._form)
        pairs = [
            (CORRELATION_ID, env.correlation_id),
            (CONTENT_TYPE, env.content_type),
            (REQUEST_ID, env.request_id),
            (API_VERSION, env.api_version),
            (ERROR_CODE, str(env.error_code)),
        ]
        pairs += [(QUERY_PARAMS, f"{key}:{value}") for key, value in env.query_params.items()]
        return RepeatedHeaders(pairs), payload_bytes(env)

    def decode(self, topic: str, headers: Mapping[str, str] | None, body: bytes) -> MessageEnvelope:
        """Raises DecodeError (only) on malformed input."""
        if not self._headers:
            return decode_envelope(body, topic)
        headers = headers or {}
        content_type = headers.get(CONTENT_TYPE, "")
        return MessageEnvelope(
            api_version=headers.get(API_VERSION, ""),
            received_topic=topic,
            correlation_id=headers.get(CORRELATION_ID, ""),
            request_id=headers.get(REQUEST_ID, ""),
            error_code=_error_code(headers.get(ERROR_CODE, "")),
            payload=_payload(body, content_type),
            content_type=content_type,
            query_params=_query_params(headers.get(QUERY_PARAMS, "")),
        )


def _error_code(text: str) -> int:
    if not text.strip():
        return 0
    try:
        return int(text)
    except ValueError as exc:
        raise EnvelopeDecodeError(f"ErrorCode header {text!r:.40} is not an integer") from exc


def _payload(body: bytes, content_type: str) -> bytes | str | None:
    if not body:
        return None
    if media_type_of(content_type) != TEXT:
        return bytes(body)
    try:
        return bytes(body).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EnvelopeDecodeError("text/plain payload is not UTF-8") from exc


def _query_params(folded: str) -> Mapping[str, str]:
    params: dict[str, str] = {}
    for item in folded.split(QUERY_PARAMS_SEPARATOR):
        key, sep, value = item.partition(":")
        if sep:
            params[key.strip()] = value.strip()
    return MappingProxyType(params)
