"""Configuration defaults: the built-in values, the repository's configuration file, the demo overlay."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from service.config import DEMO_OVERLAY, Config, LoadOptions, load_config
from tests.unit.config.support import BASE_ENV, _load

REPO = Path(__file__).resolve().parents[3]


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
