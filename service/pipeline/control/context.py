"""What the control stages share while one item (frame, still frame, reading, tick) goes through them."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from service.pipeline.analysis.annotate import annotate, encode_jpeg
from service.pipeline.analysis.sighting import AnalysedFrame, FrameView, StillFrame
from service.pipeline.cameras.camera_state import CameraState
from service.pipeline.ingest.sensor_reading import SensorReading
from service.pipeline.rules.engine import RuleOutput
from service.pipeline.state.records import Alert, AlertChange


@dataclass(frozen=True, slots=True)
class CameraResult:
    """A worker's result for one camera: an analysed frame, or a frame the motion gate found still."""

    camera: CameraState
    result: AnalysedFrame | StillFrame


ControlItem = CameraResult | SensorReading


@dataclass(frozen=True, slots=True)
class AppliedChange:
    """An alert change as the alert book stored it, and the snapshot file it got ('' = none)."""

    change: AlertChange
    alert: Alert
    snapshot: str


@dataclass(slots=True)
class ControlContext:
    """One item's trip through a chain; each stage reads what earlier ones left here."""

    now_s: float
    what: str  # for logs: "frame of cam-1 (event ...)", "reading dev/res", "tick"
    correlation_id: str = ""
    camera: CameraState | None = None
    frame: AnalysedFrame | None = None
    still: StillFrame | None = None
    reading: SensorReading | None = None
    view: FrameView | None = None
    output: RuleOutput = field(default_factory=RuleOutput)
    applied: list[AppliedChange] = field(default_factory=list)
    _jpeg: bytes | None = None

    def annotated_jpeg(self, quality: int) -> bytes | None:
        """The frame at its full size with its sightings drawn (faces blurred), encoded once per
        frame; None without one. A frame analysed from a reduced decode is decoded again in full,
        only here (a snapshot is due at most every LatestEveryS, or for an alert)."""
        frame, view = self.frame, self.view
        if frame is None or frame.image is None or view is None:
            return None
        if self._jpeg is None:
            image, scale = frame.image, frame.scale
            if scale != 1 and frame.encoded:
                full = cv2.imdecode(np.frombuffer(frame.encoded, np.uint8), cv2.IMREAD_COLOR)
                if full is not None:
                    image, scale = np.asarray(full, np.uint8), 1.0
            self._jpeg = encode_jpeg(annotate(image, view.sightings, scale, frame.faces), quality)
        return self._jpeg


def context_for(item: ControlItem | None, now_s: float) -> ControlContext:
    """A fresh context for an item (None: a tick)."""
    if isinstance(item, SensorReading):
        return ControlContext(now_s, f"reading {item.device}/{item.resource}", reading=item)
    if item is None:
        return ControlContext(now_s, "tick")
    result = item.result
    if isinstance(result, StillFrame):
        return ControlContext(now_s, f"still frame of {result.camera}", camera=item.camera, still=result)
    return ControlContext(
        now_s,
        f"frame of {result.camera} (event {result.event_id})",
        result.correlation_id,
        camera=item.camera,
        frame=result,
    )
