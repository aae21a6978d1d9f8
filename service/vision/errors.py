"""Errors raised by the vision engine.

VisionError
 ├── ModelConfigError        a model declaration that cannot work (bad second stage, ...)
 │    └── UnknownDecoderError   decoder name not in the catalog (also a ValueError, for pydantic)
 ├── ModelLoadError          a model file is missing, truncated, corrupt or will not compile
 │    └── UnsupportedModelOutput  the model's outputs do not match its decoder's layout
 ├── ModelFetchError         downloading, verifying or converting the bundled models failed
 ├── PackageError            a model package is malformed or tampered with (names the field or file)
 ├── DeployError             a deploy step failed (names the step); the active model is untouched
 ├── ImageDecodeError        an input is not a readable image
 └── EngineClosedError       the engine was used after close()
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class VisionError(Exception):
    """Base of every error raised by service.vision."""


class ModelConfigError(VisionError):
    """A model declaration is inconsistent (names the model)."""


class UnknownDecoderError(ModelConfigError, ValueError):
    """A decoder name is not registered; the message lists the valid names."""

    def __init__(self, name: str, valid: Iterable[str]) -> None:
        self.name = name
        self.valid = tuple(sorted(valid))
        super().__init__(f"unknown decoder {name!r}; valid decoders: {', '.join(self.valid)}")


class ModelLoadError(VisionError):
    """A model file could not be read or compiled (names the file)."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"cannot load model {self.path}: {reason}")


class UnsupportedModelOutput(ModelLoadError):
    """The model's outputs do not have the layout its decoder expects."""


class ModelFetchError(VisionError):
    """Fetching, verifying or converting bundled model files failed."""


class PackageError(VisionError):
    """A model package is refused; `where` is the manifest field or package file at fault."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")


class DeployError(VisionError):
    """A deploy step failed (`step`: unpack, verify, load, samples, frames, latency, swap)."""

    def __init__(self, step: str, reason: str) -> None:
        self.step = step
        self.reason = reason
        super().__init__(f"deploy failed at step {step!r}: {reason}")


class ImageDecodeError(VisionError):
    """An input is not a readable image (names the input)."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"cannot read image {source}: {reason}")


class EngineClosedError(VisionError):
    """The engine was used after close()."""
