"""core-keeper at run time: registration of a real `app-vision run`, live Writable changes.

Against the spec-validating core-keeper stand-in of tests/fakes/keeper.py (real HTTP on
loopback). The process test starts the console script with the in-process memory bus.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.app import Application
from service.config import Config, ConfigError, LoadedConfig, LoadOptions, load_config
from service.config.sections import WritableSection
from service.edgex.bus import MemoryBus
from service.edgex.clients import PeerSettings
from service.edgex.envelope import MessageEnvelope
from service.edgex.keeper import Registration, config_topic
from service.edgex.wire_format import WireFormat
from service.keeper_runtime import KeeperRuntime, KeeperSettings, LiveWritable, keeper_settings
from tests.fakes.keeper import FakeKeeper, running_keeper
from tests.service.harness import ServiceProcess, free_port, launch_service

PRIVATE = "edgex/v4/app-vision"
# Access control is not what these tests are about (tests/unit/access covers it).
BASE_ENV = {
    "EDGEX_SECURITY_SECRET_STORE": "false",
    "MESSAGEBUS_TYPE": "memory",
    "APPCUSTOM_ACCESS_ENABLED": "false",
}
CHANGED = "Writable.LogLevel changed: INFO -> DEBUG"


@pytest.fixture
def keeper() -> Iterator[FakeKeeper]:
    with running_keeper() as fake:
        yield fake


@pytest.fixture
def root_level() -> Iterator[None]:
    """Live LogLevel changes set the root logger: restore it afterwards."""
    before = logging.getLogger().level
    yield
    logging.getLogger().setLevel(before)


def _port(keeper: FakeKeeper) -> int:
    port: int = keeper.port
    return port


def _peer(port: int) -> PeerSettings:
    return PeerSettings("core-keeper", "127.0.0.1", port, timeout_s=2.0)


def _set_kv(keeper: FakeKeeper, values: dict[str, str]) -> None:
    with keeper.lock:
        keeper.kv.update(values)


def _wait(condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keeper: FakeKeeper) -> LoadedConfig[Config]:
    monkeypatch.chdir(tmp_path)
    options = LoadOptions(config_provider=f"keeper.http://127.0.0.1:{_port(keeper)}")
    return load_config(
        Config, options, {**BASE_ENV, "APPCUSTOM_ENGINE_MODELSDIR": os.environ["APPCUSTOM_ENGINE_MODELSDIR"]}
    )


# --- in-process: live Writable -------------------------------------------------------------------


def test_bus_announcement_applies_log_level_and_telemetry_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keeper: FakeKeeper, root_level: None,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    _set_kv(keeper, {f"{PRIVATE}/Writable/LogLevel": "INFO", f"{PRIVATE}/Service/Port": "59760"})
    loaded = _loaded(tmp_path, monkeypatch, keeper)
    assert loaded.bootstrap.from_provider
    app = Application(loaded, BASE_ENV)
    assert app.keeper.watching
    telemetry: dict[str, MessageEnvelope] = {}
    caplog.set_level(logging.INFO)
    app.start()
    try:
        app.bus.subscribe(["edgex/telemetry/#"], telemetry.__setitem__, lambda topic, exc: None)
        _set_kv(
            keeper,
            {
                f"{PRIVATE}/Writable/LogLevel": "DEBUG",
                f"{PRIVATE}/Writable/Telemetry/Interval": "50ms",
                f"{PRIVATE}/Writable/Telemetry/Metrics/MessagesReceived": "true",
            },
        )
        # keeper announces the change on the bus: applied at once, long before the 5 s poll
        announcement = MessageEnvelope(payload={"key": f"{PRIVATE}/Writable/LogLevel", "value": "DEBUG"})
        app.bus.publish(config_topic("app-vision").replace("#", "LogLevel"), announcement)
        assert _wait(lambda: logging.getLogger().level == logging.DEBUG, 3.0)
        assert _wait(lambda: "edgex/telemetry/app-vision/MessagesReceived" in telemetry, 3.0)
        config = TestClient(app.api).get("/api/v3/config").json()["config"]
        assert config["Writable"]["LogLevel"] == "DEBUG"
        assert config["Writable"]["Telemetry"]["Interval"] == "50ms"
    finally:
        app.stop()
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert "Writable.LogLevel changed: INFO -> DEBUG" in messages
    assert any(m.startswith("Writable.Telemetry changed:") for m in messages)


def test_polling_picks_up_a_change_and_stop_ends_the_watch(keeper: FakeKeeper) -> None:
    _set_kv(keeper, {f"{PRIVATE}/Writable/LogLevel": "INFO"})
    changes: list[tuple[str, str]] = []
    writable = LiveWritable(
        WritableSection(), {}, lambda old, new: changes.append((old.LogLevel, new.LogLevel))
    )
    bus = MemoryBus(WireFormat())
    bus.connect()
    peer = _peer(_port(keeper))
    runtime = KeeperRuntime(
        KeeperSettings("app-vision", Registration("app-vision", "h", 1), provider=peer, poll_interval_s=0.05),
        bus,
        writable,
    )
    runtime.start()
    try:
        time.sleep(0.2)
        assert changes == []  # the first poll sees what was loaded
        _set_kv(keeper, {f"{PRIVATE}/Writable/LogLevel": "ERROR"})
        assert _wait(lambda: changes == [("INFO", "ERROR")])
    finally:
        runtime.stop()
        bus.close()
    _set_kv(keeper, {f"{PRIVATE}/Writable/LogLevel": "WARN"})
    time.sleep(0.2)
    assert changes == [("INFO", "ERROR")] and writable.current.LogLevel == "ERROR"


@pytest.mark.parametrize(
    ("environ", "tree", "expected"),
    [
        ({}, {"LogLevel": "LOUD"}, "INFO"),  # invalid: ignored, logged
        ({"WRITABLE_LOGLEVEL": "ERROR"}, {"LogLevel": "DEBUG"}, "ERROR"),  # the environment still wins
        ({}, {"LogLevel": "warn"}, "WARN"),
    ],
)
def test_live_writable_validates_and_keeps_env_overrides(
    environ: dict[str, str], tree: dict[str, Any], expected: str, caplog: pytest.LogCaptureFixture
) -> None:
    start = WritableSection(LogLevel=environ.get("WRITABLE_LOGLEVEL", "INFO"))  # type: ignore[arg-type]
    changes: list[WritableSection] = []
    writable = LiveWritable(start, environ, lambda old, new: changes.append(new))
    writable.on_tree(tree)
    assert writable.current.LogLevel == expected
    assert len(changes) == (expected != start.LogLevel)
    if tree["LogLevel"] == "LOUD":
        assert "ignoring the Writable change from core-keeper: Writable.LogLevel" in caplog.text


def test_registration_failure_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    bus = MemoryBus(WireFormat())
    settings = KeeperSettings("app-vision", Registration("app-vision", "h", 1), registry=_peer(free_port()))
    runtime = KeeperRuntime(settings, bus, LiveWritable(WritableSection(), {}, lambda old, new: None))
    assert runtime.register() is False
    runtime.stop()
    assert "registration with core-keeper failed" in caplog.text


# --- the real process ----------------------------------------------------------------------------


def _start_process(tmp_path: Path, keeper: FakeKeeper, args: tuple[str, ...]) -> ServiceProcess:
    env = {
        **BASE_ENV,
        "REGISTRY_HOST": "127.0.0.1",
        "REGISTRY_PORT": str(_port(keeper)),
        "SERVICE_HEALTHCHECKINTERVAL": "7s",
    }
    return launch_service(tmp_path, env, args)


def test_run_registers_applies_live_log_level_and_deregisters_on_sigterm(
    tmp_path: Path, keeper: FakeKeeper
) -> None:
    provider = f"keeper.http://127.0.0.1:{_port(keeper)}"
    service = _start_process(tmp_path, keeper, ("-r", "-cp", provider))
    try:
        assert _wait(lambda: "app-vision" in keeper.registrations, 10.0), service.log()
        stored = keeper.registrations["app-vision"]
        assert (stored["host"], stored["port"]) == ("127.0.0.1", service.port)
        assert stored["healthCheck"] == {"interval": "7s", "path": "/api/v3/ping", "type": "http"}
        # what keeper will poll answers
        health = httpx.get(f"http://{stored['host']}:{stored['port']}{stored['healthCheck']['path']}")
        assert health.status_code == 200
        # first start: the repository's file was pushed into KV
        assert keeper.kv[f"{PRIVATE}/Service/Port"] == "59760"
        assert "configuration: first start" in service.log()

        marker = uuid.uuid4().hex
        _set_kv(
            keeper, {f"{PRIVATE}/Writable/LogLevel": "DEBUG", f"{PRIVATE}/Writable/Telemetry/Tags/M": marker}
        )
        assert _wait(lambda: CHANGED in service.log(), 10.0), service.log()  # polled every 5 s
        config = service.get("/api/v3/config").json()["config"]
        assert config["Writable"]["LogLevel"] == "DEBUG"
        assert config["Writable"]["Telemetry"]["Tags"] == {"M": marker}
        # DEBUG records (e.g. urllib3's line for the next keeper poll) now reach the log
        assert _wait(lambda: " DEBUG " in service.log().split(CHANGED, 1)[1], 10.0), service.log()
        assert service.process.poll() is None  # no restart
    finally:
        code, _ = service.terminate(timeout_s=10.0)
    assert code == 0, service.log()
    assert "app-vision" not in keeper.registrations
    assert "deregistered app-vision from core-keeper" in service.log()


def test_registry_type_consul_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {**BASE_ENV, "EDGEX_USE_REGISTRY": "true", "REGISTRY_TYPE": "consul"}
    loaded = load_config(Config, LoadOptions(), env)
    with pytest.raises(ConfigError, match=r"Registry\.Type: only keeper"):
        keeper_settings(loaded, "app-vision")
    assert keeper_settings(load_config(Config, LoadOptions(), BASE_ENV), "app-vision").registry is None
