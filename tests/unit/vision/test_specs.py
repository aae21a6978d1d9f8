from pathlib import Path

import pytest
from pydantic import ValidationError

from service.vision.decoders import DECODERS
from service.vision.specs import DECODER_NAMES, EngineSettings, ModelSpec, bundled_models


def test_decoder_names_match_catalog() -> None:
    assert set(DECODER_NAMES) == set(DECODERS)


def test_bundled_models() -> None:
    models = bundled_models()
    assert set(models) == {"person", "face", "face-centerface", "face-landmark"}
    face_stage = models["face"].SecondStage
    assert face_stage is not None and face_stage.Model == "face-landmark"
    assert models["face-centerface"].Resize == "native"
    assert all(spec.Decoder in DECODER_NAMES for spec in models.values())


def test_unknown_decoder_lists_valid_names() -> None:
    with pytest.raises(ValidationError) as info:
        ModelSpec(File="m.onnx", Decoder="yolov99")
    message = str(info.value)
    assert "unknown decoder 'yolov99'" in message
    for name in DECODER_NAMES:
        assert name in message


@pytest.mark.parametrize(
    ("device", "ok"),
    [
        ("CPU", True),
        ("GPU", True),
        ("GPU.1", True),
        ("NPU", True),
        ("AUTO", True),
        ("AUTO:GPU,CPU", True),
        ("MULTI:CPU,GPU", True),
        ("TPU", False),
        ("CPU:GPU", False),
        ("MULTI:CPU,FPGA", False),
    ],
)
def test_device_validation(device: str, ok: bool) -> None:
    if ok:
        assert EngineSettings(Device=device).Device == device
        assert ModelSpec(File="m.xml", Decoder="ssd", Device=device).Device == device
    else:
        with pytest.raises(ValidationError, match="device"):
            EngineSettings(Device=device)


@pytest.mark.parametrize(
    "fields",
    [
        {"File": "m.xml", "Decoder": "ssd", "Extra": 1},
        {"File": "m.xml", "Decoder": "ssd", "ScoreThreshold": 1.5},
        {"File": "m.xml", "Decoder": "ssd", "InputSize": [0, 10]},
        {"File": "m.xml", "Decoder": "centerface", "Resize": "native"},
        {"File": "m.xml", "Decoder": "ssd", "Task": "segment"},
    ],
)
def test_spec_rejects(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ModelSpec.model_validate(fields)


def test_settings_defaults() -> None:
    settings = EngineSettings()
    assert settings.Device == "CPU"
    assert settings.PerformanceHint == "LATENCY"
    assert settings.ModelsDir == Path(".cache/models")
    with pytest.raises(ValidationError):
        EngineSettings.model_validate({"PerformanceHint": "FAST"})


def test_batch_needs_a_fixed_input_size() -> None:
    with pytest.raises(ValidationError, match="Batch > 1 needs a fixed input size"):
        ModelSpec(File="m.xml", Decoder="centerface", InputSize=(640, 640), Resize="native", Batch=2)
    assert ModelSpec(File="m.xml", Decoder="centerface", InputSize=(640, 640), Resize="native").Batch == 1
