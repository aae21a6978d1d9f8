"""Streams end to end: the real pipeline (real models) reading real stream servers on loopback.

The stream servers and test videos are those of tests/streams (GStreamer's RTSP server run by the
system Python, MJPEG over HTTP, a junk TCP server, files made from the bundled photos). The service
parts are wired as service/app.py wires them, on the in-process bus, whose subscriber here keeps
every event the service publishes (result and camera health events). core-command and
support-notifications are the spec-validating fakes. REST is the service's own routes, in process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.api.clip_routes import clip_router
from service.api.vision_routes import vision_router
from service.edgex.bus import BusSettings, MessageBus, create_bus
from service.edgex.clients import HttpPeer, PeerSettings
from service.edgex.commands import RestCommandClient
from service.edgex.dtos import Event
from service.edgex.envelope import MessageEnvelope, event_from_envelope
from service.edgex.notifications import NotificationClient
from service.edgex.wire_format import WireFormat
from service.metrics import Metrics
from service.pipeline.assembly import Pipeline, PipelineDeps
from service.pipeline.settings import PipelineSettings
from service.vision.engine import Engine
from tests.fakes.core_command import FakeCoreCommand
from tests.fakes.support_notifications import FakeSupportNotifications
from tests.streams.conftest import (  # noqa: F401  (fixtures shared with the reader tests)
    gstreamer,
    junk_server_factory,
    media,
    mjpeg_server_factory,
    rtsp_server_factory,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.models)


@pytest.fixture
def core_command() -> Iterator[FakeCoreCommand]:
    with FakeCoreCommand() as fake:
        yield fake


@pytest.fixture
def notifications() -> Iterator[FakeSupportNotifications]:
    with FakeSupportNotifications() as fake:
        yield fake


@dataclass
class StreamService:
    """One running service: the pipeline, what it published, its REST routes."""

    pipeline: Pipeline
    bus: MessageBus
    metrics: Metrics
    client: TestClient
    published: list[tuple[str, Event]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self, profile: str, device: str | None = None) -> list[Event]:
        with self.lock:
            return [
                e
                for _, e in self.published
                if e.profile_name == profile and (device is None or e.device_name == device)
            ]

    def camera(self, name: str) -> dict[str, Any]:
        rows = self.client.get("/api/v3/cameras").json()["cameras"]
        return next(row for row in rows if row["name"] == name)

    def metric(self, name: str, **labels: str) -> float:
        value = self.metrics.registry.get_sample_value(name, labels)
        return 0.0 if value is None else value

    def stop(self) -> None:
        self.pipeline.stop()
        self.bus.close()


ServiceFactory = Callable[[dict[str, Any]], StreamService]


@pytest.fixture
def start_service(
    tmp_path: Path,
    core_command: FakeCoreCommand,
    notifications: FakeSupportNotifications,
    engine: Engine,
) -> Iterator[ServiceFactory]:
    """Start the service with AppCustom.Pipeline settings (and secrets by SecretName)."""
    running: list[StreamService] = []

    def start(settings: dict[str, Any], secrets: dict[str, dict[str, str]] | None = None) -> StreamService:
        wire = WireFormat()
        bus = create_bus(BusSettings(type="memory"), wire)
        metrics = Metrics()
        pipeline = Pipeline(
            PipelineDeps(
                PipelineSettings.model_validate(settings),
                engine,
                bus,
                RestCommandClient(HttpPeer(PeerSettings("core-command", "127.0.0.1", core_command.port))),
                NotificationClient(
                    HttpPeer(PeerSettings("support-notifications", "127.0.0.1", notifications.port))
                ),
                metrics,
                wire,
                "edgex",
                tmp_path / "state",
                secrets=lambda name: dict((secrets or {}).get(name, {})),
            )
        )
        app = FastAPI()
        app.include_router(vision_router(pipeline.view))
        app.include_router(clip_router(pipeline.view.alert_clip))
        service = StreamService(pipeline, bus, metrics, TestClient(app))

        def keep(_topic: str, envelope: MessageEnvelope) -> None:
            event = event_from_envelope(envelope).event
            with service.lock:
                service.published.append((_topic, event))

        bus.connect()
        bus.subscribe(["edgex/events/device/app-vision/#"], keep, lambda _t, _e: None)
        pipeline.start()
        running.append(service)
        return service

    yield start  # type: ignore[misc]
    for service in running:
        service.stop()
