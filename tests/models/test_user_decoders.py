"""User-format decoders through the whole engine, on tiny ONNX models built here with `onnx`.

No YOLO or Open Model Zoo weights install from PyPI, so each model's head is a constant that the
test controls; the engine still reads the ONNX, embeds preprocessing, compiles, infers, decodes
and maps boxes back through the letterbox or stretch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from service.vision.detection import Detection
from service.vision.engine import Engine
from service.vision.errors import ModelLoadError, UnsupportedModelOutput
from service.vision.specs import EngineSettings, ModelSpec

OnnxBuilder = Callable[[str, np.ndarray, tuple[int, ...]], Path]
SOURCE = np.full((64, 128, 3), 90, np.uint8)  # 128 wide, 64 high: letterboxed to 64x64, pad_y 16


def run(path: Path, **fields: object) -> list[Detection]:
    spec = ModelSpec.model_validate({"File": str(path), **fields})
    with Engine({"user": spec}, EngineSettings(CacheDir=None)) as engine:
        found = engine.infer("user", SOURCE)
        assert engine.submit("user", SOURCE).result(timeout=30) == found
        return found


def test_yolov8_head(constant_head_onnx: OnnxBuilder) -> None:
    rows = np.array(
        [
            [32, 32, 16, 8, 0.05, 0.90],  # class 1 at input box (24,28,40,36)
            [33, 32, 16, 8, 0.05, 0.80],  # overlapping twin, suppressed by NMS
            [10, 20, 4, 4, 0.70, 0.10],  # class 0
            [50, 50, 4, 4, 0.20, 0.10],  # below threshold
        ],
        np.float32,
    )
    path = constant_head_onnx("yolov8", rows.T[None], (1, 3, 64, 64))
    found = run(path, Decoder="yolo", Labels=("cat", "dog"))
    assert [d.label for d in found] == ["dog", "cat"]
    assert found[0].score == pytest.approx(0.9)
    assert found[0].box == pytest.approx((48, 24, 80, 40))  # (24,28,40,36) -> source, pad_y 16, scale 0.5
    assert found[1].box == pytest.approx((16, 4, 24, 12))


def test_yolov5_head_multiplies_objectness(constant_head_onnx: OnnxBuilder) -> None:
    rows = np.array([[32, 32, 16, 8, 0.5, 0.2, 0.9], [10, 20, 4, 4, 0.3, 0.9, 0.1]], np.float32)
    path = constant_head_onnx("yolov5", rows[None], (1, 3, 64, 64))
    found = run(path, Decoder="yolo", Labels=("cat", "dog"), ScoreThreshold=0.4)
    assert [(d.label, round(d.score, 3)) for d in found] == [("dog", 0.45)]
    assert found[0].box == pytest.approx((48, 24, 80, 40))


def test_detection_output_head_with_stretch(constant_head_onnx: OnnxBuilder) -> None:
    rows = np.array(
        [
            [0, 1, 0.95, 0.25, 0.25, 0.75, 0.75],
            [0, 2, 0.3, 0, 0, 1, 1],
            [-1, 0, 0, 0, 0, 0, 0],
            [0, 1, 0.99, 0, 0, 1, 1],
        ],
        np.float32,
    )
    path = constant_head_onnx("ssd_omz", rows[None, None], (1, 3, 64, 64))
    found = run(path, Decoder="detection-output", Labels=("background", "person", "car"), Resize="stretch")
    assert [(d.label, round(d.score, 2)) for d in found] == [("person", 0.95)]
    assert found[0].box == pytest.approx((32, 16, 96, 48))  # stretch: x / 0.5, y / 1


def test_classifier_head(constant_head_onnx: OnnxBuilder) -> None:
    path = constant_head_onnx("cls", np.array([[1.0, 3.0, 0.5]], np.float32), (1, 3, 32, 32))
    [result] = run(path, Decoder="classifier", Task="classify", Labels=("a", "b", "c"), ScoreThreshold=0.5)
    assert result.label == "b"
    assert result.box == pytest.approx((0, 0, 128, 64))


def test_wrong_decoder_for_outputs(constant_head_onnx: OnnxBuilder) -> None:
    path = constant_head_onnx("yolo_as_omz", np.zeros((1, 6, 10), np.float32), (1, 3, 64, 64))
    with pytest.raises(UnsupportedModelOutput, match=r"yolo_as_omz\.onnx") as info:
        run(path, Decoder="detection-output")
    assert "[1,1,N,7]" in str(info.value)


def test_batch_needs_outputs_with_the_batch_first(constant_head_onnx: OnnxBuilder) -> None:
    """A DetectionOutput head lists every item's boxes in one [1,1,N,7]: Batch is refused, by file."""
    rows = np.array([[0, 1, 0.95, 0.25, 0.25, 0.75, 0.75]], np.float32)
    path = constant_head_onnx("ssd_omz", rows[None, None], (1, 3, 64, 64))
    spec = ModelSpec.model_validate({"File": str(path), "Decoder": "detection-output", "Batch": 2})
    settings = EngineSettings(PerformanceHint="THROUGHPUT", CacheDir=None)
    with (
        Engine({"user": spec}, settings) as engine,
        pytest.raises(ModelLoadError, match="batch first") as caught,
    ):
        engine.load("user")
    assert "ssd_omz.onnx" in str(caught.value)
    latency = EngineSettings(PerformanceHint="LATENCY", CacheDir=None)
    with Engine({"user": spec}, latency) as engine:  # Batch applies to THROUGHPUT only
        assert [d.score for d in engine.infer("user", SOURCE)] == [pytest.approx(0.95)]
