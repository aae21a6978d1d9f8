"""Assembly: the pipeline's parts built from its dependencies, in one place, wired one way.

bus / HTTP trigger -> ingest.EventIngress -> (clip ring) camera slots (frames) | control queue (readings)
stream readers (ingest.StreamSources, one per camera with a Stream) -> camera slots (decoded frames);
  their packets -> the camera's clip recorder; their health changes -> control queue | outbox
workers: slot -> decode -> motion gate -> Engine.submit -> control queue
control: track -> count -> snapshot -> rules -> alert book (+ clip request) -> outbox
  (control/stages.py)
delivery (one thread per kind): outbox -> bus publish (results, analytics, health) | core-command |
support-notifications

`Pipeline` is what the composition root holds: the ingress (events in), the read-only view
(REST), and start/stop (lifecycle.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from service.at_rest import KEY_FILE, KeyFile, KeySource, Sealer
from service.edgex.bus import MessageBus
from service.edgex.commands import CommandClient
from service.edgex.dtos import AddEventRequest
from service.edgex.wire_format import WireFormat
from service.metrics import Metrics, StreamCounts
from service.pipeline.actions.delivery import DeliveryWorker
from service.pipeline.actions.manual import ManualActions
from service.pipeline.actions.outbox import Outbox, OutboxItem
from service.pipeline.actions.plan import KINDS
from service.pipeline.actions.senders import ActionSenders, Notifier, SenderDeps
from service.pipeline.analysis.analyser import FrameAnalyser
from service.pipeline.analysis.sighting import FrameView
from service.pipeline.analysis.workers import FrameWorkers
from service.pipeline.cameras.camera_state import CameraTable
from service.pipeline.config_editor import ConfigEditor, config_at_start
from service.pipeline.control.camera_health import HealthOutput, HealthOutputDeps
from service.pipeline.control.loop import ControlDeps, ControlLoop
from service.pipeline.errors import PipelineConfigError
from service.pipeline.ingest.frame_requests import FrameRequester
from service.pipeline.ingest.ingress import EventIngress
from service.pipeline.ingest.stream_sources import StreamSourceDeps, StreamSources
from service.pipeline.ingest.stream_uris import SecretLookup, uri_provider
from service.pipeline.lifecycle import PipelineLifecycle, needed_models
from service.pipeline.parts import LoadableEngine, Parts
from service.pipeline.settings import PipelineSettings
from service.pipeline.state.alert_book import AlertBook
from service.pipeline.state.alert_clips import AlertClips, ClipKeepingIntake
from service.pipeline.state.records import ActionOutcome
from service.pipeline.state.sensor_table import SensorTable
from service.pipeline.state.snapshot_store import SnapshotStore
from service.pipeline.state.state_store import StateStore
from service.pipeline.view import PipelineView
from service.streams.health import HealthSnapshot


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
    secrets: SecretLookup = field(default=lambda _name: {})  # stream credentials by SecretName
    at_rest_key: KeySource | None = None  # snapshots' key; None: <state_dir>/at-rest.key (0600)


def assemble(deps: PipelineDeps) -> Parts:
    """Build every part (nothing starts); PipelineConfigError for a model the engine lacks."""
    settings, metrics = deps.settings, deps.metrics
    missing = [name for name in needed_models(settings) if name not in deps.engine.names]
    if missing:
        raise PipelineConfigError(
            f"unknown model(s) {', '.join(missing)}; declared: {', '.join(deps.engine.names)}"
        )
    state = StateStore(deps.state_dir / settings.StateFile, settings.RecentAlerts)
    settings = config_at_start(settings, state)  # objects edited over REST win over the file's
    sensors = SensorTable(state)
    alerts = AlertBook(settings.RecentAlerts, state)
    analyser = FrameAnalyser(settings, deps.engine, deps.clock)
    cameras = CameraTable(settings, analyser.new_state, metrics, stored_counters=state.load_counters())
    key = deps.at_rest_key if deps.at_rest_key is not None else KeyFile(deps.state_dir / KEY_FILE)
    snapshots = SnapshotStore(deps.state_dir / settings.Snapshots.Dir, settings.Snapshots, Sealer(key.key()))
    outbox = Outbox(deps.state_dir / settings.Outbox.File, settings.Outbox, deps.clock)

    def force_next(camera: str) -> None:
        analyser.request_frame(cameras.state(camera).analysis)

    requester = FrameRequester(settings, deps.commands, cameras.fill_slot, force_next)
    senders = ActionSenders(
        SenderDeps(deps.bus, deps.wire, deps.base_topic, deps.commands, deps.notifications, snapshots)
    ).by_kind

    manual = ManualActions(
        settings.ManualActions, outbox, lambda kind: delivery[kind].wake(), deps.clock, state
    )

    def on_outcome(item: OutboxItem, outcome: ActionOutcome) -> None:
        metrics.actions_total.labels(item.kind, outcome.outcome).inc()
        if item.alert_id:  # analytics, health, mode and manual rows belong to no alert
            alerts.record_action(item.alert_id, outcome)
        else:
            manual.record(item, outcome)

    delivery = {kind: DeliveryWorker(outbox, kind, senders[kind], on_outcome, deps.clock) for kind in KINDS}
    clips = AlertClips(settings, deps.state_dir, metrics, deps.clock)
    control = ControlLoop(
        ControlDeps(
            settings,
            sensors,
            alerts,
            outbox,
            snapshots,
            cameras,
            state,
            metrics,
            on_enqueued=lambda kind: delivery[kind].wake(),
            request_frame=requester.request,
            clock=deps.clock,
            clips=clips,
            analyser=analyser,
        )
    )
    workers = FrameWorkers(cameras.slots, analyser, control.submit_result, metrics, settings.Workers)
    ingress = EventIngress(ClipKeepingIntake(clips, cameras), control.submit, metrics, deps.base_topic)
    streams = _stream_sources(deps, cameras, control, outbox, clips, lambda kind: delivery[kind].wake())
    return Parts(
        settings,
        deps.engine,
        state,
        sensors,
        alerts,
        cameras,
        snapshots,
        outbox,
        requester,
        delivery,
        control,
        workers,
        ingress,
        deps.clock,
        streams,
        clips,
        manual,
    )


def _stream_sources(
    deps: PipelineDeps,
    cameras: CameraTable,
    control: ControlLoop,
    outbox: Outbox,
    clips: AlertClips,
    wake: Callable[[str], None],
) -> StreamSources:
    """One reader per stream camera: frames to the camera table, packets to its clip recorder, health
    changes to the control queue and the outbox; their health in the metrics."""
    streams: StreamSources | None = None

    def health_of(camera: str) -> HealthSnapshot | None:
        return streams.health(camera) if streams is not None else None

    health = HealthOutput(
        HealthOutputDeps(
            outbox,
            control.submit,
            wake,
            health_of,
            lambda camera: cameras.status(camera, deps.clock()).frames_analysed,
            deps.clock,
        )
    )
    streams = StreamSources(
        StreamSourceDeps(
            deps.settings,
            lambda camera, stream: uri_provider(camera, stream, deps.commands, deps.secrets),
            cameras.put_frame,
            clips.sink,
            health.changed,
            deps.clock,
        )
    )
    if streams.cameras:
        deps.metrics.watch_streams(lambda: [_stream_counts(h) for h in streams.healths()])
    return streams


def _stream_counts(health: HealthSnapshot) -> StreamCounts:
    return StreamCounts(
        health.camera,
        health.state.value,
        health.packets_in,
        health.frames_decoded,
        health.frames_handed_on,
        health.reconnects,
        health.errors,
        health.decode_cpu_s,
    )


class Pipeline:
    """The assembled pipeline: `ingress` takes events in, `view` is what REST reads, start()/stop()."""

    def __init__(self, deps: PipelineDeps) -> None:
        parts = assemble(deps)
        self.settings = parts.settings
        self.ingress = parts.ingress
        self.view = PipelineView(parts)
        control = parts.control
        self.config = ConfigEditor(
            parts.settings, parts.state, control.apply_settings, parts.clock, recent=control.recent
        )
        self._lifecycle = PipelineLifecycle(parts)
        self._control = parts.control

    def start(self) -> None:
        """Compile the models, then start delivery, control and the workers (lifecycle.py)."""
        self._lifecycle.start()

    def stop(self) -> None:
        """Stop taking frames, drain, stop delivery, close the files (lifecycle.py)."""
        self._lifecycle.stop()

    def handle_event(self, req: AddEventRequest, received_topic: str, correlation_id: str = "") -> None:
        """Ingest one decoded event (the HTTP trigger's sink; the bus goes through `ingress`)."""
        self.ingress.handle_event(req, received_topic, correlation_id)

    def add_frame_listener(self, listener: Callable[[FrameView], None]) -> None:
        """Observe every analysed frame (after the rules); call before start()."""
        self._control.add_listener(listener)
