"""Build model packages in tests: the bundled models' files, photos as samples, a manifest."""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import cv2

from service.simulator.photos import load_photo

MODELS = Path(__file__).resolve().parents[2] / ".cache" / "models"


def person_manifest(version: str = "2.0.0", **changes: Any) -> dict[str, Any]:
    """The bundled SSDLite person detector as a package manifest (Files filled by write_package)."""
    manifest: dict[str, Any] = {
        "Name": "person",
        "Version": version,
        "Task": "detect",
        "Decoder": "ssd",
        "Labels": ["person"],
        "Model": "model/ssdlite-person.xml",
        "Input": {"Width": 300, "Height": 300, "Layout": "NHWC"},
        "Thresholds": {"Score": 0.5, "NmsIou": 0.45},
        "Files": {},
        "MinAppVersion": "0.1.0",
        "LatencyBudgetMs": 5000,
        "Samples": [
            {
                "File": "samples/astronaut.jpg",
                "Expect": [{"Label": "person", "MinCount": 1, "MinScore": 0.5}],
            },
            {"File": "samples/chelsea.jpg", "Expect": [{"Label": "person", "MinCount": 0, "MaxCount": 0}]},
        ],
    }
    manifest.update(changes)
    return manifest


def write_package(root: Path, manifest: dict[str, Any], model_files: dict[str, Path] | None = None) -> Path:
    """A package directory: model files (package path -> source), sample photos, the manifest with
    the sha256 of every file unless the manifest already gives Files."""
    root.mkdir(parents=True)
    files = model_files or {
        "model/ssdlite-person.xml": MODELS / "ssdlite-person.xml",
        "model/ssdlite-person.bin": MODELS / "ssdlite-person.bin",
    }
    for name, source in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / name)
    for sample in manifest.get("Samples", []):
        photo = Path(sample["File"]).stem
        (root / sample["File"]).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / sample["File"]), load_photo(photo))
    if not manifest.get("Files"):
        manifest = {**manifest, "Files": {
            p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()
        }}  # fmt: skip
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return root


def tar_package(root: Path, target: Path) -> Path:
    with tarfile.open(target, "w:gz") as archive:
        for path in sorted(root.rglob("*")):
            archive.add(path, path.relative_to(root).as_posix(), recursive=False)
    return target


def zip_package(root: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(root).as_posix())
    return target
