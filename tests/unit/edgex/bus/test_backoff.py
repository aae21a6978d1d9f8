"""Reconnect backoff: doubles from min to max with bounded jitter, resets on success."""

from __future__ import annotations

from service.edgex.bus.backoff import Backoff


def test_backoff_doubles_caps_and_resets() -> None:
    backoff = Backoff(0.5, 3.0)
    delays = [backoff.next_delay() for _ in range(5)]
    for delay, base in zip(delays, [0.5, 1.0, 2.0, 3.0, 3.0], strict=True):
        assert base <= delay <= base * 1.2
    backoff.reset()
    assert 0.5 <= backoff.next_delay() <= 0.6
