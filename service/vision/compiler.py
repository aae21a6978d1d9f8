"""Compile one declared model into a Runner: every batch variant, the decoder, the request count.

A model is read, reshaped to batch x size (or a dynamic batch, for second stages), given its
decoder (folded into the graph under THROUGHPUT when the decoder can), gets its preprocessing
embedded, and is compiled; the variants (batch 1, and powers of two up to Batch under THROUGHPUT)
share one Runner.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import openvino as ov

from service.vision.decoders import DecoderInput, FoldingDecoder, OutputInfo, create_decoder
from service.vision.errors import ModelLoadError
from service.vision.loader import (
    InputShape,
    compile_model,
    embed_preprocessing,
    flips_on_host,
    input_layout,
    read_model,
    reshape,
    static_size,
)
from service.vision.runner import Runner, RunnerParts, Variant
from service.vision.specs import EngineSettings, ModelSpec

log = logging.getLogger(__name__)


class ModelCompiler:
    """Builds Runners from ModelSpecs on one OpenVINO Core; thread-safe (one compile at a time)."""

    def __init__(self, core: ov.Core, settings: EngineSettings) -> None:
        self.settings = settings
        self._core = core
        self._models_dir = settings.ModelsDir.resolve()
        # One compile at a time: a first load and a Resize=native size share the Core and its cache.
        self._lock = threading.Lock()

    def path(self, spec: ModelSpec) -> Path:
        """The model file: spec.File, relative to ModelsDir unless absolute."""
        path = Path(spec.File)
        return path if path.is_absolute() else self._models_dir / path

    def build(
        self, name: str, spec: ModelSpec, size: tuple[int, int] | None, dynamic_batch: bool = False
    ) -> tuple[Runner, str]:
        """A Runner at size (None: the model's own static size) and the device it compiled on."""
        started = time.monotonic()
        path = self.path(spec)
        settings = self.settings
        batches = [1]
        if spec.Batch > 1 and settings.PerformanceHint == "THROUGHPUT" and not dynamic_batch:
            batches = sorted({1 << i for i in range(spec.Batch.bit_length())} | {spec.Batch})
        variants: dict[int, Variant] = {}
        device = ""
        with self._lock:
            for batch in batches:
                variants[batch], device, size = self._compile(spec, path, size, batch, dynamic_batch)
        assert size is not None  # _compile returns the size it compiled for
        single = variants[1].compiled
        optimal = int(single.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        hint = settings.PerformanceHint
        requests = settings.RequestsInFlight or default_requests(hint, optimal, max(batches))
        log.info(
            "loaded model %s from %s at %dx%d on %s (hint %s, %d requests, batch %s, %.2f s)",
            name,
            path,
            size[0],
            size[1],
            device,
            hint,
            requests,
            "/".join(map(str, batches)),
            time.monotonic() - started,
        )
        return Runner(RunnerParts(spec, variants, size[0], size[1], requests)), device

    def _compile(
        self, spec: ModelSpec, path: Path, size: tuple[int, int] | None, batch: int, dynamic_batch: bool
    ) -> tuple[Variant, str, tuple[int, int]]:
        """Read, reshape to batch (or dynamic) x size, fold, embed preprocessing, compile."""
        model = read_model(self._core, path)
        layout = input_layout(model, path)
        size = size or static_size(model, layout)
        if size is None:
            raise ModelLoadError(path, "the input size is dynamic; set InputSize")
        reshape(model, InputShape(layout, size[0], size[1], dynamic_batch, batch), path)
        outputs = tuple(
            OutputInfo(
                frozenset(o.get_names()),
                tuple(d.get_length() if d.is_static else -1 for d in o.get_partial_shape()),
            )
            for o in model.outputs
        )
        decoder = create_decoder(spec.Decoder, DecoderInput(spec, outputs, path, batch))
        hint = self.settings.PerformanceHint
        if isinstance(decoder, FoldingDecoder) and hint == "THROUGHPUT":
            model = decoder.fold(model)  # decoding on the inference streams frees the GIL
        if batch > 1 and any(o.get_partial_shape()[0] != batch for o in model.outputs):
            shapes = ", ".join(str(o.get_partial_shape()) for o in model.outputs)
            raise ModelLoadError(path, f"Batch {spec.Batch} needs outputs with the batch first; got {shapes}")
        host_rgb = flips_on_host(model, spec)
        model = embed_preprocessing(model, spec, layout)
        device_name = spec.Device or self.settings.Device
        compiled, device = compile_model(self._core, model, device_name, {"PERFORMANCE_HINT": hint}, path)
        return Variant(compiled, decoder, host_rgb), device, size


def default_requests(hint: str, optimal: int, batch: int) -> int:
    """Requests (slots) per model when RequestsInFlight is 0.

    LATENCY: at least 2, so host work on one frame overlaps inference of the next. THROUGHPUT: 4x
    the device optimum, so the streams always have queued work while Python (one GIL) prepares
    inputs and decodes outputs; measured 0.6x -> 0.9x+ of benchmark_app on BlazeFace. With Batch,
    2x: fewer slots let frames wait and pair up (BlazeFace, 4 streams: with 8 slots 59% of the
    requests carried one frame, with 4 under 1%; 3,503 -> 3,581-4,122 FPS in one session).
    """
    if hint == "LATENCY":
        return max(2, optimal)
    return (2 if batch > 1 else 4) * max(1, optimal)
