"""Configuration from core-keeper (-cp): read, first-start push, fallback, env overrides, KV text.

Runs against the spec-validating core-keeper stand-in of tests/ship/test_keeper.py (a real HTTP
server on loopback; every request and reply is checked against core-keeper.yaml).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.__main__ import main
from service.config import Config, ConfigError, LoadedConfig, LoadOptions, load_config
from service.config.provider import typed_tree
from service.config.sections import TelemetrySection, TriggerSection, WritableSection
from service.pipeline.settings import PipelineSettings
from tests.fakes.keeper import FakeKeeper, running_keeper

BASE_ENV = {"EDGEX_SECURITY_SECRET_STORE": "false"}
PRIVATE = "edgex/v4/app-vision"
COMMON = "edgex/v4/core-common-config-bootstrapper"
FILE_CONFIG: dict[str, Any] = {
    "Writable": {"LogLevel": "WARN", "Telemetry": {"Interval": "15s", "Metrics": {"MessagesReceived": True}}},
    "Service": {"Port": 5555, "EnableNameFieldEscape": True},
    "Trigger": {"SubscribeTopics": "events/#,system-events/#"},
}


@pytest.fixture
def keeper() -> Iterator[FakeKeeper]:
    with running_keeper() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test has its own ./res/configuration.yaml (the private file)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "res").mkdir()
    (tmp_path / "res" / "configuration.yaml").write_text(yaml.safe_dump(FILE_CONFIG), encoding="utf-8")


def _url(keeper: FakeKeeper) -> str:
    return f"keeper.http://127.0.0.1:{keeper.port}"


def _load(provider: str, env: dict[str, str] | None = None, **options: Any) -> LoadedConfig[Config]:
    return load_config(Config, LoadOptions(config_provider=provider, **options), {**BASE_ENV, **(env or {})})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_absent_tree_pushes_the_file_as_text_and_uses_it(keeper: FakeKeeper) -> None:
    loaded = _load(_url(keeper))
    assert loaded.bootstrap.from_provider
    assert "first start" in loaded.bootstrap.config_source
    assert (loaded.config.Service.Port, loaded.config.Writable.LogLevel) == (5555, "WARN")
    assert keeper.kv[f"{PRIVATE}/Service/Port"] == "5555"
    assert keeper.kv[f"{PRIVATE}/Service/EnableNameFieldEscape"] == "true"
    assert keeper.kv[f"{PRIVATE}/Writable/Telemetry/Metrics/MessagesReceived"] == "true"
    assert f"{PRIVATE}/MessageBus/Host" not in keeper.kv  # only the private file, not the defaults


def test_present_tree_is_read_and_its_text_converted(keeper: FakeKeeper) -> None:
    keeper.kv.update(
        {
            f"{PRIVATE}/Service/Port": "6000",
            f"{PRIVATE}/Service/EnableNameFieldEscape": "false",
            f"{PRIVATE}/Service/HealthCheckInterval": "3s",
            f"{PRIVATE}/Writable/LogLevel": "debug",
            f"{PRIVATE}/Writable/Telemetry/Metrics/InferenceSeconds": "true",
            f"{PRIVATE}/MessageBus/Optional/Qos": "1",
            f"{PRIVATE}/Trigger/SubscribeTopics": "events/#,commands/#",
            f"{PRIVATE}/AppCustom/Pipeline/MaxFrameAgeS": "2.5",
            f"{PRIVATE}/AppCustom/Pipeline/Motion/Enabled": "false",
        }
    )
    config = _load(_url(keeper)).config
    assert config.Service.Port == 6000 and config.Service.EnableNameFieldEscape is False
    assert config.Service.HealthCheckInterval == "3s"
    assert config.Writable.LogLevel == "DEBUG"
    assert config.Writable.Telemetry.Metrics == {"InferenceSeconds": True}  # KV, not the file
    assert config.MessageBus.Optional.Qos == "1"  # a string field stays text
    assert config.Trigger.SubscribeTopics == ["events/#", "commands/#"]
    assert config.AppCustom.Pipeline.MaxFrameAgeS == 2.5
    assert config.AppCustom.Pipeline.Motion.Enabled is False
    assert keeper.kv[f"{PRIVATE}/Service/Port"] == "6000"  # nothing was pushed over it


def test_common_configuration_comes_from_the_bootstrapper_keys(
    keeper: FakeKeeper, caplog: pytest.LogCaptureFixture
) -> None:
    keeper.kv.update(
        {
            f"{COMMON}/IsCommonConfigReady": "true",
            f"{COMMON}/all-services/MessageBus/Host": "edgex-mqtt-broker",
            f"{COMMON}/all-services/MessageBus/Port": "1884",
            f"{COMMON}/all-services/Database/Host": "edgex-postgres",  # not modelled: dropped
            f"{COMMON}/app-services/Clients/core-metadata/Host": "edgex-core-metadata",
            f"{COMMON}/app-services/MessageBus/Host": "app-broker",
            f"{COMMON}/device-services/Device/DataTransform": "true",  # other services' section
            f"{PRIVATE}/MessageBus/Port": "1885",
        }
    )
    with caplog.at_level(logging.INFO):
        config = _load(_url(keeper)).config
    assert config.MessageBus.Host == "app-broker"  # app-services over all-services
    assert config.MessageBus.Port == 1885  # the private tree over the common one
    assert config.Clients.core_metadata.Host == "edgex-core-metadata"
    assert "app-vision does not use: Database\n" in caplog.text  # device-services not even read


def test_missing_common_configuration_is_reported(
    keeper: FakeKeeper, caplog: pytest.LogCaptureFixture
) -> None:
    _load(_url(keeper))
    assert "IsCommonConfigReady is not true" in caplog.text


@pytest.mark.parametrize(
    ("env", "options"), [({"EDGEX_OVERWRITE_CONFIG": "true"}, {}), ({}, {"overwrite_config": True})]
)
def test_overwrite_pushes_the_file_over_an_existing_tree(
    keeper: FakeKeeper, env: dict[str, str], options: dict[str, Any]
) -> None:
    keeper.kv[f"{PRIVATE}/Service/Port"] = "6000"
    loaded = _load(_url(keeper), env, **options)
    assert loaded.config.Service.Port == 5555
    assert keeper.kv[f"{PRIVATE}/Service/Port"] == "5555"
    assert "EDGEX_OVERWRITE_CONFIG" in loaded.bootstrap.config_source


def test_environment_overrides_beat_keeper_values(keeper: FakeKeeper) -> None:
    keeper.kv.update(
        {
            f"{PRIVATE}/Service/Port": "6000",
            f"{PRIVATE}/Writable/Telemetry/Metrics/MessagesReceived": "true",
        }
    )
    env = {"SERVICE_PORT": "7000", "WRITABLE_TELEMETRY_METRICS_MESSAGESRECEIVED": "FALSE"}
    loaded = _load(_url(keeper), env)
    assert loaded.config.Service.Port == 7000
    assert loaded.config.Writable.Telemetry.Metrics["MessagesReceived"] is False
    assert {o.variable for o in loaded.bootstrap.env_overrides} == set(env)


def test_unreachable_keeper_falls_back_to_the_files_after_the_startup_duration(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    common = tmp_path / "common.yaml"
    common.write_text(
        yaml.safe_dump({"all-services": {"MessageBus": {"Host": "from-file"}}}), encoding="utf-8"
    )
    env = {"EDGEX_STARTUP_DURATION": "1", "EDGEX_STARTUP_INTERVAL": "0.2"}
    started = time.monotonic()
    loaded = _load(f"keeper.http://127.0.0.1:{_free_port()}", env, common_config=str(common))
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 5
    assert not loaded.bootstrap.from_provider
    assert loaded.bootstrap.config_source == "file (core-keeper unreachable)"
    assert (loaded.config.Service.Port, loaded.config.MessageBus.Host) == (5555, "from-file")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("unreachable" in m and "falling back" in m for m in warnings), warnings


def test_invalid_keeper_value_names_its_key(keeper: FakeKeeper) -> None:
    keeper.kv[f"{PRIVATE}/Service/Port"] = "eighty"
    with pytest.raises(ConfigError) as caught:
        _load(_url(keeper))
    assert any(issue.startswith("Service.Port:") and "eighty" in issue for issue in caught.value.issues)


@pytest.mark.parametrize(
    ("provider", "fragment"),
    [("consul.http://edgex-core-consul:8500", "only keeper"), ("keeper.http://nohost", "expected keeper")],
)
def test_unsupported_provider_is_a_configuration_error(provider: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        _load(provider)


@pytest.mark.parametrize("provider", ["none", ""])
def test_no_provider_reads_the_file(provider: str) -> None:
    loaded = _load(provider)
    assert loaded.bootstrap.config_source == "file" and loaded.config.Service.Port == 5555


@pytest.mark.parametrize(
    ("model", "tree", "expected"),
    [
        (
            WritableSection,
            {"LogLevel": "INFO", "Telemetry": {"Interval": "5s", "Metrics": {"A": "true", "B": "0"}}},
            {"LogLevel": "INFO", "Telemetry": {"Interval": "5s", "Metrics": {"A": True, "B": False}}},
        ),
        (TelemetrySection, {"Tags": {"Gateway": "1"}}, {"Tags": {"Gateway": "1"}}),  # dict[str, str]
        (TriggerSection, {"SubscribeTopics": "a/#, b/#"}, {"SubscribeTopics": ["a/#", "b/#"]}),
        (PipelineSettings, {"HeartbeatS": "30", "Workers": "2"}, {"HeartbeatS": 30.0, "Workers": 2}),
        (PipelineSettings, {"Workers": "two"}, {"Workers": "two"}),  # left for pydantic to report
        (PipelineSettings, {"Rules": [{"Name": "r"}]}, {"Rules": [{"Name": "r"}]}),  # JSON kept as is
        (WritableSection, {"Unknown": "1"}, {"Unknown": "1"}),  # left for the extra-key error
    ],
)
def test_typed_tree(model: type[Any], tree: dict[str, Any], expected: dict[str, Any]) -> None:
    assert typed_tree(model, tree) == expected


def test_config_check_shows_the_keeper_source(
    keeper: FakeKeeper, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EDGEX_SECURITY_SECRET_STORE", "false")
    keeper.kv[f"{PRIVATE}/Service/Port"] = "6001"
    assert main(["config", "check", "-cp", _url(keeper)]) == 0
    out = capsys.readouterr().out
    assert "# configuration source: core-keeper" in out
    assert yaml.safe_load(out)["Service"]["Port"] == 6001


def test_cli_overwrite_flag_pushes(
    keeper: FakeKeeper, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EDGEX_SECURITY_SECRET_STORE", "false")
    monkeypatch.delenv("EDGEX_OVERWRITE_CONFIG", raising=False)
    keeper.kv[f"{PRIVATE}/Service/Port"] = "6001"
    assert main(["config", "check", "-cp", _url(keeper), "--overwrite"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["Service"]["Port"] == 5555
    assert keeper.kv[f"{PRIVATE}/Service/Port"] == "5555"
