"""Booleans in environment overrides and EDGEX_* switches are read as Go's strconv.ParseBool does."""

from __future__ import annotations

import pytest

from service.config import Config, ConfigError, LoadOptions, load_config
from service.config.env import parse_go_bool


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", True), ("t", True), ("TRUE", True), ("True", True), ("0", False), ("F", False), ("false", False)],
)
def test_go_spellings(text: str, expected: bool) -> None:
    assert parse_go_bool(text) is expected


@pytest.mark.parametrize("text", ["yes", "on", "no", "off", "", "tRuE"])
def test_other_spellings_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expects true or false"):
        parse_go_bool(text)


def test_a_bad_use_registry_value_is_a_config_error() -> None:
    environ = {"EDGEX_SECURITY_SECRET_STORE": "false", "EDGEX_USE_REGISTRY": "on"}
    with pytest.raises(ConfigError, match="EDGEX_USE_REGISTRY: expects true or false"):
        load_config(Config, LoadOptions(), environ)
