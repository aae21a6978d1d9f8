"""Pipeline tier: the real pipeline over a real Mosquitto broker, real models, fake EdgeX peers.

Each test gets its own broker (free loopback port, stopped by PID), a FakeCoreCommand and a
FakeSupportNotifications (both validate every request against the EdgeX OpenAPI files), and
starts the service parts the way service/app.py wires them: MQTT bus -> pipeline ingress -> Pipeline.
Frames and sensor readings come from a plain paho client (tests.pipeline.plain), not our codec.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from service.edgex.bus import BusSettings, MessageBus, create_bus
from service.edgex.clients import HttpPeer, PeerSettings
from service.edgex.commands import RestCommandClient
from service.edgex.notifications import NotificationClient
from service.edgex.wire_format import WireFormat
from service.metrics import Metrics
from service.pipeline.assembly import Pipeline, PipelineDeps
from service.pipeline.settings import PipelineSettings
from service.vision.engine import Engine
from tests.bus.brokers import Broker, mosquitto
from tests.fakes.core_command import FakeCoreCommand
from tests.fakes.support_notifications import FakeSupportNotifications
from tests.pipeline.plain import PlainMqtt
from tests.unit.pipeline.support import wait_for


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.models)
            if "broker" in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.bus)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    server = mosquitto(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def core_command() -> Iterator[FakeCoreCommand]:
    with FakeCoreCommand() as fake:
        yield fake


@pytest.fixture
def notifications() -> Iterator[FakeSupportNotifications]:
    with FakeSupportNotifications() as fake:
        yield fake


@pytest.fixture
def plain(broker: Broker) -> Iterator[PlainMqtt]:
    client = PlainMqtt(broker.port)
    yield client
    client.close()


@dataclass
class RunningService:
    """The service parts of one run; stop() as app.py stops them."""

    pipeline: Pipeline
    bus: MessageBus
    metrics: Metrics

    def stop(self) -> None:
        self.bus.unsubscribe(["edgex/events/#"])
        self.pipeline.stop()
        self.bus.close()

    def metric(self, name: str, **labels: str) -> float:
        value = self.metrics.registry.get_sample_value(name, labels)
        return 0.0 if value is None else value


ServiceFactory = Callable[[dict[str, Any]], RunningService]


@pytest.fixture
def start_service(
    tmp_path: Path,
    broker: Broker,
    core_command: FakeCoreCommand,
    notifications: FakeSupportNotifications,
    engine: Engine,
) -> Iterator[ServiceFactory]:
    """Start the service with AppCustom.Pipeline settings; the state dir survives restarts."""
    running: list[RunningService] = []

    def start(settings: dict[str, Any]) -> RunningService:
        wire = WireFormat()
        bus = create_bus(
            BusSettings(
                type="mqtt",
                host="127.0.0.1",
                port=broker.port,
                client_id=f"app-vision-{uuid.uuid4().hex[:6]}",
            ),
            wire,
        )
        metrics = Metrics()
        commands = RestCommandClient(
            HttpPeer(PeerSettings("core-command", "127.0.0.1", core_command.port, timeout_s=2))
        )
        notes = NotificationClient(
            HttpPeer(PeerSettings("support-notifications", "127.0.0.1", notifications.port, timeout_s=2))
        )
        pipeline = Pipeline(
            PipelineDeps(
                PipelineSettings.model_validate(settings),
                engine,
                bus,
                commands,
                notes,
                metrics,
                wire,
                "edgex",
                tmp_path / "state",
            )
        )
        ingress = pipeline.ingress
        bus.connect()
        assert wait_for(lambda: bus.connected, 10), "the service did not connect to mosquitto"
        pipeline.start()
        bus.subscribe(["edgex/events/#"], ingress.on_envelope, ingress.on_error)
        service = RunningService(pipeline, bus, metrics)
        running.append(service)
        return service

    yield start
    for service in running:
        if service.bus.connected:
            service.stop()
