"""FrameWorkers: analyse a taken frame, deliver or count it, release the camera; a pool over cameras."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from service.metrics import Metrics
from service.pipeline.analysis.analyser import AnalysisState, FrameAnalyser
from service.pipeline.analysis.sighting import AnalysedFrame, StillFrame
from service.pipeline.analysis.workers import FrameWorkers
from service.pipeline.cameras.camera_state import CameraState, CameraTable
from service.pipeline.ingest.frame import DropReason, Frame
from service.pipeline.settings import PipelineSettings
from tests.unit.pipeline.support import GREEN, GREY, RED, Canned, FakeEngine, jpeg, wait_for

NOW = 1000.0
WORKERS_LOG = "service.pipeline.analysis.workers"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def frame(camera: str, data: bytes, n: int = 0, age_s: float = 0.0, received_s: float = NOW) -> Frame:
    return Frame(
        camera, data, "image/jpeg", int((NOW - age_s) * 1e9), int(received_s * 1e9), event_id=f"{camera}-{n}"
    )


@dataclass
class Pool:
    """Workers over a camera table, recording what they deliver."""

    settings: PipelineSettings
    engine: FakeEngine
    analyser: FrameAnalyser
    cameras: CameraTable
    metrics: Metrics
    workers: FrameWorkers[CameraState]
    delivered: list[tuple[CameraState, AnalysedFrame | StillFrame]] = field(default_factory=list)

    def sample(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, labels) or 0.0

    def take(self, data: bytes, camera: str = "cam", n: int = 0, **kw: float) -> tuple[CameraState, Frame]:
        self.cameras.put_frame(frame(camera, data, n, **kw))
        taken = self.cameras.slots.take(0)
        assert taken is not None
        return taken


def pool(
    count: int = 1,
    analyser: Callable[[PipelineSettings, FakeEngine], FrameAnalyser] | None = None,
    deliver: Callable[[CameraState, AnalysedFrame | StillFrame], None] | None = None,
    **settings: object,
) -> Pool:
    parsed = PipelineSettings.model_validate(settings)
    engine = FakeEngine({RED: [Canned("person", 0.9, (0.25, 0.25, 0.5, 0.75))]})
    clock = Clock()
    made = analyser(parsed, engine) if analyser else FrameAnalyser(parsed, engine, clock)
    metrics = Metrics()
    cameras = CameraTable(parsed, made.new_state, metrics)
    delivered: list[tuple[CameraState, AnalysedFrame | StillFrame]] = []

    def record(camera: CameraState, result: AnalysedFrame | StillFrame) -> None:
        if deliver is not None:
            deliver(camera, result)
        delivered.append((camera, result))

    workers = FrameWorkers(cameras.slots, made, record, metrics, count)
    return Pool(parsed, engine, made, cameras, metrics, workers, delivered)


def test_run_one_delivers_the_analysed_frame_with_its_camera_state() -> None:
    p = pool()
    cam, taken = p.take(jpeg(RED))
    result = p.workers.run_one(cam, taken)
    assert isinstance(result, AnalysedFrame)
    assert p.delivered == [(cam, result)] and cam is p.cameras.state("cam")
    assert result.camera == "cam" and result.event_id == "cam-0"
    assert [(o.label, o.box) for o in result.observations] == [("person", (160.0, 120.0, 320.0, 360.0))]
    assert p.engine.calls == [("person", (640, 480))]
    assert p.cameras.slots.drops(cam) == {}
    assert p.sample("frames_dropped_total", camera="cam", reason="error") == 0


def test_a_still_frame_is_delivered_as_such_and_counted_as_a_no_motion_drop() -> None:
    p = pool()
    p.workers.run_one(*p.take(jpeg(GREY), n=1))
    cam, taken = p.take(jpeg(GREY), n=2, received_s=NOW + 0.5)
    assert p.workers.run_one(cam, taken) is DropReason.NO_MOTION
    assert len(p.engine.calls) == 1  # the still frame reached no model
    assert p.delivered[-1] == (cam, StillFrame("cam", NOW + 0.5))
    assert p.sample("frames_dropped_total", camera="cam", reason="no_motion") == 1
    assert p.cameras.slots.drops(cam) == {"no_motion": 1}


def test_a_stale_frame_is_counted_and_not_delivered() -> None:
    p = pool(MaxFrameAgeS=1)
    cam, taken = p.take(jpeg(RED), age_s=1.5)
    assert p.workers.run_one(cam, taken) is DropReason.STALE
    assert p.delivered == [] and p.engine.calls == []
    assert p.sample("frames_dropped_total", camera="cam", reason="stale") == 1
    assert p.cameras.slots.drops(cam) == {"stale": 1}


def test_undecodable_bytes_count_a_decode_error_and_a_decode_drop(caplog: pytest.LogCaptureFixture) -> None:
    p = pool()
    caplog.set_level(logging.WARNING, logger=WORKERS_LOG)
    cam, taken = p.take(b"not a jpeg", n=7)
    assert p.workers.run_one(cam, taken) is DropReason.DECODE
    assert p.delivered == []
    assert p.sample("decode_errors_total", kind="image") == 1
    assert p.sample("frames_dropped_total", camera="cam", reason="decode") == 1
    assert p.cameras.slots.drops(cam) == {"decode": 1}
    assert any("cam-7" in r.getMessage() for r in caplog.records if r.name == WORKERS_LOG)
    p.cameras.put_frame(frame("cam", jpeg(RED), 8))  # the camera was released
    again = p.cameras.slots.take(0)
    assert again is not None and again[1].event_id == "cam-8"


def test_an_engine_error_is_counted_and_releases_the_camera(caplog: pytest.LogCaptureFixture) -> None:
    p = pool()
    caplog.set_level(logging.ERROR, logger=WORKERS_LOG)
    cam, taken = p.take(jpeg(RED), n=1)
    p.cameras.put_frame(frame("cam", jpeg(GREEN), 2))  # waits while the camera is busy
    assert p.cameras.slots.take(0) is None
    p.engine.fail_with = RuntimeError("engine down")
    assert p.workers.run_one(cam, taken) is None
    assert p.delivered == []
    assert p.sample("frames_dropped_total", camera="cam", reason="error") == 1
    [record] = [r for r in caplog.records if r.name == WORKERS_LOG]
    assert "cam" in record.getMessage() and "cam-1" in record.getMessage() and record.exc_info is not None
    p.engine.fail_with = None
    again = p.cameras.slots.take(0)
    assert again is not None and again[0] is cam and again[1].event_id == "cam-2"
    assert isinstance(p.workers.run_one(*again), AnalysedFrame)
    assert len(p.delivered) == 1


def test_after_an_engine_error_the_unchanged_scene_is_analysed_again() -> None:
    p = pool()
    p.engine.fail_with = RuntimeError("engine down")
    assert p.workers.run_one(*p.take(jpeg(RED), n=1)) is None
    p.engine.fail_with = None
    assert isinstance(p.workers.run_one(*p.take(jpeg(RED), n=2)), AnalysedFrame)


class WatchedAnalyser(FrameAnalyser):
    """Records how many frames each camera (and all together) have in analysis at once.

    The first frame of each of `together` cameras waits at a barrier until all of them are in
    analysis: the pool must run that many workers at once, or the barrier breaks (an error drop)."""

    def __init__(self, settings: PipelineSettings, engine: FakeEngine, together: int) -> None:
        super().__init__(settings, engine, Clock())
        self._lock = threading.Lock()
        self._barrier = threading.Barrier(together, timeout=5)
        self._met: set[str] = set()
        self.busy: Counter[str] = Counter()
        self.max_per_camera = 0
        self.max_total = 0
        self.started: list[str] = []

    def analyse(self, camera: AnalysisState, frame: Frame) -> AnalysedFrame | DropReason:
        with self._lock:
            self.busy[camera.camera] += 1
            self.started.append(frame.event_id)
            self.max_per_camera = max(self.max_per_camera, self.busy[camera.camera])
            self.max_total = max(self.max_total, sum(self.busy.values()))
            first = camera.camera not in self._met
            self._met.add(camera.camera)
        try:
            if first:
                self._barrier.wait()
            threading.Event().wait(0.005)  # a little inference time, for frames to queue up behind
            return super().analyse(camera, frame)
        finally:
            with self._lock:
                self.busy[camera.camera] -= 1


@pytest.fixture
def watched() -> Iterator[tuple[Pool, WatchedAnalyser]]:
    made: list[WatchedAnalyser] = []

    def build(settings: PipelineSettings, engine: FakeEngine) -> FrameAnalyser:
        made.append(WatchedAnalyser(settings, engine, together=3))
        return made[0]

    p = pool(4, build, Motion={"Enabled": False}, MaxFrameAgeS=3600)
    yield p, made[0]
    p.cameras.slots.close()
    p.workers.stop(2.0)


def test_several_workers_analyse_several_cameras_but_one_frame_of_a_camera_at_a_time(
    watched: tuple[Pool, WatchedAnalyser],
) -> None:
    p, analyser = watched
    names, rounds = ("a", "b", "c"), 6
    p.workers.start()
    for n in range(rounds):
        for name in names:
            p.cameras.put_frame(frame(name, jpeg(GREEN if n % 2 else RED), n))
        # wait until this round is in analysis, so the next one queues up behind busy cameras
        assert wait_for(lambda n=n: all(f"{name}-{n}" in analyser.started for name in names))
    assert wait_for(lambda: len(p.delivered) == rounds * len(names))
    assert analyser.max_per_camera == 1
    assert analyser.max_total >= 3
    for name in names:
        results = [r for camera, r in p.delivered if camera.name == name]
        assert [r.event_id for r in results if isinstance(r, AnalysedFrame)] == [
            f"{name}-{n}" for n in range(rounds)
        ]
    assert p.sample("frames_dropped_total", camera="a", reason="error") == 0


def test_stop_ends_every_worker() -> None:
    p = pool(3, Motion={"Enabled": False})
    p.workers.start()
    p.cameras.put_frame(frame("cam", jpeg(RED), 1))
    assert wait_for(lambda: len(p.delivered) == 1)
    p.cameras.slots.close()
    p.workers.stop(2.0)
    assert not any(thread.is_alive() for thread in p.workers._threads)
    p.cameras.put_frame(frame("cam", jpeg(RED), 2))
    assert p.cameras.slots.waiting(p.cameras.state("cam"))  # nobody takes it any more


def test_results_of_one_camera_are_delivered_in_the_order_its_frames_were_taken() -> None:
    first_delivering, release = threading.Event(), threading.Event()

    def slow_first(_camera: CameraState, result: AnalysedFrame | StillFrame) -> None:
        if isinstance(result, AnalysedFrame) and result.event_id == "cam-1":
            first_delivering.set()
            release.wait(5)  # e.g. the worker thread is preempted here

    p = pool(2, deliver=slow_first, Motion={"Enabled": False}, MaxFrameAgeS=3600)
    p.workers.start()
    try:
        p.cameras.put_frame(frame("cam", jpeg(RED), 1))
        assert first_delivering.wait(5)
        p.cameras.put_frame(frame("cam", jpeg(RED), 2))
        wait_for(lambda: len(p.delivered) == 1, timeout_s=1.0)  # cam-2 overtaking, if it can
        release.set()
        assert wait_for(lambda: len(p.delivered) == 2)
    finally:
        release.set()
        p.cameras.slots.close()
        p.workers.stop(2.0)
    assert [r.event_id for _, r in p.delivered if isinstance(r, AnalysedFrame)] == ["cam-1", "cam-2"]
