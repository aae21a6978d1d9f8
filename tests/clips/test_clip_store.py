"""ClipStore: file names from alert ids (no traversal), retention by age and by total size."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from service.streams.clip_store import ClipSettings, ClipStore, valid_alert_id

MB = 1024**2


def make_clip(store: ClipStore, alert_id: str, size: int, age_s: float, now_s: float) -> Path:
    path = store.target(alert_id)
    path.write_bytes(b"\0" * size)
    os.utime(path, (now_s - age_s, now_s - age_s))
    return path


@pytest.mark.parametrize(
    ("alert_id", "valid"),
    [
        ("3f2b8c1e-9a6d-4f1e-8b7a-2c5d9e0f1a2b", True),
        ("cam_1.alert-2", True),
        ("", False),
        ("..", False),
        ("../etc/passwd", False),
        ("a/b", False),
        ("a\\b", False),
        (".hidden", False),
        ("x" * 129, False),
        ("spaced id", False),
        ("caf\u00e9", False),
        ("nul\0byte", False),
    ],
)
def test_alert_ids_that_cannot_name_a_file_are_refused(tmp_path: Path, alert_id: str, valid: bool) -> None:
    store = ClipStore(ClipSettings(), tmp_path)
    assert valid_alert_id(alert_id) is valid
    if valid:
        assert store.target(alert_id).parent == store.directory
    else:
        with pytest.raises(ValueError, match="cannot name a clip"):
            store.target(alert_id)
        assert store.path(alert_id) is None


def test_path_finds_only_written_clips(tmp_path: Path) -> None:
    store = ClipStore(ClipSettings(Dir="c"), tmp_path)
    assert store.path("a1") is None
    written = make_clip(store, "a1", 10, 0, time.time())
    assert store.path("a1") == written == tmp_path / "c" / "a1.mp4"
    assert store.counts().clips == 1 and store.counts().bytes == 10


def test_retention_by_age_deletes_the_old_ones(tmp_path: Path) -> None:
    store = ClipStore(ClipSettings(MaxAgeS=3600), tmp_path)
    now = time.time()
    make_clip(store, "old", 1000, 7200, now)
    make_clip(store, "older", 1000, 9000, now)
    make_clip(store, "new", 1000, 60, now)
    assert store.prune(now) == 2
    assert [store.path(a) is not None for a in ("old", "older", "new")] == [False, False, True]


def test_retention_by_size_deletes_oldest_first(tmp_path: Path) -> None:
    store = ClipStore(ClipSettings(MaxBytes=3 * MB), tmp_path)
    now = time.time()
    for index, alert_id in enumerate(["a", "b", "c", "d", "e"]):  # "a" oldest
        make_clip(store, alert_id, MB, 500 - index * 100, now)
    assert store.prune(now) == 2
    assert [a for a in "abcde" if store.path(a)] == ["c", "d", "e"]
    assert store.counts().bytes == 3 * MB


def test_stale_part_files_go_with_age_and_do_not_count(tmp_path: Path) -> None:
    store = ClipStore(ClipSettings(MaxAgeS=3600), tmp_path)
    now = time.time()
    make_clip(store, "kept", 10, 0, now)
    stale, fresh = store.directory / ".dead.mp4.part", store.directory / ".busy.mp4.part"
    for part, age in ((stale, 7200), (fresh, 1)):
        part.write_bytes(b"\0" * 100)
        os.utime(part, (now - age, now - age))
    assert store.counts().clips == 1
    store.prune(now)
    assert not stale.exists() and fresh.exists()


def test_retention_thread_runs_at_start(tmp_path: Path) -> None:
    store = ClipStore(ClipSettings(MaxAgeS=1, PruneEveryS=1), tmp_path)
    make_clip(store, "old", 10, 60, time.time())
    store.start()
    try:
        deadline = time.monotonic() + 5
        while store.path("old") is not None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        store.close()
    assert store.path("old") is None


@pytest.mark.parametrize(
    "fields", [{"Unknown": 1}, {"PreRollS": -1}, {"MaxBytes": 10}, {"MaxAgeS": 0}, {"Dir": ""}]
)
def test_clip_settings_are_strict(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ClipSettings.model_validate(fields)
