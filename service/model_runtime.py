"""Model packages in the running service (issue 16): the deployer on the pipeline's engine, the
package store under the state directory, the cameras each model serves, counted outcomes.

Built by service.app; the REST routes are service.api.model_routes. Packaged models active before
a restart serve again after it (`restored_models`), verified again on the way.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from service.metrics import Metrics
from service.vision.engine import Engine
from service.vision.errors import DeployError, PackageError
from service.vision.packages import PackageStore, UnpackLimits
from service.vision.packages.deploy import DeployOptions, DeployResult, ModelDeployer
from service.vision.packages.inventory import ModelRow, inventory
from service.vision.packages.pull import pull
from service.vision.specs import ModelSpec

log = logging.getLogger(__name__)

RECENT_FRAMES = 3
"""Real frames (the cameras' latest snapshots) each deploy also runs, when there are some."""


def package_store(state_dir: Path) -> PackageStore:
    """Deployed packages live in <StateDir>/models."""
    return PackageStore(state_dir / "models")


def restored_models(
    declared: Mapping[str, ModelSpec], state_dir: Path, app_version: str
) -> dict[str, ModelSpec]:
    """The declared models, with each packaged model that was active before the restart in its place."""
    return {**declared, **package_store(state_dir).active_specs(app_version)}


class CameraSource(Protocol):
    """What the runtime reads of the pipeline (PipelineView)."""

    def cameras(self) -> Sequence[CameraModels]: ...
    def latest_snapshot(self, camera: str) -> bytes | None: ...


class CameraModels(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def models(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class ModelRuntimeDeps:
    engine: Engine
    declared: Mapping[str, ModelSpec]
    state_dir: Path
    app_version: str
    metrics: Metrics
    view: CameraSource
    limits: UnpackLimits = field(default_factory=UnpackLimits)


class ModelRuntime:
    """Deploys, pulls and rolls back packages; each outcome counted in model_deploys_total."""

    def __init__(self, deps: ModelRuntimeDeps) -> None:
        self._deps = deps
        self._store = package_store(deps.state_dir)
        options = DeployOptions(deps.app_version, deps.limits, self._recent_frames)
        self._deployer = ModelDeployer(deps.engine, self._store, dict(deps.declared), options)

    def deploy(self, source: Path, origin: str) -> DeployResult:
        return self._counted("deploy", lambda: self._deployer.deploy(source, origin))

    def pull(self, url: str, sha256: str) -> DeployResult:
        def pulled() -> DeployResult:
            with tempfile.TemporaryDirectory(prefix="app-vision-pull-") as folder:
                try:
                    archive = pull(url, sha256, Path(folder), self._deps.limits.max_total_bytes)
                except PackageError as exc:
                    raise DeployError("download", str(exc)) from exc
                return self._deployer.deploy(archive, f"pull {url}")

        return self._counted("pull", pulled)

    def rollback(self, name: str) -> DeployResult:
        return self._counted("rollback", lambda: self._deployer.rollback(name))

    def inventory(self) -> list[ModelRow]:
        latency = {n: ms for n in self._deps.engine.names if (ms := self._deployer.latency_ms(n)) is not None}
        return inventory(self._deps.engine, self._store, latency)

    def cameras_of(self, model: str) -> list[str]:
        return sorted(c.name for c in self._deps.view.cameras() if model in c.models)

    def _counted(self, kind: str, work: Callable[[], DeployResult]) -> DeployResult:
        counter = self._deps.metrics.model_deploys_total
        try:
            result = work()
        except DeployError as exc:
            counter.labels(kind, exc.step).inc()
            log.warning("model %s refused at step %s: %s", kind, exc.step, exc.reason)
            raise
        counter.labels(kind, "ok").inc()
        log.info("model %s %s is active (%s, %s, %.1f ms)", result.name, result.version, kind, result.device,
                 result.latency_ms)  # fmt: skip
        return result

    def _recent_frames(self, model: str) -> list[NDArray[np.uint8]]:
        frames = []
        for camera in self.cameras_of(model)[:RECENT_FRAMES]:
            jpeg = self._deps.view.latest_snapshot(camera)
            image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR) if jpeg else None
            if image is not None:
                frames.append(np.asarray(image, np.uint8))
        return frames
