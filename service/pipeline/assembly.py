"""The Pipeline: builds the stages, starts and stops them, takes events in, shows its state.

bus / HTTP trigger -> handle_event -> ingest -> latest-frame slots (frames) | control queue (readings)
workers: slot -> decode -> motion gate -> Engine.submit -> control queue
control: sighting (tracks, zones) -> rules -> alert book, snapshot -> outbox
delivery (one thread per kind): outbox -> bus publish | core-command | support-notifications
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from service.edgex.bus import MessageBus
from service.edgex.commands import CommandClient
from service.edgex.dtos import AddEventRequest
from service.edgex.wire_format import WireFormat
from service.metrics import Children, Metrics
from service.pipeline.actions.delivery import DeliveryWorker
from service.pipeline.actions.outbox import Outbox, OutboxItem, State
from service.pipeline.actions.plan import KINDS
from service.pipeline.actions.senders import ActionSenders, Notifier, SenderDeps
from service.pipeline.analysis.analyser import FrameAnalyser, VisionEngine
from service.pipeline.analysis.sighting import FrameView
from service.pipeline.analysis.workers import FrameWorkers
from service.pipeline.cameras.board import CameraBoard, CameraStatic, CameraStatus
from service.pipeline.control.loop import ControlDeps, ControlLoop
from service.pipeline.errors import PipelineConfigError
from service.pipeline.ingest.event_split import split_event
from service.pipeline.ingest.frame import DropReason
from service.pipeline.ingest.frame_requests import FrameRequester
from service.pipeline.ingest.frame_slots import LatestFrameSlots
from service.pipeline.settings import PipelineSettings
from service.pipeline.state.alert_book import AlertBook
from service.pipeline.state.records import ActionOutcome, Alert, SensorState
from service.pipeline.state.sensor_table import SensorTable
from service.pipeline.state.snapshot_store import SnapshotStore
from service.pipeline.state.state_store import StateStore

LOG = logging.getLogger(__name__)
STOP_TIMEOUT_S = 3.0  # delivery attempts in flight get this long; EdgeX expects a stop within 5 s


class LoadableEngine(VisionEngine, Protocol):
    """The engine as the pipeline uses it: declared names, eager load, sizes, async inference."""

    @property
    def names(self) -> tuple[str, ...]: ...

    def load(self, name: str) -> None: ...


@dataclass(frozen=True, slots=True)
class PipelineDeps:
    """Everything the pipeline is built from (app.py builds each of these)."""

    settings: PipelineSettings
    engine: LoadableEngine
    bus: MessageBus
    commands: CommandClient
    notifications: Notifier
    metrics: Metrics
    wire: WireFormat
    base_topic: str  # MessageBus.BaseTopicPrefix, e.g. "edgex"
    state_dir: Path  # outbox database and snapshots live here
    clock: Callable[[], float] = time.time


def needed_models(settings: PipelineSettings) -> list[str]:
    """Every model the settings name (cameras, default, rules, privacy face model)."""
    names = [settings.DefaultModel]
    for device in settings.Devices.values():
        names.extend(device.Models)
    names.extend(rule.Model for rule in settings.Rules if rule.Model)
    if settings.Privacy.BlurFaces and settings.Privacy.FaceModel:
        names.append(settings.Privacy.FaceModel)
    return list(dict.fromkeys(names))


class Pipeline:
    """Frames and sensor readings in; alerts, commands, notifications and result events out."""

    def __init__(self, deps: PipelineDeps) -> None:
        self._deps = deps
        settings = deps.settings
        missing = [name for name in needed_models(settings) if name not in deps.engine.names]
        if missing:
            raise PipelineConfigError(
                f"unknown model(s) {', '.join(missing)}; declared: {', '.join(deps.engine.names)}"
            )
        self.settings = settings
        self._state = StateStore(deps.state_dir / settings.StateFile, settings.RecentAlerts)
        self.sensors = SensorTable(self._state)
        self.alerts = AlertBook(settings.RecentAlerts, self._state)
        self.board = CameraBoard()
        self.slots = LatestFrameSlots()
        self.snapshots = SnapshotStore(deps.state_dir / settings.Snapshots.Dir, settings.Snapshots)
        self.outbox = Outbox(deps.state_dir / settings.Outbox.File, settings.Outbox, deps.clock)
        self.analyser = FrameAnalyser(settings, deps.engine, deps.clock)
        self._requester = FrameRequester(settings, deps.commands, self.slots, self.analyser.request_frame)
        senders = ActionSenders(
            SenderDeps(
                deps.bus, deps.wire, deps.base_topic, deps.commands, deps.notifications, self.snapshots
            )
        ).registry
        self._delivery = {
            kind: DeliveryWorker(self.outbox, kind, senders[kind], self._on_outcome, deps.clock)
            for kind in KINDS
        }
        self.control = ControlLoop(
            ControlDeps(
                settings,
                self.sensors,
                self.alerts,
                self.outbox,
                self.snapshots,
                self.board,
                deps.metrics,
                on_enqueued=lambda kind: self._delivery[kind].wake(),
                request_frame=self._requester.request,
                clock=deps.clock,
            )
        )
        metrics = deps.metrics
        self._received = Children(metrics.frames_received_total)
        self._dropped = Children(metrics.frames_dropped_total)
        self._depth = Children(metrics.queue_depth)
        self._workers = FrameWorkers(
            self.slots,
            self.analyser,
            self.control.submit,
            self.control.submit,
            deps.metrics,
            settings.Workers,
        )

    def start(self) -> None:
        """Compile the models, then start delivery, control and the workers (in that order)."""
        for name in needed_models(self.settings):
            self._deps.engine.load(name)
        for worker in self._delivery.values():
            worker.start()
        self.control.start()
        self._workers.start()
        simulator = self.settings.Simulator
        if simulator.Enabled and simulator.Camera not in self.settings.Devices:
            LOG.warning(
                "Simulator.Enabled, but the settings did not come through "
                "service.simulator.embedded_default(): no simulated devices or demo rules will run"
            )
        LOG.info(
            "pipeline started: %d rule(s), %d worker(s), outbox %s (%s pending), %d active alert(s) resumed",
            len(self.settings.Rules),
            self.settings.Workers,
            self.outbox.path,
            self.outbox.counts()["pending"],
            len(self.alerts.active()),
        )

    def stop(self) -> None:
        """Stop taking frames, drain the control queue, stop delivery, close the outbox."""
        self.slots.close()
        self._workers.stop()
        self._requester.close()
        self.control.stop()
        for worker in self._delivery.values():
            worker.request_stop()  # all at once: one peer's timeout must not delay the others
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for worker in self._delivery.values():
            worker.join(max(0.0, deadline - time.monotonic()))
        self.outbox.close()
        self.sensors.flush()
        self._state.close()
        LOG.info("pipeline stopped")

    def handle_event(self, req: AddEventRequest, received_topic: str) -> None:
        """Ingest one event (bus thread or HTTP trigger): returns at once."""
        del received_topic  # names come from the event itself; the topic was matched by the bus
        now_ns = time.time_ns()
        ingested = split_event(req, now_ns)
        metrics = self._deps.metrics
        for reason in ingested.invalid:
            metrics.decode_errors_total.labels("reading").inc()
            LOG.debug("event %s from %s: unusable reading: %s", req.event.id, req.event.device_name, reason)
        for frame in ingested.frames:
            self.board.received(frame.camera, now_ns / 1e9)
            try:
                replaced = self.slots.put(frame)
            except OverflowError as exc:  # counted without caching a child per unknown camera
                metrics.frames_received_total.labels(frame.camera).inc()
                metrics.frames_dropped_total.labels(frame.camera, DropReason.TOO_MANY_CAMERAS.value).inc()
                LOG.warning("%s", exc)
                continue
            self._received(frame.camera).inc()
            self._depth(frame.camera).set(1)
            if replaced is not None:
                self._dropped(frame.camera, DropReason.REPLACED.value).inc()
        for reading in ingested.readings:
            self.control.submit(reading)

    def add_frame_listener(self, listener: Callable[[FrameView], None]) -> None:
        """Observe every analysed frame (after the rules); call before start()."""
        self.control.add_listener(listener)

    # --- the VisionView protocol of service.api.vision_routes ---

    def active_alerts(self) -> list[Alert]:
        """Active alerts, oldest first."""
        return self.alerts.active()

    def recent_alerts(self) -> list[Alert]:
        """Ended alerts, newest first."""
        return self.alerts.recent()

    def alert(self, alert_id: str) -> Alert | None:
        """One alert."""
        return self.alerts.get(alert_id)

    def cameras(self) -> list[CameraStatus]:
        """Configured cameras and every device that sent a frame."""
        configured = [n for n, d in self.settings.Devices.items() if d.Role == "camera"]
        now = self._deps.clock()
        out = []
        for name in sorted(set(configured) | set(self.board.names())):
            device = self.settings.Devices.get(name)
            static = CameraStatic(
                self.settings.role_of(name),
                self.settings.models_for(name),
                tuple(device.Zones) if device is not None else (),
            )
            out.append(
                self.board.status(
                    name, now, static, self.slots.drops(name), self.snapshots.latest(name) is not None
                )
            )
        return out

    def latest_snapshot(self, camera: str) -> bytes | None:
        """The camera's latest annotated JPEG."""
        snapshot = self.snapshots.latest(camera)
        return snapshot.jpeg if snapshot is not None else None

    def alert_snapshot(self, alert_id: str) -> bytes | None:
        """The JPEG kept for an alert."""
        alert = self.alerts.get(alert_id)
        return self.snapshots.read(alert.snapshot) if alert is not None and alert.snapshot else None

    def outbox_counts(self) -> dict[State, int]:
        """Outbox rows per state."""
        return self.outbox.counts()

    def outbox_items(self, state: State, limit: int) -> list[OutboxItem]:
        """Outbox rows of a state, newest first."""
        return self.outbox.items(state, limit)

    def sensor_states(self) -> list[SensorState]:
        """The sensor-state table."""
        return self.sensors.snapshot()

    def _on_outcome(self, item: OutboxItem, outcome: ActionOutcome) -> None:
        self._deps.metrics.actions_total.labels(item.kind, outcome.outcome).inc()
        self.alerts.record_action(item.alert_id, outcome)
