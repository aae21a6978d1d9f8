"""The shared wire form of alerts and detections: rounding, times, immutability, and its imports."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import ValidationError

from service.pipeline.analysis.sighting import Sighting
from service.pipeline.state import alert_wire
from service.pipeline.state.alert_wire import (
    WireAlert,
    WireDetection,
    latency_ms,
    ns,
    wire_alert,
    wire_detection,
)
from service.pipeline.state.records import Alert

SIGHTING = Sighting(
    "person", "person", 0.876543, (10.04, 20.06, 110.0, 320.55), ("door", "hall"), 3, True, (0.9,)
)
ALERT = Alert(
    alert_id="a-1",
    rule="rule",
    camera="cam",
    severity="CRITICAL",
    model="person",
    summary="1 person",
    state="ended",
    started_s=1.5,
    updated_s=2.25,
    last_match_s=2.25,
    updates=4,
    ended_s=3.000000001,
    sightings=(SIGHTING,),
    latency_s=0.0421,
)


@pytest.mark.parametrize(
    ("seconds", "nanoseconds", "milliseconds"),
    [
        (None, None, None),
        (0.0, 0, 0.0),
        (1.5, 1_500_000_000, 1500.0),
        (0.0421, 42_100_000, 42.1),
        (1.234567e-3, 1_234_567, 1.23),
    ],
)
def test_ns_and_latency_ms(
    seconds: float | None, nanoseconds: int | None, milliseconds: float | None
) -> None:
    assert ns(seconds) == nanoseconds and latency_ms(seconds) == milliseconds
    assert seconds is None or isinstance(ns(seconds), int)


def test_a_detection_on_the_wire() -> None:
    assert wire_detection(SIGHTING).model_dump(mode="json") == {
        "label": "person",
        "score": 0.8765,
        "box": [10.0, 20.1, 110.0, 320.6],
        "zones": ["door", "hall"],
        "model": "person",
        "trackId": 3,
        "stationary": True,
    }


def test_an_alert_on_the_wire() -> None:
    assert wire_alert(ALERT).model_dump(mode="json") == {
        "alertId": "a-1",
        "rule": "rule",
        "camera": "cam",
        "severity": "CRITICAL",
        "model": "person",
        "summary": "1 person",
        "startedAt": 1_500_000_000,
        "updatedAt": 2_250_000_000,
        "endedAt": 3_000_000_001,
        "updates": 4,
        "latencyMs": 42.1,
        "clipUrl": "",
    }
    assert wire_alert(Alert("a", "r", "", "NORMAL", "", "s", "active", 1.0, 1.0, 1.0)).endedAt is None


def test_an_alert_with_a_clip_links_the_clip_route() -> None:
    with_clip = replace(ALERT, clip="a-1.mp4")
    assert wire_alert(with_clip).clipUrl == "/api/v3/alerts/a-1/clip.mp4"


def test_wire_models_are_frozen_and_strict() -> None:
    detection = wire_detection(SIGHTING)
    with pytest.raises(ValidationError, match="frozen"):
        detection.label = "car"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs"):
        WireDetection.model_validate({**detection.model_dump(), "colour": "red"})
    with pytest.raises(ValidationError, match="latencyMs"):
        WireAlert.model_validate(
            {k: v for k, v in wire_alert(ALERT).model_dump().items() if k != "latencyMs"}
        )


def test_it_imports_neither_edgex_nor_api() -> None:
    """The state layer: result events (actions) and REST (api) build on it, not it on them."""
    tree = ast.parse(Path(alert_wire.__file__).read_text(encoding="utf-8"))
    modules = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    allowed = ("__future__", "typing", "pydantic", "service.pipeline.state.", "service.pipeline.analysis.")
    assert [m for m in modules if not m.startswith(allowed)] == []
