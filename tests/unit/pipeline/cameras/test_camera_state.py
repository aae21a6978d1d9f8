"""CameraTable: one state per camera on first sight, counted frames, bounded size, lanes, status."""

from __future__ import annotations

import pytest

from service.metrics import Metrics
from service.pipeline.analysis.analyser import FrameAnalyser
from service.pipeline.analysis.sighting import FrameView
from service.pipeline.cameras.camera_state import CameraTable
from service.pipeline.ingest.frame import DropReason, Frame
from service.pipeline.settings import PipelineSettings
from service.pipeline.state.snapshot_store import Snapshot
from tests.unit.pipeline.support import FakeEngine

SETTINGS = PipelineSettings.model_validate(
    {"Devices": {"cam": {"Role": "camera", "Zones": {"door": [[0, 0], [1, 0], [1, 1]]}}}}
)


def frame(camera: str, n: int, forced: bool = False) -> Frame:
    return Frame(camera, bytes([n]), "image/jpeg", n, int(n * 1e9), event_id=f"{camera}-{n}", forced=forced)


def table(max_cameras: int = 256) -> tuple[CameraTable, Metrics]:
    metrics = Metrics()
    analyser = FrameAnalyser(SETTINGS, FakeEngine())
    return CameraTable(SETTINGS, analyser.new_state, metrics, max_cameras), metrics


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_one_state_per_camera_holds_everything_kept_of_it() -> None:
    cameras, _ = table()
    cam = cameras.state("cam")
    assert cameras.state("cam") is cam and cameras.get("cam") is cam and cameras.get("other") is None
    assert cam.analysis.camera == "cam" and cam.zones == SETTINGS.Devices["cam"].Zones
    assert cam.lanes.camera == "cam" and cam.lanes.by_rule == {} and cam.latest is None
    assert cameras.lanes("cam") is cam.lanes
    assert cameras.state("other").zones == {}


def test_put_frame_counts_it_and_fills_the_camera_slot() -> None:
    cameras, metrics = table()
    cameras.put_frame(frame("cam", 1))
    cameras.put_frame(frame("cam", 2))
    cam = cameras.state("cam")
    assert cam.counters.received == 2 and list(cam.counters.received_at) == [1.0, 2.0]
    assert sample(metrics, "frames_received_total", camera="cam") == 2
    assert sample(metrics, "frames_dropped_total", camera="cam", reason="replaced") == 1
    taken = cameras.slots.take(0)
    assert taken is not None and taken[0] is cam and taken[1].event_id == "cam-2"


def test_a_fetched_snapshot_fills_the_slot_without_counting_a_received_frame() -> None:
    cameras, metrics = table()
    cameras.fill_slot(frame("cam", 1, forced=True))
    assert cameras.state("cam").counters.received == 0
    assert sample(metrics, "frames_received_total", camera="cam") == 0
    taken = cameras.slots.take(0)
    assert taken is not None and taken[1].forced


def test_the_table_is_bounded_and_counts_what_it_refuses() -> None:
    cameras, metrics = table(max_cameras=2)
    for name in ("a", "b", "c"):
        cameras.put_frame(frame(name, 1))
    assert [camera.name for camera in cameras.cameras()] == ["a", "b"]
    assert sample(metrics, "frames_received_total", camera="c") == 1
    assert sample(metrics, "frames_dropped_total", camera="c", reason=DropReason.TOO_MANY_CAMERAS.value) == 1
    with pytest.raises(OverflowError, match="c"):
        cameras.state("c")


def test_sensor_rules_have_lanes_outside_every_camera() -> None:
    cameras, _ = table()
    sensor_lanes = cameras.lanes("")
    assert sensor_lanes.camera == "" and cameras.cameras() == []
    cam = cameras.state("cam")
    assert list(cameras.all_lanes()) == [sensor_lanes, cam.lanes]


def test_latest_snapshot_is_due_every_interval() -> None:
    cameras, _ = table()
    cam = cameras.state("cam")
    assert cam.snapshot_due(10.0, 1.0)
    cameras.set_latest(cam, Snapshot(b"jpeg", 10.0))
    assert not cam.snapshot_due(10.5, 1.0) and cam.snapshot_due(11.0, 1.0)
    assert cam.latest is not None and cam.latest.jpeg == b"jpeg"


def test_status_shows_counters_latency_and_configured_zones() -> None:
    cameras, _ = table()
    assert cameras.status("cam", 0.0).frames_received == 0  # configured, never seen
    cameras.put_frame(frame("cam", 1))
    cam = cameras.state("cam")
    cameras.analysed(cam, FrameView("cam", 640, 480, (), 1_000_000_000, 1.5, 0.5))
    status = cameras.status("cam", 2.0)
    assert (status.frames_received, status.frames_analysed) == (1, 1)
    assert status.last_latency_ms == pytest.approx(500) and status.zones == ("door",)
    assert status.role == "camera" and status.drops == {} and not status.has_snapshot
