"""Configuration: defaults, EdgeX environment overrides, common config, flags, strict errors, CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.__main__ import main
from service.config import (
    DEMO_OVERLAY,
    REDACTED,
    Config,
    ConfigError,
    InsecureSecretStore,
    LoadOptions,
    UnsupportedModeError,
    load_config,
)
from service.config.bus import bus_settings
from service.config.duration import parse_duration_s
from service.config.sections import MessageBusSection

REPO = Path(__file__).resolve().parents[2]
BASE_ENV = {"EDGEX_SECURITY_SECRET_STORE": "false"}


@pytest.fixture(autouse=True)
def _no_default_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs where ./res/configuration.yaml does not exist (built-in defaults)."""
    monkeypatch.chdir(tmp_path)


def _load(env: dict[str, str] | None = None, **options: Any) -> Config:
    return load_config(Config, LoadOptions(**options), {**BASE_ENV, **(env or {})}).config


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def _issues(env: dict[str, str] | None = None, **options: Any) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as caught:
        _load(env, **options)
    return caught.value.issues


# --- defaults ---------------------------------------------------------------------------------

DEFAULTS: list[tuple[Callable[[Config], object], object]] = [
    (lambda c: c.Writable.LogLevel, "INFO"),
    (lambda c: c.Writable.Telemetry.Interval, "30s"),
    (lambda c: c.Service.Port, 59760),
    (lambda c: c.Service.RequestTimeout, "5s"),
    (lambda c: c.Service.MaxRequestSize, 0),
    (lambda c: c.Service.EnableNameFieldEscape, False),
    (lambda c: c.MessageBus.Type, "mqtt"),
    (lambda c: (c.MessageBus.Host, c.MessageBus.Port), ("localhost", 1883)),
    (lambda c: c.MessageBus.AuthMode, "none"),
    (lambda c: c.MessageBus.BaseTopicPrefix, "edgex"),
    (lambda c: c.MessageBus.Optional.ClientId, "app-vision"),
    (lambda c: (c.MessageBus.Optional.Qos, c.MessageBus.Optional.KeepAlive), ("0", "10")),
    (lambda c: c.Trigger.SubscribeTopics, ["events/#"]),
    (lambda c: c.Clients.core_command.Port, 59882),
    (lambda c: c.Clients.core_command.UseMessageBus, True),
    (lambda c: c.Clients.core_metadata.Port, 59881),
    (lambda c: c.Clients.core_data.Port, 59880),
    (lambda c: c.Clients.support_notifications.Port, 59860),
    (lambda c: (c.Registry.Port, c.Registry.Type), (59890, "keeper")),
    (lambda c: "person" in c.AppCustom.Models, True),
    (lambda c: c.AppCustom.Pipeline.Simulator.Enabled, False),
]


@pytest.mark.parametrize(("get", "expected"), DEFAULTS)
def test_builtin_defaults(get: Callable[[Config], object], expected: object) -> None:
    assert get(_load()) == expected


def test_repository_configuration_file_is_valid_and_edgex_shaped() -> None:
    loaded = load_config(Config, LoadOptions(config_dir=str(REPO / "res")), BASE_ENV)
    config = loaded.config
    assert loaded.bootstrap.config_file == REPO / "res" / "configuration.yaml"
    assert (config.MessageBus.Type, config.MessageBus.Host, config.MessageBus.Port) == (
        "mqtt",
        "localhost",
        1883,
    )
    assert config.Service.MaxRequestSize == 25000
    assert config.MessageBus.full_topic(config.Trigger.SubscribeTopics[0]) == "edgex/events/#"


def test_demo_overlay_selects_memory_bus_and_simulator() -> None:
    config = _load(overlay=DEMO_OVERLAY)
    assert config.MessageBus.Type == "memory"
    assert config.AppCustom.Pipeline.Simulator.Enabled is True


# --- environment overrides --------------------------------------------------------------------

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


# --- files, common configuration, flags -------------------------------------------------------

COMMON = {
    "all-services": {
        "Writable": {
            "LogLevel": "WARN",
            "InsecureSecrets": {"DB": {"SecretName": "postgres", "SecretData": {}}},
        },
        "Service": {
            "Host": "common-host",
            "RequestTimeout": "9s",
            "MaxResultCount": 1024,
            "CORSConfiguration": {"EnableCORS": False},
        },
        "Database": {"Host": "localhost", "Port": 5432},
        "MessageBus": {
            "Host": "common-broker",
            "Optional": {"Qos": "1", "Durable": "", "AutoProvision": "true"},
        },
    },
    "app-services": {
        "Writable": {
            "StoreAndForward": {"Enabled": False},
            "Telemetry": {"Metrics": {"MessagesReceived": False}},
        },
        "Service": {"RequestTimeout": "7s"},
        "Trigger": {"Type": "edgex-messagebus", "SubscribeTopics": "events/#"},
        "Clients": {"core-metadata": {"Host": "edgex-core-metadata", "SecurityOptions": {"Mode": ""}}},
    },
}


def test_common_config_merges_under_the_private_file(tmp_path: Path) -> None:
    common = _write(tmp_path / "common.yaml", COMMON)
    _write(tmp_path / "res" / "configuration.yaml", {"Service": {"Host": "private-host"}})
    config = _load(common_config=str(common))
    assert config.Writable.LogLevel == "WARN"  # all-services
    assert config.Service.RequestTimeout == "7s"  # app-services over all-services
    assert config.Service.Host == "private-host"  # private file over common
    assert config.MessageBus.Host == "common-broker"
    assert config.MessageBus.Optional.Qos == "1"
    assert config.Clients.core_metadata.Host == "edgex-core-metadata"
    assert config.Clients.core_metadata.Port == 59881  # defaults kept under partial sections
    assert config.Writable.InsecureSecrets["DB"].SecretName == "postgres"


def test_environment_beats_every_file(tmp_path: Path) -> None:
    common = _write(tmp_path / "common.yaml", COMMON)
    _write(tmp_path / "res" / "configuration.yaml", {"MessageBus": {"Host": "private-broker"}})
    config = _load({"MESSAGEBUS_HOST": "env-broker", "EDGEX_COMMON_CONFIG": str(common)})
    assert config.MessageBus.Host == "env-broker"
    assert config.Service.Host == "common-host"


@pytest.mark.parametrize("bad", [{"other": {}}, "- a list\n", {"all-services": "text"}])
def test_bad_common_config_is_an_error(tmp_path: Path, bad: object) -> None:
    common = _write(tmp_path / "common.yaml", bad)
    assert any("common.yaml" in issue for issue in _issues(common_config=str(common)))


def test_config_dir_and_file_flags(tmp_path: Path) -> None:
    _write(tmp_path / "conf" / "other.yaml", {"Service": {"Port": 1111}})
    assert _load(config_dir=str(tmp_path / "conf"), config_file="other.yaml").Service.Port == 1111


def test_edgex_variables_beat_flags(tmp_path: Path) -> None:
    _write(tmp_path / "flag" / "configuration.yaml", {"Service": {"Port": 1111}})
    _write(tmp_path / "env" / "mine.yaml", {"Service": {"Port": 2222}})
    env = {"EDGEX_CONFIG_DIR": str(tmp_path / "env"), "EDGEX_CONFIG_FILE": "mine.yaml"}
    assert _load(env, config_dir=str(tmp_path / "flag")).Service.Port == 2222


def test_absolute_config_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "x" / "y.yaml", {"Service": {"Port": 3333}})
    assert _load(config_file=str(path)).Service.Port == 3333


@pytest.mark.parametrize(
    ("options", "env"),
    [
        ({"config_dir": "missing"}, {}),
        ({"config_file": "missing.yaml"}, {}),
        ({}, {"EDGEX_CONFIG_DIR": "nope"}),
    ],
)
def test_explicit_missing_file_is_an_error(options: dict[str, str], env: dict[str, str]) -> None:
    assert any("configuration file not found" in issue for issue in _issues(env, **options))


@pytest.mark.parametrize(
    ("options", "env", "registry", "provider"),
    [
        ({}, {}, False, ""),
        (
            {"use_registry": True, "config_provider": "keeper.http://k:59890"},
            {},
            True,
            "keeper.http://k:59890",
        ),
        (
            {},
            {"EDGEX_USE_REGISTRY": "true", "EDGEX_CONFIG_PROVIDER": "keeper.http://e:1"},
            True,
            "keeper.http://e:1",
        ),
        ({"use_registry": True}, {"EDGEX_USE_REGISTRY": "false"}, False, ""),
    ],
)
def test_registry_and_provider_choices_are_stored(
    options: dict[str, Any], env: dict[str, str], registry: bool, provider: str
) -> None:
    boot = load_config(Config, LoadOptions(**options), {**BASE_ENV, **env}).bootstrap
    assert (boot.use_registry, boot.config_provider) == (registry, provider)


# --- strictness -------------------------------------------------------------------------------

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


# --- security mode ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["true", "", "yes", "TRUE", "False", " false"])
def test_secure_mode_is_refused_with_a_clear_message(value: str) -> None:
    with pytest.raises(UnsupportedModeError, match="set EDGEX_SECURITY_SECRET_STORE=false"):
        load_config(Config, LoadOptions(), {"EDGEX_SECURITY_SECRET_STORE": value})


@pytest.mark.parametrize("env", [{}, {"EDGEX_SECURITY_SECRET_STORE": "false"}])
def test_insecure_mode_starts(env: dict[str, str]) -> None:
    assert load_config(Config, LoadOptions(), env).config.Service.Port == 59760


# --- bus settings, durations ------------------------------------------------------------------


def test_bus_settings_convert_edgex_strings_and_read_the_secret() -> None:
    section = MessageBusSection.model_validate(
        {
            "AuthMode": "usernamepassword",
            "SecretName": "bus",
            "Optional": {
                "Qos": "2",
                "KeepAlive": "30",
                "Retained": "true",
                "ConnectTimeout": "3",
                "ClientId": "c",
            },
        }
    )
    secrets = InsecureSecretStore({})
    secrets.store("bus", {"username": "u", "password": "p"})
    settings = bus_settings(section, secrets)
    assert (settings.username, settings.password, settings.client_id) == ("u", "p", "c")
    assert (settings.qos, settings.keep_alive_s, settings.retained, settings.connect_timeout_s) == (
        2,
        30,
        True,
        3.0,
    )


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"AuthMode": "usernamepassword", "SecretName": "absent"}, "has no 'username'"),
        ({"AuthMode": "clientcert"}, "CertFile"),
    ],
)
def test_bus_settings_refuse_missing_credentials(data: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        bus_settings(MessageBusSection.model_validate(data), InsecureSecretStore({}))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5s", 5.0), ("1m30s", 90.0), ("250ms", 0.25), ("1h", 3600.0), ("0", 0.0), ("1.5s", 1.5), ("-2s", -2.0)],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration_s(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "5 s", "s", "5sec", "1m 2s"])
def test_bad_go_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration_s(text)


# --- the CLI: config check / schema -----------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    import os

    for name in list(os.environ):
        if name.startswith(
            ("EDGEX_", "SERVICE_", "MESSAGEBUS_", "WRITABLE_", "CLIENTS_", "TRIGGER_", "APPCUSTOM_")
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("EDGEX_SECURITY_SECRET_STORE", "false")
    return monkeypatch


def test_config_check_prints_the_merged_config_redacted(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(
        tmp_path / "res" / "configuration.yaml",
        {
            "Writable": {
                "InsecureSecrets": {"bus": {"SecretName": "mqtt-bus", "SecretData": {"password": "pw1"}}}
            }
        },
    )
    clean_env.setenv("WRITABLE_INSECURESECRETS_BUS_SECRETDATA_PASSWORD", "topsecret")
    clean_env.setenv("SERVICE_PORT", "4242")
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert "topsecret" not in out and "pw1" not in out
    printed = yaml.safe_load(out)
    assert printed["Writable"]["InsecureSecrets"]["bus"]["SecretData"]["password"] == REDACTED
    assert printed["Service"]["Port"] == 4242
    assert "# override: SERVICE_PORT -> Service.Port" in out


@pytest.mark.parametrize(
    ("argv", "data", "env", "fragment"),
    [
        (
            ["config", "check"],
            {"MessageBus": {"Optional": {"Qoss": "1"}}},
            {},
            "MessageBus.Optional.Qoss: extra key",
        ),
        (["config", "check"], {}, {"SERVICE_PORT": "x"}, "SERVICE_PORT"),
        (["config", "check", "-cf", "absent.yaml"], {}, {}, "configuration file not found"),
        (["config", "check"], {}, {"EDGEX_SECURITY_SECRET_STORE": "true"}, "secure mode"),
        (["run"], {"Service": {"Port": 0}}, {}, "Service.Port"),
        (
            ["run"],
            {"AppCustom": {"Pipeline": {"StateDir": "/dev/null/state"}}},
            {},
            "cannot open state store /dev/null/state/state.sqlite",
        ),
    ],
)
def test_config_errors_exit_non_zero_listing_every_problem(
    tmp_path: Path,
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    data: dict[str, Any],
    env: dict[str, str],
    fragment: str,
) -> None:
    _write(tmp_path / "res" / "configuration.yaml", data)
    for name, value in env.items():
        clean_env.setenv(name, value)
    assert main(argv) == 2
    assert fragment in capsys.readouterr().err


def test_cli_flags_reach_the_loader(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    common = _write(tmp_path / "c.yaml", COMMON)
    _write(tmp_path / "d" / "f.yaml", {"Service": {"Port": 5555}})
    argv = ["config", "check", "-cd", str(tmp_path / "d"), "-cf", "f.yaml", "-cc", str(common), "-r", "-cp"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    printed = yaml.safe_load(out)
    assert (printed["Service"]["Port"], printed["Service"]["Host"]) == (5555, "common-host")
    assert "# registry: on" in out and "keeper.http://localhost:59890" in out


def test_config_schema_is_json_schema_of_the_tree(capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema

    assert main(["config", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"Writable", "Service", "MessageBus", "Trigger", "Clients", "Registry", "AppCustom"} <= set(
        schema["properties"]
    )
    default_dump = Config().model_dump(by_alias=True, mode="json")
    jsonschema.validate(default_dump, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**default_dump, "Bogus": 1}, schema)
