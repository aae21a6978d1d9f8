"""Issue 13: a person standing still is the common case. Identical frames over Mosquitto must still
be analysed while a track is alive or a rule collects evidence, so persistence can be met."""

from __future__ import annotations

import time
from typing import Any

from tests.pipeline.conftest import ServiceFactory
from tests.pipeline.plain import PlainMqtt
from tests.unit.pipeline.support import wait_for

PERSISTENT_PERSON: dict[str, Any] = {
    "Name": "person-front",
    "Cameras": ["cam-1"],
    "Detection": {"Labels": ["person"], "MinScore": 0.6, "PersistFrames": 2, "PersistOutOf": 3},
    "EndAfterS": 5,
    "Actions": {"ResultEvent": True},
}


def test_the_same_person_photo_three_times_meets_two_of_three(
    start_service: ServiceFactory, plain: PlainMqtt
) -> None:
    """device-rest POSTs of one photo 0.5 s apart: before the fix the motion gate dropped frames 2 and 3
    (no_motion), so 2-of-3 persistence never held and nothing fired."""
    service = start_service({"HeartbeatS": 30, "Rules": [PERSISTENT_PERSON]})
    for _ in range(3):
        plain.frame("cam-1", "astronaut")
        time.sleep(0.5)
    assert wait_for(lambda: any(r.state == "new" for r in plain.results), 10), (
        "no alert: analysed "
        f"{service.metric('frame_to_result_seconds_count', camera='cam-1'):.0f} frame(s), dropped as still "
        f"{service.metric('frames_dropped_total', camera='cam-1', reason='no_motion'):.0f}"
    )
    assert service.metric("frames_dropped_total", camera="cam-1", reason="no_motion") == 0


def test_still_frames_without_anyone_are_still_skipped(
    start_service: ServiceFactory, plain: PlainMqtt
) -> None:
    """The gate still saves work when nothing is tracked and no rule is collecting evidence."""
    service = start_service({"HeartbeatS": 30, "Rules": [PERSISTENT_PERSON]})
    for _ in range(3):
        plain.frame("cam-1", "coffee")
        time.sleep(0.3)
    assert wait_for(
        lambda: service.metric("frames_dropped_total", camera="cam-1", reason="no_motion") >= 2, 10
    )
    assert service.metric("frame_to_result_seconds_count", camera="cam-1") == 1
