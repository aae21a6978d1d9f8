"""EdgeX environment overrides: SECTION_KEY forms, insecure secrets, bad values, the security mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from service.config import Config, LoadOptions, load_config
from tests.unit.config.support import BASE_ENV, _issues, _load, _write

ENV_OVERRIDES: list[tuple[dict[str, str], Callable[[Config], object], object]] = [
    ({"WRITABLE_LOGLEVEL": "debug"}, lambda c: c.Writable.LogLevel, "DEBUG"),
    ({"WRITABLE_TELEMETRY_INTERVAL": "1m30s"}, lambda c: c.Writable.Telemetry.Interval, "1m30s"),
    ({"SERVICE_PORT": "59999"}, lambda c: c.Service.Port, 59999),
    ({"SERVICE_HOST": "edgex-app-vision"}, lambda c: c.Service.Host, "edgex-app-vision"),
    ({"SERVICE_ENABLENAMEFIELDESCAPE": "true"}, lambda c: c.Service.EnableNameFieldEscape, True),
    ({"SERVICE_MAXREQUESTSIZE": "10"}, lambda c: c.Service.MaxRequestSize, 10),
    ({"MESSAGEBUS_TYPE": "memory"}, lambda c: c.MessageBus.Type, "memory"),
    ({"MESSAGEBUS_HOST": "edgex-mqtt-broker"}, lambda c: c.MessageBus.Host, "edgex-mqtt-broker"),
    ({"MESSAGEBUS_OPTIONAL_CLIENTID": "vision-2"}, lambda c: c.MessageBus.Optional.ClientId, "vision-2"),
    ({"MESSAGEBUS_OPTIONAL_QOS": "1"}, lambda c: c.MessageBus.Optional.Qos, "1"),
    (
        {"CLIENTS_CORE_COMMAND_HOST": "edgex-core-command"},
        lambda c: c.Clients.core_command.Host,
        "edgex-core-command",
    ),
    ({"CLIENTS_CORE_COMMAND_USEMESSAGEBUS": "false"}, lambda c: c.Clients.core_command.UseMessageBus, False),
    ({"CLIENTS_SUPPORT_NOTIFICATIONS_PORT": "1234"}, lambda c: c.Clients.support_notifications.Port, 1234),
    (
        {"TRIGGER_SUBSCRIBETOPICS": "events/device/#, system-events/#"},
        lambda c: c.Trigger.SubscribeTopics,
        ["events/device/#", "system-events/#"],
    ),
    ({"TRIGGER_PUBLISHTOPIC": "vision"}, lambda c: c.Trigger.PublishTopic, "vision"),
    ({"REGISTRY_HOST": "edgex-core-keeper"}, lambda c: c.Registry.Host, "edgex-core-keeper"),
    ({"APPCUSTOM_ENGINE_DEVICE": "AUTO"}, lambda c: c.AppCustom.Engine.Device, "AUTO"),
    (
        {"APPCUSTOM_MODELS_PERSON_SCORETHRESHOLD": "0.7"},
        lambda c: c.AppCustom.Models["person"].ScoreThreshold,
        0.7,
    ),
    (
        {"APPCUSTOM_PIPELINE_SIMULATOR_ENABLED": "true"},
        lambda c: c.AppCustom.Pipeline.Simulator.Enabled,
        True,
    ),
    (
        {"APPCUSTOM_PIPELINE_SIMULATOR_CAMERA": "cam-9"},
        lambda c: c.AppCustom.Pipeline.Simulator.Camera,
        "cam-9",
    ),
    (
        {"APPCUSTOM_PIPELINE_DEVICES": "x"},  # a map cannot be replaced by one variable
        lambda c: c.AppCustom.Pipeline.Devices,
        {},
    ),
    ({"NOT_A_KEY": "x", "SERVICE": "x"}, lambda c: c.Service.Port, 59760),
]


@pytest.mark.parametrize(("env", "get", "expected"), ENV_OVERRIDES)
def test_environment_override(env: dict[str, str], get: Callable[[Config], object], expected: object) -> None:
    assert get(_load(env)) == expected


def test_insecure_secret_override_reaches_an_existing_secret(tmp_path: Path) -> None:
    _write(
        tmp_path / "res" / "configuration.yaml",
        {
            "Writable": {
                "InsecureSecrets": {"mqtt-bus": {"SecretName": "mqtt-bus", "SecretData": {"password": ""}}}
            }
        },
    )
    config = _load({"WRITABLE_INSECURESECRETS_MQTT_BUS_SECRETDATA_PASSWORD": "s3cret"})
    assert config.Writable.InsecureSecrets["mqtt-bus"].SecretData == {"password": "s3cret"}


def test_applied_overrides_are_recorded() -> None:
    loaded = load_config(Config, LoadOptions(), {**BASE_ENV, "SERVICE_PORT": "1", "MESSAGEBUS_HOST": "h"})
    assert {(o.variable, o.dotted) for o in loaded.bootstrap.env_overrides} == {
        ("SERVICE_PORT", "Service.Port"),
        ("MESSAGEBUS_HOST", "MessageBus.Host"),
    }


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"SERVICE_PORT": "abc"}, "SERVICE_PORT: Service.Port: expects an integer"),
        (
            {"SERVICE_ENABLENAMEFIELDESCAPE": "maybe"},
            "SERVICE_ENABLENAMEFIELDESCAPE: Service.EnableNameFieldEscape",
        ),
        ({"APPCUSTOM_MODELS_PERSON_SCORETHRESHOLD": "high"}, "AppCustom.Models.person.ScoreThreshold"),
        ({"SERVICE_PORT": "70000"}, "Service.Port: Input should be less than or equal to 65535"),
        ({"MESSAGEBUS_TYPE": "kafka"}, "MessageBus.Type"),
        ({"MESSAGEBUS_OPTIONAL_QOS": "3"}, "MessageBus.Optional.Qos: must be '0', '1' or '2'"),
        ({"SERVICE_REQUESTTIMEOUT": "5 sec"}, "Service.RequestTimeout: invalid duration"),
        ({"WRITABLE_LOGLEVEL": "LOUD"}, "Writable.LogLevel"),
    ],
)
def test_bad_environment_value_names_the_key(env: dict[str, str], fragment: str) -> None:
    assert any(fragment in issue for issue in _issues(env)), _issues(env)


# --- security mode ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["true", "", "yes", "TRUE", "False", " false"])
def test_secure_mode_loads_the_configuration(value: str) -> None:
    # secure mode is decided and started by the application (service.config.security)
    env = {"EDGEX_SECURITY_SECRET_STORE": value}
    assert load_config(Config, LoadOptions(), env).config.Service.Port == 59760


@pytest.mark.parametrize("env", [{}, {"EDGEX_SECURITY_SECRET_STORE": "false"}])
def test_insecure_mode_starts(env: dict[str, str]) -> None:
    assert load_config(Config, LoadOptions(), env).config.Service.Port == 59760
