"""Metrics: cached label children count into the same registry series as `.labels()`."""

from __future__ import annotations

from service.metrics import Children, Metrics


def test_children_are_the_metrics_own_children_looked_up_once() -> None:
    metrics = Metrics()
    received = Children(metrics.frames_received_total)
    received("cam-a").inc()
    received("cam-a").inc()
    received("cam-b").inc()
    assert received("cam-a") is metrics.frames_received_total.labels("cam-a")
    assert received("cam-a") is not received("cam-b")
    registry = metrics.registry
    assert registry.get_sample_value("frames_received_total", {"camera": "cam-a"}) == 2
    assert registry.get_sample_value("frames_received_total", {"camera": "cam-b"}) == 1
    dropped = Children(metrics.frames_dropped_total)
    dropped("cam-a", "replaced").inc(3)
    assert registry.get_sample_value("frames_dropped_total", {"camera": "cam-a", "reason": "replaced"}) == 3
    assert metrics.sample("FramesReceived").fields == (("counter-count", 3.0),)
