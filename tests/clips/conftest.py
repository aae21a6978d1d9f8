"""Fixtures of the clip tests: the person scene as H.264, and a clip output recording what on_clip heard."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from service.streams.clip_store import ClipSettings, ClipStore
from service.streams.clip_writer import ClipOutput
from tests.clips.source import PERSON_SCENE, decode_all, encode_source


@dataclass
class Reports:
    """What on_clip was told, per alert id; `wait` blocks until an alert's report is in."""

    got: dict[str, tuple[Path | None, Exception | None]] = field(default_factory=dict)
    threads: list[str] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def on_clip(self, alert_id: str, path: Path | None, error: Exception | None) -> None:
        with self._changed:
            self.got[alert_id] = (path, error)
            self.threads.append(threading.current_thread().name)
            self._changed.notify_all()

    def wait(self, alert_id: str, timeout_s: float = 20) -> tuple[Path | None, Exception | None]:
        with self._changed:
            assert self._changed.wait_for(lambda: alert_id in self.got, timeout_s), (
                f"no clip report for {alert_id}"
            )
            return self.got[alert_id]

    def clip(self, alert_id: str) -> Path:
        path, error = self.wait(alert_id)
        assert error is None and path is not None, error
        return path


@dataclass
class Clips:
    settings: ClipSettings
    store: ClipStore
    output: ClipOutput
    reports: Reports


@pytest.fixture(scope="session")
def scene_ts() -> bytes:
    """20 s at 10 FPS: chelsea 0-6 s, astronaut (a person) 6-9 s, coffee 9-20 s."""
    return encode_source(PERSON_SCENE)


@pytest.fixture(scope="session")
def scene_frames(scene_ts: bytes) -> list[NDArray[np.uint8]]:
    return decode_all(scene_ts)


@pytest.fixture
def clips(tmp_path: Path) -> Iterator[Clips]:
    settings = ClipSettings(PreRollS=5, PostRollS=5)
    store = ClipStore(settings, tmp_path)
    reports = Reports()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="clip-writer") as executor:
        yield Clips(settings, store, ClipOutput(store, executor, reports.on_clip, max_wait_s=10), reports)
