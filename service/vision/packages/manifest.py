"""The manifest of a model package (`manifest.json` at the package root) and its ModelSpec.

Validation is strict: unknown keys, bad hashes, paths outside the package, a model or sample file
missing from `Files` are errors that name the field. Validators never touch the disk; the files
themselves are checked by service.vision.packages.verify.
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from service.strict import StrictModel
from service.vision.errors import PackageError
from service.vision.specs import DECODER_NAMES, ModelSpec

MANIFEST_NAME = "manifest.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_VERSION = re.compile(r"^\d+(\.\d+){0,3}([-+][A-Za-z0-9.]+)?$")


def check_relative(path: str) -> str:
    """A package path: relative, POSIX, no `..`, no empty parts."""
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or "\\" in path or any(p in ("..", "") for p in path.split("/")):
        raise ValueError(f"{path!r} is not a relative path inside the package")
    return path


def version_key(version: str) -> tuple[int, ...]:
    """'1.2.3-rc1' -> (1, 2, 3): the numeric part, for MinAppVersion comparisons."""
    return tuple(int(part) for part in re.split(r"[-+]", version, maxsplit=1)[0].split("."))


class InputSpec(StrictModel):
    """The model's image input."""

    Width: int = Field(ge=1, le=8192, description="Input width in pixels")
    Height: int = Field(ge=1, le=8192, description="Input height in pixels")
    Layout: Literal["NCHW", "NHWC"] = Field(description="Input layout of the model file")
    ColorOrder: Literal["RGB", "BGR"] = Field(default="RGB", description="Channel order the model expects")
    Resize: Literal["letterbox", "stretch"] = Field(default="letterbox", description="How frames are fitted")
    Mean: tuple[float, float, float] = Field(default=(0.0, 0.0, 0.0), description="Subtracted per channel")
    Scale: tuple[float, float, float] = Field(default=(1.0, 1.0, 1.0), description="Divisor per channel")


class ThresholdSpec(StrictModel):
    """Decoding thresholds."""

    Score: float = Field(default=0.5, ge=0, le=1, description="Minimum detection score")
    NmsIou: float = Field(default=0.45, ge=0, le=1, description="IoU above which NMS drops the weaker box")
    MaxDetections: int = Field(default=100, ge=1, le=10000, description="Detections kept per image")


class Expectation(StrictModel):
    """Detections a sample image must give."""

    Label: str = Field(min_length=1, description="A label of the model")
    MinCount: int = Field(default=1, ge=0, le=1000, description="At least this many detections")
    MaxCount: int | None = Field(default=None, ge=0, le=1000, description="At most this many (none: any)")
    MinScore: float = Field(default=0.0, ge=0, le=1, description="Count only detections scoring >= this")


class Sample(StrictModel):
    """An image of the package and the detections it must give."""

    File: str = Field(description="JPEG or PNG inside the package")
    Expect: tuple[Expectation, ...] = Field(min_length=1, description="What the model must find")

    @field_validator("File")
    @classmethod
    def _relative(cls, value: str) -> str:
        return check_relative(value)


class Manifest(StrictModel):
    """manifest.json of a model package."""

    Name: str = Field(description="Model name (the name cameras use in AppCustom.Models)")
    Version: str = Field(description="Package version, e.g. 1.2.0")
    Task: Literal["detect", "classify", "landmarks"] = Field(default="detect", description="What it does")
    Decoder: str = Field(description=f"Output decoder, one of: {', '.join(DECODER_NAMES)}")
    Labels: tuple[str, ...] = Field(min_length=1, description="Class names by class index")
    Model: str = Field(description="The model file (IR .xml, .onnx, .tflite, .pb) inside the package")
    Input: InputSpec = Field(description="The image input")
    Thresholds: ThresholdSpec = Field(description="Decoding thresholds")
    Files: dict[str, str] = Field(min_length=1, description="sha256 (hex) of every file, by package path")
    MinAppVersion: str = Field(description="Oldest app-vision version that runs this package")
    LatencyBudgetMs: float | None = Field(
        default=None, gt=0, le=60000, description="Median inference must stay under this (none: no check)"
    )
    Samples: tuple[Sample, ...] = Field(default=(), description="Images with their expected detections")

    @field_validator("Name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r}: letters, digits and . _ - only, at most 64")
        return value

    @field_validator("Version", "MinAppVersion")
    @classmethod
    def _version(cls, value: str) -> str:
        if not _VERSION.match(value):
            raise ValueError(f"{value!r} is not a version like 1.2.0")
        return value

    @field_validator("Decoder")
    @classmethod
    def _decoder(cls, value: str) -> str:
        if value not in DECODER_NAMES:
            raise ValueError(f"unknown decoder {value!r}; valid decoders: {', '.join(DECODER_NAMES)}")
        return value

    @field_validator("Model")
    @classmethod
    def _model(cls, value: str) -> str:
        return check_relative(value)

    @field_validator("Files")
    @classmethod
    def _files(cls, value: dict[str, str]) -> dict[str, str]:
        for path, digest in value.items():
            check_relative(path)
            if not _SHA256.match(digest):
                raise ValueError(f"{path}: {digest!r} is not a lowercase hex sha256")
            if path == MANIFEST_NAME:
                raise ValueError(f"{MANIFEST_NAME} cannot list itself")
        return value

    @model_validator(mode="after")
    def _listed(self) -> Manifest:
        needed = [("Model", self.Model)]
        if self.Model.endswith(".xml"):
            needed.append(("Model", self.Model[: -len(".xml")] + ".bin"))
        needed += [(f"Samples.{i}.File", s.File) for i, s in enumerate(self.Samples)]
        for where, path in needed:
            if path not in self.Files:
                raise ValueError(f"{where}: {path} is not listed in Files (every file needs its sha256)")
        for i, sample in enumerate(self.Samples):
            for j, expect in enumerate(sample.Expect):
                if expect.Label not in self.Labels:
                    raise ValueError(f"Samples.{i}.Expect.{j}.Label: {expect.Label!r} is not in Labels")
        return self

    def spec(self, root: Path) -> ModelSpec:
        """The ModelSpec of this package unpacked at `root` (File is absolute)."""
        return ModelSpec(
            File=str((root / self.Model).resolve()),
            Task=self.Task,
            Decoder=self.Decoder,
            Labels=self.Labels,
            InputSize=(self.Input.Width, self.Input.Height),
            Resize=self.Input.Resize,
            ColorOrder=self.Input.ColorOrder,
            Mean=self.Input.Mean,
            Scale=self.Input.Scale,
            ScoreThreshold=self.Thresholds.Score,
            NmsIou=self.Thresholds.NmsIou,
            MaxDetections=self.Thresholds.MaxDetections,
        )


def read_manifest(root: Path) -> Manifest:
    """Parse root/manifest.json; PackageError naming the first bad field."""
    path = root / MANIFEST_NAME
    if not path.is_file():
        raise PackageError(MANIFEST_NAME, "missing at the package root")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError(MANIFEST_NAME, f"not valid JSON ({exc})") from exc
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise PackageError(f"{MANIFEST_NAME} {where}".strip(), message) from exc
