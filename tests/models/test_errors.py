"""Clear errors naming the file or input: missing, truncated or corrupt models, unknown decoders,
inputs that are not images."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from service.vision.cli import cmd_detect
from service.vision.engine import Engine
from service.vision.errors import (
    EngineClosedError,
    ImageDecodeError,
    ModelConfigError,
    ModelLoadError,
    UnknownDecoderError,
)
from service.vision.specs import EngineSettings, ModelSpec, bundled_models


def load(path: Path, decoder: str = "blazeface") -> None:
    spec = ModelSpec(File=str(path), Decoder=decoder)
    with Engine({"m": spec}, EngineSettings(CacheDir=None)) as engine:
        engine.infer("m", np.zeros((32, 32, 3), np.uint8))


def copy_ir(models_dir: Path, target: Path) -> Path:
    shutil.copy(models_dir / "blazeface-short-range.xml", target / "m.xml")
    shutil.copy(models_dir / "blazeface-short-range.bin", target / "m.bin")
    return target / "m.xml"


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="file not found") as info:
        load(tmp_path / "absent.xml")
    assert info.value.path == tmp_path / "absent.xml"


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("truncate-bin", "Incorrect weights in bin file"),
        ("truncate-xml", "not a readable OpenVINO IR model"),
        ("garbage-xml", "not a readable OpenVINO IR model"),
        ("delete-bin", "weights file m.bin not found"),
    ],
)
def test_damaged_ir(models_dir: Path, tmp_path: Path, damage: str, reason: str) -> None:
    xml = copy_ir(models_dir, tmp_path)
    bin_path = xml.with_suffix(".bin")
    if damage == "truncate-bin":
        bin_path.write_bytes(bin_path.read_bytes()[:1000])
    elif damage == "truncate-xml":
        xml.write_bytes(xml.read_bytes()[:5000])
    elif damage == "garbage-xml":
        xml.write_bytes(b"\x00\xff" * 500)
    else:
        bin_path.unlink()
    with pytest.raises(ModelLoadError, match=reason) as info:
        load(xml)
    assert str(xml) in str(info.value)


@pytest.mark.parametrize(
    ("source", "suffix", "kind"),
    [("centerface.onnx", ".onnx", "ONNX"), ("face_landmark.tflite", ".tflite", "TFLite")],
)
def test_truncated_source_formats(
    models_dir: Path, tmp_path: Path, source: str, suffix: str, kind: str
) -> None:
    path = tmp_path / f"cut{suffix}"
    path.write_bytes((models_dir / "src" / source).read_bytes()[:100_000])
    with pytest.raises(ModelLoadError, match=f"not a readable {kind} model") as info:
        load(path)
    assert str(path) in str(info.value)


def test_unknown_decoder_in_config_lists_valid_ones() -> None:
    with pytest.raises(
        ValidationError, match="unknown decoder 'yolox'; valid decoders: blazeface, centerface"
    ):
        ModelSpec(File="m.xml", Decoder="yolox")


def test_unknown_decoder_at_load(models_dir: Path) -> None:
    """A spec built without validation still cannot reach inference with a bad decoder."""
    valid = ModelSpec(File="blazeface-short-range.xml", Decoder="blazeface").model_dump()
    spec = ModelSpec.model_construct(**{**valid, "Decoder": "yolox"})
    with Engine({"m": spec}, EngineSettings(ModelsDir=models_dir, CacheDir=None)) as engine:
        with pytest.raises(UnknownDecoderError, match="unknown decoder 'yolox'; valid decoders"):
            engine.load("m")


def test_bad_second_stage_is_a_config_error() -> None:
    models = bundled_models()
    models.pop("face-landmark")
    with pytest.raises(ModelConfigError, match="second stage 'face-landmark' is not a declared model"):
        Engine(models, EngineSettings(CacheDir=None))
    models = bundled_models()
    models["face-landmark"] = models["person"]
    with pytest.raises(ModelConfigError, match="needs one of classifier, face-mesh"):
        Engine(models, EngineSettings(CacheDir=None))


@pytest.mark.parametrize(
    "array", [np.zeros((8, 8, 2), np.uint8), np.zeros((8, 8, 3), np.float32), np.zeros((0, 8), np.uint8)]
)
def test_engine_rejects_non_images(engine: Engine, array: np.ndarray) -> None:
    with pytest.raises(ImageDecodeError, match="array input"):
        engine.infer("face", array)
    with pytest.raises(ImageDecodeError):
        engine.submit("face", array)


def test_detect_cli_reports_unreadable_input(
    models_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], photos: dict[str, np.ndarray]
) -> None:
    import cv2

    good = tmp_path / "astronaut.png"
    cv2.imwrite(str(good), photos["astronaut"])
    text = tmp_path / "readme.jpg"
    text.write_text("this is not an image")
    status = cmd_detect(["--model", "person", "--models-dir", str(models_dir), str(good), str(text)])
    out, err = capsys.readouterr()
    assert status == 1
    [line] = out.splitlines()
    result = json.loads(line)
    assert result["image"] == str(good)
    assert [d["label"] for d in result["detections"]] == ["person"]
    assert len(result["detections"][0]["box"]) == 4
    assert f"cannot read image {text}" in err


def test_detect_cli_missing_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = cmd_detect(["--models-dir", str(tmp_path), str(tmp_path / "x.png")])
    assert status == 2
    assert "ssdlite-person.xml" in capsys.readouterr().err


def test_closed_engine_refuses_work(models_dir: Path, photos: dict[str, np.ndarray]) -> None:
    engine = Engine(bundled_models(), EngineSettings(ModelsDir=models_dir, CacheDir=None))
    future = engine.submit("face", photos["astronaut"])
    engine.close()
    assert len(future.result(timeout=30)) == 1  # in-flight work completes before close returns
    with pytest.raises(EngineClosedError):
        engine.infer("face", photos["astronaut"])


def test_unknown_model_name(engine: Engine) -> None:
    with pytest.raises(ModelConfigError, match="unknown model 'car'; declared: face, face-centerface"):
        engine.infer("car", np.zeros((8, 8, 3), np.uint8))
