"""Model declarations (`AppCustom.Models`) and engine settings (`AppCustom.Engine`).

Pure data: validators never touch the disk; the engine checks files when it loads a model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from service.strict import StrictModel
from service.vision.errors import UnknownDecoderError

# The decoder catalog (service/vision/decoders/catalog.py) registers exactly these names; a unit
# test checks the two stay equal. Kept here so config validation does not import the decoders.
DECODER_NAMES: tuple[str, ...] = (
    "blazeface",
    "centerface",
    "classifier",
    "detection-output",
    "face-mesh",
    "ssd",
    "yolo",
)
DEVICE_NAMES: tuple[str, ...] = ("CPU", "GPU", "NPU", "AUTO", "MULTI")


def check_device(value: str) -> str:
    """Accept CPU, GPU[.n], NPU, AUTO[:list] or MULTI[:list]; reject anything else."""
    head, _, rest = value.partition(":")
    names = [head, *(rest.split(",") if rest else [])]
    for name in names:
        if name.split(".")[0] not in DEVICE_NAMES:
            raise ValueError(
                f"unknown device {name!r} in {value!r}; valid devices: {', '.join(DEVICE_NAMES)}"
            )
    if rest and head not in ("AUTO", "MULTI"):
        raise ValueError(f"only AUTO and MULTI take a device list, got {value!r}")
    return value


class SecondStageSpec(StrictModel):
    """A model run on square crops of this model's detections, batched per frame."""

    Model: str = Field(description="Name of the second-stage model in AppCustom.Models")
    MinScore: float = Field(
        default=0.5, ge=0, le=1, description="Keep a detection only if the crop scores >= this"
    )
    CropScale: float = Field(default=1.5, gt=0, le=4, description="Crop side = longest box side x this")


class ModelSpec(StrictModel):
    """One model, by file, task and decoder. Paths are relative to Engine.ModelsDir unless absolute."""

    File: str = Field(description="IR .xml, .onnx, .tflite or TF frozen .pb")
    Task: Literal["detect", "classify", "landmarks"] = Field(
        default="detect", description="What the model does"
    )
    Decoder: str = Field(description=f"Output decoder, one of: {', '.join(DECODER_NAMES)}")
    Labels: tuple[str, ...] = Field(default=(), description="Class names by class index")
    InputSize: tuple[int, int] | None = Field(
        default=None, description="[Width, Height] fed to the model; for Resize=native the upper bound"
    )
    Resize: Literal["letterbox", "stretch", "native"] = Field(
        default="letterbox",
        description="letterbox keeps the aspect ratio; native reshapes the model per frame size",
    )
    ColorOrder: Literal["RGB", "BGR"] = Field(default="RGB", description="Channel order the model expects")
    Mean: tuple[float, float, float] = Field(default=(0.0, 0.0, 0.0), description="Subtracted per channel")
    Scale: tuple[float, float, float] = Field(default=(1.0, 1.0, 1.0), description="Divisor per channel")
    ScoreThreshold: float = Field(default=0.5, ge=0, le=1, description="Minimum detection score")
    NmsIou: float = Field(default=0.45, ge=0, le=1, description="IoU above which NMS drops the weaker box")
    MaxDetections: int = Field(default=100, ge=1, le=10000, description="Detections kept per image")
    Device: str | None = Field(default=None, description="Overrides Engine.Device for this model")
    SecondStage: SecondStageSpec | None = Field(
        default=None, description="Optional model run on detection crops"
    )
    Batch: int = Field(
        default=1,
        ge=1,
        le=16,
        description="THROUGHPUT hint: up to this many frames waiting for the model run as one request "
        "(1 = never); needs outputs with the batch as first dimension and a fixed input size",
    )

    @field_validator("Decoder")
    @classmethod
    def _known_decoder(cls, value: str) -> str:
        if value not in DECODER_NAMES:
            raise UnknownDecoderError(value, DECODER_NAMES)
        return value

    @field_validator("Device")
    @classmethod
    def _known_device(cls, value: str | None) -> str | None:
        return None if value is None else check_device(value)

    @field_validator("InputSize")
    @classmethod
    def _positive_size(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and (value[0] < 1 or value[1] < 1):
            raise ValueError(f"InputSize must be positive, got {list(value)}")
        return value

    @model_validator(mode="after")
    def _native_needs_bound(self) -> ModelSpec:
        if self.Resize == "native" and self.InputSize is None:
            raise ValueError("Resize=native needs InputSize as the largest [Width, Height] fed to the model")
        if self.Resize == "native" and self.Batch > 1:
            raise ValueError("Batch > 1 needs a fixed input size; Resize=native reshapes per frame")
        return self


class EngineSettings(StrictModel):
    """How models are compiled and run."""

    PerformanceHint: Literal["LATENCY", "THROUGHPUT"] = Field(
        default="LATENCY", description="OpenVINO performance hint for every compiled model"
    )
    Device: str = Field(
        default="CPU", description="CPU, GPU, NPU, AUTO or MULTI; falls back to CPU if absent"
    )
    ModelsDir: Path = Field(
        default=Path(".cache/models"), description="Where model files live (relative to CWD)"
    )
    CacheDir: Path | None = Field(
        default=Path(".cache/ov-cache"), description="OpenVINO compiled-model cache"
    )
    RequestsInFlight: int = Field(
        default=0, ge=0, le=64, description="Async requests per model; 0 = device optimum"
    )
    NativeShapesMax: int = Field(
        default=4, ge=1, le=32, description="Compiled shapes kept per Resize=native model"
    )

    @field_validator("Device")
    @classmethod
    def _known_device(cls, value: str) -> str:
        return check_device(value)


def bundled_models() -> dict[str, ModelSpec]:
    """The models `app-vision models fetch` installs, by name."""
    return {
        "person": ModelSpec(File="ssdlite-person.xml", Decoder="ssd", Labels=("person",), ScoreThreshold=0.5),
        "face": ModelSpec(
            File="blazeface-short-range.xml",
            Decoder="blazeface",
            Labels=("face",),
            Mean=(127.5, 127.5, 127.5),
            Scale=(127.5, 127.5, 127.5),
            NmsIou=0.3,
            SecondStage=SecondStageSpec(Model="face-landmark", MinScore=0.5),
            Batch=2,  # benchmark_app -hint throughput: 4,928 FPS at -b 2 vs 4,138 at -b 1; -b 4 adds nothing
        ),
        "face-centerface": ModelSpec(
            File="centerface.xml",
            Decoder="centerface",
            Labels=("face",),
            InputSize=(640, 640),
            Resize="native",
            NmsIou=0.3,
        ),
        "face-landmark": ModelSpec(
            File="face-landmark.xml",
            Task="landmarks",
            Decoder="face-mesh",
            Labels=("face",),
            Resize="stretch",
            Scale=(255.0, 255.0, 255.0),
            ScoreThreshold=0.0,
        ),
    }
