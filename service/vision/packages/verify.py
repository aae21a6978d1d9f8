"""Check an unpacked package against its manifest: every file's sha256, no unlisted file, the
app-vision version it needs."""

from __future__ import annotations

import hashlib
from pathlib import Path

from service.vision.errors import PackageError
from service.vision.packages.manifest import MANIFEST_NAME, Manifest, version_key


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify_package(root: Path, manifest: Manifest, app_version: str) -> None:
    """PackageError naming the first file that is missing, unlisted or has another sha256."""
    if version_key(app_version) < version_key(manifest.MinAppVersion):
        raise PackageError(
            f"{MANIFEST_NAME} MinAppVersion",
            f"the package needs app-vision {manifest.MinAppVersion}; this is {app_version}",
        )
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    present.discard(MANIFEST_NAME)
    for name, expected in sorted(manifest.Files.items()):
        if name not in present:
            raise PackageError(name, "listed in Files but missing from the package")
        actual = sha256_of(root / name)
        if actual != expected:
            raise PackageError(name, f"sha256 mismatch: manifest says {expected}, file has {actual}")
    unlisted = sorted(present - set(manifest.Files))
    if unlisted:
        raise PackageError(unlisted[0], "in the package but not listed in Files (no sha256 to check)")
