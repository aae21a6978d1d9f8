"""Deployed packages on disk: <root>/<name>/<version>/ (the unpacked package) and
<root>/<name>/history.json (the deployed versions, oldest first; the last one is active).

Rolling back drops the active version from the history (its files stay, listed as inactive); with
no version left, the model declared in the configuration is active again. Writes are atomic
(temporary file, then rename).
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from service.vision.errors import PackageError, VisionError
from service.vision.packages.manifest import Manifest, read_manifest
from service.vision.packages.verify import verify_package
from service.vision.specs import ModelSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Deployed:
    """One deploy of a version: when, from where, its measured median inference."""

    version: str
    deployed_s: float
    source: str
    latency_ms: float


class PackageStore:
    """Versions of each packaged model and which one is active; one writer at a time (the caller's)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def staging(self) -> Path:
        """A fresh directory path (not created) to unpack an incoming package into."""
        return self.root / ".staging" / uuid.uuid4().hex

    def version_dir(self, name: str, version: str) -> Path:
        return self.root / name / version

    def history(self, name: str) -> list[Deployed]:
        """The deployed versions of `name`, oldest first (the last is active)."""
        path = self.root / name / "history.json"
        if not path.is_file():
            return []
        rows = json.loads(path.read_text(encoding="utf-8"))
        return [Deployed(r["version"], r["deployedS"], r["source"], r["latencyMs"]) for r in rows]

    def set_history(self, name: str, rows: list[Deployed]) -> None:
        path = self.root / name / "history.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        body = [
            {"version": r.version, "deployedS": r.deployed_s, "source": r.source, "latencyMs": r.latency_ms}
            for r in rows
        ]
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(body, indent=1), encoding="utf-8")
        temporary.replace(path)

    def keep(self, staged: Path, manifest: Manifest) -> Path:
        """Move a verified staging directory to its version directory."""
        target = self.version_dir(manifest.Name, manifest.Version)
        target.parent.mkdir(parents=True, exist_ok=True)
        staged.rename(target)
        return target

    def record(self, manifest: Manifest, source: str, latency_ms: float) -> None:
        """Make the version active (appended to the history)."""
        rows = [r for r in self.history(manifest.Name) if r.version != manifest.Version]
        rows.append(Deployed(manifest.Version, time.time(), source, latency_ms))
        self.set_history(manifest.Name, rows)

    def names(self) -> list[str]:
        """Models with at least one version on disk."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def versions(self, name: str) -> list[str]:
        """Every version of `name` on disk."""
        folder = self.root / name
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def manifest(self, name: str, version: str) -> Manifest:
        return read_manifest(self.version_dir(name, version))

    def active_specs(self, app_version: str) -> dict[str, ModelSpec]:
        """The active package of each model, verified again (a tampered one is logged and skipped:
        the configured model serves instead)."""
        specs: dict[str, ModelSpec] = {}
        for name in self.names():
            rows = self.history(name)
            if not rows:
                continue
            root = self.version_dir(name, rows[-1].version)
            try:
                manifest = read_manifest(root)
                verify_package(root, manifest, app_version)
            except (PackageError, VisionError, OSError) as exc:
                log.error("model %s %s on disk is refused (%s); the configured model serves", name, root, exc)
                continue
            specs[name] = manifest.spec(root)
        return specs
