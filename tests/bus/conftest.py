"""Fixtures of the bus tier: one fresh broker per test, a plain-client helper, the captures."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from brokers import Broker, mosquitto, nats_server, redis_server

from service.edgex.envelope import MessageEnvelope

CAPTURES = Path("/work/shared/edgex/captures")
WAIT_S = 5.0


@pytest.fixture
def mqtt_broker(tmp_path: Path) -> Iterator[Broker]:
    yield from _running(mosquitto(tmp_path))


@pytest.fixture
def redis_broker(tmp_path: Path) -> Iterator[Broker]:
    yield from _running(redis_server(tmp_path))


@pytest.fixture
def nats_broker(tmp_path: Path) -> Iterator[Broker]:
    yield from _running(nats_server(tmp_path))


def _running(broker: Broker) -> Iterator[Broker]:
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


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
