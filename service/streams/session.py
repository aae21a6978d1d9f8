"""Reading one open stream until it is lost or the reader stops: demux, hand every packet to the
sink, pace files, decode, and hand on the due frames with their capture time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import av

from service.streams.decoded_frame import DecodedFrame
from service.streams.decoding import DueFrame, StreamDecoder
from service.streams.errors import StreamLost
from service.streams.health import CameraHealth
from service.streams.opening import OpenedStream
from service.streams.pacing import RealtimePacer, to_seconds
from service.streams.packet_sink import PacketSink
from service.streams.settings import StreamSettings
from service.streams.uri import StreamKind, redact

logger = logging.getLogger(__name__)

# An RTCP-derived capture time is trusted only this close to the packet's arrival: a camera whose
# clock is off would otherwise make every frame look stale (or from the future) downstream.
_RTCP_EARLIEST_S, _RTCP_LATEST_S = 5.0, 0.5


@dataclass(frozen=True, slots=True)
class SessionContext:
    """What a session shares with its reader (one per reader, reused across reconnects)."""

    camera: str
    settings: StreamSettings
    health: CameraHealth
    on_frame: Callable[[DecodedFrame], None]
    on_first_frame: Callable[[], None]
    sink: PacketSink | None
    stopping: threading.Event
    clock: Callable[[], float]
    wall_clock: Callable[[], float]
    next_sequence: Callable[[], int]


def _log_every_decade(count: int) -> bool:
    """1st, 10th, 100th, ... failure: a callback that always fails must not flood the log."""
    return count in (1, 10, 100, 1000) or count % 10000 == 0


class StreamSession:
    """One open stream; `run()` returns on stop (or a file's end with Loop off), raises StreamLost."""

    def __init__(self, context: SessionContext, opened: OpenedStream) -> None:
        self._c = context
        self._opened = opened
        self._decoder = StreamDecoder(
            opened.stream, context.settings.DetectFps, use_pts=opened.kind is not StreamKind.MJPEG
        )
        realtime = opened.kind is StreamKind.FILE and context.settings.Realtime
        self._pacer = RealtimePacer(context.stopping, context.clock) if realtime else None
        self._online = False
        self._callback_errors = 0
        self._sink_errors = 0

    def run(self) -> None:
        self._sink_call("stream_opened", lambda sink: sink.stream_opened(self._opened.stream))
        last_frame_at = self._c.clock()
        while True:
            last_frame_at = self._demux(last_frame_at)
            if self._c.stopping.is_set():
                return
            if self._opened.kind is not StreamKind.FILE:
                raise StreamLost("the stream ended")
            if not self._c.settings.Loop:
                return
            self._opened.container.seek(0)
            self._decoder.reset()
            if self._pacer is not None:
                self._pacer.reset()

    def _demux(self, last_frame_at: float) -> float:
        """Read until the demuxer ends; the time of the last decoded frame."""
        stall_s = self._c.settings.StallS
        try:
            for packet in self._opened.container.demux(self._opened.stream):
                if self._c.stopping.is_set():
                    break
                now = self._c.clock()
                if self._packet(packet, now):
                    last_frame_at = now
                elif now - last_frame_at > stall_s:
                    raise StreamLost(f"no decodable frame for {stall_s:g} s")
        except av.ExitError:
            if not self._c.stopping.is_set():
                raise StreamLost(f"no packet for {stall_s:g} s") from None
        except av.FFmpegError as exc:
            if not self._c.stopping.is_set():
                raise StreamLost(redact(f"reading failed: {exc}")) from None
        return last_frame_at

    def _packet(self, packet: av.Packet[Any], now: float) -> bool:
        """Handle one packet; whether it gave a decoded frame."""
        if self._pacer is not None and packet.size:
            self._pacer.wait(
                to_seconds(packet.dts if packet.dts is not None else packet.pts, packet.time_base)
            )
            now = self._c.clock()
        wall_s = self._c.wall_clock()  # a paced file packet "arrives" when it is released
        if packet.size:
            self._c.health.count_packet()
            self._sink_call("packet", lambda sink: sink.packet(packet, wall_s))
        try:
            result = self._decoder.decode(packet, now)
        except av.FFmpegError as exc:
            self._c.health.record_error(f"decoding failed: {exc}")
            logger.debug("camera %s: %s", self._c.camera, redact(str(exc)))
            return False
        self._c.health.count_decoded(result.decoded, result.cpu_s)
        for due in result.due:
            self._hand_on(due, wall_s)
        return result.decoded > 0

    def _hand_on(self, due: DueFrame, wall_s: float) -> None:
        frame = DecodedFrame(
            camera=self._c.camera,
            image=due.image,
            origin_ns=self._origin_ns(due, wall_s),
            pts_s=due.pts_s,
            keyframe=due.keyframe,
            sequence=self._c.next_sequence(),
        )
        self._c.health.count_handed_on()
        if not self._online:
            self._online = True
            self._c.on_first_frame()
        try:
            self._c.on_frame(frame)
        except Exception:
            self._callback_errors += 1
            self._c.health.count_frame_callback_error()
            if _log_every_decade(self._callback_errors):
                logger.exception(
                    "camera %s: on_frame failed (%d times)", self._c.camera, self._callback_errors
                )

    def _origin_ns(self, due: DueFrame, wall_s: float) -> int:
        """RTSP: the camera's RTCP sender-report time of the frame, when FFmpeg has one and it is
        plausible; otherwise the packet's arrival."""
        if self._opened.kind is StreamKind.RTSP and due.pts_s is not None:
            realtime_us = self._opened.container.start_time_realtime
            if realtime_us:  # set once the first sender report is in; pts 0 is that instant
                capture_s = realtime_us / 1e6 + due.pts_s
                if wall_s - _RTCP_EARLIEST_S <= capture_s <= wall_s + _RTCP_LATEST_S:
                    return round(capture_s * 1e9)
        return round(wall_s * 1e9)

    def _sink_call(self, what: str, call: Callable[[PacketSink], None]) -> None:
        if self._c.sink is None:
            return
        try:
            call(self._c.sink)
        except Exception:
            self._sink_errors += 1
            self._c.health.count_sink_error()
            if _log_every_decade(self._sink_errors):
                logger.exception(
                    "camera %s: packet sink failed in %s (%d times)", self._c.camera, what, self._sink_errors
                )

    def close(self) -> None:
        """Close the input and tell the sink."""
        try:
            self._opened.close()
        finally:
            self._sink_call("stream_closed", lambda sink: sink.stream_closed())
