"""Camera health: the allowed transitions, the listener, counters and snapshots; the backoff."""

from __future__ import annotations

import threading

import pytest

from service.streams.backoff import Backoff
from service.streams.health import CameraHealth, HealthState

C, ON, ST, OFF = HealthState.CONNECTING, HealthState.ONLINE, HealthState.STALLED, HealthState.OFFLINE


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ([ON, ST, C, ON], [ON, ST, C, ON]),  # a reconnect that works
        ([ON, ST, C, OFF, C, OFF, ON], [ON, ST, C, OFF, ON]),  # offline does not flap to connecting
        ([OFF, ON], [OFF, ON]),  # never reached, then reached
        ([ST, C], []),  # not online yet: nothing stalled
        ([ON, ON, C], [ON]),  # same state, and online -> connecting skips stalled: ignored
        ([ON, ST, ON], [ON, ST, ON]),  # a stalled stream that reconnected before the reconnect step
    ],
)
def test_transitions(path: list[HealthState], expected: list[HealthState]) -> None:
    seen: list[tuple[str, HealthState, HealthState, str]] = []
    health = CameraHealth("door", lambda *change: seen.append(change), wall_clock=lambda: 1000.0)
    for state in path:
        health.transition(state, f"to {state.value}")
    assert [new for _, _, new, _ in seen] == expected
    assert all(old is not new for _, old, new, _ in seen)
    assert [old for _, old, _, _ in seen[1:]] == expected[:-1]
    assert health.state is (expected[-1] if expected else C)


def test_snapshot_counts_and_redacts() -> None:
    times = iter(float(t) for t in range(100, 200))
    health = CameraHealth("door", wall_clock=lambda: next(times))
    for _ in range(3):
        health.count_packet()
    health.count_decoded(2, 0.004)
    health.count_handed_on()
    health.count_reconnect()
    health.count_frame_callback_error()
    health.count_sink_error()
    health.record_error("cannot open rtsp://admin:hunter2@cam/s1: refused")
    health.transition(ON, "frames arriving from rtsp://admin:hunter2@cam/s1")
    snap = health.snapshot()
    assert (snap.packets_in, snap.frames_decoded, snap.frames_handed_on, snap.reconnects) == (3, 2, 1, 1)
    assert (snap.errors, snap.frame_callback_errors, snap.sink_errors) == (1, 1, 1)
    assert snap.last_error == "cannot open rtsp://***@cam/s1: refused" and "hunter2" not in snap.reason
    assert snap.decode_cpu_ms_per_frame == pytest.approx(2.0)
    assert (
        snap.last_frame_s is not None and snap.last_error_s is not None and snap.since_s > snap.last_error_s
    )
    with pytest.raises(AttributeError):
        snap.errors = 0  # type: ignore[misc]


def test_failing_listener_does_not_break_the_machine() -> None:
    def broken(*_change: object) -> None:
        raise RuntimeError("bus down")

    health = CameraHealth("door", broken)
    assert health.transition(ON, "frames")
    assert health.state is ON


def test_snapshots_are_consistent_under_concurrent_counting() -> None:
    health = CameraHealth("door")
    done = threading.Event()

    def count() -> None:
        while not done.is_set():
            health.count_packet()
            health.count_decoded(1, 0.0)

    writer = threading.Thread(target=count)
    writer.start()
    try:
        for _ in range(2000):
            snap = health.snapshot()
            assert snap.packets_in - snap.frames_decoded in (0, 1)
    finally:
        done.set()
        writer.join()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_backoff_doubles_to_the_cap_with_jitter() -> None:
    clock = FakeClock()
    jitters = iter([0.0, 1.0, 0.5, 0.0, 0.0, 0.0, 0.999])
    backoff = Backoff(0.5, 4.0, stable_s=10, clock=clock, jitter=lambda: next(jitters))
    delays = [backoff.next_delay_s() for _ in range(7)]
    assert delays == pytest.approx([0.25, 1.0, 1.5, 2.0, 2.0, 2.0, 3.998])
    assert backoff.attempts == 7


def test_backoff_resets_only_after_a_stable_online_period() -> None:
    clock = FakeClock()
    backoff = Backoff(1.0, 60.0, stable_s=10, clock=clock, jitter=lambda: 1.0)
    assert [backoff.next_delay_s() for _ in range(3)] == [1.0, 2.0, 4.0]
    backoff.online()
    clock.now += 5  # flapping: up 5 s only
    assert backoff.next_delay_s() == 8.0
    backoff.online()
    clock.now += 10
    assert backoff.next_delay_s() == 1.0


def test_backoff_rejects_bad_bounds() -> None:
    with pytest.raises(ValueError, match="initial_s <= max_s"):
        Backoff(5, 1, stable_s=1)
