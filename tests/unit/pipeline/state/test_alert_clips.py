"""AlertClips: a recorder per camera (stream: packet sink; bus: the frames it sent), a clip per request."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from service.metrics import Metrics
from service.pipeline.settings import PipelineSettings
from service.pipeline.state.alert_clips import AlertClips
from service.streams.clip_recorder import ClipRecorder
from tests.unit.pipeline.support import wait_for

SETTINGS = PipelineSettings.model_validate(
    {
        "Devices": {
            "door": {"Role": "camera", "Stream": {"Uri": "rtsp://cam.local/live"}},
            "pir": {"Role": "sensor"},
        },
        "Clips": {"PreRollS": 1, "PostRollS": 1},
    }
)


def jpeg(value: int) -> bytes:
    image = np.full((48, 64, 3), value, np.uint8)
    return bytes(cv2.imencode(".jpg", image)[1].tobytes())


def test_stream_cameras_get_a_packet_sink_and_no_one_else() -> None:
    clips = AlertClips(SETTINGS, Path("unused"), Metrics())
    assert isinstance(clips.sink("door"), ClipRecorder)
    assert clips.sink("pir") is None and clips.sink("bus-cam") is None
    off = PipelineSettings.model_validate({**SETTINGS.model_dump(), "Clips": {"Enabled": False}})
    assert AlertClips(off, Path("unused"), Metrics()).sink("door") is None


def test_a_bus_camera_clip_holds_the_frames_it_sent_junk_skipped(tmp_path: Path) -> None:
    metrics = Metrics()
    clips = AlertClips(SETTINGS, tmp_path, metrics, clock=lambda: 1000.0)
    assert not clips.request("a-1", "bus-cam", 100.0)  # no frame yet: no recorder, no clip asked
    for index in range(20):  # 10 FPS from t=99.0
        clips.frame("bus-cam", jpeg(10 * index), 99.0 + index / 10)
    clips.frame("bus-cam", b"not a jpeg", 100.05)  # junk from the camera: skipped, not a failed clip
    assert clips.request("a-1", "bus-cam", 100.0)
    assert not clips.request("../x", "bus-cam", 100.0)  # an id that cannot name a file
    for index in range(20, 25):
        clips.frame("bus-cam", jpeg(10 * index), 99.0 + index / 10)  # past the post-roll: written
    assert wait_for(lambda: clips.path("a-1") is not None, 10)
    clips.close()
    assert metrics.registry.get_sample_value("clips_total", {"outcome": "written"}) == 1.0
    path = clips.path("a-1")
    assert path is not None and path.parent == tmp_path / "clips" and path.stat().st_size > 0


def test_frames_of_stream_cameras_and_clips_off_are_not_kept(tmp_path: Path) -> None:
    clips = AlertClips(SETTINGS, tmp_path, Metrics())
    clips.frame("door", jpeg(1), 99.0)  # a stream camera keeps packets, not frames
    clips.frame("bus-cam", b"", 99.0)  # no encoded bytes
    assert not clips.request("a-2", "bus-cam", 99.0)
    clips.close()
