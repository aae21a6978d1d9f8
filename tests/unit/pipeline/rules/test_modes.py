"""Modes: settings, the ModeKeeper (manual, schedule, sensor switches, the state file) and the rule
engine evaluating only the rules the current mode enables."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from service.pipeline.analysis.sighting import FrameView, Sighting
from service.pipeline.ingest.sensor_reading import SensorReading
from service.pipeline.mode_settings import ModeSettings
from service.pipeline.rule_settings import RuleSettings
from service.pipeline.rules.engine import RuleEngine
from service.pipeline.rules.modes import ModeKeeper, StateFileModes, UnknownMode
from service.pipeline.settings import PipelineSettings
from service.pipeline.state.sensor_table import SensorTable
from service.pipeline.state.state_store import StateStore

MODES: dict[str, Any] = {
    "Modes": {"home": ["door"], "away": ["door", "person-inside"], "night": ["person-inside"]},
    "Default": "home",
}
RULES = [
    {"Name": "person-inside", "Detection": {"Labels": ["person"]}, "CooldownS": 0, "EndAfterS": 5},
    {"Name": "door", "Sensors": [{"Device": "door", "Resource": "Open", "Op": "eq", "Value": True}]},
    {
        "Name": "camera-offline",
        "Sensors": [{"Device": "cam", "Resource": "Online", "Op": "eq", "Value": False}],
    },
]


def local(hhmm: str, day: int = 5) -> float:
    """Seconds of a local time on 2026-01-<day> (a Monday for day 5)."""
    hours, minutes = hhmm.split(":")
    return datetime(2026, 1, day, int(hours), int(minutes)).timestamp()


def keeper(
    extra: dict[str, Any] | None = None, store: StateFileModes | None = None, now: float = 0.0
) -> ModeKeeper:
    return ModeKeeper(ModeSettings.model_validate({**MODES, **(extra or {})}), store, now or local("12:00"))


def sensor(device: str, resource: str, value: Any, table: SensorTable, at: float = 1.0) -> Any:
    return table.apply(SensorReading(device, resource, "Bool", value, int(at * 1e9), at))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"Modes": {"home": []}, "Default": "away"}, "Default 'away' is not one of the Modes"),
        ({"Default": "home"}, "Default, Schedule and Sensors need Modes"),
        ({**MODES, "Schedule": [{"Mode": "holiday", "Hours": {"Start": "22:00"}}]}, "unknown mode"),
        ({**MODES, "Sensors": [{"Device": "k", "Resource": "Armed", "Mode": "vacation"}]}, "unknown mode"),
        ({"Modes": {"at home": []}, "Default": "at home"}, "mode name 'at home'"),
    ],
)
def test_invalid_mode_settings_name_the_problem(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ModeSettings.model_validate(data)


def test_modes_may_name_only_configured_rules() -> None:
    with pytest.raises(ValidationError, match=r"Modes name unknown rule.*person-inside"):
        PipelineSettings.model_validate({"Modes": MODES, "Rules": [RULES[1]]})
    assert PipelineSettings.model_validate({"Modes": MODES, "Rules": RULES}).Modes.Default == "home"


def test_a_rule_no_mode_names_is_always_enabled_and_the_others_follow_the_mode() -> None:
    modes = keeper()
    assert modes.current().mode == "home" and modes.current().source == "start"
    assert modes.enabled("door") and not modes.enabled("person-inside") and modes.enabled("camera-offline")
    modes.switch("night", "manual", 10.0)
    assert not modes.enabled("door") and modes.enabled("person-inside") and modes.enabled("camera-offline")
    with pytest.raises(UnknownMode, match="unknown mode 'holiday'; modes: home, away, night"):
        modes.switch("holiday", "manual", 11.0)
    assert modes.current().mode == "night"
    changes = modes.take_changes()
    assert [(c.mode, c.previous, c.source) for c in changes] == [
        ("home", "", "start"),
        ("night", "home", "manual"),
    ]
    assert modes.take_changes() == []
    modes.switch("night", "manual", 12.0)  # already in force: no change
    assert modes.take_changes() == []


def test_the_schedule_switches_at_its_start_and_back_to_default_at_its_end() -> None:
    night = {"Schedule": [{"Mode": "night", "Hours": {"Start": "22:00", "End": "06:00"}}]}
    modes = keeper(night, now=local("21:59"))
    assert modes.current().mode == "home"
    modes.tick(local("22:00"))
    assert (modes.current().mode, modes.current().source) == ("night", "schedule")
    modes.switch("away", "manual", local("23:00"))  # the latest switch wins...
    modes.tick(local("05:59", day=6))
    assert modes.current().mode == "away"
    modes.tick(local("06:00", day=6))  # ...until the span ends
    assert (modes.current().mode, modes.current().source) == ("home", "schedule")
    assert keeper(night, now=local("23:30")).current().mode == "night"  # started inside the span


def test_a_sensor_mode_holds_while_the_reading_has_its_value_then_returns_to_the_mode_before() -> None:
    modes = keeper({"Sensors": [{"Device": "keypad", "Resource": "Armed", "Value": True, "Mode": "away"}]})
    table = SensorTable()
    modes.switch("night", "manual", 1.0)
    modes.on_sensor(sensor("keypad", "Armed", True, table, 2.0), 2.0)
    assert (modes.current().mode, modes.current().source) == ("away", "sensor")
    modes.on_sensor(sensor("other", "Armed", False, table, 3.0), 3.0)
    assert modes.current().mode == "away"
    modes.on_sensor(sensor("keypad", "Armed", False, table, 4.0), 4.0)
    assert (modes.current().mode, modes.current().previous) == ("night", "away")


def test_the_mode_survives_a_restart_through_the_state_file(tmp_path: Path) -> None:
    state = StateStore(tmp_path / "state.sqlite", 10)
    first = keeper(store=StateFileModes(state))
    first.switch("away", "manual", 100.0)
    again = keeper(store=StateFileModes(state))
    assert (again.current().mode, again.current().source, again.current().since_s) == (
        "away",
        "manual",
        100.0,
    )
    assert again.take_changes() == []  # nothing switched: nothing to publish
    state.close()
    renamed = StateStore(tmp_path / "state.sqlite", 10)
    gone = ModeKeeper(
        ModeSettings.model_validate({"Modes": {"day": []}, "Default": "day"}), StateFileModes(renamed), 5.0
    )
    assert gone.current().mode == "day"  # the stored mode is no longer configured
    renamed.close()


def engine_with(modes: ModeKeeper, table: SensorTable) -> RuleEngine:
    return RuleEngine([RuleSettings.model_validate(r) for r in RULES], table, None, modes)


def person_frame(t: float) -> FrameView:
    sighting = Sighting("person", "person", 0.9, (10, 10, 110, 310), (), 1, False, (0.9,))
    return FrameView("cam", 640, 480, (sighting,), int(t * 1e9), t, 0.05)


def test_the_engine_evaluates_only_what_the_mode_enables_and_an_alert_of_a_switched_off_rule_ends() -> None:
    modes, table = keeper(), SensorTable()
    rules = engine_with(modes, table)
    assert rules.on_frame(person_frame(1)).changes == ()  # home: person-inside is off
    modes.switch("away", "manual", 2.0)
    new = rules.on_frame(person_frame(3))
    assert [c.transition for c in new.changes] == ["new"] and new.changes[0].alert.rule == "person-inside"
    modes.switch("home", "manual", 4.0)
    assert rules.on_frame(person_frame(5)).changes == ()  # no update: not evaluated
    assert [c.transition for c in rules.tick(8.1).changes] == ["end"]  # 5 s after its last match
    offline = rules.on_sensor(sensor("cam", "Online", False, table, 9.0))
    assert [c.alert.rule for c in offline.changes] == ["camera-offline"]  # named by no mode: always on


def test_a_fusion_window_of_a_rule_switched_off_closes_without_an_alert() -> None:
    fusion = {
        "Name": "door-no-person",
        "Detection": {"Labels": ["person"]},
        "Trigger": {"Device": "door", "Resource": "Open", "Camera": "cam", "WindowS": 5, "Expect": "absent"},
    }
    settings = ModeSettings.model_validate(
        {"Modes": {"home": [], "away": ["door-no-person"]}, "Default": "away"}
    )
    modes, table = ModeKeeper(settings, None, 0.0), SensorTable()
    rules = RuleEngine([RuleSettings.model_validate(fusion)], table, None, modes)
    rules.on_sensor(sensor("door", "Open", True, table, 1.0))
    assert rules.open_windows()
    modes.switch("home", "manual", 2.0)
    assert rules.tick(7.0).changes == ()
    assert rules.open_windows() == {}


def test_without_modes_every_rule_is_enabled() -> None:
    modes = ModeKeeper(ModeSettings(), None, time.time())
    assert not modes.configured and modes.enabled("anything") and modes.take_changes() == []
