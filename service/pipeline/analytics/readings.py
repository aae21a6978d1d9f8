"""A camera's counts as reading values, per zone or line (device-profiles/app-vision-analytics.yaml).

count_values(counts) maps each zone and line name to its source (ZoneCounts or LineCounts) and its
numeric readings, in profile order; event_objects(events) maps them to the Object readings of that
frame's crossings, entries and exits. Names of the device and sources are in identity.py.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from service.pipeline.analytics.records import CameraCounts, CountingEvents
from service.pipeline.identity import LINE_SOURCE, ZONE_SOURCE

NumberType = Literal["Int64", "Float64"]
Source = Literal["ZoneCounts", "LineCounts"]
EventObject = dict[str, str | int | float]


@dataclass(frozen=True, slots=True)
class CountValue:
    """One numeric reading: resource, valueType, value."""

    resource: str
    value_type: NumberType
    value: int | float


@dataclass(frozen=True, slots=True)
class CountedValues:
    """A zone's or line's numeric readings now."""

    source: Source
    values: tuple[CountValue, ...]


def count_values(counts: CameraCounts) -> dict[str, CountedValues]:
    """Zone and line name -> its source and numeric readings (dwell percentiles only when known)."""
    out: dict[str, CountedValues] = {}
    for zone in counts.zones:
        values = [
            CountValue("Occupancy", "Int64", zone.occupancy),
            CountValue("PeakOccupancy", "Int64", zone.peak_occupancy),
            CountValue("Entries", "Int64", zone.entries),
            CountValue("Exits", "Int64", zone.exits),
            CountValue("EntriesRecent", "Int64", zone.entries_recent),
            CountValue("ExitsRecent", "Int64", zone.exits_recent),
            CountValue("DwellCount", "Int64", zone.dwell_count),
        ]
        if zone.dwell_p50_s is not None and zone.dwell_p95_s is not None:
            values.append(CountValue("DwellP50", "Float64", round(zone.dwell_p50_s, 3)))
            values.append(CountValue("DwellP95", "Float64", round(zone.dwell_p95_s, 3)))
        out[zone.zone] = CountedValues(ZONE_SOURCE, tuple(values))
    for line in counts.lines:
        out[line.line] = CountedValues(
            LINE_SOURCE,
            (
                CountValue("In", "Int64", line.in_count),
                CountValue("Out", "Int64", line.out_count),
                CountValue("InRecent", "Int64", line.in_recent),
                CountValue("OutRecent", "Int64", line.out_recent),
            ),
        )
    return out


def event_objects(events: CountingEvents) -> dict[str, list[tuple[str, EventObject]]]:
    """Zone and line name -> (resource, objectValue) of each event, in the order they happened."""
    out: dict[str, list[tuple[str, EventObject]]] = defaultdict(list)
    for crossing in events.crossings:
        out[crossing.line].append(
            (
                "Crossing",
                {
                    "trackId": crossing.track_id,
                    "label": crossing.label,
                    "direction": crossing.direction,
                    "time": _ns(crossing.time_s),
                },
            )
        )
    for entry in events.entries:
        out[entry.zone].append(
            ("ZoneEntry", {"trackId": entry.track_id, "label": entry.label, "time": _ns(entry.time_s)})
        )
    for exit_ in events.exits:
        out[exit_.zone].append(
            (
                "ZoneExit",
                {
                    "trackId": exit_.track_id,
                    "label": exit_.label,
                    "time": _ns(exit_.time_s),
                    "dwellS": round(exit_.dwell_s, 3),
                    "reason": exit_.reason,
                },
            )
        )
    return dict(out)


def _ns(time_s: float) -> int:
    return round(time_s * 1e9)
