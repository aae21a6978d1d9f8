"""Fixtures of the interop tier: the Go EdgeX peer (built once, cached) and a fresh Mosquitto per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.edgex.bus import BusSettings, MessageBus, create_bus
from service.edgex.envelope import EnvelopeForm
from service.edgex.wire_format import WireFormat
from tests.bus.brokers import Broker, mosquitto
from tests.bus.busprobe import wait_until
from tests.interop.peer import Peer, build_peer

MARKER = "interop: checks app-vision against EdgeX's own Go libraries (needs Go + the Go module proxy)"


def pytest_configure(config: pytest.Config) -> None:
    # Until the lead registers the marker in pyproject.toml (markers = [..., MARKER]).
    config.addinivalue_line("markers", MARKER)


@pytest.fixture(scope="session")
def peer_binary() -> Path:
    """The Go peer, built with `go build` (under `nice`) the first time its sources are seen."""
    return build_peer()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    started = mosquitto(tmp_path)
    started.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def peer(peer_binary: Path, broker: Broker) -> Iterator[Peer]:
    running = Peer(peer_binary, broker.port)
    try:
        yield running
    finally:
        running.stop_all()


class BusFactory:
    """app-vision's MQTT bus (service.edgex.bus.create_bus) on the test broker, closed afterwards."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.opened: list[MessageBus] = []

    def __call__(self, form: EnvelopeForm) -> MessageBus:
        settings = BusSettings(
            type="mqtt",
            host="127.0.0.1",
            port=self.port,
            client_id=f"app-vision-interop-{len(self.opened)}",
            connect_timeout_s=2.0,
            reconnect_min_s=0.2,
            reconnect_max_s=1.0,
        )
        bus = create_bus(settings, WireFormat(form=form))
        self.opened.append(bus)
        bus.connect()
        wait_until(lambda: bus.connected)
        return bus


@pytest.fixture
def app_bus(broker: Broker) -> Iterator[BusFactory]:
    factory = BusFactory(broker.port)
    try:
        yield factory
    finally:
        for bus in factory.opened:
            bus.close()


# --- The AFS twin and app-vision side by side (tests/interop/twin.py, test_twin_*.py) ------------
# Appended (the lines above belong to the peer fixtures), hence the import here.

from tests.interop.twin import AppVision, BusRecorder, Twins, build_twin  # noqa: E402


@pytest.fixture(scope="session")
def twin_binary() -> Path:
    """The AFS twin (tests/interop/afstwin), built with `go build` (under `nice`) when its sources change."""
    return build_twin()


@pytest.fixture(scope="session")
def twin_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """One Mosquitto for the twin tests: the twins, app-vision and the recorder share it."""
    started = mosquitto(tmp_path_factory.mktemp("twin-broker"))
    started.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def twin_recorder(twin_broker: Broker) -> Iterator[BusRecorder]:
    """Every message on the twin broker, as sent (a plain paho client subscribed to #)."""
    recorder = BusRecorder(twin_broker.port, ["#"])
    try:
        yield recorder
    finally:
        recorder.close()


@pytest.fixture(scope="session")
def twins(
    twin_binary: Path, twin_broker: Broker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Twins]:
    """Twin processes by TwinOptions (trigger, wire form), each started once for the session."""
    running = Twins(twin_binary, twin_broker.port, tmp_path_factory.mktemp("twins"))
    try:
        yield running
    finally:
        running.stop_all()


@pytest.fixture(scope="module")
def app_vision(
    twin_broker: Broker,
    twin_recorder: BusRecorder,
    models_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[AppVision]:
    """app-vision's Application (nested-JSON form) on the twin broker, REST on a free port; one per
    test module, so that nothing one module leaves behind (a late result event) reaches another."""
    running = AppVision.start(twin_broker.port, tmp_path_factory.mktemp("app-vision"))
    try:
        yield running
    finally:
        running.stop()
