"""A typed sensor reading as ingested from an EdgeX event."""

from __future__ import annotations

from dataclasses import dataclass

SensorValue = bool | int | float | str


@dataclass(frozen=True, slots=True)
class SensorReading:
    """One typed sensor reading as ingested (Objects and arrays arrive as their JSON text)."""

    device: str
    resource: str
    value_type: str
    value: SensorValue | None
    origin_ns: int
    received_s: float  # wall-clock seconds when the pipeline got it: rule windows use this clock
