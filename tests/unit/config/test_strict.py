"""Strict configuration: unknown or mistyped keys, every error at once, unreadable YAML, loose values."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.config.support import _issues, _load, _write

STRICT_ERRORS: list[tuple[object, str]] = [
    ({"MessageBus": {"Optional": {"Qoss": "1"}}}, "MessageBus.Optional.Qoss: extra key"),
    ({"Service": {"Portt": 1}}, "Service.Portt: extra key"),
    ({"Clients": {"core-comand": {"Port": 1}}}, "Clients.core-comand: extra key"),
    ({"Writable": {"Telemetry": {"Intervall": "1s"}}}, "Writable.Telemetry.Intervall: extra key"),
    (
        {"AppCustom": {"Pipeline": {"Motion": {"Enable": True}}}},
        "AppCustom.Pipeline.Motion.Enable: extra key",
    ),
    ({"AppCustom": {"Models": {"person": {"Decoder": "nope"}}}}, "AppCustom.Models.person.Decoder"),
    ({"AppCustom": {"Pipeline": {"DefaultModel": "ghost"}}}, "Pipeline.DefaultModel: unknown model ghost"),
    (
        {"AppCustom": {"Pipeline": {"Rules": [{"Name": "r", "Model": "ghost", "Detection": {}}]}}},
        "Pipeline.Rules.0.Model: unknown model ghost",
    ),
    (
        {"AppCustom": {"Pipeline": {"Privacy": {"BlurFaces": True, "FaceModel": "ghost"}}}},
        "Pipeline.Privacy.FaceModel: unknown model ghost",
    ),
    ({"Nonsense": 1}, "Nonsense: extra key"),
    ({"Service": {"Port": "eighty"}}, "Service.Port: Input should be a valid integer"),
    ({"MessageBus": {"AuthMode": "token"}}, "MessageBus.AuthMode"),
    ({"MessageBus": {"Optional": {"KeepAlive": "soon"}}}, "MessageBus.Optional.KeepAlive"),
    ({"Trigger": {"SubscribeTopics": ""}}, "Trigger.SubscribeTopics: at least one topic"),
    ({"Clients": {"core-data": {"Protocol": "ftp"}}}, "Clients.core-data.Protocol"),
]


@pytest.mark.parametrize(("data", "expected"), STRICT_ERRORS)
def test_unknown_or_mistyped_key_names_its_path(tmp_path: Path, data: object, expected: str) -> None:
    _write(tmp_path / "res" / "configuration.yaml", data)
    issues = _issues()
    assert any(expected in issue for issue in issues), issues


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    _write(
        tmp_path / "res" / "configuration.yaml",
        {"Service": {"Portt": 1, "Port": "x"}, "Registry": {"Typo": 1}},
    )
    assert len(_issues()) == 3


@pytest.mark.parametrize("text", ["Service: [unclosed", "- just\n- a list\n"])
def test_unreadable_yaml_names_the_file(tmp_path: Path, text: str) -> None:
    _write(tmp_path / "res" / "configuration.yaml", text)
    assert any("configuration.yaml" in issue for issue in _issues())


def test_unquoted_optional_values_become_edgex_strings(tmp_path: Path) -> None:
    _write(
        tmp_path / "res" / "configuration.yaml", {"MessageBus": {"Optional": {"Qos": 2, "Retained": True}}}
    )
    optional = _load().MessageBus.Optional
    assert (optional.Qos, optional.Retained) == ("2", "true")


def test_null_maps_are_empty(tmp_path: Path) -> None:
    _write(
        tmp_path / "res" / "configuration.yaml", "Writable:\n  InsecureSecrets:\n  Telemetry:\n    Tags:\n"
    )
    config = _load()
    assert (config.Writable.InsecureSecrets, config.Writable.Telemetry.Tags) == ({}, {})
