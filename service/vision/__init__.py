"""Vision engine: OpenVINO models on images, knowing nothing of EdgeX.

Only light names are re-exported here so that importing the config models stays cheap; the
engine (which imports OpenVINO) is `service.vision.engine.Engine`.
"""

from service.vision.detection import Detection, Detections
from service.vision.errors import (
    EngineClosedError,
    ImageDecodeError,
    ModelConfigError,
    ModelFetchError,
    ModelLoadError,
    UnknownDecoderError,
    UnsupportedModelOutput,
    VisionError,
)
from service.vision.specs import EngineSettings, ModelSpec, SecondStageSpec, bundled_models

__all__ = [
    "Detection",
    "Detections",
    "EngineClosedError",
    "EngineSettings",
    "ImageDecodeError",
    "ModelConfigError",
    "ModelFetchError",
    "ModelLoadError",
    "ModelSpec",
    "SecondStageSpec",
    "UnknownDecoderError",
    "UnsupportedModelOutput",
    "VisionError",
    "bundled_models",
]
