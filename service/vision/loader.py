"""Turn a model file into a compiled model: read, fix the input shape, embed preprocessing, compile.

Device choice falls back to CPU, with a WARNING, when the device is absent or compilation fails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import openvino as ov
from openvino.preprocess import ColorFormat, PrePostProcessor

from service.vision.errors import ModelLoadError
from service.vision.specs import ModelSpec

log = logging.getLogger(__name__)

FORMATS = {".xml": "OpenVINO IR", ".onnx": "ONNX", ".tflite": "TFLite", ".pb": "TF frozen graph"}


@dataclass(frozen=True, slots=True)
class InputShape:
    """The model input as this engine feeds it: layout, size and whether the batch stays dynamic."""

    layout: str  # NHWC or NCHW
    width: int
    height: int
    dynamic_batch: bool = False
    batch: int = 1  # the static batch when not dynamic


def read_model(core: ov.Core, path: Path) -> ov.Model:
    """Read any supported format; a missing, truncated or corrupt file raises ModelLoadError."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ModelLoadError(path, f"unsupported format {path.suffix!r}; use {', '.join(FORMATS)}")
    if not path.is_file():
        raise ModelLoadError(path, "file not found (run `app-vision models fetch` for bundled models)")
    if path.stat().st_size == 0:
        raise ModelLoadError(path, "file is empty")
    if kind == "OpenVINO IR" and not path.with_suffix(".bin").is_file():
        raise ModelLoadError(path, f"weights file {path.with_suffix('.bin').name} not found beside it")
    try:
        model = core.read_model(str(path))
    except Exception as exc:  # OpenVINO raises RuntimeError or its own subclasses
        raise ModelLoadError(path, f"not a readable {kind} model ({_first_line(exc)})") from exc
    if len(model.inputs) != 1:
        raise ModelLoadError(path, f"expected one image input, found {len(model.inputs)}")
    return model


def input_layout(model: ov.Model, path: Path) -> str:
    """NHWC when the last dimension holds 1 or 3 channels, else NCHW; rank must be 4."""
    shape = model.input(0).get_partial_shape()
    if shape.rank.is_dynamic or shape.rank.get_length() != 4:
        raise ModelLoadError(path, f"expected a rank-4 image input, got {shape}")
    last = shape[3]
    return "NHWC" if last.is_static and last.get_length() in (1, 3) else "NCHW"


def static_size(model: ov.Model, layout: str) -> tuple[int, int] | None:
    """(width, height) of the model input, or None when either is dynamic."""
    shape = model.input(0).get_partial_shape()
    h, w = (shape[1], shape[2]) if layout == "NHWC" else (shape[2], shape[3])
    return (w.get_length(), h.get_length()) if h.is_static and w.is_static else None


def reshape(model: ov.Model, wanted: InputShape, path: Path) -> None:
    """Set the batch (static, or dynamic) and the wanted spatial size, keeping the channel count."""
    shape = model.input(0).get_partial_shape()
    channels = shape[3] if wanted.layout == "NHWC" else shape[1]
    batch = ov.Dimension(-1) if wanted.dynamic_batch else ov.Dimension(wanted.batch)
    h, w = ov.Dimension(wanted.height), ov.Dimension(wanted.width)
    dims = [batch, h, w, channels] if wanted.layout == "NHWC" else [batch, channels, h, w]
    try:
        model.reshape({model.input(0): ov.PartialShape(dims)})
    except Exception as exc:
        raise ModelLoadError(path, f"cannot reshape input to {dims} ({_first_line(exc)})") from exc


def flips_on_host(model: ov.Model, spec: ModelSpec) -> bool:
    """Whether BGR -> RGB is left to the host (written straight into the request's tensor).

    For a model with a u8 input (SSDLite), PPP's channel flip stays a separate pass over the frame:
    +0.26 ms of a 4.1 ms inference at LATENCY, where the host's cv2.cvtColor into the tensor costs
    what the plain copy did (6 vs 2.5 us). For f32 models (BlazeFace) OpenVINO folds the flip into
    the first convolution's weights, so it stays in the graph at no cost.
    """
    return spec.ColorOrder == "RGB" and model.input(0).get_element_type() == ov.Type.u8


def embed_preprocessing(model: ov.Model, spec: ModelSpec, layout: str) -> ov.Model:
    """Fold u8 BGR NHWC -> element type, model colour order, mean/scale and layout into the graph.

    The conversion from u8 runs on the inference streams, not under the GIL (see runner.py); the
    colour flip of u8 models is the host's (flips_on_host).
    """
    ppp = PrePostProcessor(model)
    given = ppp.input(0)
    element = model.input(0).get_element_type()
    host_rgb = flips_on_host(model, spec)
    colour = ColorFormat.RGB if host_rgb else ColorFormat.BGR
    given.tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC")).set_color_format(colour)
    steps = given.preprocess()
    if element != ov.Type.u8:
        steps.convert_element_type(element)
    if spec.ColorOrder == "RGB" and not host_rgb:
        steps.convert_color(ColorFormat.RGB)
    if element != ov.Type.u8:
        if any(spec.Mean):
            steps.mean(list(spec.Mean))
        if any(value != 1 for value in spec.Scale):
            steps.scale(list(spec.Scale))
    given.model().set_layout(ov.Layout(layout))
    return ppp.build()


def resolve_device(device: str, available: list[str]) -> str | None:
    """The device string to compile on, or None when none of the named devices is present."""
    head, _, rest = device.partition(":")
    present = [name for name in available if name.split(".")[0] in ("CPU", "GPU", "NPU")]
    if head == "AUTO" and not rest:
        return "AUTO"
    if head in ("AUTO", "MULTI"):
        wanted = rest.split(",") if rest else present
        found = [w for w in wanted if any(p == w or p.startswith(w + ".") for p in present)]
        return f"{head}:{','.join(found)}" if found else None
    return device if any(p == device or p.startswith(device + ".") for p in present) else None


def compile_model(
    core: ov.Core, model: ov.Model, device: str, config: dict[str, str], path: Path
) -> tuple[ov.CompiledModel, str]:
    """Compile on the device, falling back to CPU (logged) when it is absent or compilation fails."""
    target = resolve_device(device, list(core.available_devices))
    if target is None:
        log.warning(
            "device %s absent (available: %s); compiling %s on CPU",
            device,
            ", ".join(core.available_devices),
            path.name,
        )
        target = "CPU"
    try:
        return core.compile_model(model, target, config), target
    except Exception as exc:
        if target == "CPU":
            raise ModelLoadError(path, f"compilation failed on CPU ({_first_line(exc)})") from exc
        log.warning(
            "compiling %s on %s failed (%s); falling back to CPU", path.name, target, _first_line(exc)
        )
    try:
        return core.compile_model(model, "CPU", config), "CPU"
    except Exception as exc:
        raise ModelLoadError(path, f"compilation failed on CPU ({_first_line(exc)})") from exc


def _first_line(exc: BaseException) -> str:
    """The informative line of an OpenVINO error (its last one; the first only locates the check)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1][:300] if lines else type(exc).__name__
