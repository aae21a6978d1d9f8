"""RuleEngine: alert lifecycle, persistence, stationary objects, cooldown, hours, fusion, sensors."""

from __future__ import annotations

from typing import Any

from service.pipeline.analysis.sighting import FrameView, Sighting
from service.pipeline.ingest.sensor_reading import SensorReading
from service.pipeline.rule_settings import RuleSettings
from service.pipeline.rules.engine import LaneTable, RuleEngine, RuleOutput
from service.pipeline.state.records import StoredAlert
from service.pipeline.state.sensor_table import SensorTable


def person(stationary: bool = False, score: float = 0.9, track: int = 1) -> Sighting:
    return Sighting("person", "person", score, (10, 10, 110, 310), (), track, stationary, (score,))


def frame(t: float, *sightings: Sighting, camera: str = "cam") -> FrameView:
    return FrameView(camera, 640, 480, sightings, int(t * 1e9), t, 0.05, f"ev-{t}")


def engine(*rules: dict[str, Any], sensors: SensorTable | None = None) -> RuleEngine:
    return RuleEngine([RuleSettings.model_validate(r) for r in rules], sensors or SensorTable())


def transitions(out: RuleOutput) -> list[str]:
    return [c.transition for c in out.changes]


DETECT = {
    "Name": "p",
    "Detection": {"Labels": ["person"]},
    "EndAfterS": 10,
    "CooldownS": 0,
    "UpdateEveryS": 2,
}


def test_lifecycle_new_update_end_with_a_stable_id() -> None:
    rules = engine(DETECT)
    new = rules.on_frame(frame(0, person()))
    assert transitions(new) == ["new"]
    alert_id = new.changes[0].alert.alert_id
    assert transitions(rules.on_frame(frame(1, person()))) == []  # within UpdateEveryS
    update = rules.on_frame(frame(2.5, person()))
    assert transitions(update) == ["update"] and update.changes[0].sequence == 1
    assert transitions(rules.tick(12.0)) == []  # 9.5 s after the last match
    end = rules.tick(12.6)
    assert transitions(end) == ["end"]
    ids = {c.alert.alert_id for c in (*new.changes, *update.changes, *end.changes)}
    assert ids == {alert_id}
    assert end.changes[0].alert.state == "ended" and end.changes[0].sequence == 2


def test_frames_without_a_match_do_nothing() -> None:
    rules = engine(DETECT)
    assert rules.on_frame(frame(0)).changes == ()
    assert rules.on_frame(frame(1, person(score=0.3))).changes == ()
    assert rules.tick(100).changes == ()


def test_cameras_and_lanes_are_separate() -> None:
    rules = engine({**DETECT, "Cameras": ["front"]})
    assert rules.on_frame(frame(0, person(), camera="back")).changes == ()
    assert transitions(rules.on_frame(frame(0, person(), camera="front"))) == ["new"]


def test_cooldown_suppresses_a_new_alert_and_then_allows_it() -> None:
    rules = engine({**DETECT, "CooldownS": 30, "EndAfterS": 5})
    assert transitions(rules.on_frame(frame(0, person()))) == ["new"]
    assert transitions(rules.tick(6)) == ["end"]
    again = rules.on_frame(frame(10, person()))
    assert again.changes == () and again.suppressed == (("p", "cooldown"),)
    assert transitions(rules.on_frame(frame(31, person()))) == ["new"]


def test_active_hours_suppress() -> None:
    rules = engine({**DETECT, "ActiveHours": [{"Start": "00:00", "End": "00:01", "Days": ["mon"]}]})
    out = rules.on_frame(frame(3 * 86400 + 12 * 3600, person()))  # 1970-01-04 is a Sunday
    assert out.changes == () and out.suppressed == (("p", "hours"),)


def test_persistence_k_of_m_frames() -> None:
    rules = engine({**DETECT, "Detection": {"PersistFrames": 2, "PersistOutOf": 3}})
    assert rules.on_frame(frame(0, person())).changes == ()
    assert rules.on_frame(frame(1)).changes == ()
    assert transitions(rules.on_frame(frame(2, person()))) == ["new"]


def test_persistence_for_seconds() -> None:
    rules = engine({**DETECT, "Detection": {"PersistS": 3}})
    assert rules.on_frame(frame(0, person())).changes == ()
    assert rules.on_frame(frame(2, person())).changes == ()
    assert rules.on_frame(frame(2.5)).changes == ()  # the run breaks
    assert rules.on_frame(frame(3, person())).changes == ()
    assert transitions(rules.on_frame(frame(6.1, person()))) == ["new"]


def test_min_count() -> None:
    rules = engine({**DETECT, "Detection": {"MinCount": 2}})
    assert rules.on_frame(frame(0, person())).changes == ()
    assert transitions(rules.on_frame(frame(1, person(track=1), person(track=2)))) == ["new"]


def test_a_stationary_object_keeps_its_alert_but_never_starts_a_new_one() -> None:
    rules = engine({**DETECT, "EndAfterS": 5})
    assert transitions(rules.on_frame(frame(0, person()))) == ["new"]
    assert transitions(rules.on_frame(frame(4, person(stationary=True)))) == ["update"]
    assert rules.tick(8.9).changes == ()  # kept alive by the stationary match at 4
    assert transitions(rules.tick(9.1)) == ["end"]
    for t in range(10, 100, 5):  # the parked object is still there: no re-alert, ever
        assert rules.on_frame(frame(t, person(stationary=True))).changes == ()
    assert transitions(rules.on_frame(frame(100, person(stationary=True), person(track=2)))) == ["new"]


def test_include_stationary_lets_it_alert() -> None:
    rules = engine({**DETECT, "Detection": {"IncludeStationary": True}})
    assert transitions(rules.on_frame(frame(0, person(stationary=True)))) == ["new"]


def test_unchanged_frames_keep_a_matching_alert_alive() -> None:
    rules = engine({**DETECT, "EndAfterS": 5})
    rules.on_frame(frame(0, person()))
    for t in (2, 4, 6, 8):
        rules.on_still("cam", t)
    assert rules.tick(10).changes == ()
    assert transitions(rules.tick(13.1)) == ["end"]


def test_detection_rule_with_sensor_condition() -> None:
    sensors = SensorTable()
    rules = engine(
        {
            **DETECT,
            "Sensors": [{"Device": "pir", "Resource": "Motion", "Op": "active_within", "WithinS": 10}],
        },
        sensors=sensors,
    )
    assert rules.on_frame(frame(100, person())).changes == ()
    sensors.apply(SensorReading("pir", "Motion", "Bool", True, 1, 101.0))
    assert transitions(rules.on_frame(frame(102, person()))) == ["new"]


FUSION = {
    "Name": "door-person",
    "Detection": {"Labels": ["person"]},
    "CooldownS": 0,
    "EndAfterS": 5,
    "Trigger": {"Device": "door", "Resource": "Open", "Camera": "cam", "WindowS": 10},
}


def door(sensors: SensorTable, rules: RuleEngine, value: bool, at: float) -> RuleOutput:
    return rules.on_sensor(sensors.apply(SensorReading("door", "Open", "Bool", value, int(at * 1e9), at)))


def test_fusion_seen_fires_on_the_first_match_in_the_window() -> None:
    sensors = SensorTable()
    rules = engine(FUSION, sensors=sensors)
    assert rules.on_frame(frame(99, person())).changes == ()  # no window yet
    opened = door(sensors, rules, True, 100)
    assert opened.frame_requests == ("cam",) and rules.open_windows() == {"door-person": 110}
    assert rules.on_frame(frame(101)).changes == ()
    fired = rules.on_frame(frame(103, person()))
    assert transitions(fired) == ["new"]
    assert "within 10 s of door/Open rising" in fired.changes[0].alert.summary
    assert rules.open_windows() == {}


def test_fusion_seen_expires_quietly() -> None:
    sensors = SensorTable()
    rules = engine(FUSION, sensors=sensors)
    door(sensors, rules, True, 100)
    assert rules.tick(110).changes == () and rules.open_windows() == {}
    assert rules.on_frame(frame(111, person())).changes == ()


def test_fusion_absent_fires_when_the_window_closes_empty() -> None:
    sensors = SensorTable()
    rules = engine({**FUSION, "Trigger": {**FUSION["Trigger"], "Expect": "absent"}}, sensors=sensors)  # type: ignore[dict-item]
    door(sensors, rules, True, 100)
    assert door(sensors, rules, False, 101).changes == ()  # falling edge: not the trigger
    assert rules.on_frame(frame(102)).changes == ()
    assert rules.tick(109.9).changes == ()
    fired = rules.tick(110)
    assert transitions(fired) == ["new"]
    assert fired.changes[0].alert.summary == "no person seen by cam within 10 s of door/Open rising"
    assert transitions(rules.tick(115)) == ["end"]


def test_fusion_absent_is_satisfied_by_a_person() -> None:
    sensors = SensorTable()
    rules = engine({**FUSION, "Trigger": {**FUSION["Trigger"], "Expect": "absent"}}, sensors=sensors)  # type: ignore[dict-item]
    door(sensors, rules, True, 100)
    rules.on_frame(frame(104, person()))
    assert rules.tick(111).changes == ()


def test_sensor_only_rule() -> None:
    sensors = SensorTable()
    rules = engine(
        {
            "Name": "hot",
            "Sensors": [{"Device": "t", "Resource": "Temp", "Op": "gt", "Value": 50}],
            "EndAfterS": 10,
            "CooldownS": 0,
        },
        sensors=sensors,
    )

    def temp(value: float, at: float) -> RuleOutput:
        return rules.on_sensor(sensors.apply(SensorReading("t", "Temp", "Float32", value, int(at * 1e9), at)))

    assert temp(40, 1).changes == ()
    fired = temp(55, 2)
    assert transitions(fired) == ["new"] and fired.changes[0].alert.camera == ""
    assert temp(45, 3).changes == ()
    assert transitions(rules.tick(12.5)) == ["end"]


def test_disabled_rules_are_ignored() -> None:
    rules = engine({**DETECT, "Enabled": False})
    assert rules.on_frame(frame(0, person())).changes == ()


def test_a_resumed_alert_continues_its_id_and_sequence() -> None:
    before = engine(DETECT)
    new = before.on_frame(frame(0, person())).changes[0]
    after = engine(DETECT)  # a restart: a fresh engine, given the stored alert back
    assert after.resume([StoredAlert(new.alert, 5)]) == []
    update = after.on_frame(frame(3, person()))
    assert transitions(update) == ["update"]
    assert update.changes[0].alert.alert_id == new.alert.alert_id and update.changes[0].sequence == 5
    end = after.tick(13.5)
    assert transitions(end) == ["end"] and end.changes[0].alert.alert_id == new.alert.alert_id


def test_a_resumed_alert_whose_quiet_period_passed_ends_at_the_first_tick() -> None:
    new = engine(DETECT).on_frame(frame(0, person())).changes[0]
    after = engine({**DETECT, "CooldownS": 30})
    after.resume([StoredAlert(new.alert, 1)])
    end = after.tick(60)
    assert transitions(end) == ["end"] and end.changes[0].sequence == 1
    assert after.on_frame(frame(20, person())).suppressed == (("p", "cooldown"),)  # from its start at 0


def test_alerts_of_rules_no_longer_enabled_come_back_as_orphans() -> None:
    new = engine(DETECT).on_frame(frame(0, person())).changes[0]
    after = engine({**DETECT, "Name": "renamed"})
    assert after.resume([StoredAlert(new.alert, 1)]) == [StoredAlert(new.alert, 1)]
    assert after.tick(100).changes == ()


def test_a_recently_ended_alert_keeps_its_cooldown_across_a_restart() -> None:
    rule = {**DETECT, "CooldownS": 30, "EndAfterS": 5}
    before = engine(rule)
    before.on_frame(frame(0, person()))
    [end] = before.tick(6).changes
    after = engine(rule)
    assert after.resume([], [end.alert]) == []
    assert after.on_frame(frame(10, person())).suppressed == (("p", "cooldown"),)
    assert transitions(after.on_frame(frame(31, person()))) == ["new"]
    assert engine(rule).on_frame(frame(10, person())).suppressed == ()  # without resume: no cooldown


def test_a_rule_collects_evidence_while_persistence_is_partly_met_or_an_alert_is_active() -> None:
    lanes = LaneTable()
    rules = RuleEngine(
        [
            RuleSettings.model_validate(
                {**DETECT, "Detection": {"Labels": ["person"], "PersistFrames": 2, "PersistOutOf": 3}}
            )
        ],
        SensorTable(),
        lanes,
    )
    cam = lanes.lanes("cam")
    assert not rules.collecting(cam)
    rules.on_frame(frame(0, person()))  # 1 of 2: not yet an alert, but evidence
    assert rules.collecting(cam) and not rules.collecting(lanes.lanes("other"))
    assert transitions(rules.on_frame(frame(1, person()))) == ["new"]
    for t in (2, 3, 4):  # no match: the history empties, the alert stays until EndAfterS
        rules.on_frame(frame(t))
    assert rules.collecting(cam)
    rules.tick(20)
    assert not rules.collecting(cam)


def test_an_open_fusion_window_keeps_its_camera_collecting() -> None:
    sensors = SensorTable()
    rules = engine(FUSION, sensors=sensors)
    assert rules.window_cameras() == set()
    door(sensors, rules, True, 100)
    assert rules.window_cameras() == {"cam"}
    rules.tick(110)
    assert rules.window_cameras() == set()


OCCUPANCY = {
    "Name": "queue",
    "Cameras": ["till-cam"],
    "Sensors": [{"Device": "till-cam.checkout", "Resource": "Occupancy", "Op": "gt", "Value": 5, "ForS": 60}],
    "EndAfterS": 10,
    "CooldownS": 0,
    "UpdateEveryS": 30,
}


def occupancy(sensors: SensorTable, rules: RuleEngine, value: int, at: float) -> RuleOutput:
    reading = SensorReading("till-cam.checkout", "Occupancy", "Int64", value, int(at * 1e9), at)
    return rules.on_sensor(sensors.apply(reading))


def test_a_condition_held_for_ForS_fires_on_the_tick_when_the_time_is_up_and_ends_after_it_breaks() -> None:
    sensors = SensorTable()
    rules = engine(OCCUPANCY, sensors=sensors)
    assert occupancy(sensors, rules, 6, 100).changes == ()  # holds from 100
    assert rules.tick(159.9).changes == ()
    fired = rules.tick(160.0)
    assert transitions(fired) == ["new"]
    alert = fired.changes[0].alert
    assert alert.camera == "till-cam"  # the rule names its camera: its snapshot, its lane
    assert alert.summary == "queue: till-cam.checkout/Occupancy gt 5 for 60 s (6)"
    assert rules.tick(189.9).changes == ()  # still holding: alive, no update before UpdateEveryS
    assert transitions(rules.tick(190)) == ["update"]  # UpdateEveryS after the new one
    assert rules.tick(204.9).changes == ()  # the last tick that finds it holding
    assert occupancy(sensors, rules, 4, 205).changes == ()  # breaks: no more matches
    assert rules.tick(214.8).changes == ()
    assert transitions(rules.tick(214.9)) == ["end"]  # EndAfterS after the last match


def test_a_break_restarts_the_hold_time() -> None:
    sensors = SensorTable()
    rules = engine(OCCUPANCY, sensors=sensors)
    occupancy(sensors, rules, 7, 0)
    occupancy(sensors, rules, 5, 50)  # not > 5
    occupancy(sensors, rules, 9, 55)
    assert rules.tick(100).changes == ()  # held 45 s only
    assert rules.tick(114.9).changes == ()
    assert transitions(rules.tick(115)) == ["new"]


def test_a_reading_that_completes_the_hold_fires_at_once() -> None:
    sensors = SensorTable()
    rules = engine(OCCUPANCY, sensors=sensors)
    occupancy(sensors, rules, 6, 0)
    assert transitions(occupancy(sensors, rules, 8, 61)) == ["new"]  # still > 5, held 61 s


def test_after_a_restart_the_hold_counts_from_the_first_evaluation_that_finds_it_true() -> None:
    sensors = SensorTable()
    sensors.apply(SensorReading("till-cam.checkout", "Occupancy", "Int64", 6, 0, 0.0))  # restored state
    rules = engine(OCCUPANCY, sensors=sensors)
    assert rules.tick(500).changes == ()  # from here, not from the reading's time
    assert rules.tick(559.9).changes == ()
    assert transitions(rules.tick(560)) == ["new"]


def test_a_rate_condition_fires_without_a_hold_and_honours_the_cooldown() -> None:
    sensors = SensorTable()
    rules = engine(
        {
            "Name": "rush",
            "Sensors": [{"Device": "door-cam.gate", "Resource": "InRecent", "Op": "gt", "Value": 10}],
            "EndAfterS": 5,
            "CooldownS": 120,
        },
        sensors=sensors,
    )

    def entries(value: int, at: float) -> RuleOutput:
        reading = SensorReading("door-cam.gate", "InRecent", "Int64", value, int(at * 1e9), at)
        return rules.on_sensor(sensors.apply(reading))

    assert entries(10, 0).changes == ()
    fired = entries(11, 1)
    assert transitions(fired) == ["new"] and fired.changes[0].alert.camera == ""
    assert rules.tick(2).changes == ()  # no ForS: not evaluated on ticks, so it ends after EndAfterS
    assert transitions(rules.tick(6)) == ["end"]
    again = entries(12, 60)
    assert again.changes == () and again.suppressed == (("rush", "cooldown"),)
    assert transitions(entries(13, 122)) == ["new"]


def test_ForS_on_a_detection_rule_sensor_condition_gates_its_frames() -> None:
    sensors = SensorTable()
    rules = engine(
        {
            **DETECT,
            "Sensors": [{"Device": "alarm", "Resource": "Armed", "Op": "eq", "Value": True, "ForS": 30}],
        },
        sensors=sensors,
    )
    rules.on_sensor(sensors.apply(SensorReading("alarm", "Armed", "Bool", True, 0, 0.0)))
    assert rules.on_frame(frame(29, person())).changes == ()  # armed 29 s: exit delay not over
    assert transitions(rules.on_frame(frame(31, person()))) == ["new"]
