"""Configuration sources: common config, config dir/file flags, missing files, registry and provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service.config import Config, LoadOptions, load_config
from tests.unit.config.support import BASE_ENV, COMMON, _issues, _load, _write


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
