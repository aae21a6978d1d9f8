"""Clips of bus-fed cameras, which have only their analysed frames: a frame ring and an H.264 encoder.

The ring keeps each frame as the encoded image the camera sent (JPEG or PNG bytes, the
AnalysedFrame's `encoded`), not as pixels: a 640x480 JPEG is ~50 KB against 900 KB of BGR, the
bytes are already in memory (keeping them costs nothing on the pipeline's thread), and decoding
happens only for the few frames that end up in a clip, on the clip worker. A caller that must
hand over pixels (e.g. faces already blurred) passes a BGR array, which is JPEG-encoded once.

The encoder writes libx264/yuv420p with each frame's pts from its capture time (time base 1/1000,
variable frame rate), so an irregular 1-5 FPS camera plays back in real time. The last frame is
shown for the median gap between frames, or 1 s when there is one frame.

Threads as for ClipRecorder: `frame` and `request` on the pipeline's threads, the encode and
`on_clip` on the ClipOutput executor, under one lock per camera.
"""

from __future__ import annotations

import itertools
import logging
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from service.streams.clip_recorder import Pending, PendingClips
from service.streams.clip_store import ClipSettings, valid_alert_id
from service.streams.clip_writer import ClipError, ClipOutput, atomic_mp4, write_and_report

logger = logging.getLogger(__name__)

_TIME_BASE = Fraction(1, 1000)
_JPEG_QUALITY = 90
_X264_OPTIONS = {"preset": "veryfast", "crf": "23"}


@dataclass(frozen=True, slots=True)
class KeptFrame:
    """One analysed frame: the encoded image and its capture time (seconds since the epoch)."""

    image: bytes
    capture_s: float


class FrameRing:
    """The frames of the last `max_duration_s`, at most `max_frames` and `max_bytes`; the caller locks."""

    def __init__(self, max_duration_s: float, max_frames: int, max_bytes: int) -> None:
        self._max_duration_s = max_duration_s
        self._max_frames = max_frames
        self._max_bytes = max_bytes
        self._frames: deque[KeptFrame] = deque()
        self._bytes = 0

    def push(self, frame: KeptFrame) -> None:
        """Add `frame`; drop the oldest beyond the bounds (always keeps the newest)."""
        self._frames.append(frame)
        self._bytes += len(frame.image)
        while len(self._frames) > 1 and (
            len(self._frames) > self._max_frames
            or self._bytes > self._max_bytes
            or frame.capture_s - self._frames[0].capture_s > self._max_duration_s
        ):
            self._bytes -= len(self._frames.popleft().image)

    def since(self, start_s: float, end_s: float) -> list[KeptFrame]:
        """Frames captured in [start_s, end_s]."""
        return [f for f in self._frames if start_s <= f.capture_s <= end_s]

    def __len__(self) -> int:
        return len(self._frames)


class FrameClipRecorder:
    """Clips of one bus-fed camera, with the interface of ClipRecorder (request, on_clip)."""

    def __init__(
        self, camera: str, settings: ClipSettings, output: ClipOutput, clock: Callable[[], float] = time.time
    ):
        self.camera = camera
        self._output = output
        self._lock = threading.Lock()
        self._ring = FrameRing(settings.PreRollS, max_frames=600, max_bytes=settings.MaxPreRollBytes)
        self._pending: PendingClips[KeptFrame] = PendingClips(output.max_wait_s, clock, self._expire)

    def frame(self, image: bytes | NDArray[np.uint8], capture_s: float) -> None:
        """Keep an analysed frame: its encoded bytes (JPEG/PNG) or a BGR array."""
        if not isinstance(image, bytes):
            ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
            if not ok:
                raise ClipError(f"camera {self.camera}: cannot JPEG-encode a frame for clips")
            image = buffer.tobytes()
        kept = KeptFrame(image, capture_s)
        with self._lock:
            self._ring.push(kept)
            self._finish(self._pending.offer(kept, capture_s, starts_clip=True))

    def request(self, alert_id: str, at_s: float, pre_s: float, post_s: float) -> None:
        """Record frames captured from `at_s - pre_s` to `at_s + post_s`, then encode the clip, call on_clip.

        ClipError at once for an alert id that cannot name a file; every other outcome goes to on_clip.
        """
        if not valid_alert_id(alert_id):
            raise ClipError(f"alert id {alert_id!r} cannot name a clip (only [A-Za-z0-9._-])")
        start_s, end_s = at_s - pre_s, at_s + post_s
        with self._lock:
            self._pending.add(alert_id, start_s, end_s, self._ring.since(start_s, end_s))

    def close(self) -> None:
        """Write every clip in progress with what it has (service stop)."""
        with self._lock:
            self._finish(self._pending.take_all())

    def _expire(self, pending: Pending[KeptFrame]) -> None:
        with self._lock:
            if self._pending.take(pending):
                self._finish([pending])

    def _finish(self, done: list[Pending[KeptFrame]]) -> None:
        for pending in done:
            try:
                self._output.executor.submit(
                    write_and_report, self._output, pending.alert_id, partial(encode_clip, pending.items)
                )
            except RuntimeError:  # executor shut down: the service is stopping
                logger.error(
                    "camera %s: clip of alert %s lost: clip writer stopped", self.camera, pending.alert_id
                )


def encode_clip(frames: Sequence[KeptFrame], path: Path) -> None:
    """Encode `frames` (capture order) to an H.264 MP4 at `path`, each frame at its capture time."""
    start = next((i for i, frame in enumerate(frames) if _decode(frame.image) is not None), None)
    if start is None:
        raise ClipError(f"no readable frames recorded for clip {path.name}")
    frames = frames[start:]
    first = _decode(frames[0].image)
    assert first is not None  # found readable above
    height, width = first.shape[0] & ~1, first.shape[1] & ~1  # yuv420p needs even dimensions
    times = _pts_ms(frames)
    with atomic_mp4(path) as out:
        stream = out.add_stream("libx264", rate=None, options=dict(_X264_OPTIONS))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = _TIME_BASE
        stream.codec_context.time_base = _TIME_BASE
        image = first
        for index, pts in times:
            # A frame that does not decode (a camera sent junk) shows the previous one for its time.
            pixels = first if index == 0 else _decode(frames[index].image)
            image = image if pixels is None else pixels
            out.mux(stream.encode(_video_frame(image, width, height, pts)))
        out.mux(stream.encode(_video_frame(image, width, height, _hold_until_ms(times))))
        out.mux(stream.encode(None))


def _pts_ms(frames: Sequence[KeptFrame]) -> list[tuple[int, int]]:
    """(index, pts in ms from the first frame) of the frames kept: pts strictly increasing."""
    kept: list[tuple[int, int]] = []
    for index, frame in enumerate(frames):
        pts = round((frame.capture_s - frames[0].capture_s) * 1000)
        if not kept or pts > kept[-1][1]:  # a frame not after the previous one cannot be shown
            kept.append((index, pts))
    return kept


def _hold_until_ms(times: list[tuple[int, int]]) -> int:
    """When the clip ends: the last frame plus the median gap (1 s for a single frame)."""
    gaps = [b - a for (_, a), (_, b) in itertools.pairwise(times)]
    return times[-1][1] + (round(statistics.median(gaps)) if gaps else 1000)


def _decode(image: bytes) -> NDArray[np.uint8] | None:
    """The kept frame's pixels, or None when its bytes are not a readable image."""
    pixels = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
    return None if pixels is None or pixels.size == 0 else np.asarray(pixels, np.uint8)


def _video_frame(image: NDArray[np.uint8], width: int, height: int, pts: int) -> av.VideoFrame:
    if image.shape[1] != width or image.shape[0] != height:
        image = np.ascontiguousarray(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA))
    frame = av.VideoFrame.from_ndarray(image, format="bgr24")
    frame.pts = pts
    frame.time_base = _TIME_BASE
    return frame
