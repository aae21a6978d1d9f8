"""Ingest stage: one EdgeX event -> camera frames (image readings) and typed sensor readings."""

from __future__ import annotations

import json
from dataclasses import dataclass

from service.edgex.dtos import AddEventRequest, Reading, ReadingValueError
from service.pipeline.identity import RESULT_DEVICE
from service.pipeline.ingest.frame import Frame
from service.pipeline.ingest.sensor_reading import SensorReading, SensorValue

IMAGE_MEDIA_TYPES = frozenset({"image/jpeg", "image/png"})


@dataclass(frozen=True, slots=True)
class Ingested:
    """What an event contributed: frames, sensor readings, and readings that could not be used."""

    frames: tuple[Frame, ...] = ()
    readings: tuple[SensorReading, ...] = ()
    invalid: tuple[str, ...] = ()  # one reason per unusable reading
    own_result: bool = False


def _value(reading: Reading) -> SensorValue | None:
    """The typed value: Bool, int, float, str; arrays and objects as their JSON text."""
    if reading.is_null:
        return None
    kind = reading.value_type
    if kind == "Bool":
        return reading.as_bool()
    if kind.startswith(("Int", "Uint")) and not kind.endswith("Array"):
        return reading.as_int()
    if kind in {"Float32", "Float64"}:
        return reading.as_float()
    if kind in {"Object", "ObjectArray"}:
        return json.dumps(reading.as_object(), sort_keys=True, default=str)
    if kind.endswith("Array"):
        return json.dumps(reading.as_array())
    return reading.as_str()


def split_event(req: AddEventRequest, received_ns: int, correlation_id: str = "") -> Ingested:
    """Image readings become frames of the event's device; every other reading a SensorReading."""
    event = req.event
    if event.device_name == RESULT_DEVICE:  # our own results come back on edgex/events/#
        return Ingested(own_result=True)
    frames: list[Frame] = []
    readings: list[SensorReading] = []
    invalid: list[str] = []
    for reading in event.readings:
        origin = reading.origin or event.origin
        if reading.value_type == "Binary":
            media = reading.media_type.split(";")[0].strip().lower()
            if media in IMAGE_MEDIA_TYPES and reading.binary_value:
                frames.append(
                    Frame(
                        event.device_name,
                        reading.binary_value,
                        media,
                        origin,
                        received_ns,
                        event.id,
                        correlation_id,
                    )
                )
            else:
                invalid.append(f"{reading.resource_name}: Binary {media or 'untyped'} is not an image")
            continue
        try:
            value = _value(reading)
        except ReadingValueError as exc:
            invalid.append(str(exc))
            continue
        readings.append(
            SensorReading(
                reading.device_name or event.device_name,
                reading.resource_name,
                reading.value_type,
                value,
                origin,
                received_ns / 1e9,
            )
        )
    return Ingested(tuple(frames), tuple(readings), tuple(invalid))
