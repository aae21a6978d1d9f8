"""The configuration CLI: config check (merged, redacted), errors exit non-zero, config schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.__main__ import main
from service.config import REDACTED, Config
from tests.unit.config.support import COMMON, _write


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
        (
            ["run"],
            {},
            {
                "EDGEX_SECURITY_SECRET_STORE": "true",
                "SECRETSTORE_TOKENFILE": "/nonexistent/secrets-token.json",
            },
            "secret store token file /nonexistent/secrets-token.json: missing",
        ),
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
