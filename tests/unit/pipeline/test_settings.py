"""PipelineSettings and RuleSettings: defaults, strictness, cross-field rules (table-driven)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from service.pipeline.rule_settings import RuleSettings
from service.pipeline.settings import PipelineSettings

CAMERA = {"Role": "camera", "Zones": {"door": [[0, 0], [0.5, 0], [0.5, 1]]}}


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
