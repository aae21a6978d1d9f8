"""PipelineSettings and RuleSettings: defaults, strictness, cross-field rules (table-driven)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from service.pipeline.rule_settings import RuleSettings
from service.pipeline.settings import PipelineSettings

CAMERA = {"Role": "camera", "Zones": {"door": [[0, 0], [0.5, 0], [0.5, 1]]}}
SQUARE = [[0, 0], [1, 0], [1, 1], [0, 1]]
GATE = {"Points": [[0, 0.5], [1, 0.5]], "InDirection": "down"}
OCCUPIED = {"Device": "cam.till.1", "Resource": "Occupancy", "Op": "gt", "Value": 5}


def test_defaults_are_valid() -> None:
    settings = PipelineSettings()
    assert settings.DefaultModel == "person"
    assert settings.Rules == []
    assert settings.models_for("anything") == ("person",)
    assert settings.role_of("anything") == "unknown"


def test_camera_models_and_roles() -> None:
    settings = PipelineSettings.model_validate(
        {"Devices": {"cam": {"Role": "camera", "Models": ["person", "face"]}, "pir": {"Role": "sensor"}}}
    )
    assert settings.models_for("cam") == ("person", "face")
    assert settings.role_of("pir") == "sensor"


@pytest.mark.parametrize(
    ("rule", "kind"),
    [
        ({"Name": "a", "Detection": {}}, "detection"),
        ({"Name": "b", "Sensors": [{"Device": "t", "Resource": "v", "Op": "gt", "Value": 30}]}, "sensor"),
        (
            {"Name": "c", "Detection": {}, "Trigger": {"Device": "d", "Resource": "o", "Camera": "cam"}},
            "fusion",
        ),
    ],
)
def test_rule_kinds(rule: dict[str, Any], kind: str) -> None:
    assert RuleSettings.model_validate(rule).kind == kind


RISING_NOW = {"Device": "d", "Resource": "r", "Op": "rising"}  # an edge of "this very reading"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"Rules": [{"Name": "x"}]}, "needs Detection, Sensors or Trigger"),
        ({"Rules": [{"Name": "bad name", "Detection": {}}]}, "may use only"),
        (
            {"Rules": [{"Name": "x", "Detection": {}}, {"Name": "x", "Detection": {}}]},
            "duplicate rule names: x",
        ),
        ({"Rules": [{"Name": "x", "Detection": {"PersistFrames": 3, "PersistOutOf": 2}}]}, "PersistFrames"),
        ({"Rules": [{"Name": "x", "Detection": {"MinAreaPct": 50, "MaxAreaPct": 10}}]}, "MaxAreaPct"),
        ({"Rules": [{"Name": "x", "Detection": {"MinScore": 1.5}}]}, "less than or equal to 1"),
        (
            {"Rules": [{"Name": "x", "Trigger": {"Device": "d", "Resource": "r", "Camera": "c"}}]},
            "a Trigger needs a Detection",
        ),
        (
            {"Rules": [{"Name": "x", "Sensors": [{"Device": "d", "Resource": "r", "Op": "gt"}]}]},
            "needs a Value",
        ),
        (
            {
                "Rules": [
                    {"Name": "x", "Sensors": [{"Device": "d", "Resource": "r", "Op": "rising", "Value": 1}]}
                ]
            },
            "takes no Value",
        ),
        (
            {"Rules": [{"Name": "x", "Sensors": [{"Device": "d", "Resource": "r", "Op": "active_within"}]}]},
            "WithinS > 0",
        ),
        (
            {"Rules": [{"Name": "x", "Detection": {}, "Sensors": [RISING_NOW]}]},
            "rising edge on d/r needs WithinS > 0",
        ),
        ({"Rules": [{"Name": "x", "Detection": {}, "ActiveHours": [{"Start": "25:00"}]}]}, "is not HH:MM"),
        (
            {"Rules": [{"Name": "x", "Detection": {"Zones": ["door"]}, "Cameras": ["cam"]}]},
            "has no zone door",
        ),
        ({"Rules": [{"Name": "x", "Detection": {"Zones": ["door"]}}]}, "defined on no camera"),
        (
            {"Rules": [{"Name": "x", "Detection": {}, "Actions": {"Notification": {"Category": "a b"}}}]},
            "may use only",
        ),
        ({"Devices": {"pir": {"Role": "sensor", "Models": ["person"]}}}, "apply to cameras only"),
        ({"Devices": {"cam": {"Role": "camera", "Zones": {"z": [[0, 0], [1, 1]]}}}}, "at least 3 points"),
        (
            {"Devices": {"cam": {"Role": "camera", "MotionMasks": [[[0, 0], [2, 0], [0, 1]]]}}},
            "outside the frame",
        ),
        ({"Devices": {"cam": {"Role": "robot"}}}, "Role"),
        (
            {"Devices": {"pir": {"Role": "sensor", "Lines": {"gate": GATE}}}},
            "Zones, Lines and MotionMasks apply to cameras only",
        ),
        ({"Devices": {"cam": {"Role": "camera", "Lines": {"front gate": GATE}}}}, "line name 'front gate'"),
        ({"Devices": {"cam": {"Role": "camera", "Zones": {"till/1": SQUARE}}}}, "zone name 'till/1'"),
        (
            {"Devices": {"cam": {"Role": "camera", "Zones": {"gate": SQUARE}, "Lines": {"gate": GATE}}}},
            "gate: a zone and a line may not share a name",
        ),
        (
            {
                "Devices": {
                    "cam": {
                        "Role": "camera",
                        "Lines": {"g": {"Points": [[0, 0.5], [1, 0.5]], "InDirection": "right"}},
                    }
                }
            },
            "runs along InDirection",
        ),
        (
            {"Rules": [{"Name": "x", "Sensors": [{**OCCUPIED, "Op": "rising", "Value": None, "ForS": 5}]}]},
            "ForS applies to comparisons",
        ),
        ({"Rules": [{"Name": "x", "Sensors": [{**OCCUPIED, "ForS": -1}]}]}, "greater than or equal to 0"),
        (
            {"Rules": [{"Name": "x", "Cameras": ["a", "b"], "Sensors": [OCCUPIED]}]},
            "a sensor rule names at most one camera",
        ),
        ({"Counting": {"PublishIntervalS": 0}}, "greater than 0"),
        ({"Counting": {"RateWindowS": 100000}}, "less than or equal to 86400"),
        ({"Unknown": 1}, "Extra inputs are not permitted"),
        (
            {"Rules": [{"Name": "x", "Detection": {"Labels": ["person"], "Colour": "red"}}]},
            "Extra inputs are not permitted",
        ),
    ],
)
def test_invalid_settings_name_the_problem(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PipelineSettings.model_validate(data)


def test_a_counting_camera_with_lines_and_zones_and_an_occupancy_rule_load() -> None:
    settings = PipelineSettings.model_validate(
        {
            "Devices": {"cam": {"Role": "camera", "Zones": {"till.1": SQUARE}, "Lines": {"gate": GATE}}},
            "Counting": {"PublishIntervalS": 30, "RateWindowS": 60, "MinPublishGapS": 0},
            "Rules": [{"Name": "queue", "Cameras": ["cam"], "Sensors": [{**OCCUPIED, "ForS": 60}]}],
        }
    )
    camera = settings.Devices["cam"]
    assert camera.Lines["gate"].InDirection == "down" and list(camera.Zones) == ["till.1"]
    assert settings.Counting.PublishIntervalS == 30 and settings.Counting.Enabled
    assert settings.Rules[0].Sensors[0].ForS == 60 and settings.Rules[0].kind == "sensor"


def test_zones_on_the_rule_cameras_are_accepted() -> None:
    settings = PipelineSettings.model_validate(
        {
            "Devices": {"cam": CAMERA},
            "Rules": [{"Name": "x", "Cameras": ["cam"], "Detection": {"Zones": ["door"]}}],
        }
    )
    assert settings.Rules[0].Detection is not None
    assert settings.Rules[0].Detection.Zones == ["door"]


def test_settings_are_frozen() -> None:
    settings = PipelineSettings()
    with pytest.raises(ValidationError):
        settings.HeartbeatS = 3


def test_a_rule_model_runs_on_the_cameras_the_rule_watches() -> None:
    settings = PipelineSettings.model_validate(
        {
            "Devices": {"cam": {"Role": "camera", "Models": ["person"]}},
            "Rules": [
                {"Name": "faces", "Cameras": ["cam"], "Model": "face", "Detection": {"Labels": ["face"]}},
                {"Name": "off", "Enabled": False, "Model": "yolo", "Detection": {}},
            ],
        }
    )
    assert settings.models_for("cam") == ("person", "face")
    assert settings.models_for("other") == ("person",)
