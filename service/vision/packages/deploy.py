"""Deploy a model package into a running engine, step by step, or roll a model back.

Steps: unpack (safe extraction, manifest), verify (sha256 of every file, MinAppVersion, a new
version), load (input layout, compile on the configured device, outside the engine's lock), samples
(each sample's expected detections), frames (a few recent real frames infer without error),
latency (median inference within LatencyBudgetMs), swap (Engine.install: frames in flight finish
on the old model). A failed step raises DeployError naming it; the active model is untouched and
the staged files are deleted. One deploy or rollback at a time.
"""

from __future__ import annotations

import gc
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
import openvino as ov
from numpy.typing import NDArray

from service.vision.engine import Engine
from service.vision.errors import DeployError, PackageError, VisionError
from service.vision.loader import input_layout, read_model
from service.vision.model import VisionModel
from service.vision.packages.archive import UnpackLimits, remove, unpack
from service.vision.packages.manifest import Manifest, Sample, read_manifest
from service.vision.packages.store import PackageStore
from service.vision.packages.verify import verify_package
from service.vision.specs import ModelSpec

_T = TypeVar("_T")

RecentFrames = Callable[[str], Sequence[NDArray[np.uint8]]]
"""A few recent real frames of the cameras that use a model (by model name)."""


@dataclass(frozen=True, slots=True)
class DeployResult:
    """What a deploy or rollback made active."""

    name: str
    version: str  # "config": the model declared in the configuration
    device: str
    latency_ms: float
    steps: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeployOptions:
    """How a deployer checks packages."""

    app_version: str
    limits: UnpackLimits = field(default_factory=UnpackLimits)
    frames: RecentFrames = lambda _name: ()


class ModelDeployer:
    """Deploys packages into `engine` and keeps their versions in `store`."""

    def __init__(
        self, engine: Engine, store: PackageStore, declared: dict[str, ModelSpec], options: DeployOptions
    ) -> None:
        self.engine = engine
        self.store = store
        self._declared = dict(declared)
        self._options = options
        self._lock = threading.Lock()
        self._latency_ms: dict[str, float] = {}

    def deploy(self, source: Path, origin: str) -> DeployResult:
        """Deploy the package at `source` (a .tar.gz, .zip or directory); `origin` is recorded."""
        with self._lock:
            staged = self.store.staging()
            try:
                manifest = _step("unpack", lambda: self._unpack(source, staged))
                _step("verify", lambda: self._verify(staged, manifest))
                result = self._activate(staged, manifest, keep=True)
            except BaseException:
                remove(staged)
                raise
            self.store.record(manifest, origin, result.latency_ms)
            return result

    def rollback(self, name: str) -> DeployResult:
        """Make the version deployed before the active one active again (or the configured model)."""
        with self._lock:
            rows = self.store.history(name)
            if not rows:
                raise DeployError("rollback", f"model {name!r} has no deployed package to roll back")
            if len(rows) == 1:
                if name not in self._declared:
                    why = f"model {name!r} has no earlier version and no configured one"
                    raise DeployError("rollback", why)
                result = self._swap_spec(name, self._declared[name], "config")
            else:
                root = self.store.version_dir(name, rows[-2].version)
                manifest = _step("verify", lambda: read_manifest(root))
                _step("verify", lambda: verify_package(root, manifest, self._options.app_version))
                result = self._activate(root, manifest, keep=False)
            self.store.set_history(name, rows[:-1])
            return result

    def latency_ms(self, name: str) -> float | None:
        """Median inference measured when the active version was deployed (None: never measured)."""
        return self._latency_ms.get(name)

    def _unpack(self, source: Path, staged: Path) -> Manifest:
        unpack(source, staged, self._options.limits)
        return read_manifest(staged)

    def _verify(self, staged: Path, manifest: Manifest) -> None:
        verify_package(staged, manifest, self._options.app_version)
        if self.store.version_dir(manifest.Name, manifest.Version).exists():
            known = f"{manifest.Name} {manifest.Version} is already deployed; bump Version"
            raise PackageError("manifest.json Version", known)

    def _activate(self, root: Path, manifest: Manifest, keep: bool) -> DeployResult:
        spec = manifest.spec(root)
        _step("load", lambda: _check_layout(Path(spec.File), manifest.Input.Layout))
        model = _step("load", lambda: self.engine.prepare(manifest.Name, spec))
        try:
            timings = _step("samples", lambda: _run_samples(model, root, manifest.Samples))
            frames = self._options.frames(manifest.Name)
            timings += _step("frames", lambda: _run_frames(model, frames))
            latency = _step("latency", lambda: _check_latency(model, timings, manifest.LatencyBudgetMs))
            if keep:
                spec = manifest.spec(_step("swap", lambda: self.store.keep(root, manifest)))
                model.spec = spec
            device = model.device
            _step("swap", lambda: self.engine.install(manifest.Name, model))
        except BaseException:
            _close(model)
            raise
        self._latency_ms[manifest.Name] = latency
        steps = ("unpack", "verify", "load", "samples", "frames", "latency", "swap")
        return DeployResult(manifest.Name, manifest.Version, device, latency, steps)

    def _swap_spec(self, name: str, spec: ModelSpec, version: str) -> DeployResult:
        model = _step("load", lambda: self.engine.prepare(name, spec))
        device = model.device
        _step("swap", lambda: self.engine.install(name, model))
        self._latency_ms.pop(name, None)
        return DeployResult(name, version, device, 0.0, ("load", "swap"))


def _step(name: str, work: Callable[[], _T]) -> _T:
    """Run one deploy step; any vision or file error becomes DeployError(name, why)."""
    try:
        return work()
    except DeployError:
        raise
    except (VisionError, OSError, ValueError) as exc:
        raise DeployError(name, str(exc)) from exc


def _check_layout(path: Path, declared: str) -> None:
    model = read_model(ov.Core(), path)
    actual = input_layout(model, path)
    if actual != declared:
        raise PackageError("manifest.json Input.Layout", f"says {declared}; the model's input is {actual}")


def _run_samples(model: VisionModel, root: Path, samples: Sequence[Sample]) -> list[float]:
    timings: list[float] = []
    for i, sample in enumerate(samples):
        image = cv2.imread(str(root / sample.File), cv2.IMREAD_COLOR)
        if image is None:
            raise PackageError(sample.File, "not a readable JPEG or PNG")
        started = time.perf_counter()
        found = model.infer(np.asarray(image, np.uint8))
        timings.append((time.perf_counter() - started) * 1000)
        for j, expect in enumerate(sample.Expect):
            count = sum(1 for d in found if d.label == expect.Label and d.score >= expect.MinScore)
            high = expect.MaxCount if expect.MaxCount is not None else count
            if not expect.MinCount <= count <= high:
                wanted = f"{expect.MinCount}..{expect.MaxCount if expect.MaxCount is not None else 'any'}"
                raise PackageError(
                    f"Samples.{i}.Expect.{j} ({sample.File})",
                    f"expected {wanted} {expect.Label!r} scoring >= {expect.MinScore}, "
                    f"the model found {count}",
                )
    return timings


def _run_frames(model: VisionModel, frames: Sequence[NDArray[np.uint8]]) -> list[float]:
    timings: list[float] = []
    for frame in frames:
        started = time.perf_counter()
        model.infer(frame)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _check_latency(model: VisionModel, timings: list[float], budget_ms: float | None) -> float:
    if not timings:  # no sample, no frame: time a blank image at the input size
        width, height = model.input_size
        blank = np.zeros((height, width, 3), np.uint8)
        model.infer(blank)  # first run warms up
        timings = _run_frames(model, [blank] * 3)
    median = statistics.median(timings)
    if budget_ms is not None and median > budget_ms:
        raise DeployError("latency", f"median inference {median:.1f} ms is over LatencyBudgetMs {budget_ms}")
    return median


def _close(model: VisionModel) -> None:
    """Close a model that never served, collected on this thread (see Engine.close)."""
    model.close()
    del model
    gc.collect()
