"""Detection filters (score, median, area, zones, model) and sensor conditions."""

from __future__ import annotations

from typing import Any

import pytest

from service.pipeline.analysis.sighting import FrameView, Sighting
from service.pipeline.analysis.zones import point_in_polygon, zones_of
from service.pipeline.ingest.sensor_reading import SensorReading, SensorValue
from service.pipeline.rule_settings import DetectionCondition, SensorCondition
from service.pipeline.rules.matching import DetectionFilter, sensor_holds
from service.pipeline.state.sensor_table import SensorTable

SQUARE = [(0.0, 0.0), (0.5, 0.0), (0.5, 0.5), (0.0, 0.5)]


@pytest.mark.parametrize(
    ("x", "y", "inside"),
    [(0.25, 0.25, True), (0.75, 0.25, False), (0.25, 0.75, False), (-0.1, 0.1, False)],
)
def test_point_in_polygon(x: float, y: float, inside: bool) -> None:
    assert point_in_polygon(x, y, SQUARE) is inside


def test_zones_use_the_box_bottom_centre() -> None:
    zones = {"top-left": SQUARE, "all": [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]}
    assert zones_of((0, 0, 100, 100), zones, 400, 400) == ("top-left", "all")
    assert zones_of((0, 0, 100, 300), zones, 400, 400) == ("all",)  # bottom centre (50, 300)
    assert zones_of((0, 0, 10, 10), {}, 400, 400) == ()


def sighting(**changes: Any) -> Sighting:
    values: dict[str, Any] = {
        "model": "person",
        "label": "person",
        "score": 0.9,
        "box": (0.0, 0.0, 100.0, 100.0),
        "zones": ("door",),
        "track_id": 1,
        "stationary": False,
        "scores": (0.9,),
    }
    values.update(changes)
    return Sighting(**values)


def view(*sightings: Sighting) -> FrameView:
    return FrameView("cam", 1000, 1000, sightings, 0, 1.0, 0.01)


@pytest.mark.parametrize(
    ("condition", "model", "found", "passes"),
    [
        ({}, "", sighting(), True),
        ({}, "", sighting(label="cat"), False),
        ({"Labels": ["cat", "person"]}, "", sighting(), True),
        ({}, "face", sighting(), False),
        ({}, "person", sighting(), True),
        ({"MinScore": 0.95}, "", sighting(), False),
        ({"MedianScore": 0.7, "MedianOf": 3}, "", sighting(scores=(0.9, 0.2, 0.3)), False),
        ({"MedianScore": 0.7, "MedianOf": 2}, "", sighting(scores=(0.2, 0.8, 0.9)), True),
        ({"MinAreaPx": 20000}, "", sighting(), False),
        ({"MaxAreaPx": 5000}, "", sighting(), False),
        ({"MinAreaPct": 0.5}, "", sighting(), True),  # 10000 / 1e6 = 1 %
        ({"MinAreaPct": 2}, "", sighting(), False),
        ({"MaxAreaPct": 0.5}, "", sighting(), False),
        ({"Zones": ["door"]}, "", sighting(), True),
        ({"Zones": ["yard"]}, "", sighting(), False),
    ],
)
def test_detection_filter(condition: dict[str, Any], model: str, found: Sighting, passes: bool) -> None:
    detection_filter = DetectionFilter(DetectionCondition.model_validate(condition), model)
    assert detection_filter.matching(view(found)) == ((found,) if passes else ())


def table_with(value: SensorValue, value_type: str = "Float32") -> SensorTable:
    table = SensorTable()
    table.apply(SensorReading("s", "r", value_type, value, 1, 100.0))
    return table


@pytest.mark.parametrize(
    ("op", "value", "stored", "holds"),
    [
        ("gt", 30, 31.5, True),
        ("gt", 30, 30.0, False),
        ("ge", 30, 30.0, True),
        ("lt", 0, -1, True),
        ("le", 0, 1, False),
        ("eq", 2, 2.0, True),
        ("ne", 2, 3, True),
        ("eq", True, True, True),
        ("eq", True, 1, False),  # a Bool is not the number 1
        ("eq", "open", "open", True),
        ("gt", "a", "b", False),  # no ordering on strings
    ],
)
def test_comparisons(op: str, value: SensorValue, stored: SensorValue, holds: bool) -> None:
    condition = SensorCondition.model_validate({"Device": "s", "Resource": "r", "Op": op, "Value": value})
    assert sensor_holds(condition, table_with(stored), None, 100.0) is holds


def test_missing_sensor_never_holds() -> None:
    condition = SensorCondition.model_validate({"Device": "x", "Resource": "y", "Op": "ne", "Value": 1})
    assert not sensor_holds(condition, SensorTable(), None, 0.0)


def test_edges_now_and_within_a_window() -> None:
    table = SensorTable()
    update = table.apply(SensorReading("door", "Open", "Bool", True, 1, 100.0))
    now_edge = SensorCondition.model_validate({"Device": "door", "Resource": "Open", "Op": "rising"})
    recent = SensorCondition.model_validate(
        {"Device": "door", "Resource": "Open", "Op": "rising", "WithinS": 5}
    )
    falling = SensorCondition.model_validate({"Device": "door", "Resource": "Open", "Op": "falling"})
    assert sensor_holds(now_edge, table, update, 100.0)
    assert not sensor_holds(now_edge, table, None, 100.0)
    assert not sensor_holds(falling, table, update, 100.0)
    assert sensor_holds(recent, table, None, 104.0)
    assert not sensor_holds(recent, table, None, 106.0)


def test_active_within() -> None:
    table = SensorTable()
    table.apply(SensorReading("pir", "Motion", "Bool", True, 1, 100.0))
    table.apply(SensorReading("pir", "Motion", "Bool", False, 2, 101.0))
    condition = SensorCondition.model_validate(
        {"Device": "pir", "Resource": "Motion", "Op": "active_within", "WithinS": 10}
    )
    assert sensor_holds(condition, table, None, 109.0)
    assert not sensor_holds(condition, table, None, 111.0)


def test_a_box_clipped_at_the_frame_edge_is_still_in_a_zone_drawn_to_that_edge() -> None:
    """The detector clips boxes to the frame: feet cut off by the bottom edge must not leave the zone."""
    whole = {"all": [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]}
    assert zones_of((100, 100, 200, 480), whole, 640, 480) == ("all",)
    assert zones_of((0, 100, 0, 480), whole, 640, 480) == ("all",)  # and at the left edge
