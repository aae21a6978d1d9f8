"""What GET /api/v3/models lists: every model, the version serving, every version on disk."""

from __future__ import annotations

from dataclasses import dataclass

from service.vision.engine import Engine
from service.vision.packages.store import PackageStore


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One version of a packaged model on disk."""

    version: str
    state: str  # active | previous (in the rollback history) | inactive (rolled back, kept)
    deployed_s: float | None
    source: str


@dataclass(frozen=True, slots=True)
class ModelRow:
    """One model: the version serving ("config": the declared one), device, measured latency."""

    name: str
    active: str
    device: str | None  # None: not compiled yet (no camera used it)
    latency_ms: float | None
    versions: tuple[VersionRow, ...]


def inventory(engine: Engine, store: PackageStore, latency_ms: dict[str, float]) -> list[ModelRow]:
    """Every model the engine serves or the store holds, by name."""
    rows = []
    for name in sorted(set(engine.names) | set(store.names())):
        history = store.history(name)
        deployed = {row.version: row for row in history}
        active = history[-1].version if history else "config"
        versions = []
        for version in store.versions(name):
            row = deployed.get(version)
            state = "active" if version == active else "previous" if row is not None else "inactive"
            versions.append(
                VersionRow(version, state, row.deployed_s if row else None, row.source if row else "")
            )
        device = engine.loaded_device(name) if name in engine.names else None
        rows.append(ModelRow(name, active, device, latency_ms.get(name), tuple(versions)))
    return rows
