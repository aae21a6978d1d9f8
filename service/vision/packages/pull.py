"""Download a model package from an HTTP(S) URL, pinned by the sha256 of the archive."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

from service.vision.errors import PackageError

SUFFIXES = (".tar.gz", ".tgz", ".zip")


def archive_name(url: str) -> str:
    """The archive's file name from the URL path; PackageError when it is not .tar.gz or .zip."""
    name = httpx.URL(url).path.rsplit("/", 1)[-1]
    if not name.endswith(SUFFIXES):
        raise PackageError("url", f"{url} does not name a .tar.gz or .zip package")
    return name


def pull(url: str, sha256: str, target_dir: Path, max_bytes: int, timeout_s: float = 60.0) -> Path:
    """The archive downloaded into target_dir (created), its sha256 checked against `sha256`."""
    name = archive_name(url)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / name
    digest = hashlib.sha256()
    size = 0
    try:
        with httpx.stream("GET", url, timeout=timeout_s, follow_redirects=True) as response:
            if response.status_code != 200:
                raise PackageError("url", f"GET {url} answered {response.status_code}")
            with target.open("wb") as out:
                for chunk in response.iter_bytes(1 << 20):
                    size += len(chunk)
                    if size > max_bytes:
                        raise PackageError("url", f"{url} is larger than {max_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
    except httpx.HTTPError as exc:
        raise PackageError("url", f"GET {url} failed ({exc})") from exc
    if digest.hexdigest() != sha256:
        raise PackageError("sha256", f"{name} has sha256 {digest.hexdigest()}, not the pinned {sha256}")
    return target
