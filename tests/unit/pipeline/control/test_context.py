"""ControlContext: what a frame's stages share; the annotated snapshot is encoded once, at full size."""

from __future__ import annotations

import cv2
import numpy as np

from service.pipeline.analysis.sighting import AnalysedFrame, FrameView, Sighting
from service.pipeline.control.context import ControlContext
from tests.unit.pipeline.support import RED, jpeg

PERSON = Sighting("person", "person", 0.9, (100.0, 100.0, 300.0, 400.0), (), 1, False, (0.9,))


def analysed(encoded: bytes, scale: float) -> AnalysedFrame:
    source = cv2.imdecode(np.frombuffer(encoded, np.uint8), cv2.IMREAD_COLOR)
    assert source is not None
    height, width = source.shape[:2]
    image = cv2.resize(source, (round(width / scale), round(height / scale)))
    return AnalysedFrame("cam", width, height, (), 0, 1.0, image=image, scale=scale, encoded=encoded)


def context(frame: AnalysedFrame) -> ControlContext:
    view = FrameView("cam", frame.width, frame.height, (PERSON,), 0, 1.0, 0.0)
    return ControlContext(1.0, "frame of cam", camera=None, frame=frame, view=view)


def size_of(data: bytes) -> tuple[int, int]:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image.shape[1], image.shape[0]


def test_a_reduced_decode_still_gives_a_full_size_snapshot_encoded_once() -> None:
    ctx = context(analysed(jpeg(RED, (640, 480)), 2.0))
    first = ctx.annotated_jpeg(80)
    assert first is not None and size_of(first) == (640, 480)
    assert ctx.annotated_jpeg(80) is first  # shared by the latest and the alert snapshot


def test_without_the_encoded_frame_the_decoded_image_is_used() -> None:
    frame = analysed(jpeg(RED, (640, 480)), 2.0)
    ctx = context(AnalysedFrame(**{**{f: getattr(frame, f) for f in frame.__slots__}, "encoded": b""}))
    snapshot = ctx.annotated_jpeg(80)
    assert snapshot is not None and size_of(snapshot) == (320, 240)


def test_no_frame_no_snapshot() -> None:
    assert ControlContext(1.0, "tick").annotated_jpeg(80) is None
