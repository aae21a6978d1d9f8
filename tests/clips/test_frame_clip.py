"""FrameClipRecorder: bus-camera clips encoded from irregular analysed frames, played at real time."""

from __future__ import annotations

import io
import random

import av
import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from service.simulator.photos import load_photo, photo_jpeg
from service.streams.clip_writer import ClipError
from service.streams.frame_clip import FrameClipRecorder, FrameRing, KeptFrame
from tests.clips.conftest import Clips
from tests.clips.source import T0, ffprobe, top_level_boxes


def capture_times(seed: int, first_s: float, last_s: float) -> list[float]:
    """Irregular arrivals, 0.15-0.9 s apart, as a bus camera sends its frames."""
    rng = random.Random(seed)
    times = [first_s]
    while times[-1] < last_s:
        times.append(times[-1] + rng.uniform(0.15, 0.9))
    return times


def shown_at(clip: bytes) -> list[tuple[float, NDArray[np.uint8]]]:
    with av.open(io.BytesIO(clip)) as container:
        return [(float(f.time or 0), f.to_ndarray(format="bgr24")) for f in container.decode(video=0)]


def test_bus_clip_plays_in_real_time_with_the_frames_of_the_period(clips: Clips) -> None:
    photos = {"person": photo_jpeg("astronaut"), "empty": photo_jpeg("coffee")}
    recorder = FrameClipRecorder("bus-cam", clips.settings, clips.output, clock=lambda: T0)
    times = capture_times(7, T0 - 3, T0 + 10.5)
    which = ["person" if T0 + 3 <= t < T0 + 6 else "empty" for t in times]
    at_s, asked = T0 + 5, False
    for capture_s, name in zip(times, which, strict=True):
        if capture_s > at_s and not asked:  # the alert comes with the frame of at_s
            recorder.request("bus-1", at_s, 5, 5)
            asked = True
        recorder.frame(photos[name], capture_s)
    path = clips.reports.clip("bus-1")

    in_period = [(t, n) for t, n in zip(times, which, strict=True) if T0 <= t <= T0 + 10]
    probe = ffprobe(path)
    stream = probe["streams"][0]
    assert (stream["codec_name"], stream["pix_fmt"], stream["width"], stream["height"]) == (
        "h264",
        "yuv420p",
        640,
        480,
    )
    gaps = np.diff([t for t, _ in in_period])
    expected_s = in_period[-1][0] - in_period[0][0] + float(np.median(gaps))
    assert float(probe["format"]["duration"]) == pytest.approx(expected_s, abs=0.15)
    assert abs(float(probe["format"]["duration"]) - 10) <= 1
    assert top_level_boxes(path).index("moov") < top_level_boxes(path).index("mdat")

    shown = shown_at(path.read_bytes())
    assert len(shown) == len(in_period) + 1  # the last frame once more, where the clip ends
    references = {
        n: load_photo(p).astype(np.int16) for n, p in (("person", "astronaut"), ("empty", "coffee"))
    }
    for (time_s, image), (capture_s, name) in zip(shown, in_period, strict=False):
        assert time_s == pytest.approx(capture_s - in_period[0][0], abs=0.002)  # its capture time
        errors = {n: float(np.abs(image.astype(np.int16) - ref).mean()) for n, ref in references.items()}
        assert min(errors, key=errors.__getitem__) == name


def test_odd_sized_arrays_are_encoded_at_even_dimensions(clips: Clips) -> None:
    recorder = FrameClipRecorder("bus-cam", clips.settings, clips.output, clock=lambda: T0)
    image = cv2.resize(load_photo("camera"), (321, 241))
    recorder.request("odd", T0, 0, 2)
    for capture_s in (T0 + 0.1, T0 + 0.7, T0 + 1.2, T0 + 2.5):
        recorder.frame(image, capture_s)
    stream = ffprobe(clips.reports.clip("odd"))["streams"][0]
    assert (stream["width"], stream["height"]) == (320, 240)


def test_no_frames_is_an_error_report_and_bad_ids_are_refused(clips: Clips) -> None:
    recorder = FrameClipRecorder("bus-cam", clips.settings, clips.output, clock=lambda: T0)
    recorder.request("empty", T0, 5, 5)
    recorder.close()
    path, error = clips.reports.wait("empty")
    assert path is None and isinstance(error, ClipError)
    with pytest.raises(ClipError):
        recorder.request("a/b", T0, 5, 5)


@pytest.mark.parametrize(
    ("frames", "max_frames", "max_bytes", "kept"),
    [
        (20, 100, 10**6, 11),  # 10 s at 1 FPS: the last 10 s (both ends)
        (20, 5, 10**6, 5),
        (20, 100, 3500, 3),
    ],
)
def test_frame_ring_bounds(frames: int, max_frames: int, max_bytes: int, kept: int) -> None:
    ring = FrameRing(max_duration_s=10, max_frames=max_frames, max_bytes=max_bytes)
    for index in range(frames):
        ring.push(KeptFrame(b"x" * 1000, float(index)))
    assert len(ring) == kept
    assert [f.capture_s for f in ring.since(0, 100)] == [float(i) for i in range(frames - kept, frames)]
