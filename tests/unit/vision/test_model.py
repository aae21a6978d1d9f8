"""VisionModel with a fake compiler and fake runners: what a call does after the runner decoded.

The runners are fakes (no OpenVINO): the first stage returns canned detections in source pixels
and the second stage canned crop scores, so the rules are checked exactly: second-stage filtering
at MinScore, the threshold of per-item decoders, labels, the Resize=native runner cache and close.
tests/models/test_model.py runs the same wrapper on the real bundled models.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from service.vision.detection import Detections
from service.vision.errors import EngineClosedError, ImageDecodeError, ModelConfigError
from service.vision.model import VisionModel
from service.vision.specs import EngineSettings, ModelSpec, SecondStageSpec

FRAME = np.zeros((120, 160, 3), np.uint8)
FIRST = Detections.build(
    np.array([[10, 10, 50, 50], [60, 10, 100, 50], [10, 60, 50, 100]]), np.array([0.9, 0.8, 0.7])
)


@dataclass
class FakeRunner:
    """A compiled model stand-in: canned detections, canned crop scores, records what it saw."""

    input_size: tuple[int, int]
    found: Detections = field(default_factory=Detections.empty)
    crop_scores: tuple[float, ...] = ()
    fail_with: Exception | None = None
    crops: list[tuple[int, ...]] = field(default_factory=list)
    closed: bool = False
    requests_by_batch: dict[int, int] = field(default_factory=dict)

    def infer(self, image: np.ndarray) -> Detections:
        return self.found

    def submit(self, image: np.ndarray, done: Callable[[Detections | BaseException], None]) -> None:
        done(self.fail_with if self.fail_with is not None else self.found)

    def infer_batch(self, batch: np.ndarray) -> Detections:
        self.crops.append(batch.shape)
        if self.fail_with is not None:
            raise self.fail_with
        scores = np.array(self.crop_scores[: len(batch)], np.float32)
        return Detections.build(np.zeros((len(batch), 4)), scores)

    def wait_all(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeCompiler:
    """Builds FakeRunners: `first` for the model at its declared size, `second` for dynamic batch."""

    first: FakeRunner
    second: FakeRunner | None = None
    settings: EngineSettings = field(default_factory=lambda: EngineSettings(CacheDir=None))
    built: list[tuple[str, tuple[int, int] | None]] = field(default_factory=list)
    native: dict[tuple[int, int], FakeRunner] = field(default_factory=dict)

    def build(
        self, name: str, spec: ModelSpec, size: tuple[int, int] | None, dynamic_batch: bool = False
    ) -> tuple[Any, str]:
        self.built.append((name, size))
        if dynamic_batch:
            assert self.second is not None
            return self.second, "CPU"
        if not self.built[:-1]:  # the first build: the declared size
            return self.first, "CPU"
        assert size is not None
        runner = self.native[size] = FakeRunner(size, self.first.found)
        return runner, "CPU"


def detector(**fields: Any) -> ModelSpec:
    return ModelSpec.model_validate({"File": "m.xml", "Decoder": "ssd", "Labels": ["face"], **fields})


def with_second_stage(min_score: float, crop_scores: tuple[float, ...]) -> tuple[VisionModel, FakeCompiler]:
    spec = detector(SecondStage=SecondStageSpec(Model="mesh", MinScore=min_score))
    mesh = ModelSpec(File="mesh.xml", Decoder="face-mesh", Resize="stretch")
    compiler = FakeCompiler(FakeRunner((128, 128), FIRST), FakeRunner((192, 192), crop_scores=crop_scores))
    return VisionModel("face", spec, compiler, mesh), compiler  # type: ignore[arg-type]


def called_back(model: VisionModel, image: np.ndarray = FRAME) -> tuple[object, str]:
    """What submit's callback received, and the name of the thread it ran on."""
    got: list[tuple[object, str]] = []
    done = threading.Event()

    def record(result: object) -> None:
        got.append((result, threading.current_thread().name))
        done.set()

    model.submit(image, record)
    assert done.wait(10)
    return got[0]


@pytest.mark.parametrize(
    ("min_score", "crop_scores", "kept"),
    [
        (0.5, (0.9, 0.5, 0.49), [0, 1]),  # MinScore itself is kept
        (0.95, (0.9, 0.5, 0.49), []),
        (0.0, (0.0, 0.0, 0.0), [0, 1, 2]),
        (0.6, (0.1, 0.2, 0.7), [2]),
    ],
)
def test_second_stage_keeps_crops_scoring_min_score(
    min_score: float, crop_scores: tuple[float, ...], kept: list[int]
) -> None:
    model, compiler = with_second_stage(min_score, crop_scores)
    found = model.infer(FRAME)
    assert compiler.second is not None and compiler.second.crops == [(3, 192, 192, 3)]  # one batch
    assert found.boxes.tolist() == FIRST.boxes[kept].tolist()
    assert found.scores.tolist() == FIRST.scores[kept].tolist()  # first-stage scores stay
    assert [d.label for d in found] == ["face"] * len(kept)


def test_second_stage_is_skipped_without_detections() -> None:
    model, compiler = with_second_stage(0.5, ())
    compiler.first.found = Detections.empty()
    assert model.infer(FRAME) == []
    assert compiler.second is not None and compiler.second.crops == []


def test_second_stage_runs_off_the_runner_thread_and_matches_infer() -> None:
    model, _ = with_second_stage(0.5, (0.9, 0.5, 0.49))
    result, thread = called_back(model)
    assert thread.startswith("vision-second-stage")
    assert result == model.infer(FRAME)
    model.close()


def test_second_stage_error_reaches_the_callback() -> None:
    model, compiler = with_second_stage(0.5, (0.9, 0.5, 0.49))
    assert compiler.second is not None
    compiler.second.fail_with = ValueError("crop model broke")
    result, _ = called_back(model)
    assert isinstance(result, ValueError) and "crop model broke" in str(result)
    with pytest.raises(ValueError, match="crop model broke"):
        model.infer(FRAME)
    model.close()


def test_first_stage_error_reaches_the_callback_as_is() -> None:
    error = RuntimeError("request failed")
    model = VisionModel("m", detector(), FakeCompiler(FakeRunner((64, 64), fail_with=error)))  # type: ignore[arg-type]
    assert called_back(model) == (error, threading.current_thread().name)


def test_second_stage_needs_its_spec() -> None:
    spec = detector(SecondStage=SecondStageSpec(Model="mesh"))
    with pytest.raises(ModelConfigError, match="second stage 'mesh' has no spec"):
        VisionModel("face", spec, FakeCompiler(FakeRunner((64, 64))))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("decoder", "threshold", "scores", "kept"),
    [
        ("classifier", 0.6, (0.59, 0.6, 0.9), [0.6, 0.9]),
        ("face-mesh", 0.0, (0.0, 0.3, 1.0), [0.0, 0.3, 1.0]),
        ("face-mesh", 1.0, (0.0, 0.3, 0.99), []),
        ("ssd", 0.6, (0.1, 0.2, 0.9), [0.1, 0.2, 0.9]),  # not per-item: the decoder thresholds
    ],
)
def test_threshold_applies_to_per_item_decoders(
    decoder: str, threshold: float, scores: tuple[float, ...], kept: list[float]
) -> None:
    spec = detector(Decoder=decoder, ScoreThreshold=threshold, Labels=["a", "b"])
    rows = Detections.build(np.zeros((3, 4)), np.array(scores), np.array([1, 0, 1]))
    model = VisionModel("m", spec, FakeCompiler(FakeRunner((64, 64), rows)))  # type: ignore[arg-type]
    assert model.infer(FRAME).scores.tolist() == pytest.approx(kept)
    result, _ = called_back(model)
    assert result == model.infer(FRAME)


def test_results_carry_the_model_labels() -> None:
    rows = Detections.build(np.zeros((3, 4)), np.array([0.9, 0.8, 0.7]), np.array([1, 0, 7]))
    spec = detector(Labels=["cat", "dog"])
    model = VisionModel("m", spec, FakeCompiler(FakeRunner((64, 64), rows)))  # type: ignore[arg-type]
    found = model.infer(FRAME)
    assert found.labels == ("cat", "dog")
    assert [d.label for d in found] == ["dog", "cat", "7"]


def test_sizes_and_device() -> None:
    model = VisionModel("m", detector(), FakeCompiler(FakeRunner((300, 300))))  # type: ignore[arg-type]
    assert model.input_size == (300, 300) and model.device == "CPU"
    native = VisionModel(  # type: ignore[arg-type]
        "n", detector(Resize="native", InputSize=[640, 640]), FakeCompiler(FakeRunner((640, 640)))
    )
    assert native.input_size == (640, 640)


@pytest.mark.parametrize("array", [np.zeros((8, 8, 2), np.uint8), np.zeros((8, 8, 3), np.float32)])
def test_non_images_are_refused(array: np.ndarray) -> None:
    model = VisionModel("m", detector(), FakeCompiler(FakeRunner((64, 64))))  # type: ignore[arg-type]
    with pytest.raises(ImageDecodeError, match="array input"):
        model.infer(array)
    with pytest.raises(ImageDecodeError, match="array input"):
        model.submit(array, print)


def native_model(shapes_max: int) -> tuple[VisionModel, FakeCompiler]:
    spec = detector(Decoder="centerface", Resize="native", InputSize=[640, 640])
    settings = EngineSettings(CacheDir=None, NativeShapesMax=shapes_max)
    compiler = FakeCompiler(FakeRunner((640, 640), FIRST), settings=settings)
    return VisionModel("c", spec, compiler), compiler  # type: ignore[arg-type]


def frame(width: int, height: int) -> np.ndarray:
    return np.zeros((height, width, 3), np.uint8)


def test_native_sizes_get_their_own_runner_and_the_oldest_is_evicted() -> None:
    model, compiler = native_model(shapes_max=2)
    model.infer(frame(640, 640))  # the compiled size: no new runner
    model.infer(frame(320, 240))
    model.infer(frame(320, 240))  # cached
    model.infer(frame(1280, 720))  # shrunk to the bound: 640x360 -> 640x384
    assert [size for _, size in compiler.built] == [(640, 640), (320, 256), (640, 384)]
    model.infer(frame(320, 256))  # now the most recent of the two
    model.infer(frame(100, 100))  # a third size evicts 640x384
    assert compiler.native[(640, 384)].closed
    assert not compiler.native[(320, 256)].closed and not compiler.native[(128, 128)].closed
    assert compiler.first.closed is False


def test_close_closes_every_runner_and_refuses_new_sizes() -> None:
    model, compiler = native_model(shapes_max=4)
    model.infer(frame(320, 240))
    model.close()
    assert compiler.first.closed and compiler.native[(320, 256)].closed
    with pytest.raises(EngineClosedError):
        model.infer(frame(200, 200))


def test_close_closes_the_second_stage_and_late_frames_get_an_error() -> None:
    model, compiler = with_second_stage(0.5, (0.9, 0.5, 0.49))
    model.close()
    assert compiler.first.closed and compiler.second is not None and compiler.second.closed
    result, _ = called_back(model)  # a frame that slipped in while close() ran
    assert isinstance(result, EngineClosedError)
