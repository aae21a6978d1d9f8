"""VisionModel and its SecondStage on the real bundled models (face-landmark presence on crops)."""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import openvino as ov
import pytest

from service.vision.compiler import ModelCompiler
from service.vision.detection import Detections
from service.vision.engine import Engine
from service.vision.framing import square_crop
from service.vision.model import SecondStage, VisionModel
from service.vision.runner import Runner
from service.vision.specs import EngineSettings, SecondStageSpec, bundled_models

# astronaut | camera man | cat on one canvas, and a box on each face: the face-landmark model scores
# the astronaut's crop ~1.0, the camera man's ~0.77 and the cat's ~0.0001.
FACES = [(178, 82, 271, 174), (512 + 175, 119, 512 + 266, 210), (1024 + 100, 40, 1024 + 380, 280)]


@pytest.fixture(scope="module")
def canvas(photos: dict[str, np.ndarray]) -> np.ndarray:
    image = np.zeros((512, 1024 + 451, 3), np.uint8)
    image[:, :512] = photos["astronaut"]
    image[:, 512:1024] = photos["camera"][..., None]
    image[:300, 1024:] = photos["chelsea"]
    return image


@pytest.fixture(scope="module")
def compiler(models_dir: Path) -> ModelCompiler:
    return ModelCompiler(ov.Core(), EngineSettings(ModelsDir=models_dir, CacheDir=None))


@pytest.fixture(scope="module")
def landmark_runner(compiler: ModelCompiler) -> Iterator[Runner]:
    runner, _ = compiler.build("face-landmark", bundled_models()["face-landmark"], None, dynamic_batch=True)
    yield runner
    runner.close()


@pytest.mark.parametrize(
    ("min_score", "kept"), [(0.5, [0, 1]), (0.95, [0]), (0.001, [0, 1]), (0.0, [0, 1, 2])]
)
def test_second_stage_keeps_the_crops_scoring_min_score(
    canvas: np.ndarray, landmark_runner: Runner, min_score: float, kept: list[int]
) -> None:
    found = Detections.build(np.array(FACES), np.array([0.9, 0.8, 0.7]), None, np.ones((3, 6, 2)))
    stage = SecondStage(landmark_runner, SecondStageSpec(Model="face-landmark", MinScore=min_score))
    result = stage.keep(canvas, found)
    assert result.boxes.tolist() == found.boxes[kept].tolist()
    assert result.scores.tolist() == found.scores[kept].tolist()  # first-stage scores and keypoints stay
    assert result.keypoints.shape == (len(kept), 6, 2)


@pytest.mark.parametrize(("face", "rows"), [(0, 1), (1, 1), (2, 0)])
def test_per_item_decoder_applies_its_threshold(
    canvas: np.ndarray, compiler: ModelCompiler, face: int, rows: int
) -> None:
    """face-landmark with ScoreThreshold 0.5 (bundled: 0) as a model of its own, on one crop."""
    spec = bundled_models()["face-landmark"].model_copy(update={"ScoreThreshold": 0.5})
    model = VisionModel("face-landmark", spec, compiler)
    try:
        crop = square_crop(canvas, FACES[face], 1.5, model.input_size)
        found = model.infer(crop)
        assert len(found) == rows
        assert [d.label for d in found] == ["face"] * rows
    finally:
        model.close()


def test_wrapper_gives_what_the_engine_gives(
    engine: Engine, compiler: ModelCompiler, photos: dict[str, np.ndarray]
) -> None:
    """The face model with its second stage, built directly: the same detections as through the
    engine, sync and async, labelled with the model's labels."""
    models = bundled_models()
    model = VisionModel("face", models["face"], compiler, models["face-landmark"])
    try:
        for photo in ("astronaut", "camera", "chelsea", "pair"):
            found = model.infer(photos[photo])
            assert found == engine.infer("face", photos[photo])
            assert found.labels == ("face",)
            got: queue.Queue[object] = queue.Queue()
            model.submit(photos[photo], got.put)
            assert got.get(timeout=60) == found
    finally:
        model.close()


def test_close_leaves_the_last_reference_to_the_closing_thread(
    models_dir: Path, photos: dict[str, np.ndarray]
) -> None:
    """OpenVINO drops its copy of a request's completion callback on the stream thread a little
    after wait() has returned. After close() the runner (and with it the compiled model) must still
    be freed by the thread that closes: freed on that stream thread, it aborts the process ("Resource
    deadlock avoided") or hangs it."""
    settings = EngineSettings(PerformanceHint="THROUGHPUT", ModelsDir=models_dir, CacheDir=None)
    spec = bundled_models()["person"].model_copy(update={"SecondStage": None, "Batch": 2})
    freed_on: list[str] = []
    for _ in range(3):
        model = VisionModel("person", spec, ModelCompiler(ov.Core(), settings))
        weakref.finalize(model.runner, lambda: freed_on.append(threading.current_thread().name))
        got: queue.Queue[object] = queue.Queue()
        for _ in range(64):
            model.submit(photos["astronaut"], got.put)
        results = [got.get(timeout=60) for _ in range(64)]
        assert all(isinstance(result, Detections) for result in results)
        model.close()
        del model
    assert freed_on == [threading.current_thread().name] * 3
