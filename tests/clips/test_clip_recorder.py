"""ClipRecorder fed an H.264 stream packet by packet: remuxed clips from pre-roll to post-roll."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest
from numpy.typing import NDArray

from service.streams.clip_recorder import ClipRecorder
from service.streams.clip_writer import ClipError
from tests.clips.conftest import Clips
from tests.clips.source import (
    FPS,
    PERSON_SCENE,
    T0,
    Feeder,
    Segment,
    annexb_to_avcc,
    clip_packets,
    decode_all,
    encode_source,
    ffprobe,
    frames_of,
    photo_at,
    top_level_boxes,
)

AT_S = T0 + 7.5  # the person (astronaut) is in view 6-9 s


def record(clips: Clips, scene_ts: bytes, requests: list[tuple[str, float]]) -> Feeder:
    """Feed the whole scene, asking for each clip when its moment has been fed (as an alert would)."""
    recorder = ClipRecorder("cam", clips.settings, clips.output)
    feeder = Feeder(scene_ts, recorder)
    for alert_id, at_s in sorted(requests, key=lambda r: r[1]):
        feeder.feed_until(at_s)
        recorder.request(alert_id, at_s, clips.settings.PreRollS, clips.settings.PostRollS)
    feeder.feed_until()
    return feeder


def test_person_clip_is_the_remuxed_period_from_a_keyframe(
    clips: Clips, scene_ts: bytes, scene_frames: list[NDArray[np.uint8]]
) -> None:
    feeder = record(clips, scene_ts, [("alert-1", AT_S)])
    path = clips.reports.clip("alert-1")
    assert path == clips.store.path("alert-1")
    assert clips.reports.threads == ["clip-writer_0"]  # written on the worker, not the feeding thread

    probe = ffprobe(path)
    assert [s["codec_name"] for s in probe["streams"]] == ["h264"]
    duration_s = float(probe["format"]["duration"])
    assert abs(duration_s - 10) <= 1
    packets = clip_packets(path)
    assert int(probe["streams"][0]["nb_frames"]) == len(packets)
    boxes = top_level_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat")  # faststart: playable while it is served

    # No re-encode: the clip's packets are the source's from a keyframe at or before at - pre.
    assert packets[0][1] is True
    walls = [wall for _, wall, _ in feeder.fed]
    first = next(i for i, (data, _, _) in enumerate(feeder.fed) if annexb_to_avcc(data) == packets[0][0])
    assert feeder.fed[first][2] and walls[first] <= AT_S - 5 < walls[first] + 2.01
    source = [annexb_to_avcc(data) for data, _, _ in feeder.fed[first : first + len(packets)]]
    assert [data for data, _ in packets] == source
    assert walls[first + len(packets) - 1] <= AT_S + 5

    # Decoded, the clip is exactly the source frames of the period, person frames included.
    indices = frames_of(scene_frames, decode_all(path.read_bytes()))
    assert -1 not in indices and indices == sorted(indices)
    wanted = range(round((AT_S - 5 - T0) * FPS), round((AT_S + 5 - T0) * FPS))
    assert set(wanted) - set(indices) <= {wanted[-1]}  # the last may sit after the end in decode order
    assert {photo_at(PERSON_SCENE, i / FPS) for i in indices} >= {"astronaut", "chelsea", "coffee"}


def test_mjpeg_clip_is_timed_by_arrival_not_by_the_demuxers_guess(clips: Clips) -> None:
    source = encode_source(PERSON_SCENE, size=(320, 240), mjpeg=True)
    recorder = ClipRecorder("cam", clips.settings, clips.output)
    feeder = Feeder(source, recorder, mjpeg=True)
    feeder.feed_until(AT_S)
    recorder.request("mjpeg", AT_S, 5, 5)
    feeder.feed_until()
    path = clips.reports.clip("mjpeg")
    probe = ffprobe(path)
    assert [s["codec_name"] for s in probe["streams"]] == ["mjpeg"]
    assert abs(float(probe["format"]["duration"]) - 10) <= 1  # the demuxer's 25 FPS would make it 4 s
    packets = clip_packets(path)
    first = next(i for i, (data, _, _) in enumerate(feeder.fed) if data == packets[0][0])
    assert [data for data, _ in packets] == [data for data, _, _ in feeder.fed[first : first + len(packets)]]
    assert feeder.fed[first][1] == pytest.approx(AT_S - 5, abs=0.11)  # every JPEG is a keyframe


def test_overlapping_requests_each_get_their_clip(
    clips: Clips, scene_ts: bytes, scene_frames: list[NDArray[np.uint8]]
) -> None:
    record(clips, scene_ts, [("early", T0 + 6.5), ("late", T0 + 9.5)])
    early = frames_of(scene_frames, decode_all(clips.reports.clip("early").read_bytes()))
    late = frames_of(scene_frames, decode_all(clips.reports.clip("late").read_bytes()))
    assert -1 not in early + late
    assert early[0] < late[0] and early[-1] < late[-1]
    assert set(early) & set(late)  # they overlap, each whole
    assert early[-1] >= round(11.5 * FPS) - 1 and late[-1] >= round(14.5 * FPS) - 1


def test_stream_closing_mid_post_roll_writes_what_it_has(
    clips: Clips, scene_ts: bytes, scene_frames: list[NDArray[np.uint8]]
) -> None:
    recorder = ClipRecorder("cam", clips.settings, clips.output)
    feeder = Feeder(scene_ts, recorder)
    feeder.feed_until(AT_S)
    recorder.request("cut", AT_S, 5, 5)
    feeder.feed_until(AT_S + 2)
    feeder.close()
    path = clips.reports.clip("cut")
    duration_s = float(ffprobe(path)["format"]["duration"])
    assert 6 <= duration_s <= 8.5  # from the keyframe at or before 2.5 s to 9.5 s
    indices = frames_of(scene_frames, decode_all(path.read_bytes()))
    reorder = 3  # frames fed by decode order: B-frames arrive up to 3 frames before they show
    assert -1 not in indices and round(9.5 * FPS) - reorder <= max(indices) <= round(9.5 * FPS) + reorder


def test_a_new_stream_starts_a_new_ring_and_ends_clips_of_the_old(clips: Clips, scene_ts: bytes) -> None:
    recorder = ClipRecorder("cam", clips.settings, clips.output)
    old = Feeder(scene_ts, recorder)
    old.feed_until(AT_S)
    recorder.request("old", AT_S, 5, 5)
    small = encode_source((Segment("camera", 0, 4),), size=(320, 240))
    new = Feeder(small, recorder, t0=AT_S + 1)  # codec parameters change: stream_opened again
    assert ffprobe(clips.reports.clip("old"))["streams"][0]["width"] == 640
    new.feed_until()
    recorder.request("new", AT_S + 5, 5, 0)  # from AT_S: would reach into the old stream
    new.close()
    probe = ffprobe(clips.reports.clip("new"))
    assert (probe["streams"][0]["width"], probe["streams"][0]["height"]) == (320, 240)
    assert len(decode_all(clips.reports.clip("new").read_bytes())) == 4 * FPS  # nothing of the old stream


def test_a_source_gone_quiet_is_written_after_max_wait(clips: Clips, scene_ts: bytes) -> None:
    output = dataclasses.replace(clips.output, max_wait_s=0.3)
    recorder = ClipRecorder("cam", clips.settings, output, clock=lambda: AT_S)
    feeder = Feeder(scene_ts, recorder)
    feeder.feed_until(AT_S)
    recorder.request("quiet", AT_S, 5, 1)  # ends 1 s (clock) + 0.3 s from now; no packet comes
    path = clips.reports.clip("quiet")
    assert 5 <= float(ffprobe(path)["format"]["duration"]) <= 7.5


def test_no_stream_no_keyframe_and_bad_ids_are_reported(clips: Clips, scene_ts: bytes) -> None:
    recorder = ClipRecorder("cam", clips.settings, clips.output)
    recorder.request("before-open", T0, 5, 5)
    path, error = clips.reports.wait("before-open")
    assert path is None and isinstance(error, ClipError)
    with pytest.raises(ClipError):
        recorder.request("../escape", T0, 5, 5)

    feeder = Feeder(scene_ts, recorder)
    feeder.feed_until(T0 + 1)
    recorder.request("closed", T0 + 1, 1, 5)
    feeder.close()
    assert clips.reports.clip("closed").is_file()  # after close: written from the ring, at once


def test_ring_follows_the_stream_on_the_reader_thread(clips: Clips, scene_ts: bytes) -> None:
    recorder = ClipRecorder("cam", clips.settings, clips.output)
    reader = threading.Thread(target=lambda: Feeder(scene_ts, recorder).feed_until())
    reader.start()
    reader.join()
    counts = recorder.ring_counts()
    assert counts is not None and counts.dropped_gops > 0
    assert 5 <= counts.duration_s < 5 + 2 + 0.2  # at least PreRollS, at most one GOP more
