"""Analytics: line crossings, zone entries and exits, occupancy and dwell per camera, from sightings."""

from service.pipeline.analytics.counter_state import CounterState
from service.pipeline.analytics.counting import CameraCounter, CounterSetup
from service.pipeline.analytics.records import (
    CameraCounts,
    CountingEvents,
    LineCounts,
    LineCrossing,
    TrackDwell,
    ZoneCounts,
    ZoneEntry,
    ZoneExit,
)
from service.pipeline.count_settings import CountingSettings, LineSettings

__all__ = [
    "CameraCounter",
    "CameraCounts",
    "CounterSetup",
    "CounterState",
    "CountingEvents",
    "CountingSettings",
    "LineCounts",
    "LineCrossing",
    "LineSettings",
    "TrackDwell",
    "ZoneCounts",
    "ZoneEntry",
    "ZoneExit",
]
