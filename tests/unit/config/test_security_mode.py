"""service.config.security: EdgeX's secure-mode switch and the SECRETSTORE_* overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.config import Config, ConfigError, LoadOptions, load_config
from service.config.security import security_mode


@pytest.mark.parametrize("value", [None, "true", "", "False", "FALSE", " false", "no"])
def test_anything_but_the_exact_false_is_secure(value: str | None) -> None:
    environ = {} if value is None else {"EDGEX_SECURITY_SECRET_STORE": value}
    mode = security_mode(environ, "app-vision")
    assert mode.secure
    assert mode.store.base_url == "http://localhost:8200"
    assert mode.store.token_file == Path("/tmp/edgex/secrets/app-vision/secrets-token.json")
    assert mode.store.secret_prefix == "/v1/secret/edgex/app-vision"
    assert not mode.jwt_validation_disabled


def test_false_is_insecure() -> None:
    assert not security_mode({"EDGEX_SECURITY_SECRET_STORE": "false"}, "app-vision").secure


def test_the_store_and_the_token_file_follow_the_secretstore_overrides() -> None:
    mode = security_mode(
        {
            "SECRETSTORE_HOST": "edgex-secret-store",
            "SECRETSTORE_PORT": "8300",
            "SECRETSTORE_PROTOCOL": "https",
            "SECRETSTORE_TOKENFILE": "/run/secrets/token.json",
            "EDGEX_DISABLE_JWT_VALIDATION": "true",
            "CLIENTS_SECURITY_PROXY_AUTH_HOST": "edgex-proxy-auth",
        },
        "app-vision",
    )
    assert mode.store.base_url == "https://edgex-secret-store:8300"
    assert mode.store.token_file == Path("/run/secrets/token.json")
    assert mode.jwt_validation_disabled
    assert (mode.proxy_auth_host, mode.proxy_auth_port) == ("edgex-proxy-auth", 59842)


def test_bad_values_are_config_errors_naming_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        security_mode(
            {"SECRETSTORE_PORT": "x", "SECRETSTORE_PROTOCOL": "ftp", "EDGEX_DISABLE_JWT_VALIDATION": "maybe"},
            "app-vision",
        )
    text = " ".join(caught.value.issues)
    assert "SECRETSTORE_PORT=x" in text and "SECRETSTORE_PROTOCOL=ftp" in text
    assert "EDGEX_DISABLE_JWT_VALIDATION" in text


def test_the_loaded_configuration_carries_the_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_config(Config, LoadOptions(), {}).bootstrap.security.secure
    loaded = load_config(Config, LoadOptions(), {"EDGEX_SECURITY_SECRET_STORE": "false"})
    assert not loaded.bootstrap.security.secure
