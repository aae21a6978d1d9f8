"""Test doubles for the pipeline: a fake engine with canned detections, in-process EdgeX clients.

FakeEngine "sees" by colour so tests stay fast and exact: a frame whose mean colour is close to a
registered BGR colour yields that colour's detections (boxes in the pixels of the image it is
given, as the real engine does). The in-process clients record calls and can be made to fail.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from service.edgex.commands import CommandResult
from service.edgex.dtos import JsonValue
from service.edgex.errors import PeerRejected, PeerUnavailable
from service.edgex.notifications import Notification
from service.vision.detection import Detection, Detections

Colour = tuple[int, int, int]
RED: Colour = (0, 0, 255)
GREEN: Colour = (0, 255, 0)
BLUE: Colour = (255, 0, 0)
GREY: Colour = (128, 128, 128)


def jpeg(colour: Colour, size: tuple[int, int] = (640, 480), quality: int = 95) -> bytes:
    """A solid-colour JPEG of width x height."""
    image = np.full((size[1], size[0], 3), colour, np.uint8)
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return bytes(buffer.tobytes())


@dataclass(frozen=True)
class Canned:
    """Detections as fractions of the image (x1, y1, x2, y2 in 0..1), with label and score."""

    label: str
    score: float
    box: tuple[float, float, float, float]


@dataclass
class FakeEngine:
    """Engine stand-in: names, load(), input_size(), submit() returning canned detections."""

    seen: dict[Colour, list[Canned]] = field(default_factory=dict)
    models: tuple[str, ...] = ("person", "face")
    size: tuple[int, int] = (300, 300)
    delay_s: float = 0.0
    calls: list[tuple[str, tuple[int, int]]] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    fail_with: Exception | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def names(self) -> tuple[str, ...]:
        return self.models

    def load(self, name: str) -> None:
        self.loaded.append(name)

    def input_size(self, name: str) -> tuple[int, int]:
        return self.size

    def submit(self, name: str, image: NDArray[np.generic]) -> Future[Detections]:
        future: Future[Detections] = Future()
        with self._lock:
            self.calls.append((name, (image.shape[1], image.shape[0])))
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.fail_with is not None:
            future.set_exception(self.fail_with)
        else:
            future.set_result(as_detections(self.detect(name, image)))
        return future

    def detect(self, name: str, image: NDArray[np.generic]) -> list[Detection]:
        mean = image.reshape(-1, image.shape[-1]).mean(axis=0)
        height, width = image.shape[:2]
        for colour, canned in self.seen.items():
            if np.abs(mean - np.array(colour)).max() < 20:
                return [
                    Detection(
                        c.label,
                        c.score,
                        (c.box[0] * width, c.box[1] * height, c.box[2] * width, c.box[3] * height),
                    )
                    for c in canned
                    if (c.label == "face") == (name == "face")
                ]
        return []


def as_detections(found: Sequence[Detection]) -> Detections:
    """Detection records as the engine returns them: arrays, named by their labels."""
    labels = tuple(dict.fromkeys(d.label for d in found))
    if not found:
        return Detections.empty()
    return Detections.build(
        np.array([d.box for d in found], np.float32),
        np.array([d.score for d in found], np.float32),
        np.array([labels.index(d.label) for d in found], np.int64),
    ).labelled(labels)


@dataclass
class StubCommands:
    """CommandClient in process: records set() calls; `down` raises PeerUnavailable."""

    down: bool = False
    status: int = 200
    sets: list[tuple[str, str, dict[str, JsonValue]]] = field(default_factory=list)
    gets: list[tuple[str, str]] = field(default_factory=list)
    get_result: CommandResult | None = None

    def get(
        self,
        device: str,
        command: str,
        *,
        push_event: bool = False,
        return_event: bool = True,
        query: Mapping[str, str] | None = None,
    ) -> CommandResult:
        self.gets.append((device, command))
        if self.down:
            raise PeerUnavailable("core-command", "down")
        return self.get_result or CommandResult(False, 404, "no such command", 0.0)

    def set(self, device: str, command: str, settings: Mapping[str, JsonValue]) -> CommandResult:
        if self.down:
            raise PeerUnavailable("core-command", "connection refused")
        self.sets.append((device, command, dict(settings)))
        return CommandResult(self.status < 400, self.status, "" if self.status < 400 else "refused", 0.001)


@dataclass
class StubNotifications:
    """NotificationClient in process: records notifications; `down` / `reject` to fail."""

    down: bool = False
    reject: int = 0
    sent: list[Notification] = field(default_factory=list)

    def send(self, notifications: Sequence[Notification]) -> list[str]:
        if self.down:
            raise PeerUnavailable("support-notifications", "connection refused")
        if self.reject:
            raise PeerRejected("support-notifications", self.reject, "refused")
        self.sent.extend(notifications)
        return [f"n-{len(self.sent)}" for _ in notifications]


def wait_for(predicate: object, timeout_s: float = 5.0, step_s: float = 0.02) -> bool:
    """Poll a zero-argument callable until it returns truthy."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return bool(predicate())
