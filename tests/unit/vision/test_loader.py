from pathlib import Path

import openvino as ov
import pytest

from service.vision.errors import ModelLoadError
from service.vision.loader import read_model, resolve_device


@pytest.mark.parametrize(
    ("device", "available", "expected"),
    [
        ("CPU", ["CPU"], "CPU"),
        ("GPU", ["CPU"], None),
        ("GPU", ["CPU", "GPU.0", "GPU.1"], "GPU"),
        ("GPU.1", ["CPU", "GPU.0", "GPU.1"], "GPU.1"),
        ("NPU", ["CPU"], None),
        ("AUTO", ["CPU"], "AUTO"),
        ("AUTO:GPU,CPU", ["CPU"], "AUTO:CPU"),
        ("AUTO:GPU", ["CPU"], None),
        ("MULTI", ["CPU", "GPU.0"], "MULTI:CPU,GPU.0"),
        ("MULTI:GPU,NPU", ["CPU"], None),
    ],
)
def test_resolve_device(device: str, available: list[str], expected: str | None) -> None:
    assert resolve_device(device, available) == expected


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("model.xml", None, "file not found"),
        ("model.onnx", b"", "file is empty"),
        ("model.h5", b"xx", "unsupported format '.h5'"),
        ("model.xml", b"<net/>", "weights file model.bin not found"),
        ("model.onnx", b"\x08\x07garbage" * 10, "not a readable ONNX model"),
    ],
)
def test_read_model_errors_name_the_file(
    tmp_path: Path, name: str, content: bytes | None, reason: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelLoadError, match=reason) as info:
        read_model(ov.Core(), path)
    assert info.value.path == path
    assert str(path) in str(info.value)
