"""Helpers shared by the configuration tests (imported as tests.unit.config.support)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from service.config import Config, ConfigError, LoadOptions, load_config

BASE_ENV = {"EDGEX_SECURITY_SECRET_STORE": "false"}


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
