"""The built pipeline's parts, as assembly.py builds them and lifecycle.py and view.py use them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from service.pipeline.actions.delivery import DeliveryWorker
from service.pipeline.actions.manual import ManualActions
from service.pipeline.actions.outbox import Outbox
from service.pipeline.analysis.analyser import VisionEngine
from service.pipeline.analysis.workers import FrameWorkers
from service.pipeline.cameras.camera_state import CameraState, CameraTable
from service.pipeline.control.loop import ControlLoop
from service.pipeline.ingest.frame_requests import FrameRequester
from service.pipeline.ingest.ingress import EventIngress
from service.pipeline.ingest.stream_sources import StreamSources
from service.pipeline.settings import PipelineSettings
from service.pipeline.state.alert_book import AlertBook
from service.pipeline.state.alert_clips import AlertClips
from service.pipeline.state.sensor_table import SensorTable
from service.pipeline.state.snapshot_store import SnapshotStore
from service.pipeline.state.state_store import StateStore


class LoadableEngine(VisionEngine, Protocol):
    """The engine as the pipeline uses it: declared names, eager load, sizes, async inference."""

    @property
    def names(self) -> tuple[str, ...]: ...

    def load(self, name: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Parts:
    """The built parts; lifecycle.py starts and stops them, view.py reads them."""

    settings: PipelineSettings
    engine: LoadableEngine
    state: StateStore
    sensors: SensorTable
    alerts: AlertBook
    cameras: CameraTable
    snapshots: SnapshotStore
    outbox: Outbox
    requester: FrameRequester
    delivery: dict[str, DeliveryWorker]
    control: ControlLoop
    workers: FrameWorkers[CameraState]
    ingress: EventIngress
    clock: Callable[[], float]
    streams: StreamSources
    clips: AlertClips
    manual: ManualActions
