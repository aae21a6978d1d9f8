"""Dry run: a rule replayed alone over recent frames and readings, with ticks between them."""

from __future__ import annotations

from service.pipeline.analysis.sighting import FrameView, Sighting
from service.pipeline.control.recent_inputs import RecentInputs
from service.pipeline.ingest.sensor_reading import SensorReading
from service.pipeline.rule_settings import RuleSettings
from service.pipeline.rules.dry_run import dry_run


def view(t: float, *labels: str, camera: str = "cam") -> FrameView:
    sightings = tuple(
        Sighting("person", label, 0.9, (10, 10, 110, 310), (), i + 1, False, (0.9,))
        for i, label in enumerate(labels)
    )
    return FrameView(camera, 640, 480, sightings, int(t * 1e9), t, 0.05)


def rule(**fields: object) -> RuleSettings:
    return RuleSettings.model_validate(
        {"Name": "r", "Detection": {"Labels": ["person"]}, "EndAfterS": 2, **fields}
    )


def test_a_rule_that_would_have_fired_twice_with_its_cooldown() -> None:
    items = [view(t, "person") for t in (1, 2)] + [view(10, "person"), view(40, "person")]
    result = dry_run(rule(CooldownS=30), items, 0.0, 60.0)
    assert [a.started_s for a in result.alerts] == [1, 40]  # 10: a new one after the end, but cooling down
    assert (result.ended, result.suppressed, result.frames, result.readings) == (2, 1, 4, 0)


def test_a_rule_that_would_not_have_fired() -> None:
    result = dry_run(rule(Detection={"Labels": ["car"]}), [view(1, "person")], 0.0, 5.0)
    assert result.alerts == () and result.frames == 1


def test_readings_in_the_window_drive_sensor_and_fusion_rules() -> None:
    door = SensorReading("door", "Open", "Bool", True, 5_000_000_000, 5.0)
    fusion = rule(
        Trigger={"Device": "door", "Resource": "Open", "Camera": "cam", "WindowS": 3, "Expect": "absent"}
    )
    result = dry_run(fusion, [door, view(6)], 0.0, 20.0)
    assert [a.summary for a in result.alerts] == ["no person seen by cam within 3 s of door/Open rising"]
    seen = dry_run(fusion, [door, view(6, "person")], 0.0, 20.0)
    assert seen.alerts == () and seen.readings == 1


def test_recent_inputs_keep_their_window_and_order() -> None:
    recent = RecentInputs(max_age_s=10, max_items=3)
    for t in (1, 2, 3, 4):
        recent.add(view(t))
    assert [item.analysed_s for item in recent.since(0)] == [2, 3, 4]  # max_items
    recent.add(view(20))
    assert [item.analysed_s for item in recent.since(0)] == [20]  # older than 10 s before the newest
