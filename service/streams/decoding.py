"""Decoding one open video stream, converting to BGR only the frames that go out at DetectFps.

Surplus frames are dropped as cheaply as the codec allows:
- intra-only codecs (MJPEG): a packet that is not due is never decoded;
- others (H.264, HEVC): every reference frame must be decoded, but when the input rate is well
  above DetectFps the decoder skips non-reference frames altogether (`skip_frame = NONREF`), and
  only frames that go out are converted to BGR.
The reader thread's CPU spent here (decode and conversion) is measured with `time.thread_time`;
the decoder runs on that thread alone (thread_count 1) so the figure is the whole cost. One
thread per stream is also the cheapest and lowest-latency way to decode many camera streams:
frame threading would delay every frame by a frame per extra thread.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import av
import av.video.stream
import numpy as np
from av.video.reformatter import VideoReformatter
from numpy.typing import NDArray

from service.streams.pacing import RateSelector, to_seconds

# Input at least this many times DetectFps: skipping non-reference frames cannot starve the output.
_SKIP_NONREF_RATIO = 1.5


@dataclass(frozen=True, slots=True)
class DueFrame:
    """A frame that goes out: BGR pixels, stream timestamp (s), keyframe flag."""

    image: NDArray[np.uint8]
    pts_s: float | None
    keyframe: bool


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """What one packet gave: frames that go out, frames decoded, reader CPU spent (s)."""

    due: list[DueFrame]
    decoded: int
    cpu_s: float


class StreamDecoder:
    """Decodes the packets of one stream; `use_pts` False picks frames by arrival time instead
    (MJPEG over HTTP: FFmpeg's timestamps there are only a frame counter)."""

    def __init__(self, stream: av.video.stream.VideoStream, detect_fps: float, use_pts: bool) -> None:
        self._codec = stream.codec_context
        self._codec.thread_count = 1
        self._intra_only = self._codec.codec.intra_only
        self._use_pts = use_pts
        self._selector = RateSelector(detect_fps)
        # One converter for the stream: a frame's own to_ndarray() builds a new swscale context
        # for every frame, which costs more than the conversion.
        self._to_bgr = VideoReformatter()
        rate = stream.average_rate or stream.guessed_rate
        self.skips_nonref = bool(not self._intra_only and rate and rate >= _SKIP_NONREF_RATIO * detect_fps)
        if self.skips_nonref:
            self._codec.skip_frame = "NONREF"

    @property
    def codec_name(self) -> str:
        return self._codec.name

    def reset(self) -> None:
        """A new timeline (file loop): drop decoder state and pick afresh."""
        self._codec.flush_buffers()
        self._selector.reset()

    def decode(self, packet: av.Packet[Any], arrival_s: float) -> DecodeResult:
        """Decode packet (an empty one drains the decoder); raises av.FFmpegError on bad data."""
        started = time.thread_time()
        if self._intra_only and packet.size and not self._selector.due(self._pick_time(packet, arrival_s)):
            return DecodeResult([], 0, time.thread_time() - started)
        frames = self._codec.decode(packet if packet.size else None)
        due = []
        for frame in frames:
            pts_s = to_seconds(frame.pts, frame.time_base) if self._use_pts else None
            if self._intra_only or self._selector.due(pts_s if self._use_pts else arrival_s):
                image = np.asarray(self._to_bgr.reformat(frame, format="bgr24").to_ndarray(), np.uint8)
                due.append(DueFrame(image, pts_s, frame.key_frame))
        return DecodeResult(due, len(frames), time.thread_time() - started)

    def _pick_time(self, packet: av.Packet[Any], arrival_s: float) -> float | None:
        return to_seconds(packet.pts, packet.time_base) if self._use_pts else arrival_s
