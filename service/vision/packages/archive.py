"""Safe unpacking of a model package (.tar.gz, .zip or a directory) into a fresh directory.

Refused, naming the member: absolute paths or `..` (path traversal), links, devices and other
special members, more than MAX_FILES files, a file over MAX_FILE_BYTES, more than MAX_TOTAL_BYTES in
all. Sizes are counted while copying, so a lying header does not get past them.
"""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from service.vision.errors import PackageError
from service.vision.packages.manifest import check_relative

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class UnpackLimits:
    """Bounds on what one package may hold."""

    max_files: int = 256
    max_file_bytes: int = 512 << 20
    max_total_bytes: int = 1 << 30


class _Budget:
    def __init__(self, limits: UnpackLimits) -> None:
        self.limits = limits
        self.files = 0
        self.total = 0

    def copy(self, source: IO[bytes], target: Path, name: str) -> None:
        self.files += 1
        if self.files > self.limits.max_files:
            raise PackageError(name, f"the package holds more than {self.limits.max_files} files")
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with target.open("xb") as out:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                self.total += len(chunk)
                if written > self.limits.max_file_bytes:
                    raise PackageError(name, f"larger than {self.limits.max_file_bytes} bytes")
                if self.total > self.limits.max_total_bytes:
                    limit = self.limits.max_total_bytes
                    raise PackageError(name, f"the package unpacks to more than {limit} bytes")
                out.write(chunk)


def _member_path(name: str) -> str:
    clean = name.removeprefix("./").rstrip("/")
    try:
        return check_relative(clean)
    except ValueError as exc:
        raise PackageError(name, "path outside the package (absolute or with ..)") from exc


def unpack(source: Path, target: Path, limits: UnpackLimits = UnpackLimits()) -> None:
    """Unpack `source` into `target` (created; must not exist)."""
    target.mkdir(parents=True)
    budget = _Budget(limits)
    name = source.name
    if source.is_dir():
        _copy_dir(source, target, budget)
    elif name.endswith((".tar.gz", ".tgz")):
        _untar(source, target, budget)
    elif name.endswith(".zip"):
        _unzip(source, target, budget)
    else:
        raise PackageError(name, "not a package: use a .tar.gz, a .zip or a directory")


def _untar(source: Path, target: Path, budget: _Budget) -> None:
    try:
        with tarfile.open(source, "r:gz") as archive:
            for member in archive:
                path = _member_path(member.name)
                if member.isdir():
                    (target / path).mkdir(parents=True, exist_ok=True)
                    continue
                if not member.isfile():
                    raise PackageError(member.name, "links and special files are not allowed in a package")
                data = archive.extractfile(member)
                assert data is not None  # a regular file always has data
                budget.copy(data, target / path, member.name)
    except (tarfile.TarError, EOFError, OSError) as exc:
        if isinstance(exc, FileExistsError):
            raise PackageError(str(exc.filename), "listed twice in the archive") from exc
        raise PackageError(source.name, f"not a readable .tar.gz ({exc})") from exc


def _unzip(source: Path, target: Path, budget: _Budget) -> None:
    try:
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                path = _member_path(info.filename)
                if info.is_dir():
                    (target / path).mkdir(parents=True, exist_ok=True)
                    continue
                if (info.external_attr >> 16) & 0o170000 not in (0, 0o100000):
                    raise PackageError(info.filename, "links and special files are not allowed in a package")
                with archive.open(info) as data:
                    budget.copy(data, target / path, info.filename)
    except (zipfile.BadZipFile, OSError) as exc:
        if isinstance(exc, FileExistsError):
            raise PackageError(str(exc.filename), "listed twice in the archive") from exc
        raise PackageError(source.name, f"not a readable .zip ({exc})") from exc


def _copy_dir(source: Path, target: Path, budget: _Budget) -> None:
    for path in sorted(source.rglob("*")):
        name = path.relative_to(source).as_posix()
        if path.is_symlink():
            raise PackageError(name, "links are not allowed in a package")
        if path.is_dir():
            continue
        if not path.is_file():
            raise PackageError(name, "special files are not allowed in a package")
        with path.open("rb") as data:
            budget.copy(data, target / name, name)


def remove(path: Path) -> None:
    """Delete an unpacked package (ignores a missing one)."""
    shutil.rmtree(path, ignore_errors=True)
