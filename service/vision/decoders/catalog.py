"""The decoder catalog: one literal dict, name -> factory. Adding a decoder is one file plus one line."""

from __future__ import annotations

from service.vision.decoders.base import Decoder, DecoderFactory, DecoderInput
from service.vision.decoders.blazeface import BlazeFaceDecoder
from service.vision.decoders.centerface import CenterFaceDecoder
from service.vision.decoders.classifier import ClassifierDecoder
from service.vision.decoders.detection_output import DetectionOutputDecoder
from service.vision.decoders.face_mesh import FaceMeshDecoder
from service.vision.decoders.ssd import SsdDecoder
from service.vision.decoders.yolo import YoloDecoder
from service.vision.errors import UnknownDecoderError

DECODERS: dict[str, DecoderFactory] = {
    "blazeface": BlazeFaceDecoder,
    "centerface": CenterFaceDecoder,
    "classifier": ClassifierDecoder,
    "detection-output": DetectionOutputDecoder,
    "face-mesh": FaceMeshDecoder,
    "ssd": SsdDecoder,
    "yolo": YoloDecoder,
}

# Decoders that give exactly one row per batch item, so they can score second-stage crops.
PER_ITEM_DECODERS: frozenset[str] = frozenset({"classifier", "face-mesh"})


def create_decoder(name: str, given: DecoderInput) -> Decoder:
    """Build the named decoder for a loaded model; raises UnknownDecoderError or UnsupportedModelOutput."""
    factory = DECODERS.get(name)
    if factory is None:
        raise UnknownDecoderError(name, DECODERS)
    return factory(given)
