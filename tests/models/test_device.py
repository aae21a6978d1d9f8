"""Device choice: absent devices fall back to CPU with a WARNING; AUTO and MULTI compile."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import openvino as ov
import pytest

from service.vision.engine import Engine
from service.vision.loader import resolve_device
from service.vision.specs import EngineSettings, bundled_models


@pytest.fixture(scope="module")
def reference(engine: Engine, photos: dict[str, np.ndarray]) -> list[object]:
    return list(engine.infer("face", photos["astronaut"]))


def absent_device() -> str:
    """GPU, or NPU when a GPU is present: the fallback test needs a device this machine lacks."""
    present = {name.split(".")[0] for name in ov.Core().available_devices}
    for device in ("GPU", "NPU"):
        if device not in present:
            return device
    pytest.skip("this machine has both a GPU and an NPU; the CPU-fallback test needs one absent")


def test_absent_device_falls_back_to_cpu(
    models_dir: Path, photos: dict[str, np.ndarray], caplog: pytest.LogCaptureFixture, reference: list[object]
) -> None:
    device = absent_device()
    settings = EngineSettings(Device=device, ModelsDir=models_dir, CacheDir=None)
    with caplog.at_level(logging.WARNING, logger="service.vision.loader"):
        with Engine(bundled_models(), settings) as engine:
            assert engine.infer("face", photos["astronaut"]) == reference
            assert engine.device("face") == "CPU"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"device {device} absent" in w and "blazeface-short-range.xml on CPU" in w for w in warnings)


def test_per_model_device_overrides_engine(models_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    device = absent_device()
    models = bundled_models()
    models["face"] = models["face"].model_copy(update={"Device": device})
    with caplog.at_level(logging.WARNING, logger="service.vision.loader"):
        with Engine(models, EngineSettings(ModelsDir=models_dir, CacheDir=None)) as engine:
            engine.load("face")
            assert engine.device("face") == "CPU"
            engine.load("person")
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"device {device} absent" in m and "blazeface" in m for m in messages)
    assert not any("ssdlite" in m for m in messages)  # person keeps the engine's CPU


@pytest.mark.parametrize(
    ("device", "expected"), [("AUTO", "AUTO"), ("MULTI", "MULTI:CPU"), ("AUTO:GPU,CPU", "AUTO:CPU")]
)
def test_auto_and_multi(
    models_dir: Path, photos: dict[str, np.ndarray], device: str, expected: str, reference: list[object]
) -> None:
    """Expected names are for a CPU-only machine; with accelerators the device list grows."""
    if {name.split(".")[0] for name in ov.Core().available_devices} != {"CPU"}:
        expected = resolve_device(device, list(ov.Core().available_devices)) or "CPU"
    with Engine(
        bundled_models(), EngineSettings(Device=device, ModelsDir=models_dir, CacheDir=None)
    ) as engine:
        assert engine.infer("face", photos["astronaut"]) == reference
        assert engine.device("face") == expected


def test_throughput_hint_keeps_several_requests(models_dir: Path, photos: dict[str, np.ndarray]) -> None:
    settings = EngineSettings(PerformanceHint="THROUGHPUT", RequestsInFlight=3, ModelsDir=models_dir)
    with Engine(bundled_models(), settings) as engine:
        futures = [engine.submit("person", photos["astronaut"]) for _ in range(9)]
        assert all(len(f.result(timeout=60)) == 1 for f in futures)
