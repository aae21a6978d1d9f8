"""Alert clips: one recorder per camera, a clip asked on each new alert, the clip store's retention.

Stream cameras (Devices.<camera>.Stream) get a ClipRecorder, the packet sink of their reader: a
pre-roll ring of encoded packets, remuxed into an MP4 (no re-encode). Bus-fed cameras get a
FrameClipRecorder, created on their first frame: it keeps the JPEG/PNG bytes of every frame that
came in (`ClipKeepingIntake`, before the latest-frame slot: still frames the motion gate will pass
over belong in the pre-roll too) and encodes the few that end up in a clip, at the camera's own
rate. A clip covers
Clips.PreRollS before the alert's frame to Clips.PostRollS after it and is written on one clip
worker thread, after its post-roll; retention (ClipStore) runs after each write and every
Clips.PruneEveryS. With Clips.Enabled false nothing is kept or written.

Threads: `frame` on the bus thread (or the REST thread of the HTTP trigger), `request` on the
control thread, `sink` at assembly, the recorders' own
threads as described in service/streams/clip_recorder.py; one lock guards the recorder table.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from service.metrics import Metrics
from service.pipeline.ingest.frame import Frame
from service.pipeline.ingest.ingress import FrameIntake
from service.pipeline.settings import PipelineSettings
from service.streams.clip_recorder import ClipRecorder
from service.streams.clip_store import ClipStore, valid_alert_id
from service.streams.clip_writer import ClipOutput
from service.streams.frame_clip import FrameClipRecorder

LOG = logging.getLogger(__name__)


class AlertClips:
    """The clip recorders of every camera and the store their clips go to."""

    def __init__(
        self,
        settings: PipelineSettings,
        state_dir: Path,
        metrics: Metrics,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings.Clips
        self._enabled = settings.Clips.Enabled
        self._clock = clock
        self._metrics = metrics
        self.store = ClipStore(settings.Clips, state_dir)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="clip-writer")
        self._output = ClipOutput(self.store, self._executor, self._written)
        self._lock = threading.Lock()
        self._streams: dict[str, ClipRecorder] = {}
        self._frames: dict[str, FrameClipRecorder] = {}
        if self._enabled:
            for name, device in settings.Devices.items():
                if device.Role == "camera" and device.Stream is not None:
                    self._streams[name] = ClipRecorder(name, settings.Clips, self._output, clock)

    def sink(self, camera: str) -> ClipRecorder | None:
        """The packet sink of a stream camera's reader (None with clips off)."""
        return self._streams.get(camera)

    def frame(self, camera: str, encoded: bytes, capture_s: float) -> None:
        """A frame of a bus-fed camera (its JPEG/PNG bytes); stream cameras keep packets instead."""
        if not self._enabled or not encoded or camera in self._streams:
            return
        with self._lock:
            recorder = self._frames.get(camera)
            if recorder is None:
                recorder = self._frames[camera] = FrameClipRecorder(
                    camera, self._settings, self._output, self._clock
                )
        recorder.frame(encoded, capture_s)

    def request(self, alert_id: str, camera: str, at_s: float) -> bool:
        """Record the clip of a new alert on `camera` around `at_s`; False when it has no recorder."""
        if not valid_alert_id(alert_id):
            return False
        with self._lock:
            recorder: ClipRecorder | FrameClipRecorder | None = self._streams.get(camera)
            if recorder is None:
                recorder = self._frames.get(camera)
        if recorder is None:
            return False
        recorder.request(alert_id, at_s, self._settings.PreRollS, self._settings.PostRollS)
        return True

    def path(self, alert_id: str) -> Path | None:
        """The written clip of an alert, or None."""
        return self.store.path(alert_id)

    def start(self) -> None:
        """Start retention (at once, then every PruneEveryS)."""
        if self._enabled:
            self.store.start()

    def close(self) -> None:
        """Write the clips in progress with what they have, wait for the writer, stop retention."""
        with self._lock:
            recorders: list[ClipRecorder | FrameClipRecorder] = [
                *self._streams.values(),
                *self._frames.values(),
            ]
        for recorder in recorders:
            recorder.close()
        self._executor.shutdown(wait=True)
        self.store.close()

    def _written(self, alert_id: str, path: Path | None, error: Exception | None) -> None:
        if path is not None:
            self._metrics.clips_total.labels("written").inc()
            LOG.info("clip of alert %s written: %s", alert_id, path.name)
        else:
            self._metrics.clips_total.labels("failed").inc()
            LOG.warning("clip of alert %s not written: %s", alert_id, error)


class ClipKeepingIntake:
    """The bus frames' intake with clips: each frame's bytes are kept for its camera's clips first."""

    def __init__(self, clips: AlertClips, intake: FrameIntake) -> None:
        self._clips = clips
        self._intake = intake

    def put_frame(self, frame: Frame) -> None:
        """Keep the frame for clips, then hand it to the camera table."""
        self._clips.frame(frame.camera, frame.data, frame.origin_ns / 1e9)
        self._intake.put_frame(frame)
