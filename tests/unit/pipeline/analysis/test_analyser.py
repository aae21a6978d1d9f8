"""FrameAnalyser: stale frames, motion gate with heartbeat and forced frames, reduced decode, privacy."""

from __future__ import annotations

import pytest

from service.pipeline.analysis.analyser import FrameAnalyser, reduction_factor, uncovered_heads
from service.pipeline.analysis.sighting import AnalysedFrame
from service.pipeline.analysis.tracking import Observation
from service.pipeline.errors import FrameDecodeError
from service.pipeline.ingest.frame import DropReason, Frame
from service.pipeline.settings import PipelineSettings
from tests.unit.pipeline.support import GREEN, GREY, RED, Canned, FakeEngine, jpeg


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def frame(data: bytes, clock: Clock, age_s: float = 0.0, forced: bool = False) -> Frame:
    origin = int((clock.now - age_s) * 1e9)
    return Frame("cam", data, "image/jpeg", origin, origin, "ev", forced=forced)


class Camera:
    """The analyser of one camera "cam", with its analysis state (as the camera table holds it)."""

    def __init__(self, analyser: FrameAnalyser) -> None:
        self.analyser = analyser
        self.state = analyser.new_state("cam")

    def analyse(self, frame: Frame) -> AnalysedFrame | DropReason:
        return self.analyser.analyse(self.state, frame)

    def request_frame(self) -> None:
        self.analyser.request_frame(self.state)


def setup(**settings: object) -> tuple[Camera, FakeEngine, Clock]:
    engine = FakeEngine(
        {RED: [Canned("person", 0.9, (0.25, 0.25, 0.5, 0.75)), Canned("face", 0.8, (0.3, 0.3, 0.4, 0.4))]}
    )
    clock = Clock()
    return Camera(FrameAnalyser(PipelineSettings.model_validate(settings), engine, clock)), engine, clock


@pytest.mark.parametrize(
    ("source", "inputs", "factor"),
    [
        ((640, 480), [(300, 300)], 2),
        ((1920, 1080), [(300, 300)], 4),
        ((4000, 3000), [(300, 300)], 8),
        ((640, 480), [(300, 300), (640, 640)], 1),
        ((320, 240), [(300, 300)], 1),
        ((640, 480), [], 1),
    ],
)
def test_reduction_factor(source: tuple[int, int], inputs: list[tuple[int, int]], factor: int) -> None:
    assert reduction_factor(source, inputs) == factor


def test_detections_come_back_in_source_pixels_after_a_reduced_decode() -> None:
    analyser, engine, clock = setup()
    first = analyser.analyse(frame(jpeg(RED), clock))
    assert isinstance(first, AnalysedFrame)
    clock.now += 20  # past the heartbeat, so the unchanged frame is analysed again
    second = analyser.analyse(frame(jpeg(RED), clock))
    assert isinstance(second, AnalysedFrame)
    assert [size for _, size in engine.calls] == [(640, 480), (320, 240)]
    for result in (first, second):
        assert (result.width, result.height) == (640, 480)
        assert result.observations[0].box == pytest.approx((160, 120, 320, 360))
        assert result.faces is None
    assert second.scale == 2.0


def test_stale_frames_are_skipped() -> None:
    analyser, engine, clock = setup(MaxFrameAgeS=1)
    assert analyser.analyse(frame(jpeg(RED), clock, age_s=1.5)) is DropReason.STALE
    assert engine.calls == []


def test_motion_gate_heartbeat_and_forced_frames() -> None:
    analyser, engine, clock = setup(HeartbeatS=10)
    assert isinstance(analyser.analyse(frame(jpeg(GREY), clock)), AnalysedFrame)
    clock.now += 1
    assert analyser.analyse(frame(jpeg(GREY), clock)) is DropReason.NO_MOTION
    assert isinstance(analyser.analyse(frame(jpeg(GREY), clock, forced=True)), AnalysedFrame)
    analyser.request_frame()
    assert isinstance(analyser.analyse(frame(jpeg(GREY), clock)), AnalysedFrame)
    assert analyser.analyse(frame(jpeg(GREY), clock)) is DropReason.NO_MOTION
    clock.now += 10
    assert isinstance(analyser.analyse(frame(jpeg(GREY), clock)), AnalysedFrame)  # heartbeat
    clock.now += 1
    assert isinstance(analyser.analyse(frame(jpeg(GREEN), clock)), AnalysedFrame)  # motion
    assert len(engine.calls) == 5


def test_motion_gate_off_analyses_everything() -> None:
    analyser, _, clock = setup(Motion={"Enabled": False})
    for _ in range(3):
        assert isinstance(analyser.analyse(frame(jpeg(GREY), clock)), AnalysedFrame)


def test_privacy_uses_the_face_model_or_person_heads() -> None:
    analyser, engine, clock = setup(Privacy={"BlurFaces": True, "FaceModel": "face"})
    result = analyser.analyse(frame(jpeg(RED), clock))
    assert isinstance(result, AnalysedFrame)
    assert result.faces is not None and result.faces[0] == pytest.approx((192, 144, 256, 192))
    assert {name for name, _ in engine.calls} == {"person", "face"}
    assert [o.label for o in result.observations] == ["person"]
    heads, _, clock2 = setup(Privacy={"BlurFaces": True})
    result = heads.analyse(frame(jpeg(RED), clock2))
    assert isinstance(result, AnalysedFrame) and result.faces is not None and len(result.faces) == 1


def test_undecodable_bytes_raise() -> None:
    analyser, _, clock = setup()
    with pytest.raises(FrameDecodeError, match="cam"):
        analyser.analyse(frame(b"not a jpeg", clock))


def test_a_person_whose_face_the_model_missed_still_gets_the_head_blurred() -> None:
    person = Observation("person", "person", 0.9, (100.0, 100.0, 200.0, 400.0))
    head = (100.0, 100.0, 200.0, 100.0 + 300 * 0.22)
    assert uncovered_heads((person,), []) == [head]
    assert uncovered_heads((person,), [(130.0, 110.0, 170.0, 150.0)]) == []
    assert uncovered_heads((person,), [(300.0, 110.0, 340.0, 150.0)]) == [head]  # someone else's face


def test_a_camera_kept_analysing_passes_the_motion_gate_when_still() -> None:
    camera, engine, clock = setup(HeartbeatS=10)
    assert isinstance(camera.analyse(frame(jpeg(GREY), clock)), AnalysedFrame)
    assert camera.analyse(frame(jpeg(GREY), clock)) is DropReason.NO_MOTION
    camera.state.keep_analysing = True  # a track is alive, or a rule collects evidence
    assert isinstance(camera.analyse(frame(jpeg(GREY), clock)), AnalysedFrame)
    camera.state.keep_analysing = False
    assert camera.analyse(frame(jpeg(GREY), clock)) is DropReason.NO_MOTION
    assert len(engine.calls) == 2
