"""What a decoder is: built once from the model's outputs, then turns raw outputs into Detections."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import openvino as ov
from numpy.typing import NDArray

from service.vision.detection import Detections
from service.vision.errors import UnsupportedModelOutput
from service.vision.specs import ModelSpec

Outputs = Sequence[NDArray[np.float32]]


@dataclass(frozen=True, slots=True)
class OutputInfo:
    """One model output: its tensor names and shape (-1 for a dynamic dimension)."""

    names: frozenset[str]
    shape: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class DecoderInput:
    """What a decoder factory sees at load time."""

    spec: ModelSpec
    outputs: tuple[OutputInfo, ...]
    path: Path
    batch: int = 1  # the static batch the outputs were shaped for

    def unsupported(self, decoder: str, expected: str) -> UnsupportedModelOutput:
        """The error for outputs that do not fit this decoder."""
        found = ", ".join(f"{sorted(o.names)[0] if o.names else '?'}{list(o.shape)}" for o in self.outputs)
        return UnsupportedModelOutput(self.path, f"decoder {decoder!r} expects {expected}; model has {found}")


class Decoder(Protocol):
    """Raw outputs (in model output order, batch first) -> detections in model-input pixels."""

    def decode(self, outputs: Outputs, input_size: tuple[int, int]) -> Detections: ...


@runtime_checkable
class FoldingDecoder(Decoder, Protocol):
    """A decoder that appends part of its work to the graph at load; decode() then reads the new outputs."""

    def fold(self, model: ov.Model) -> ov.Model: ...


DecoderFactory = Callable[[DecoderInput], Decoder]
