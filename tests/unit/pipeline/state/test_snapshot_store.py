"""SnapshotStore: sealed on disk (not a JPEG), served decrypted, tampered files refused with a clear
error (REST 500 BaseResponse), retention by age, size and count, plain snapshots sealed on open."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.api.vision_routes import vision_router
from service.at_rest import KEY_BYTES, SealedFileError, Sealer
from service.pipeline.settings import SnapshotSettings
from service.pipeline.state.snapshot_store import SnapshotStore

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"
SEALER = Sealer(bytes(range(KEY_BYTES)))


def _store(tmp_path: Path, **settings: float) -> SnapshotStore:
    return SnapshotStore(tmp_path / "snapshots", SnapshotSettings.model_validate(settings), SEALER)


def test_a_snapshot_on_disk_is_not_a_jpeg_and_reads_back_decrypted(tmp_path: Path) -> None:
    store = _store(tmp_path)
    name = store.save("a-1", JPEG)
    on_disk = (tmp_path / "snapshots" / name).read_bytes()
    assert not on_disk.startswith(b"\xff\xd8")
    assert JPEG[4:64] not in on_disk
    assert store.read(name) == JPEG
    assert store.read("missing.jpg") is None
    assert store.read("../at-rest.key") is None


def test_a_tampered_snapshot_is_refused(tmp_path: Path) -> None:
    store = _store(tmp_path)
    path = tmp_path / "snapshots" / store.save("a-1", JPEG)
    data = bytearray(path.read_bytes())
    data[40] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(SealedFileError, match=r"a-1\.jpg failed its integrity check"):
        store.read("a-1.jpg")


class _View:
    def __init__(self, store: SnapshotStore) -> None:
        self.store = store

    def alert_snapshot(self, alert_id: str) -> bytes | None:
        return self.store.read(f"{alert_id}.jpg")


def test_rest_serves_it_decrypted_and_refuses_a_tampered_one_with_a_base_response(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.save("a-1", JPEG)
    store.save("a-2", JPEG)
    (tmp_path / "snapshots" / "a-2.jpg").write_bytes(JPEG)  # replaced by a plain file behind our back
    app = FastAPI()
    app.include_router(vision_router(_View(store)))  # type: ignore[arg-type]
    client = TestClient(app)
    ok = client.get("/api/v3/alerts/a-1/snapshot.jpg")
    assert (ok.status_code, ok.headers["content-type"], ok.content) == (200, "image/jpeg", JPEG)
    refused = client.get("/api/v3/alerts/a-2/snapshot.jpg")
    assert refused.status_code == 500
    body = refused.json()
    assert body["statusCode"] == 500 and "a-2.jpg is not a sealed file" in body["message"]


def test_retention_by_age_size_and_count(tmp_path: Path) -> None:
    store = _store(tmp_path, MaxAgeS=3600, MaxBytes=1024**2, MaxFiles=3)
    now = time.time()
    for index in range(4):
        store.save(f"a-{index}", JPEG)
        os.utime(tmp_path / "snapshots" / f"a-{index}.jpg", (now - 100 + index, now - 100 + index))
    names = sorted(p.name for p in (tmp_path / "snapshots").glob("*.jpg"))
    assert names == ["a-1.jpg", "a-2.jpg", "a-3.jpg"]  # MaxFiles: the oldest went on the 4th save
    assert store.prune(now + 3600 - 98.5) == 1  # a-1 is now past MaxAgeS
    big = _store(tmp_path / "big", MaxBytes=1024**2, MaxFiles=10000)
    size = len(SEALER.seal(JPEG, "b-0000.jpg"))
    for index in range(1024**2 // size + 3):
        big.save(f"b-{index:04d}", JPEG)
    total = sum(p.stat().st_size for p in (tmp_path / "big" / "snapshots").glob("*.jpg"))
    assert 1024**2 - size < total <= 1024**2  # the oldest went until the rest fit
    assert not (tmp_path / "big" / "snapshots" / "b-0000.jpg").exists()


def test_plain_snapshots_from_before_are_sealed_when_the_store_opens(tmp_path: Path) -> None:
    directory = tmp_path / "snapshots"
    directory.mkdir()
    (directory / "old.jpg").write_bytes(JPEG)
    store = SnapshotStore(directory, SnapshotSettings(), SEALER)
    assert not (directory / "old.jpg").read_bytes().startswith(b"\xff\xd8")
    assert store.read("old.jpg") == JPEG


def test_the_retention_thread_prunes_without_a_save(tmp_path: Path) -> None:
    store = _store(tmp_path, MaxAgeS=1, PruneEveryS=1)
    store.save("a-1", JPEG)
    os.utime(tmp_path / "snapshots" / "a-1.jpg", (time.time() - 10, time.time() - 10))
    store.start()
    try:
        deadline = time.monotonic() + 5
        while (tmp_path / "snapshots" / "a-1.jpg").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        store.close()
    assert not (tmp_path / "snapshots" / "a-1.jpg").exists()
