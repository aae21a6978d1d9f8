"""AddEventRequest / Event <-> wire values (JSON dicts, CBOR bytes), with optimized-payload back-fill.

Decoding checks the type of every field it reads, ignores unknown keys (4.1 adds some) and raises
only PayloadDecodeError. Encoding writes the keys in Go's order and emits only the carrier the
valueType uses (EdgeX 4 custom marshalling), with `null` for a null reading.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from service.edgex.errors import DecodeError, PayloadDecodeError
from service.edgex.event_types import (
    API_VERSION,
    AddEventRequest,
    Event,
    JsonValue,
    Reading,
    Tags,
    backfill_readings,
)
from service.edgex.payload_codec import (
    b64decode_strict,
    cbor_dumps,
    cbor_loads,
    json_loads,
    media_type_of,
    to_json_compatible,
)
from service.edgex.values import BINARY_TYPE, OBJECT_TYPES, normalize_value_type

CBOR = "application/cbor"
JSON = "application/json"


def _str(m: Mapping[str, JsonValue], key: str) -> str:
    value = m.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadDecodeError(f"{key} must be a string, got {type(value).__name__}")
    return value


def _int(m: Mapping[str, JsonValue], key: str) -> int:
    value = m.get(key)
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)  # a Go peer that parsed origin as float64 re-emits e.g. 1.7955e+18
    raise PayloadDecodeError(f"{key} must be an integer, got {value!r:.40}")


def _tags(m: Mapping[str, JsonValue], key: str = "tags") -> Tags:
    value = m.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadDecodeError(f"{key} must be an object")
    return MappingProxyType(value) if value else {}


def _mapping(value: JsonValue, what: str) -> dict[str, JsonValue]:
    if not isinstance(value, dict):
        raise PayloadDecodeError(f"{what} must be an object, got {type(value).__name__}")
    return value


def _binary(m: Mapping[str, JsonValue]) -> bytes | None:
    value = m.get("binaryValue")
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return b64decode_strict(value)
        except DecodeError as exc:
            raise PayloadDecodeError("binaryValue is not base64") from exc
    raise PayloadDecodeError("binaryValue must be base64 text or a byte string")


def reading_from_mapping(value: JsonValue) -> Reading:
    """One reading; names/origin may be missing (optimized payload) and are back-filled later."""
    m = _mapping(value, "reading")
    try:
        value_type = normalize_value_type(_str(m, "valueType"))
    except KeyError as exc:
        raise PayloadDecodeError(f"unknown valueType {m.get('valueType')!r:.40}") from exc
    text: str | None = None
    binary: bytes | None = None
    obj: JsonValue = None
    if value_type == BINARY_TYPE:
        binary = _binary(m)
    elif value_type in OBJECT_TYPES:
        obj = m.get("objectValue")
    else:
        raw = m.get("value")
        if raw is not None and not isinstance(raw, str):
            raise PayloadDecodeError(f"value must be a string, got {type(raw).__name__}")
        text = raw
    return Reading(
        id=_str(m, "id"),
        origin=_int(m, "origin"),
        device_name=_str(m, "deviceName"),
        resource_name=_str(m, "resourceName"),
        profile_name=_str(m, "profileName"),
        value_type=value_type,
        value=text,
        binary_value=binary,
        media_type=_str(m, "mediaType"),
        object_value=obj,
        units=_str(m, "units"),
        tags=_tags(m),
    )


def event_from_mapping(value: JsonValue) -> Event:
    """An Event from its decoded JSON/CBOR map, readings back-filled from the event."""
    m = _mapping(value, "event")
    readings = m.get("readings")
    if readings is None:
        readings = []
    if not isinstance(readings, list):
        raise PayloadDecodeError("readings must be an array")
    event = Event(
        id=_str(m, "id"),
        device_name=_str(m, "deviceName"),
        profile_name=_str(m, "profileName"),
        source_name=_str(m, "sourceName"),
        origin=_int(m, "origin"),
        readings=tuple(reading_from_mapping(r) for r in readings),
        tags=_tags(m),
    )
    return backfill_readings(event)


def decode_event_payload(payload: bytes | JsonValue, content_type: str) -> AddEventRequest:
    """An AddEventRequest (or EventResponse) or a bare Event, as JSON/CBOR bytes or a decoded map."""
    if isinstance(payload, bytes | bytearray | memoryview):
        media = media_type_of(content_type)
        if media == CBOR:
            payload = cbor_loads(bytes(payload))
        elif media in (JSON, ""):
            payload = json_loads(bytes(payload))
        else:
            raise PayloadDecodeError(f"cannot decode an event from {content_type!r}")
    m = _mapping(payload, "event payload")
    if "event" in m:
        return AddEventRequest(request_id=_str(m, "requestId"), event=event_from_mapping(m["event"]))
    if "readings" not in m:
        raise PayloadDecodeError("payload is neither an AddEventRequest nor an Event")
    return AddEventRequest(request_id="", event=event_from_mapping(m))


def reading_to_json(reading: Reading, *, binary_as_bytes: bool = False) -> dict[str, JsonValue]:
    """Go key order; only the carrier of the valueType; null carrier for a null reading."""
    out: dict[str, JsonValue] = {}
    if reading.id:
        out["id"] = reading.id
    out |= {
        "origin": reading.origin,
        "deviceName": reading.device_name,
        "resourceName": reading.resource_name,
        "profileName": reading.profile_name,
        "valueType": reading.value_type,
    }
    if reading.units:
        out["units"] = reading.units
    if reading.tags:
        out["tags"] = _plain_tags(reading.tags, binary_as_bytes)
    if reading.value_type == BINARY_TYPE:
        data = reading.binary_value
        out["binaryValue"] = data if binary_as_bytes or data is None else to_json_compatible(data)
        out["mediaType"] = reading.media_type
    elif reading.value_type in OBJECT_TYPES:
        obj = reading.object_value
        out["objectValue"] = obj if binary_as_bytes else to_json_compatible(obj)
    else:
        out["value"] = reading.value
    return out


def _plain_tags(tags: Tags, binary_as_bytes: bool) -> dict[str, JsonValue]:
    plain = dict(tags)
    return plain if binary_as_bytes else _mapping(to_json_compatible(plain), "tags")


def event_to_json(event: Event, *, binary_as_bytes: bool = False) -> dict[str, JsonValue]:
    """The Event DTO as a JSON-ready dict (binary_as_bytes=True for CBOR)."""
    out: dict[str, JsonValue] = {
        "apiVersion": API_VERSION,
        "id": event.id,
        "deviceName": event.device_name,
        "profileName": event.profile_name,
        "sourceName": event.source_name,
        "origin": event.origin,
        "readings": [reading_to_json(r, binary_as_bytes=binary_as_bytes) for r in event.readings],
    }
    if event.tags:
        out["tags"] = _plain_tags(event.tags, binary_as_bytes)
    return out


def _request_to_map(req: AddEventRequest, binary_as_bytes: bool) -> dict[str, JsonValue]:
    out: dict[str, JsonValue] = {"apiVersion": API_VERSION}
    if req.request_id:
        out["requestId"] = req.request_id
    out["event"] = event_to_json(req.event, binary_as_bytes=binary_as_bytes)
    return out


def add_event_request_to_json(req: AddEventRequest) -> dict[str, JsonValue]:
    """AddEventRequest as a JSON-ready dict (Binary values as standard base64)."""
    return _request_to_map(req, binary_as_bytes=False)


def add_event_request_to_cbor(req: AddEventRequest) -> bytes:
    """AddEventRequest as CBOR bytes (Binary values as CBOR byte strings)."""
    return cbor_dumps(_request_to_map(req, binary_as_bytes=True))
