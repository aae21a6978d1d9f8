"""EdgeX event DTO types (AddEventRequest, Event, Reading) as frozen dataclasses, typed accessors.

Import them from `service.edgex.dtos`. Plain dataclasses rather than pydantic: EdgeX peers add
keys over time (4.1 "extensions") that a decoder must ignore, and the per-frame path should not
pay for model validation; `event_codec` checks every field's type by hand instead.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from service.edgex.errors import ReadingValueError
from service.edgex.values import (
    ARRAY_TYPES,
    BINARY_TYPE,
    FLOAT_TYPES,
    INTEGER_TYPES,
    OBJECT_TYPES,
    ScalarValue,
    format_value,
    normalize_value_type,
    parse_array,
    parse_bool,
    parse_float,
    parse_int,
)

# bytes only ever appear inside values decoded from CBOR (a byte string); JSON never holds them.
JsonValue = None | bool | int | float | str | bytes | list["JsonValue"] | dict[str, "JsonValue"]
Tags = Mapping[str, JsonValue]

API_VERSION = "v3"
_EMPTY_TAGS: Tags = MappingProxyType({})


def _frozen_tags(tags: Tags | None) -> Tags:
    return MappingProxyType(dict(tags)) if tags else _EMPTY_TAGS


@dataclass(frozen=True, slots=True)
class Reading:
    """One EdgeX reading. Exactly one carrier is used: value, binary_value or object_value."""

    id: str
    origin: int
    device_name: str
    resource_name: str
    profile_name: str
    value_type: str
    value: str | None = None
    binary_value: bytes | None = None
    media_type: str = ""
    object_value: JsonValue = None
    units: str = ""
    tags: Tags = field(default_factory=lambda: _EMPTY_TAGS)

    @classmethod
    def simple(
        cls,
        resource_name: str,
        value_type: str,
        value: ScalarValue | Sequence[ScalarValue] | None,
        *,
        origin: int = 0,
        units: str = "",
        tags: Tags | None = None,
    ) -> Reading:
        """A simple (or *Array) reading; `value` is formatted as EdgeX does; None = null reading.

        ReadingValueError for an unknown valueType or a value of the wrong Python type."""
        try:
            canonical = normalize_value_type(value_type)
        except KeyError as exc:
            raise ReadingValueError(f"unknown valueType {value_type!r}") from exc
        text = None if value is None else format_value(value, canonical)
        return cls(
            id=str(uuid.uuid4()),
            origin=origin,
            device_name="",
            resource_name=resource_name,
            profile_name="",
            value_type=canonical,
            value=text,
            units=units,
            tags=_frozen_tags(tags),
        )

    @classmethod
    def binary(
        cls,
        resource_name: str,
        data: bytes | None,
        media_type: str,
        *,
        origin: int = 0,
        tags: Tags | None = None,
    ) -> Reading:
        """A Binary reading (e.g. an image/jpeg frame)."""
        return cls(
            id=str(uuid.uuid4()),
            origin=origin,
            device_name="",
            resource_name=resource_name,
            profile_name="",
            value_type=BINARY_TYPE,
            binary_value=data,
            media_type=media_type,
            tags=_frozen_tags(tags),
        )

    @classmethod
    def object(
        cls, resource_name: str, obj: JsonValue, *, origin: int = 0, tags: Tags | None = None
    ) -> Reading:
        """An Object reading, or ObjectArray when `obj` is a list."""
        value_type = "ObjectArray" if isinstance(obj, list) else "Object"
        return cls(
            id=str(uuid.uuid4()),
            origin=origin,
            device_name="",
            resource_name=resource_name,
            profile_name="",
            value_type=value_type,
            object_value=obj,
            tags=_frozen_tags(tags),
        )

    @property
    def is_null(self) -> bool:
        """True when the reading's value carrier is null (EdgeX 4 null reading)."""
        if self.value_type == BINARY_TYPE:
            return self.binary_value is None
        if self.value_type in OBJECT_TYPES:
            return self.object_value is None
        return self.value is None

    def _text(self) -> str:
        if self.value is None:
            raise ReadingValueError(f"{self.resource_name}: null or non-simple reading ({self.value_type})")
        return self.value

    def as_bool(self) -> bool:
        """The value of a Bool reading."""
        return parse_bool(self._text())

    def as_int(self) -> int:
        """The value of an integer reading (Int*/Uint*)."""
        if self.value_type not in INTEGER_TYPES:
            raise ReadingValueError(f"{self.resource_name}: {self.value_type} is not an integer type")
        return parse_int(self._text())

    def as_float(self) -> float:
        """The value of a Float32/Float64 (or integer) reading."""
        if self.value_type not in FLOAT_TYPES | INTEGER_TYPES:
            raise ReadingValueError(f"{self.resource_name}: {self.value_type} is not numeric")
        return parse_float(self._text())

    def as_str(self) -> str:
        """The raw value string of any simple reading."""
        return self._text()

    def as_array(self) -> list[ScalarValue]:
        """The typed items of an *Array reading."""
        if self.value_type not in ARRAY_TYPES:
            raise ReadingValueError(f"{self.resource_name}: {self.value_type} is not an array type")
        return parse_array(self._text(), self.value_type)

    def as_object(self) -> JsonValue:
        """The value of an Object/ObjectArray reading."""
        if self.value_type not in OBJECT_TYPES or self.object_value is None:
            raise ReadingValueError(f"{self.resource_name}: null or non-object reading ({self.value_type})")
        return self.object_value


@dataclass(frozen=True, slots=True)
class Event:
    """An EdgeX event: one device's readings from one source at one origin (ns)."""

    id: str
    device_name: str
    profile_name: str
    source_name: str
    origin: int
    readings: tuple[Reading, ...]
    tags: Tags = field(default_factory=lambda: _EMPTY_TAGS)

    @property
    def has_binary(self) -> bool:
        """True if any reading is Binary (then EdgeX sends the event as CBOR)."""
        return any(r.value_type == BINARY_TYPE for r in self.readings)


@dataclass(frozen=True, slots=True)
class AddEventRequest:
    """The wrapper every device service publishes (apiVersion is always "v3")."""

    request_id: str
    event: Event


def backfill_readings(event: Event) -> Event:
    """Fill reading fields an optimized payload (EDGEX_OPTIMIZE_EVENT_PAYLOAD) leaves out.

    Returns the event itself when every reading is complete (the usual case: no copies per frame)."""
    if all(r.origin and r.device_name and r.profile_name and r.resource_name for r in event.readings):
        return event
    filled = tuple(
        replace(
            r,
            origin=r.origin or event.origin,
            device_name=r.device_name or event.device_name,
            profile_name=r.profile_name or event.profile_name,
            resource_name=r.resource_name or event.source_name,
        )
        for r in event.readings
    )
    return replace(event, readings=filled)


def new_event(
    device_name: str,
    profile_name: str,
    source_name: str,
    readings: Sequence[Reading],
    *,
    tags: Tags | None = None,
) -> Event:
    """A fresh event (uuid4 id, origin=time.time_ns()); readings inherit names and origin."""
    event = Event(
        id=str(uuid.uuid4()),
        device_name=device_name,
        profile_name=profile_name,
        source_name=source_name,
        origin=time.time_ns(),
        readings=tuple(readings),
        tags=_frozen_tags(tags),
    )
    return backfill_readings(event)


def new_add_event_request(event: Event) -> AddEventRequest:
    """Wrap an event with a fresh uuid4 requestId."""
    return AddEventRequest(request_id=str(uuid.uuid4()), event=event)
