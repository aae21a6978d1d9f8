"""A bus-fed camera beside a stream camera: its frames are analysed as before and its alert gets a
clip too, encoded from the frames it sent (issue 14: cameras driven by snapshots keep working)."""

from __future__ import annotations

import subprocess
import time
from dataclasses import replace
from pathlib import Path

import cv2

from service.edgex.dtos import Reading, new_add_event_request, new_event
from service.simulator.photos import load_photo
from tests.streams.media import Media
from tests.streams_e2e.conftest import ServiceFactory
from tests.streams_e2e.test_stream_cameras import PERSON, settings, stream
from tests.unit.pipeline.support import wait_for

TOPIC = "edgex/events/device/device-rest/app-vision-camera/bus-cam/jpeg"


def test_a_bus_camera_alert_gets_a_clip_of_the_frames_it_sent(
    start_service: ServiceFactory, media: Media, tmp_path: Path
) -> None:
    rule = {**PERSON, "Cameras": ["bus-cam"]}
    config = settings({"cam": stream(str(media.h264_mp4))}, rule)
    config["Devices"]["bus-cam"] = {"Role": "camera"}
    service = start_service(config)
    frames = {
        name: bytes(cv2.imencode(".jpg", load_photo(name))[1].tobytes()) for name in ("coffee", "astronaut")
    }
    sent = 0
    started = time.monotonic()
    while time.monotonic() - started < 6:  # 2 s without, then 4 s with a person, 5 FPS
        photo = "coffee" if time.monotonic() - started < 2 else "astronaut"
        event = new_event(
            "bus-cam", "app-vision-camera", "jpeg", [Reading.binary("jpeg", frames[photo], "image/jpeg")]
        )
        now_ns = time.time_ns()
        event = replace(
            event, origin=now_ns, readings=tuple(replace(r, origin=now_ns) for r in event.readings)
        )
        service.pipeline.handle_event(new_add_event_request(event), TOPIC)
        sent += 1
        time.sleep(0.2)
    alerts = [a for a in service.pipeline.view.active_alerts() if a.camera == "bus-cam"]
    assert len(alerts) == 1 and alerts[0].clip, service.pipeline.view.active_alerts()
    alert_id = alerts[0].alert_id
    assert wait_for(lambda: service.pipeline.view.alert_clip(alert_id) is not None, 15)
    path = service.pipeline.view.alert_clip(alert_id)
    assert path is not None
    probed = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-count_frames",
            "-show_entries",
            "stream=codec_name,nb_read_frames",
            "-show_entries",
            "format=duration",
            "-of",
            "default=nw=1",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    fields = dict(line.split("=", 1) for line in probed.split())
    assert fields["codec_name"] == "h264"
    assert abs(float(fields["duration"]) - 4.0) <= 1.0, fields  # pre-roll 2 s + post-roll 2 s
    assert 5 <= int(fields["nb_read_frames"]) <= 25, fields  # the analysed frames of that period, 5 FPS
    camera = service.camera("bus-cam")
    assert camera["stream"] is None and camera["framesReceived"] == sent
