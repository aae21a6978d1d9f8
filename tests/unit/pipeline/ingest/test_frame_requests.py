"""FrameRequester: force the next frame always; fetch a snapshot through core-command when configured."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pytest

from service.edgex.commands import CommandResult
from service.edgex.dtos import JsonValue, Reading, new_event
from service.edgex.errors import EdgeXError
from service.pipeline.ingest.frame import Frame
from service.pipeline.ingest.frame_requests import FrameRequester
from service.pipeline.settings import PipelineSettings
from tests.unit.pipeline.support import GREEN, RED, StubCommands, jpeg, wait_for

LOG_NAME = "service.pipeline.ingest.frame_requests"
SETTINGS = PipelineSettings.model_validate(
    {
        "Devices": {
            "onvif-cam": {"Role": "camera", "SnapshotCommand": "Snapshot"},
            "plain-cam": {"Role": "camera"},
            "pir": {"Role": "sensor"},
        }
    }
)
RED_JPEG, GREEN_JPEG = jpeg(RED), jpeg(GREEN)


def snapshot_result(*images: bytes, device: str = "onvif-device") -> CommandResult:
    """What core-command returns for the GET: an event (of the device service's own name) with images."""
    readings = [Reading.binary("Snapshot", image, "image/jpeg") for image in images]
    return CommandResult(True, 200, "", 0.01, new_event(device, "onvif-profile", "Snapshot", readings))


@dataclass
class Requests:
    requester: FrameRequester
    commands: StubCommands
    put: list[Frame] = field(default_factory=list)
    forced: list[str] = field(default_factory=list)


def build(commands: StubCommands) -> tuple[Requests, FrameRequester]:
    put: list[Frame] = []
    forced: list[str] = []
    requester = FrameRequester(SETTINGS, commands, put.append, forced.append)
    return Requests(requester, commands, put, forced), requester


@pytest.fixture
def requests() -> Iterator[list[FrameRequester]]:
    """Requesters a test builds, closed at its end."""
    built: list[FrameRequester] = []
    yield built
    for requester in built:
        requester.close()


def requester_with(built: list[FrameRequester], commands: StubCommands) -> Requests:
    made, requester = build(commands)
    built.append(requester)
    return made


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOG_NAME and r.levelno == logging.WARNING]


@pytest.mark.parametrize("camera", ["plain-cam", "unknown-cam"])
def test_a_camera_without_a_snapshot_command_has_its_next_frame_forced(
    requests: list[FrameRequester], camera: str
) -> None:
    r = requester_with(requests, StubCommands(get_result=snapshot_result(RED_JPEG)))
    r.requester.request(camera)
    assert r.forced == [camera]
    r.requester.request("onvif-cam")  # queued after any GET the first request might have made
    assert wait_for(lambda: len(r.put) == 1)
    assert r.commands.gets == [("onvif-cam", "Snapshot")]
    assert r.forced == [camera, "onvif-cam"]


def test_a_snapshot_command_is_fetched_and_its_images_become_forced_frames_of_the_camera(
    requests: list[FrameRequester],
) -> None:
    r = requester_with(requests, StubCommands(get_result=snapshot_result(RED_JPEG, GREEN_JPEG)))
    r.requester.request("onvif-cam")
    assert r.forced == ["onvif-cam"]  # the next frame is forced as well, in case the GET fails
    assert wait_for(lambda: len(r.put) == 2)
    assert r.commands.gets == [("onvif-cam", "Snapshot")]
    assert [f.data for f in r.put] == [RED_JPEG, GREEN_JPEG]
    assert {(f.camera, f.media_type, f.forced) for f in r.put} == {("onvif-cam", "image/jpeg", True)}
    assert r.put[0].received_ns > 0 and r.put[0].event_id != ""


def test_fetch_returns_how_many_frames_it_queued(requests: list[FrameRequester]) -> None:
    r = requester_with(requests, StubCommands(get_result=snapshot_result(RED_JPEG)))
    assert r.requester.fetch("onvif-cam", "Snapshot") == 1
    assert r.forced == []  # fetch alone forces nothing
    assert [(f.camera, f.forced) for f in r.put] == [("onvif-cam", True)]


@pytest.mark.parametrize(
    "result",
    [
        CommandResult(False, 404, "no such command", 0.0),
        CommandResult(False, 500, "device error", 0.0),
        CommandResult(True, 200, "", 0.0, None),  # ok, but no event came back
    ],
    ids=["404", "500", "no-event"],
)
def test_fetch_raises_on_a_failed_get(requests: list[FrameRequester], result: CommandResult) -> None:
    r = requester_with(requests, StubCommands(get_result=result))
    with pytest.raises(EdgeXError, match=f"snapshot onvif-cam/Snapshot: {result.status}"):
        r.requester.fetch("onvif-cam", "Snapshot")
    assert r.put == []


@pytest.mark.parametrize(
    "commands",
    [StubCommands(get_result=CommandResult(False, 404, "no such command", 0.0)), StubCommands(down=True)],
    ids=["refused", "unreachable"],
)
def test_a_failed_get_is_logged_and_puts_nothing(
    requests: list[FrameRequester], commands: StubCommands, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOG_NAME)
    r = requester_with(requests, commands)
    r.requester.request("onvif-cam")
    assert wait_for(lambda: warnings(caplog))
    r.requester.close()
    [message] = warnings(caplog)
    assert "onvif-cam" in message and "Snapshot" in message
    assert r.commands.gets == [("onvif-cam", "Snapshot")]
    assert r.put == [] and r.forced == ["onvif-cam"]


class BlockingCommands:
    """core-command whose GETs wait until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.gets: list[tuple[str, str]] = []
        self.returned = 0
        self._lock = threading.Lock()

    def get(
        self,
        device: str,
        command: str,
        *,
        push_event: bool = False,
        return_event: bool = True,
        query: Mapping[str, str] | None = None,
    ) -> CommandResult:
        with self._lock:
            self.gets.append((device, command))
        self.release.wait(5)
        with self._lock:
            self.returned += 1
        return snapshot_result(RED_JPEG)

    def set(self, device: str, command: str, settings: Mapping[str, JsonValue]) -> CommandResult:
        raise AssertionError("no set expected")


def test_request_returns_before_the_get_does() -> None:
    commands = BlockingCommands()
    put: list[Frame] = []
    requester = FrameRequester(SETTINGS, commands, put.append, lambda _camera: None)
    try:
        requester.request("onvif-cam")
        assert commands.returned == 0  # request() did not wait for the network
        assert wait_for(lambda: commands.gets == [("onvif-cam", "Snapshot")])
        commands.release.set()
        assert wait_for(lambda: len(put) == 1)
    finally:
        commands.release.set()
        requester.close()


def test_close_drops_requests_not_yet_started() -> None:
    commands = BlockingCommands()
    put: list[Frame] = []
    requester = FrameRequester(SETTINGS, commands, put.append, lambda _camera: None)
    try:
        for _ in range(3):  # two GETs in flight (the pool's two threads), one waiting
            requester.request("onvif-cam")
        assert wait_for(lambda: len(commands.gets) == 2)
        requester.close()
        commands.release.set()
        assert wait_for(lambda: commands.returned == 2 and len(put) == 2)  # in flight: finish on their own
    finally:
        commands.release.set()
        requester.close()
    assert len(commands.gets) == 2  # the waiting one was cancelled


def test_a_request_after_close_is_ignored() -> None:
    commands = StubCommands(get_result=snapshot_result(RED_JPEG))
    forced: list[str] = []
    requester = FrameRequester(SETTINGS, commands, lambda _frame: None, forced.append)
    requester.close()
    requester.request("onvif-cam")
    assert commands.gets == []
