"""Snapshot: bytes now, or rendered once on first read (a camera's latest costs nothing unread)."""

from __future__ import annotations

import threading

from service.pipeline.state.snapshot_store import Snapshot


def test_given_bytes_it_holds_them() -> None:
    snapshot = Snapshot(b"jpeg", 10.0)
    assert (snapshot.jpeg, snapshot.taken_s) == (b"jpeg", 10.0)


def test_given_a_render_function_it_renders_once_on_first_read_only() -> None:
    calls: list[int] = []

    def render() -> bytes:
        calls.append(1)
        return b"rendered"

    snapshot = Snapshot(render, 10.0)
    assert calls == [] and snapshot.taken_s == 10.0  # nothing encoded until someone looks
    readers = [threading.Thread(target=lambda: snapshot.jpeg) for _ in range(8)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert snapshot.jpeg == b"rendered" and calls == [1]
