"""File sources: frames at DetectFps with the right content, looping, pacing, cheap surplus drops,
the packet sink, errors that stay on the camera, and the hardware-decode fallback."""

from __future__ import annotations

import itertools
import logging
import time
from typing import Any

import av
import numpy as np
import pytest

from service.streams.health import HealthState
from tests.streams.conftest import ReaderFactory
from tests.streams.media import Media, frame_index


class RecordingSink:
    """A PacketSink that keeps what it was given."""

    def __init__(self) -> None:
        self.opened: list[tuple[str, int, int]] = []
        self.packets: list[tuple[int, bool, float]] = []
        self.closed = 0

    def stream_opened(self, stream: av.video.stream.VideoStream) -> None:
        self.opened.append((stream.codec_context.name, stream.width, stream.height))

    def packet(self, packet: av.Packet[Any], wallclock_s: float) -> None:
        self.packets.append((packet.size, packet.is_keyframe, wallclock_s))

    def stream_closed(self) -> None:
        self.closed += 1


def test_h264_file_frames_at_detect_fps_with_content(make_reader: ReaderFactory, media: Media) -> None:
    recorded = make_reader(str(media.h264_mp4), DetectFps=5)
    recorded.wait_state(HealthState.ONLINE, 5)
    started = time.monotonic()
    time.sleep(2.0)
    frames = recorded.frames_since(started)
    assert 8 <= len(frames) <= 12  # 5 FPS out of a 10 FPS file replayed in real time
    indexes = [frame_index(frame.image) for frame in frames]
    steps = {b - a for a, b in itertools.pairwise(indexes)}
    assert steps <= {2, 2 - media.frame_count}, indexes  # every other source frame, across the loop
    for frame in frames:
        assert frame.image.shape == (480, 640, 3) and frame.image.dtype == np.uint8
        assert abs(frame.origin_ns / 1e9 - time.time()) < 5
    assert [frame.sequence for frame in frames] == list(
        range(frames[0].sequence, frames[0].sequence + len(frames))
    )
    health = recorded.reader.health
    assert health.packets_in >= health.frames_decoded >= health.frames_handed_on > 0
    assert health.decode_cpu_s > 0 and health.errors == 0


def test_person_segment_differs_from_empty_segment(make_reader: ReaderFactory, media: Media) -> None:
    recorded = make_reader(str(media.h264_mp4), DetectFps=5, Realtime=False)
    recorded.wait_for(lambda: len(recorded.frames) >= 40, 10, "40 frames")
    frames = [frame for _, frame in list(recorded.frames)]
    empty = [f.image for f in frames if not media.has_person(frame_index(f.image))]
    person = [f.image for f in frames if media.has_person(frame_index(f.image))]
    assert empty and person
    below_strip = slice(24, None)
    within_empty = np.abs(empty[0][below_strip].astype(int) - empty[-1][below_strip]).mean()
    across = np.abs(empty[0][below_strip].astype(int) - person[0][below_strip]).mean()
    assert within_empty < 3 < across


def test_loop_off_ends_after_one_pass(make_reader: ReaderFactory, media: Media) -> None:
    recorded = make_reader(str(media.h264_mp4), DetectFps=10, Realtime=False, Loop=False)
    recorded.wait_for(lambda: not recorded.reader.running, 10, "the reader to end")
    indexes = [frame_index(frame.image) for _, frame in recorded.frames]
    assert indexes == list(range(media.frame_count))
    assert recorded.states() == [HealthState.ONLINE, HealthState.STALLED]
    assert "end of file" in recorded.reader.health.reason


def test_loop_replays_from_the_start(make_reader: ReaderFactory, media: Media) -> None:
    recorded = make_reader(str(media.h264_mp4), DetectFps=10, Realtime=False)
    recorded.wait_for(lambda: len(recorded.frames) >= 2 * media.frame_count + 5, 10, "two passes")
    indexes = [frame_index(frame.image) for _, frame in list(recorded.frames)]
    assert indexes[: 2 * media.frame_count] == list(range(media.frame_count)) * 2
    assert recorded.reader.health.reconnects == 0  # a loop is a seek, not a reconnect


def test_bframes_nonref_frames_are_not_decoded(make_reader: ReaderFactory, media: Media) -> None:
    recorded = make_reader(str(media.h264_bframes_mp4), DetectFps=2, Realtime=False, Loop=False)
    recorded.wait_for(lambda: not recorded.reader.running, 10, "the reader to end")
    health = recorded.reader.health
    assert health.packets_in == media.frame_count
    assert health.frames_decoded < 0.8 * health.packets_in  # B-frames skipped by the decoder
    assert health.frames_handed_on <= health.frames_decoded


def test_mjpeg_surplus_packets_are_not_decoded(make_reader: ReaderFactory, media: Media) -> None:
    recorded = make_reader(str(media.mjpeg_avi), DetectFps=5, Realtime=False, Loop=False)
    recorded.wait_for(lambda: not recorded.reader.running, 10, "the reader to end")
    health = recorded.reader.health
    assert health.packets_in == media.frame_count
    assert health.frames_decoded == health.frames_handed_on == media.frame_count // 2
    indexes = [frame_index(frame.image) for _, frame in recorded.frames]
    assert indexes == list(range(0, media.frame_count, 2))


def test_sink_sees_every_packet_before_decode(make_reader: ReaderFactory, media: Media) -> None:
    sink = RecordingSink()
    recorded = make_reader(str(media.h264_mp4), sink=sink, DetectFps=1, Realtime=False, Loop=False)
    recorded.wait_for(lambda: not recorded.reader.running, 10, "the reader to end")
    assert sink.opened == [("h264", 640, 480)] and sink.closed == 1
    assert len(sink.packets) == media.frame_count == recorded.reader.health.packets_in
    assert [key for _, key, _ in sink.packets].count(True) == media.frame_count // media.fps


def test_failing_sink_and_on_frame_are_counted_reader_goes_on(
    make_reader: ReaderFactory, media: Media
) -> None:
    class BrokenSink(RecordingSink):
        def packet(self, packet: av.Packet[Any], wallclock_s: float) -> None:
            raise RuntimeError("disk full")

    def broken(_frame: object) -> None:
        raise ValueError("pipeline bug")

    recorded = make_reader(
        str(media.h264_mp4), sink=BrokenSink(), on_frame=broken, DetectFps=10, Realtime=False
    )
    recorded.wait_for(lambda: recorded.reader.health.frames_handed_on >= 50, 10, "50 frames")
    health = recorded.reader.health
    assert health.state is HealthState.ONLINE and recorded.reader.running
    assert health.frame_callback_errors >= 50 and health.sink_errors >= 50 and health.errors == 0


@pytest.mark.parametrize("source", ["unknown_codec_avi", "garbage"])
def test_undecodable_file_is_an_error_on_the_camera(
    make_reader: ReaderFactory, media: Media, source: str, tmp_path: Any
) -> None:
    path = media.unknown_codec_avi
    if source == "garbage":
        path = tmp_path / "garbage.mp4"
        path.write_bytes(np.random.default_rng(7).integers(0, 256, 200_000, dtype=np.uint8).tobytes())
    recorded = make_reader(str(path), BackoffInitialS=0.05, BackoffMaxS=0.1, OfflineAfterS=0.5)
    recorded.wait_for(lambda: recorded.reader.health.errors >= 3, 10, "3 errors")
    recorded.wait_state(HealthState.OFFLINE, 5)
    health = recorded.reader.health
    assert recorded.reader.running and health.frames_handed_on == 0 and health.reconnects >= 2
    expected = "no decoder" if source == "unknown_codec_avi" else "cannot open"
    assert expected in health.last_error


def test_hwaccel_fallback_is_logged_once_and_decoding_works(
    make_reader: ReaderFactory, media: Media, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="service.streams")
    recorded = make_reader(str(media.h264_mp4), HwAccel="vaapi", DetectFps=10, Realtime=False)
    recorded.wait_for(lambda: len(recorded.frames) >= 2 * media.frame_count, 10, "two passes")
    fallbacks = [r for r in caplog.records if "decoding in software" in r.getMessage()]
    assert len(fallbacks) == 1 and fallbacks[0].levelno == logging.WARNING
    assert "vaapi" in fallbacks[0].getMessage() and recorded.reader.health.hw_decode == ""
