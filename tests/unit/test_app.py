"""Composition root on the in-process memory bus: wiring, telemetry, start/stop order."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import Application, apply_log_level, build_command_client, peer_settings
from service.config import Config, LoadedConfig, LoadOptions, load_config
from service.edgex.bus import MemoryBus
from service.edgex.commands import BusCommandClient, RestCommandClient
from service.edgex.envelope import MessageEnvelope
from service.edgex.wire_format import WireFormat
from service.metrics import Metrics

# Set for the session by tests/conftest.py: tests change the working directory.
MODELS_DIR = os.environ["APPCUSTOM_ENGINE_MODELSDIR"]


def _wait(condition: Callable[[], bool], timeout_s: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def _sample(metrics: Metrics, name: str, labels: dict[str, str]) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize(
    ("level", "expected"), [("TRACE", 10), ("DEBUG", 10), ("INFO", 20), ("WARN", 30), ("ERROR", 40)]
)
def test_log_level(level: str, expected: int) -> None:
    import logging

    before = logging.getLogger().level
    try:
        apply_log_level(level)
        assert logging.getLogger().level == expected
    finally:
        logging.getLogger().setLevel(before)


def _loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> LoadedConfig[Config]:
    monkeypatch.chdir(tmp_path)  # the pipeline's state directory lands in tmp_path
    base = {
        "EDGEX_SECURITY_SECRET_STORE": "false",
        "APPCUSTOM_ACCESS_ENABLED": "false",  # not what these tests are about (tests/unit/access)
        "MESSAGEBUS_TYPE": "memory",
        "APPCUSTOM_ENGINE_MODELSDIR": MODELS_DIR,
    }
    return load_config(Config, LoadOptions(), {**base, **env})


def test_application_subscribes_with_the_base_prefix_and_stops_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = _loaded(tmp_path, monkeypatch, {"TRIGGER_SUBSCRIBETOPICS": "events/#,system-events/#"})
    app = Application(loaded, {})
    assert app.topics == ("edgex/events/#", "edgex/system-events/#")
    app.start()
    try:
        assert app.bus.connected
        client = TestClient(app.api)
        assert client.get("/api/v3/ping").status_code == 200
        assert client.get("/api/v3/config").json()["config"]["MessageBus"]["Type"] == "memory"
    finally:
        app.stop()
    assert not app.bus.connected
    app.stop()  # idempotent


def test_telemetry_publishes_metric_dtos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "WRITABLE_TELEMETRY_INTERVAL": "50ms",
        "WRITABLE_TELEMETRY_METRICS_MESSAGESRECEIVED": "true",
        "WRITABLE_TELEMETRY_METRICS_INFERENCESECONDS": "true",
    }
    monkeypatch.chdir(tmp_path)
    (tmp_path / "res").mkdir()
    (tmp_path / "res" / "configuration.yaml").write_text(
        "Writable:\n  Telemetry:\n"
        "    Metrics: {MessagesReceived: false, InferenceSeconds: false, Alerts: false}\n"
        "    Tags: {Gateway: gw-1}\n",
        encoding="utf-8",
    )
    base = {
        "EDGEX_SECURITY_SECRET_STORE": "false",
        "APPCUSTOM_ACCESS_ENABLED": "false",
        "MESSAGEBUS_TYPE": "memory",
        "APPCUSTOM_ENGINE_MODELSDIR": MODELS_DIR,
    }
    loaded = load_config(Config, LoadOptions(), {**base, **env})
    app = Application(loaded, {})
    received: dict[str, MessageEnvelope] = {}
    app.start()
    try:
        app.bus.subscribe(["edgex/telemetry/#"], received.__setitem__, lambda topic, exc: None)
        app.metrics.inference_seconds.labels("person").observe(0.5)
        assert _wait(lambda: len(received) == 2), received
    finally:
        app.stop()
    dto = received["edgex/telemetry/app-vision/InferenceSeconds"].payload
    assert isinstance(dto, dict)
    assert dto["apiVersion"] == "v3" and dto["name"] == "InferenceSeconds"
    assert dto["fields"] == [
        {"name": "histogram-count", "value": 1.0},
        {"name": "histogram-mean", "value": 0.5},
    ]
    assert dto["tags"] == [{"name": "Gateway", "value": "gw-1"}, {"name": "service", "value": "app-vision"}]
    assert isinstance(dto["timestamp"], int) and dto["timestamp"] > 1_700_000_000 * 10**9
    assert "edgex/telemetry/app-vision/Alerts" not in received


@pytest.mark.parametrize(
    ("env", "expected"),
    [({}, BusCommandClient), ({"CLIENTS_CORE_COMMAND_USEMESSAGEBUS": "false"}, RestCommandClient)],
)
def test_command_client_follows_use_message_bus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: type
) -> None:
    config = _loaded(tmp_path, monkeypatch, env).config
    assert isinstance(build_command_client(config, MemoryBus(WireFormat()), WireFormat()), expected)


def test_peer_settings_come_from_clients_and_request_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "CLIENTS_SUPPORT_NOTIFICATIONS_HOST": "edgex-support-notifications",
        "SERVICE_REQUESTTIMEOUT": "2500ms",
    }
    config = _loaded(tmp_path, monkeypatch, env).config
    peer = peer_settings(
        "support-notifications", config.Clients.support_notifications, config.Service.request_timeout_s
    )
    assert (peer.base_url, peer.timeout_s) == ("http://edgex-support-notifications:59860", 2.5)
