"""Helpers of the bus tier: golden captures, waiting, and a recording subscriber."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable

from service.edgex.envelope import MessageEnvelope
from tests.shared_material import CAPTURES_DIR

CAPTURES = CAPTURES_DIR
WAIT_S = 5.0


def capture(name: str) -> tuple[str, bytes]:
    """(topic, exact MQTT payload) of a golden EdgeX 4.0 message."""
    return (CAPTURES / f"{name}.topic").read_text().strip(), (CAPTURES / f"{name}.bin").read_bytes()


def wait_until(condition: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        time.sleep(0.02)


class Collector:
    """A subscriber's handler and on_error, recording what arrived."""

    def __init__(self) -> None:
        self.messages: queue.Queue[tuple[str, MessageEnvelope]] = queue.Queue()
        self.errors: queue.Queue[tuple[str, Exception]] = queue.Queue()

    def handler(self, topic: str, envelope: MessageEnvelope) -> None:
        self.messages.put((topic, envelope))

    def on_error(self, topic: str, exc: Exception) -> None:
        self.errors.put((topic, exc))

    def next(self, timeout_s: float = WAIT_S) -> tuple[str, MessageEnvelope]:
        return self.messages.get(timeout=timeout_s)

    def next_error(self, timeout_s: float = WAIT_S) -> tuple[str, Exception]:
        return self.errors.get(timeout=timeout_s)
