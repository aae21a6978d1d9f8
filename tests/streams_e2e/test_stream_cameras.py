"""Issue 14 "done when": stream cameras end to end, against real stream servers on loopback.

A person in the stream yields the alert, the result event and an MP4 clip (ffprobe: pre-roll plus
post-roll, person frames inside) for RTSP, MJPEG over HTTP and a file; a stopped RTSP server makes
the camera offline and a rule's notification go out, and its restart brings it back online; junk
and an undecodable codec are errors on their cameras while the service goes on.
"""

from __future__ import annotations

import json
import logging
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from tests.fakes.support_notifications import FakeSupportNotifications
from tests.streams.media import Media, frame_index
from tests.streams.servers import JunkServer, MjpegServer, RtspServer
from tests.streams_e2e.conftest import ServiceFactory, StreamService
from tests.unit.pipeline.support import wait_for

PRE_ROLL_S, POST_ROLL_S = 2.0, 2.0
STALL_S, OFFLINE_AFTER_S = 1.0, 1.5
PERSON: dict[str, Any] = {
    "Name": "person",
    "Cameras": ["cam"],
    "Detection": {"Labels": ["person"], "MinScore": 0.6},
    "CooldownS": 600,
    "EndAfterS": 30,
}
OFFLINE: dict[str, Any] = {
    "Name": "camera-offline",
    "Sensors": [{"Device": "cam", "Resource": "StreamState", "Op": "eq", "Value": "offline"}],
    "Severity": "CRITICAL",
    "CooldownS": 0,
    "EndAfterS": 1,
    "Actions": {"Notification": {"Category": "camera-health"}},
}
FAST = {"Outbox": {"BackoffInitialS": 0.1, "BackoffMaxS": 0.5}, "HeartbeatS": 30}


def stream(uri: str, **fields: Any) -> dict[str, Any]:
    return {
        "Uri": uri,
        "DetectFps": 5,
        "StallS": STALL_S,
        "OfflineAfterS": OFFLINE_AFTER_S,
        "BackoffInitialS": 0.2,
        "BackoffMaxS": 0.5,
        **fields,
    }


def settings(cameras: dict[str, dict[str, Any]], *rules: dict[str, Any]) -> dict[str, Any]:
    return {
        **FAST,
        "Devices": {name: {"Role": "camera", "Stream": s} for name, s in cameras.items()},
        "Rules": list(rules),
        "Clips": {"PreRollS": PRE_ROLL_S, "PostRollS": POST_ROLL_S},
    }


def ffprobe_duration_s(path: Path) -> float:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    probed = json.loads(done.stdout)
    assert [s["codec_type"] for s in probed["streams"]] == ["video"]
    return float(probed["format"]["duration"])


def clip_frames(path: Path) -> list[int]:
    """The source index of every frame the clip shows."""
    with av.open(str(path)) as clip:
        return [frame_index(np.asarray(f.to_ndarray(format="bgr24"), np.uint8)) for f in clip.decode(video=0)]


SourceFactory = Callable[[Media], str]


@pytest.fixture(params=["rtsp", "mjpeg", "file"])
def source_uri(
    request: pytest.FixtureRequest,
    media: Media,
) -> str:
    kind = request.param
    if kind == "rtsp":
        server: RtspServer = request.getfixturevalue("rtsp_server_factory")()
        return server.uri
    if kind == "mjpeg":
        mjpeg: MjpegServer = request.getfixturevalue("mjpeg_server_factory")(fps=10)
        return mjpeg.uri
    return str(media.h264_mp4)


def test_a_person_in_the_stream_yields_the_alert_the_result_event_and_a_clip(
    start_service: ServiceFactory, source_uri: str, media: Media, tmp_path: Path
) -> None:
    service = start_service(settings({"cam": stream(source_uri)}, PERSON))
    assert wait_for(lambda: service.pipeline.view.active_alerts(), 20), service.camera("cam")
    (alert,) = service.pipeline.view.active_alerts()
    assert alert.camera == "cam" and alert.rule == "person" and alert.clip == f"{alert.alert_id}.mp4"
    assert any(s.label == "person" and s.score >= 0.6 for s in alert.sightings)

    assert wait_for(lambda: service.events("app-vision-result"), 10)
    event = service.events("app-vision-result")[0]
    readings = {r.resource_name: r for r in event.readings}
    assert readings["AlertState"].value == "new"
    stored = readings["Alert"].object_value
    assert isinstance(stored, dict)
    assert stored["alertId"] == alert.alert_id and stored["camera"] == "cam"
    assert stored["clipUrl"] == f"/api/v3/alerts/{alert.alert_id}/clip.mp4"
    assert "Clip" not in readings and "Snapshot" not in readings  # nothing leaves unless a rule says so

    url = f"/api/v3/alerts/{alert.alert_id}"
    assert wait_for(lambda: service.client.get(url).json()["alert"]["clipReady"], POST_ROLL_S + 15)
    clip = service.client.get(f"{url}/clip.mp4")
    assert clip.status_code == 200 and clip.headers["content-type"] == "video/mp4"
    part = service.client.get(f"{url}/clip.mp4", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == clip.content[:100]
    path = tmp_path / "clip.mp4"
    path.write_bytes(clip.content)
    duration_s = ffprobe_duration_s(path)
    assert abs(duration_s - (PRE_ROLL_S + POST_ROLL_S)) <= 1.0, duration_s
    shown = clip_frames(path)
    assert any(media.has_person(i) for i in shown), shown  # the person frames
    assert any(not media.has_person(i) for i in shown), shown  # and the pre-roll before them
    camera = service.camera("cam")
    assert camera["stream"]["state"] == "online" and camera["framesAnalysed"] > 0
    assert camera["stream"]["framesDecoded"] >= camera["stream"]["framesHandedOn"] > 0
    assert service.metric("camera_stream_state", camera="cam", state="online") == 1.0
    assert service.metric("clips_total", outcome="written") == 1.0


def test_a_stopped_server_makes_the_camera_offline_and_its_restart_brings_it_back(
    start_service: ServiceFactory,
    rtsp_server_factory: Callable[..., RtspServer],
    notifications: FakeSupportNotifications,
) -> None:
    server = rtsp_server_factory()
    service = start_service(settings({"cam": stream(server.uri)}, OFFLINE))
    assert wait_for(lambda: service.camera("cam")["stream"]["state"] == "online", 15)
    assert wait_for(lambda: states(service) == ["online"], 5), states(service)

    server.stop()
    stopped = time.monotonic()
    assert wait_for(
        lambda: service.camera("cam")["stream"]["state"] == "offline", STALL_S + OFFLINE_AFTER_S + 3
    )
    assert time.monotonic() - stopped <= STALL_S + OFFLINE_AFTER_S + 3
    assert wait_for(lambda: notifications.notifications, 10)
    note = notifications.notifications[0]
    assert note["category"] == "camera-health" and note["severity"] == "CRITICAL"
    assert notifications.invalid_requests == []
    assert wait_for(lambda: "offline" in states(service), 5), states(service)
    offline = service.events("app-vision-camera-health", "cam")[-1]
    values = {r.resource_name: r.value for r in offline.readings}
    assert values["StreamState"] == "offline" and values["Online"] == "false"
    assert values["LastError"] and int(values["FramesIn"]) > 0

    server.start()  # same port, same service: no restart
    assert wait_for(lambda: service.camera("cam")["stream"]["state"] == "online", 15)
    camera = service.camera("cam")
    assert camera["stream"]["reconnects"] >= 1 and camera["stream"]["lastError"]
    assert wait_for(lambda: states(service)[-1] == "online", 5), states(service)
    frames = camera["framesReceived"]
    assert wait_for(lambda: service.camera("cam")["framesReceived"] > frames, 5)
    assert service.metric("camera_stream_reconnects_total", camera="cam") >= 1
    sensor = {(s.device, s.resource): s.value for s in service.pipeline.view.sensor_states()}
    assert sensor[("cam", "StreamState")] == "online" and sensor[("cam", "Online")] is True


def states(service: StreamService) -> list[str]:
    """The StreamState of each health event the camera published, in order."""
    return [
        str({r.resource_name: r.value for r in e.readings}["StreamState"])
        for e in service.events("app-vision-camera-health", "cam")
    ]


def test_junk_and_an_undecodable_codec_are_errors_on_their_cameras_not_a_crash(
    start_service: ServiceFactory,
    junk_server_factory: Callable[[str], JunkServer],
    media: Media,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    junk = junk_server_factory("junk")
    secret_uri = junk.uri().replace("rtsp://", "rtsp://admin:s3cret-pw@")
    service = start_service(
        settings(
            {
                "junk": stream(secret_uri),
                "alien": stream(str(media.unknown_codec_avi)),
                "good": stream(str(media.h264_mp4)),
            }
        )
    )
    assert wait_for(lambda: service.camera("junk")["stream"]["errors"] >= 2, 15)
    assert wait_for(lambda: service.camera("alien")["stream"]["errors"] >= 1, 15)
    assert wait_for(lambda: service.camera("good")["framesAnalysed"] > 3, 15)
    junk_row, alien = service.camera("junk"), service.camera("alien")
    assert junk_row["stream"]["state"] != "online" and junk_row["stream"]["lastError"]
    assert "decoder" in alien["stream"]["lastError"].lower(), alien["stream"]["lastError"]
    assert alien["stream"]["state"] != "online" and alien["framesReceived"] == 0
    assert service.metric("camera_stream_errors_total", camera="junk") >= 2
    # the service goes on: the good camera keeps being analysed, REST answers
    analysed = service.camera("good")["framesAnalysed"]
    assert wait_for(lambda: service.camera("good")["framesAnalysed"] > analysed, 5)
    # credentials appear nowhere: not in the log, REST, metrics or health events
    assert "junk" in caplog.text and "s3cret-pw" not in caplog.text
    assert "s3cret-pw" not in service.client.get("/api/v3/cameras").text
    assert "s3cret-pw" not in service.metrics.prometheus_text().decode()
    assert all(
        "s3cret-pw" not in str(r.value)
        for e in service.events("app-vision-camera-health")
        for r in e.readings
    )
