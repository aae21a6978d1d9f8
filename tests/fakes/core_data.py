"""FakeCoreData: EdgeX 4.0 core-data (port 59880) as far as app-vision's tests need it.

    with FakeCoreData(bus) as core:               # subscribes edgex/events/device/#, serves REST
        bus.publish(topic, envelope)
        core.wait_for(lambda c: len(c.readings("app-vision")) == 1)
        assert core.readings("app-vision", "Count")[0].number == 3
        assert core.rejected == []                # (topic, reason) of every refused message
        requests.get(f"{core.url}/api/v3/reading/device/name/app-vision", params={"numeric": "true"})

Ingest, in core-data's order (a refused message is kept in `rejected`, never stored):
1. the envelope must decode (the bus client's decoder) and carry a contentType; a whole-CBOR
   envelope (EDGEX_MSG_CBOR_ENCODE) is refused unless `cbor_envelopes=True`, and then it is the
   only form taken, as every Go service switches together;
2. the payload must decode (nested JSON, base64 JSON or CBOR) to an AddEventRequest valid against
   the POST /event/{service}/{profile}/{device}/{source} body schema of core-data.yaml, and pass
   go-mod-core-contracts' DTO rules: uuid ids, non-blank names, non-zero origins, at least one
   reading, mediaType with binaryValue, and ValidateValue (Bool, Int*, Uint*, Float*, their
   arrays must parse as Go's strconv does, e.g. Float64 "abc" or Int8 "300" are refused);
3. ValidateEvent: the topic has at least 6 levels and its last three, unescaped, equal the
   event's profileName, deviceName and sourceName. The service level is not checked (an event
   does not carry its service name), as in core-data.

Stored as core-data 4.0.2 stores (captures/README.md): a nested-JSON payload's origins go through
float64 inside Go (1795569504369870084 is stored as 1795569504369870000); base64 and CBOR payloads
keep them exact. An id published twice is stored twice, after which GET /event/id/{id} answers 500.

REST (validated by FakeHttpPeer against core-data.yaml): ping, event count/all/by device/by id,
reading count/all/by device/by resource/by device and resource, with offset/limit (limit -1 = 1024,
core-data's MaxResultCount), newest origin first, 416 past the end, and `numeric=true` answering
Int*/Uint*/Float* values as JSON numbers. Readings are answered without their id (as core-data).

Spec fixes, each what core-data does but core-data.yaml does not say: `valueType` may be
ObjectArray, `objectValue` is any JSON value (not base64), `value` may be null (a 4.0 null
reading), and in answers a number (`numeric=true`).

Caveats: the subscription table of a bus holds one handler per pattern, so nothing else may
subscribe exactly `<base>/events/device/#` on the same bus; a missing envelope contentType
cannot be told from application/json once the bus client decoded the envelope; optimized payloads
(EDGEX_OPTIMIZE_EVENT_PAYLOAD) are refused, as by a core-data without that variable.

Past 400 lines on purpose: the ingest checks, the store and the REST routes are one stand-in with
one lock, and each part is only ever used by it.
"""

from __future__ import annotations

import copy
import functools
import logging
import math
import re
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Self
from urllib.parse import unquote

from jsonschema import Draft202012Validator
from openapi_core import OpenAPI

from service.edgex.bus import MessageBus
from service.edgex.envelope import MessageEnvelope, payload_value
from service.edgex.errors import DecodeError
from service.edgex.event_codec import CBOR, JSON, decode_event_payload
from service.edgex.event_types import Event, JsonValue, Reading
from service.edgex.payload_codec import to_json_compatible
from service.edgex.topics import join_topic, unescape_level
from tests.fakes.http_fake import FakeHttpPeer, Reply, error_body
from tests.fakes.openapi_schemas import openapi_schema
from tests.fakes.openapi_spec import SpecValidator, load_spec

logger = logging.getLogger(__name__)

MAX_RESULT_COUNT = 1024  # core-data's Service.MaxResultCount default
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")  # go-playground
_GO_INT = re.compile(r"[+-]?[0-9]+\Z")
_GO_UINT = re.compile(r"[0-9]+\Z")
_GO_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_GO_HEX_FLOAT = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+\Z")
_GO_INF = re.compile(r"[+-]?inf(?:inity)?\Z", re.IGNORECASE)
_GO_BOOLS = frozenset({"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"})
_INT_BITS = {"Int8": 8, "Int16": 16, "Int32": 32, "Int64": 64}
_UINT_BITS = {"Uint8": 8, "Uint16": 16, "Uint32": 32, "Uint64": 64}
_FLOATS = frozenset({"Float32", "Float64"})
Number = int | float


@dataclass(frozen=True, slots=True)
class StoredReading:
    """A reading as core-data stored it: `value` is the string on the wire (None for Binary,
    Object and null readings), `number` its parsed value for Int*/Uint* (int) and Float* (float)."""

    event_id: str
    device_name: str
    resource_name: str
    profile_name: str
    value_type: str
    origin: int
    value: str | None
    number: Number | None
    binary_value: bytes | None = None
    media_type: str = ""
    object_value: JsonValue = None
    units: str = ""
    tags: Mapping[str, JsonValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An accepted event, with the topic and correlation id it arrived with."""

    id: str
    device_name: str
    profile_name: str
    source_name: str
    origin: int
    readings: tuple[StoredReading, ...]
    tags: Mapping[str, JsonValue]
    topic: str
    correlation_id: str
    sequence: int  # arrival order, breaks origin ties (the newer wins)


class Refused(Exception):
    """Why core-data would drop a message (the text goes into `rejected`)."""


# ingest checks ---------------------------------------------------------------------------------
def _fix_reading_schema(reading: dict[str, Any], value_types: list[str]) -> None:
    """The Reading fixes of the module docstring (`value_types`: what `value` may be)."""
    props = reading["properties"]
    props["valueType"]["enum"] = [*props["valueType"]["enum"], "ObjectArray"]
    props["objectValue"] = {"description": "any JSON value (null for a null reading)"}
    props["value"] = {"type": value_types}
    props["binaryValue"] = {"type": ["string", "null"], "format": "byte"}


@functools.cache
def _add_event_validator() -> Draft202012Validator:
    schema = openapi_schema("core-data.yaml", "AddEventRequest")
    _fix_reading_schema(schema["properties"]["event"]["properties"]["readings"]["items"], ["string", "null"])
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def go_float(text: str, value_type: str) -> float:
    """strconv.ParseFloat(text, 32|64); Refused where Go returns an error (syntax or range)."""
    if _GO_INF.match(text) or text.lower() == "nan":
        return float(text)
    try:
        if _GO_FLOAT.match(text):
            number = float(text)
        elif _GO_HEX_FLOAT.match(text):
            number = float.fromhex(text)
        else:
            raise Refused(f"value {text!r:.40} does not parse as {value_type}")
        if value_type == "Float32":
            struct.pack("<f", number)  # OverflowError past float32's range, as Go's ErrRange
    except OverflowError:
        number = math.inf
    if math.isinf(number):
        raise Refused(f"value {text!r:.40} is out of range for {value_type}")
    return number


def go_int(text: str, value_type: str) -> int:
    """strconv.ParseInt/ParseUint(text, 10, bits); Refused where Go returns an error."""
    signed = value_type in _INT_BITS
    bits = _INT_BITS[value_type] if signed else _UINT_BITS[value_type]
    if not (_GO_INT if signed else _GO_UINT).match(text):
        raise Refused(f"value {text!r:.40} does not parse as {value_type}")
    number = int(text)
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    if not low <= number <= high:
        raise Refused(f"value {text!r:.40} is out of range for {value_type}")
    return number


def parse_value(value_type: str, text: str) -> Number | None:
    """GMCC ValidateValue for one simple value; the number for numeric scalars, else None."""
    if value_type in _INT_BITS or value_type in _UINT_BITS:
        return go_int(text, value_type)
    if value_type in _FLOATS:
        return go_float(text, value_type)
    if value_type == "Bool" and text not in _GO_BOOLS:
        raise Refused(f"value {text!r:.40} does not parse as Bool")
    if value_type.endswith("Array") and value_type not in ("StringArray", "ObjectArray"):
        if len(text) < 2:
            raise Refused(f"value {text!r:.40} is not an array")
        for item in text[1:-1].split(","):  # Go strips the first and last character, then splits
            parse_value(value_type.removesuffix("Array"), item.strip())
    return None


def _check_dto_rules(request: Mapping[str, Any]) -> None:
    """go-mod-core-contracts' validate tags, which the OpenAPI schema does not express."""
    request_id, event = request.get("requestId") or "", request["event"]
    if request_id and not _UUID.match(request_id):
        raise Refused(f"requestId {request_id!r:.60} is not a uuid")
    if not _UUID.match(event["id"]):
        raise Refused(f"event id {event['id']!r:.60} is not a uuid")
    for key in ("deviceName", "profileName", "sourceName"):
        if not event[key].strip():
            raise Refused(f"event {key} is blank")
    if not event["origin"]:
        raise Refused("event origin is zero")
    if not event["readings"]:
        raise Refused("event has no readings")
    for reading in event["readings"]:
        for key in ("deviceName", "resourceName", "profileName"):
            if not str(reading.get(key) or "").strip():
                raise Refused(f"reading {key} is blank")
        if not reading.get("origin"):
            raise Refused("reading origin is zero")
        value_type, value = reading["valueType"], reading.get("value")
        if value_type == "Binary" and reading.get("binaryValue") and not reading.get("mediaType"):
            raise Refused("reading mediaType is required with binaryValue")
        if value_type not in ("Binary", "Object", "ObjectArray") and isinstance(value, str):
            parse_value(value_type, value)  # BaseReading.Validate -> ValidateValue


def _through_float64(request: dict[str, Any]) -> dict[str, Any]:
    """What Go's map[string]any round trip does to a nested JSON payload's int64 origins."""
    lossy = copy.deepcopy(request)
    event = lossy.get("event")
    for item in [event, *(event.get("readings") or [])] if isinstance(event, dict) else []:
        origin = item.get("origin") if isinstance(item, dict) else None
        if isinstance(origin, int) and not isinstance(origin, bool):
            item["origin"] = int(Decimal(repr(float(origin))))
    return lossy


def _request_from(env: MessageEnvelope, cbor_envelopes: bool) -> dict[str, Any]:
    """Steps 1 and 2 of the module docstring: the payload as a schema-valid JSON-like request."""
    if not env.content_type:
        raise Refused("envelope contentType is empty")
    whole_cbor = env.media_type == CBOR and isinstance(env.payload, dict)
    if whole_cbor != cbor_envelopes:
        form = "whole-CBOR" if whole_cbor else "JSON"
        raise Refused(f"{form} envelope while EDGEX_MSG_CBOR_ENCODE is {str(cbor_envelopes).lower()}")
    if env.is_error or env.media_type not in (JSON, CBOR):
        raise Refused(
            f"cannot decode an AddEventRequest from {env.content_type!r} (errorCode {env.error_code})"
        )
    try:
        raw = payload_value(env)
    except DecodeError as exc:
        raise Refused(f"payload: {exc}") from exc
    if not isinstance(raw, dict):
        raise Refused(f"payload is {type(raw).__name__}, not an AddEventRequest")
    request: dict[str, Any] = to_json_compatible(raw)  # type: ignore[assignment]
    if request.get("requestId") == "":
        del request["requestId"]  # Go: omitempty,uuid
    errors = sorted(_add_event_validator().iter_errors(request), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path)
        raise Refused(f"AddEventRequest schema: {where}: {errors[0].message}"[:500])
    _check_dto_rules(request)
    nested = not isinstance(env.payload, bytes) and not whole_cbor
    return _through_float64(request) if nested else request


def _check_topic(topic: str, event: Event) -> None:
    """edgex-go internal/pkg/utils/event.go ValidateEvent (see tests/interop/edgexpeer/consume.go)."""
    levels = topic.split("/")
    if len(levels) < 6:
        raise Refused(f"invalid message topic {topic}")
    try:
        profile, device, source = (unescape_level(level) for level in levels[-3:])
    except DecodeError as exc:
        raise Refused(str(exc)) from exc
    for what, mine, theirs in (
        ("profileName", event.profile_name, profile),
        ("deviceName", event.device_name, device),
        ("sourceName", event.source_name, source),
    ):
        if mine != theirs:
            raise Refused(f"event's {what} {mine} mismatches with the name {theirs} received in topic")


def _stored_reading(event_id: str, reading: Reading) -> StoredReading:
    text = reading.value
    number = None if text is None else parse_value(reading.value_type, text)
    return StoredReading(
        event_id=event_id,
        device_name=reading.device_name,
        resource_name=reading.resource_name,
        profile_name=reading.profile_name,
        value_type=reading.value_type,
        origin=reading.origin,
        value=text,
        number=number,
        binary_value=reading.binary_value,
        media_type=reading.media_type,
        object_value=reading.object_value,
        units=reading.units,
        tags=reading.tags,
    )


# REST ------------------------------------------------------------------------------------------
class _CoreDataSpec(SpecValidator):
    """core-data.yaml as load_spec fixes it, plus the Reading fixes of the module docstring."""

    def __init__(self) -> None:  # deliberately not super().__init__: the spec differs
        self._api = _core_data_api()


@functools.cache
def _core_data_api() -> OpenAPI:
    with load_spec("core-data").spec.open() as loaded:
        spec = copy.deepcopy(loaded)
    _fix_reading_schema(spec["components"]["schemas"]["Reading"], ["string", "number", "integer", "null"])
    return OpenAPI.from_dict(spec)


def _reading_dto(r: StoredReading, numeric: bool) -> dict[str, Any]:
    """GMCC BaseReading marshalling, without the id (core-data answers none)."""
    out: dict[str, Any] = {
        "origin": r.origin,
        "deviceName": r.device_name,
        "resourceName": r.resource_name,
        "profileName": r.profile_name,
        "valueType": r.value_type,
    }
    if r.units:
        out["units"] = r.units
    if r.tags:
        out["tags"] = to_json_compatible(dict(r.tags))
    if r.value_type == "Binary" and r.binary_value is not None:
        out |= {"binaryValue": to_json_compatible(r.binary_value), "mediaType": r.media_type}
    elif r.value_type in ("Object", "ObjectArray") and r.object_value is not None:
        out["objectValue"] = to_json_compatible(r.object_value)
    elif r.value is not None:
        finite = r.number is not None and math.isfinite(r.number)
        out["value"] = r.number if numeric and finite else r.value
    else:
        out |= {"value": None, "binaryValue": None, "objectValue": None}  # a null reading
    return out


def _event_dto(e: StoredEvent, numeric: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "apiVersion": "v3",
        "id": e.id,
        "deviceName": e.device_name,
        "profileName": e.profile_name,
        "sourceName": e.source_name,
        "origin": e.origin,
        "readings": [_reading_dto(r, numeric) for r in e.readings],
    }
    if e.tags:
        out["tags"] = to_json_compatible(dict(e.tags))
    return out


class _ErrorReply(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.reply: Reply = (status, error_body(status, message))


def _page(items: list[Any], query: dict[str, str]) -> tuple[list[Any], int]:
    """core-data's offset/limit (ParseGetAllObjectsRequestQueryString + CheckCountRange)."""
    offset, limit = int(query.get("offset", "0")), int(query.get("limit", "20"))
    if limit > MAX_RESULT_COUNT:
        raise _ErrorReply(400, f"limit {limit} is out of range [-1, {MAX_RESULT_COUNT}]")
    if limit == -1:
        limit = MAX_RESULT_COUNT
    total = 0 if offset == -1 else len(items)  # offset -1: skip counting
    offset = max(offset, 0)
    if limit == 0 or not items:
        return [], total
    if offset > len(items):
        raise _ErrorReply(416, f"query objects bounds out of range. length:{len(items)} offset:{offset}")
    return items[offset : offset + limit], total


def _event_filter(levels: list[str]) -> Callable[[StoredEvent], bool] | None:
    """The event list and count routes by their levels after /event; None for another route."""
    if levels[:1] == ["count"]:
        levels = ["all"] if levels == ["count"] else levels[1:]
    match levels:
        case ["all"]:
            return lambda e: True
        case ["device", "name", device]:
            return lambda e: e.device_name == device
    return None


def _reading_filter(levels: list[str]) -> Callable[[StoredReading], bool] | None:
    """The reading routes by their levels after /reading; None for an unknown route."""
    if levels[:1] == ["count"]:
        levels = ["all"] if levels == ["count"] else levels[1:]
    match levels:
        case ["all"]:
            return lambda r: True
        case ["device", "name", device]:
            return lambda r: r.device_name == device
        case ["resourceName", resource]:
            return lambda r: r.resource_name == resource
        case ["device", "name", device, "resourceName", resource]:
            return lambda r: r.device_name == device and r.resource_name == resource
    return None


class FakeCoreData(FakeHttpPeer):
    """See the module docstring."""

    spec_name = "core-data"

    def __init__(self, bus: MessageBus, *, base_topic: str = "edgex", cbor_envelopes: bool = False) -> None:
        super().__init__()
        self._validator = _CoreDataSpec()
        self._bus = bus
        self._cbor_envelopes = cbor_envelopes
        self.topic = join_topic(base_topic, "events", "device", "#")
        self._changed = threading.Condition(threading.RLock())
        self._events: list[StoredEvent] = []
        self._rejected: list[tuple[str, str]] = []
        self._subscribed = False

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Subscribe (once) and serve REST; `stop` only stops REST (set_down), `close` both."""
        if not self._subscribed:
            self._bus.subscribe([self.topic], self._on_envelope, self._on_error)
            self._subscribed = True
        super().start()

    def close(self) -> None:
        """Unsubscribe from the bus and stop serving; idempotent."""
        if self._subscribed:
            self._bus.unsubscribe([self.topic])
            self._subscribed = False
        self.stop()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Python API --------------------------------------------------------------------------------
    @property
    def events(self) -> list[StoredEvent]:
        """Accepted events in arrival order."""
        with self._changed:
            return list(self._events)

    @property
    def rejected(self) -> list[tuple[str, str]]:
        """(topic, reason) of every refused message, in arrival order."""
        with self._changed:
            return list(self._rejected)

    def readings(self, device: str, resource: str | None = None) -> list[StoredReading]:
        """Stored readings of a device (and resource), in arrival order."""
        with self._changed:
            return [
                r
                for e in self._events
                for r in e.readings
                if r.device_name == device and (resource is None or r.resource_name == resource)
            ]

    def wait_for(self, predicate: Callable[[Self], bool], timeout_s: float = 5.0) -> None:
        """Block until `predicate(self)` holds (re-checked on every message); AssertionError after
        `timeout_s`, naming what was stored and refused."""
        with self._changed:
            if self._changed.wait_for(lambda: predicate(self), timeout=timeout_s):
                return
            raise AssertionError(
                f"core-data condition not met within {timeout_s} s: {len(self._events)} events stored, "
                f"refused: {self._rejected[-5:]}"
            )

    # bus side (the bus thread) ---------------------------------------------------------------
    def _on_envelope(self, topic: str, env: MessageEnvelope) -> None:
        try:
            request = _request_from(env, self._cbor_envelopes)
            event = decode_event_payload(request, JSON).event
            _check_topic(topic, event)
            readings = tuple(_stored_reading(event.id, r) for r in event.readings)
        except (Refused, DecodeError) as exc:
            self._refuse(topic, str(exc))
            return
        with self._changed:
            stored = StoredEvent(
                event.id,
                event.device_name,
                event.profile_name,
                event.source_name,
                event.origin,
                readings,
                event.tags,
                topic,
                env.correlation_id,
                len(self._events) + len(self._rejected),
            )
            self._events.append(stored)
            self._changed.notify_all()

    def _on_error(self, topic: str, exc: Exception) -> None:
        self._refuse(topic, f"envelope: {exc}")

    def _refuse(self, topic: str, reason: str) -> None:
        logger.warning("fake core-data drops the message on %s: %s", topic, reason)
        with self._changed:
            self._rejected.append((topic, reason))
            self._changed.notify_all()

    # REST side (the server's threads) --------------------------------------------------------
    def _newest_first(self, keep: Callable[[StoredEvent], bool]) -> list[StoredEvent]:
        with self._changed:
            chosen = [e for e in self._events if keep(e)]
        return sorted(chosen, key=lambda e: (e.origin, e.sequence), reverse=True)

    def _readings_newest_first(self, keep: Callable[[StoredReading], bool]) -> list[StoredReading]:
        found = [(r.origin, e.sequence, r) for e in self._newest_first(lambda _: True) for r in e.readings]
        return [r for _, _, r in sorted(found, key=lambda t: t[:2], reverse=True) if keep(r)]

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        levels = [unquote(level) for level in path.split("/")][3:]  # after "", "api", "v3"
        if method != "GET":
            return 405, error_body(405, f"the fake core-data serves GET only, not {method} {path}")
        if levels == ["ping"]:
            stamp = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime())
            return 200, {"apiVersion": "v3", "timestamp": stamp, "serviceName": "core-data"}
        if "aggregateFunc" in query:
            return 400, error_body(400, "aggregateFunc is not supported by the fake core-data")
        try:
            if levels[:1] == ["event"]:
                return self._event_route(levels[1:], query, query.get("numeric") == "true")
            if levels[:1] == ["reading"]:
                return self._reading_route(levels[1:], query, query.get("numeric") == "true")
        except _ErrorReply as exc:
            return exc.reply
        return 404, error_body(404, f"no route for {method} {path}")

    def _event_route(self, levels: list[str], query: dict[str, str], numeric: bool) -> Reply:
        if levels[:1] == ["id"] and len(levels) == 2:
            found = self._newest_first(lambda e: e.id == levels[1])
            if len(found) != 1:
                status = 404 if not found else 500  # core-data: a duplicated id breaks GET by id
                raise _ErrorReply(status, f"event {levels[1]}: {len(found)} stored")
            return 200, {"apiVersion": "v3", "statusCode": 200, "event": _event_dto(found[0], numeric)}
        keep = _event_filter(levels)
        if keep is None:
            raise _ErrorReply(404, "no such event route")
        chosen = self._newest_first(keep)
        if levels[:1] == ["count"]:
            return 200, {"apiVersion": "v3", "statusCode": 200, "count": len(chosen)}
        events, total = _page(chosen, query)
        dtos = [_event_dto(e, numeric) for e in events]
        return 200, {"apiVersion": "v3", "statusCode": 200, "totalCount": total, "events": dtos}

    def _reading_route(self, levels: list[str], query: dict[str, str], numeric: bool) -> Reply:
        keep = _reading_filter(levels)
        if keep is None:
            raise _ErrorReply(404, "no such reading route")
        chosen = self._readings_newest_first(keep)
        if levels[:1] == ["count"]:
            return 200, {"apiVersion": "v3", "statusCode": 200, "count": len(chosen)}
        readings, total = _page(chosen, query)
        dtos = [_reading_dto(r, numeric) for r in readings]
        return 200, {"apiVersion": "v3", "statusCode": 200, "totalCount": total, "readings": dtos}
