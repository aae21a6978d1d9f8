"""LatestFrameSlots: newest wins, drops counted per camera, one worker per camera, round robin."""

from __future__ import annotations

import threading

import pytest

from service.pipeline.ingest.frame import DropReason, Frame
from service.pipeline.ingest.frame_slots import FrameSlot, LatestFrameSlots


class Camera:
    """A slot owner, as the camera state is one."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.slot = FrameSlot()


CAMERAS = {name: Camera(name) for name in ("a", "b", "c")}


class Slots(LatestFrameSlots[Camera]):
    """The table addressed by camera name, as these tests read best."""

    def put(self, frame: Frame) -> Frame | None:  # type: ignore[override]
        return super().put(CAMERAS[frame.camera], frame)

    def take(self, timeout_s: float | None = None) -> Frame | None:  # type: ignore[override]
        taken = super().take(timeout_s)
        return None if taken is None else taken[1]

    def done(self, camera: str) -> None:  # type: ignore[override]
        super().done(CAMERAS[camera])

    def count_drop(self, camera: str, reason: DropReason) -> None:  # type: ignore[override]
        super().count_drop(CAMERAS[camera], reason)

    def drops(self, camera: str) -> dict[str, int]:  # type: ignore[override]
        return super().drops(CAMERAS[camera])

    def depth(self) -> dict[str, int]:
        return {
            name: int(self.waiting(camera))
            for name, camera in CAMERAS.items()
            if camera.slot.busy or self.waiting(camera)
        }


def frame(camera: str, n: int, forced: bool = False) -> Frame:
    return Frame(camera, bytes([n]), "image/jpeg", n, n, event_id=f"{camera}-{n}", forced=forced)


@pytest.fixture(autouse=True)
def fresh_cameras() -> None:
    for camera in CAMERAS.values():
        camera.slot = FrameSlot()


def test_take_returns_the_owner_with_its_frame() -> None:
    slots: LatestFrameSlots[Camera] = LatestFrameSlots()
    b = CAMERAS["b"]
    slots.put(b, frame("b", 1))
    taken = slots.take(0)
    assert taken is not None and taken[0] is b and taken[1].event_id == "b-1"
    assert b.slot.busy and not slots.waiting(b)


def test_newest_frame_wins_and_replaced_ones_are_counted() -> None:
    slots = Slots()
    assert slots.put(frame("a", 1)) is None
    replaced = slots.put(frame("a", 2))
    assert replaced is not None and replaced.event_id == "a-1"
    slots.put(frame("a", 3))
    taken = slots.take(0)
    assert taken is not None and taken.event_id == "a-3"
    assert slots.drops("a") == {DropReason.REPLACED: 2}
    assert slots.take(0) is None


def test_a_busy_camera_is_not_given_to_a_second_worker() -> None:
    slots = Slots()
    slots.put(frame("a", 1))
    assert slots.take(0) is not None
    slots.put(frame("a", 2))
    assert slots.take(0) is None  # a is busy
    slots.done("a")
    taken = slots.take(0)
    assert taken is not None and taken.event_id == "a-2"


def test_cameras_are_served_in_ready_order() -> None:
    slots = Slots()
    for camera in ("a", "b", "c"):
        slots.put(frame(camera, 1))
    slots.put(frame("a", 2))  # replaces, keeps a's place in line
    order = []
    for _ in range(3):
        taken = slots.take(0)
        assert taken is not None
        order.append(taken.event_id)
    assert order == ["a-2", "b-1", "c-1"]


def test_a_forced_frame_stays_forced_when_replaced() -> None:
    slots = Slots()
    slots.put(frame("a", 1, forced=True))
    slots.put(frame("a", 2))
    taken = slots.take(0)
    assert taken is not None and taken.event_id == "a-2" and taken.forced


def test_take_waits_for_a_frame_and_close_wakes_it() -> None:
    slots = Slots()
    got: list[Frame | None] = []
    worker = threading.Thread(target=lambda: got.append(slots.take(5)))
    worker.start()
    slots.put(frame("a", 7))
    worker.join(2)
    assert got and got[0] is not None and got[0].event_id == "a-7"
    waiter = threading.Thread(target=lambda: got.append(slots.take(5)))
    waiter.start()
    slots.close()
    waiter.join(2)
    assert not waiter.is_alive() and got[-1] is None


def test_depth_and_external_drops() -> None:
    slots = Slots()
    slots.put(frame("a", 1))
    assert slots.depth() == {"a": 1}
    slots.take(0)
    slots.count_drop("a", DropReason.STALE)
    assert slots.depth() == {"a": 0}
    assert slots.drops("a") == {DropReason.STALE: 1}
