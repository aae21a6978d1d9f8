"""Decoders on hand-made output arrays (no OpenVINO)."""

from pathlib import Path
from typing import Any

import numpy as np
import openvino as ov
import openvino.opset13 as ops
import pytest

from service.vision.decoders import DecoderInput, FoldingDecoder, OutputInfo, create_decoder
from service.vision.decoders.blazeface import make_anchors
from service.vision.detection import Detections
from service.vision.errors import UnknownDecoderError, UnsupportedModelOutput
from service.vision.specs import ModelSpec


def given(
    decoder: str, shapes: list[tuple[int, ...]], names: list[str] | None = None, **fields: Any
) -> DecoderInput:
    spec = ModelSpec.model_validate({"File": "m.onnx", "Decoder": decoder, **fields})
    labels = names or [f"out{i}" for i in range(len(shapes))]
    outputs = tuple(OutputInfo(frozenset({n}), s) for n, s in zip(labels, shapes, strict=True))
    return DecoderInput(spec, outputs, Path("/models/m.onnx"))


def test_ssd() -> None:
    names = ["detection_boxes:0", "detection_scores:0", "detection_classes:0", "num_detections:0"]
    decoder = create_decoder("ssd", given("ssd", [(1, 3, 4), (1, 3), (1, 3), (1,)], names))
    boxes = np.array([[[0.1, 0.2, 0.5, 0.6], [0, 0, 1, 1], [0, 0, 0.5, 0.5]]], np.float32)
    scores = np.array([[0.9, 0.3, 0.8]], np.float32)
    classes = np.array([[1, 1, 2]], np.float32)
    found = decoder.decode([boxes, scores, classes, np.array([2], np.float32)], (100, 200))
    assert len(found) == 1
    assert found.boxes[0].tolist() == pytest.approx([20, 20, 60, 100])  # x from width 100, y from 200
    assert found.class_ids.tolist() == [0]


def test_blazeface_anchors() -> None:
    anchors = make_anchors(128, (8, 16, 16, 16), 2)
    assert anchors.shape == (896, 2)
    assert anchors[0].tolist() == pytest.approx([0.5 / 16, 0.5 / 16])
    assert anchors[512].tolist() == pytest.approx([0.5 / 8, 0.5 / 8])
    assert make_anchors(192, (4,), 1).shape == (2304, 2)


def run_blazeface(regressors: np.ndarray, logits: np.ndarray, folded: bool, **fields: Any) -> Detections:
    """Decode on the host, or fold the decoding onto a stand-in model (outputs = inputs) and run it."""
    decoder = create_decoder("blazeface", given("blazeface", [(1, 896, 16), (1, 896, 1)], **fields))
    assert isinstance(decoder, FoldingDecoder)
    if not folded:
        return decoder.decode([regressors, logits], (128, 128))
    inputs = [ops.parameter([1, 896, 16], np.float32), ops.parameter([1, 896, 1], np.float32)]
    stand_in = ov.Model([ops.result(ops.multiply(p, np.float32(1))) for p in inputs], inputs)
    compiled = ov.Core().compile_model(decoder.fold(stand_in), "CPU")
    rows = compiled({0: regressors, 1: logits})[0]
    return decoder.decode([rows], (128, 128))


@pytest.mark.parametrize("folded", [False, True])
def test_blazeface_decodes_one_face(folded: bool) -> None:
    regressors = np.zeros((1, 896, 16), np.float32)
    logits = np.full((1, 896, 1), -10, np.float32)
    anchor = 512 + 6 * (3 * 8 + 4)  # 8x8 grid, cell (row 3, col 4): centre (4.5/8, 3.5/8)
    regressors[0, anchor, :4] = [0, 0, 32, 16]
    regressors[0, anchor + 1, :4] = [1, 0, 32, 16]  # a near twin, removed by NMS
    logits[0, anchor, 0] = 3
    logits[0, anchor + 1, 0] = 2
    found = run_blazeface(regressors, logits, folded, NmsIou=0.3)
    assert len(found) == 1
    assert found.scores[0] == pytest.approx(1 / (1 + np.exp(-3)))
    assert found.boxes[0].tolist() == pytest.approx([72 - 16, 56 - 8, 72 + 16, 56 + 8])
    assert found.keypoints[0, 0].tolist() == pytest.approx([72, 56])
    assert len(run_blazeface(regressors, logits, folded, ScoreThreshold=0.99)) == 0


def test_folded_blazeface_keeps_the_items_of_a_flattened_batch_apart() -> None:
    """A batch of 2 comes out of the converted TFLite graph as [1,2*896,16] rows, head by head
    (512 rows of head 0 for item 0, then for item 1, then 384 rows of head 1 for each); the folded
    decoder gives [2,K,17], and each item decodes only its own face."""
    base = given("blazeface", [(1, 896, 16), (1, 896, 1)])
    batched = DecoderInput(
        base.spec,
        (OutputInfo(frozenset({"r"}), (1, 1792, 16)), OutputInfo(frozenset({"c"}), (1, 1792, 1))),
        base.path,
        batch=2,
    )
    decoder = create_decoder("blazeface", batched)
    assert isinstance(decoder, FoldingDecoder)
    inputs = [ops.parameter([1, 1792, 16], np.float32), ops.parameter([1, 1792, 1], np.float32)]
    stand_in = ov.Model([ops.result(ops.multiply(p, np.float32(1))) for p in inputs], inputs)
    compiled = ov.Core().compile_model(decoder.fold(stand_in), "CPU")
    regressors = np.zeros((1, 1792, 16), np.float32)
    logits = np.full((1, 1792, 1), -10, np.float32)
    first, second = 512 + 6 * (3 * 8 + 4), 5  # an 8x8-grid anchor in item 0, a 16x16 one in item 1
    first_row = 2 * 512 + (first - 512)  # head 1, item 0
    second_row = 512 + second  # head 0, item 1
    regressors[0, first_row, :4] = [0, 0, 32, 16]
    logits[0, first_row, 0] = 3
    regressors[0, second_row, :4] = [0, 0, 10, 10]
    logits[0, second_row, 0] = 2
    rows = compiled({0: regressors, 1: logits})[0]
    assert rows.shape[0] == 2
    one, two = (decoder.decode([rows[i : i + 1]], (128, 128)) for i in range(2))
    assert len(one) == 1 and len(two) == 1
    assert one.boxes[0].tolist() == pytest.approx([72 - 16, 56 - 8, 72 + 16, 56 + 8])
    centre = (second // 2 + 0.5) * 8  # anchors 4 and 5 share cell (0, 2) of the 16x16 grid
    assert two.boxes[0].tolist() == pytest.approx([centre - 5, 4 - 5, centre + 5, 4 + 5])
    assert two.scores[0] == pytest.approx(1 / (1 + np.exp(-2)))


def test_centerface_decodes_one_face() -> None:
    decoder = create_decoder(
        "centerface", given("centerface", [(1, 1, 8, 8), (1, 2, 8, 8), (1, 2, 8, 8), (1, 10, 8, 8)])
    )
    heat = np.zeros((1, 1, 8, 8), np.float32)
    heat[0, 0, 2, 3] = 0.9
    scale = np.zeros((1, 2, 8, 8), np.float32)
    scale[0, :, 2, 3] = np.log(4.0)  # 4*4 = 16 px high and wide
    found = decoder.decode(
        [heat, scale, np.zeros((1, 2, 8, 8), np.float32), np.zeros((1, 10, 8, 8), np.float32)], (32, 32)
    )
    assert len(found) == 1
    assert found.boxes[0].tolist() == pytest.approx([14 - 8, 10 - 8, 14 + 8, 10 + 8])
    assert found.keypoints.shape == (1, 5, 2)


def test_face_mesh_is_per_item() -> None:
    decoder = create_decoder("face-mesh", given("face-mesh", [(2, 1, 1, 1404), (2, 1, 1, 1)]))
    found = decoder.decode(
        [np.ones((2, 1, 1, 1404), np.float32), np.array([-5, 5], np.float32).reshape(2, 1, 1, 1)], (192, 192)
    )
    assert len(found) == 2
    assert found.scores[0] < 0.01 < 0.99 < found.scores[1]
    assert found.keypoints.shape == (2, 468, 2)


@pytest.mark.parametrize(
    ("values", "best", "score"),
    [([[0.1, 0.7, 0.2]], 1, 0.7), ([[0.0, 0.0, np.log(2.0)]], 2, 0.5)],
)
def test_classifier(values: list[list[float]], best: int, score: float) -> None:
    decoder = create_decoder("classifier", given("classifier", [(1, 3)]))
    found = decoder.decode([np.array(values, np.float32)], (10, 20))
    assert found.class_ids.tolist() == [best]
    assert found.scores[0] == pytest.approx(score)
    assert found.boxes.tolist() == [[0, 0, 10, 20]]


def test_yolo_v8_and_v5_rows() -> None:
    v8 = create_decoder("yolo", given("yolo", [(1, 6, 3)], Labels=("a", "b")))
    rows = np.array([[10, 20, 4, 6, 0.1, 0.9], [0, 0, 1, 1, 0.2, 0.1], [11, 20, 4, 6, 0.1, 0.8]], np.float32)
    found = v8.decode([rows.T[None]], (64, 64))
    assert len(found) == 1
    assert found.boxes[0].tolist() == pytest.approx([8, 17, 12, 23])  # the 0.8 twin is suppressed
    assert found.class_ids.tolist() == [1]
    v5 = create_decoder("yolo", given("yolo", [(1, 2, 7)], Labels=("a", "b")))
    rows5 = np.array([[10, 20, 4, 6, 0.5, 0.9, 0.1], [30, 30, 2, 2, 0.9, 0.1, 0.9]], np.float32)
    found5 = v5.decode([rows5[None]], (64, 64))
    assert found5.scores.tolist() == pytest.approx([0.81])
    assert found5.class_ids.tolist() == [1]


def test_detection_output_stops_at_negative_image_id() -> None:
    decoder = create_decoder("detection-output", given("detection-output", [(1, 1, 3, 7)]))
    rows = np.array(
        [[[[0, 1, 0.9, 0.1, 0.1, 0.5, 0.5], [-1, 0, 0, 0, 0, 0, 0], [0, 1, 0.99, 0, 0, 1, 1]]]], np.float32
    )
    found = decoder.decode([rows], (100, 50))
    assert len(found) == 1
    assert found.boxes[0].tolist() == pytest.approx([10, 5, 50, 25])
    assert found.class_ids.tolist() == [1]


@pytest.mark.parametrize(
    ("decoder", "shapes"),
    [
        ("ssd", [(1, 100, 4)]),
        ("blazeface", [(1, 100, 16), (1, 100, 1)]),
        ("centerface", [(1, 1, 8, 8)]),
        ("face-mesh", [(1, 10)]),
        ("yolo", [(1, 3, 4)]),
        ("yolo", [(1, 6, 3), (1, 6, 3)]),
        ("detection-output", [(1, 1, 10, 5)]),
    ],
)
def test_unsupported_outputs_name_the_file(decoder: str, shapes: list[tuple[int, ...]]) -> None:
    with pytest.raises(UnsupportedModelOutput, match=r"/models/m\.onnx") as info:
        create_decoder(decoder, given(decoder, shapes))
    assert decoder in str(info.value)


def test_unknown_decoder_error() -> None:
    with pytest.raises(UnknownDecoderError, match="valid decoders: blazeface, centerface"):
        create_decoder("nope", given("ssd", []))
