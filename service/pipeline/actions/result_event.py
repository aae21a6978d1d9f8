"""Result events: device `app-vision`, profile `app-vision-result` (device-profiles/app-vision-result.yaml).

Readings of one event (sourceName = PipelineSettings.ResultSource, default `Alert`):
- `AlertState` (String): new, update or end;
- `Alert` (Object): the alert as a whole (id, rule, camera, severity, summary, times in ns, ...);
- `Detection` (Object), one per detection: label, score, box [x1,y1,x2,y2] in source pixels, zone,
  zones, camera, alertId, rule, model, latencyMs (frame origin to result), trackId, stationary;
- `Snapshot` (Binary image/jpeg), only when the rule's AttachSnapshot says the image may leave.

The outbox stores the readings' content (no ids). Every publish attempt builds a new event with a
fresh UUID, so an id the broker accepted is never published again (core-data stores a repeated id
twice and then fails lookups by it).
"""

from __future__ import annotations

from service.edgex.dtos import AddEventRequest, JsonValue, Reading, new_add_event_request, new_event
from service.pipeline.analysis.sighting import Sighting
from service.pipeline.identity import RESULT_DEVICE, RESULT_PROFILE
from service.pipeline.state.records import AlertChange


def _ns(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1e9)


def _latency_ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def detection_object(sighting: Sighting, change: AlertChange) -> dict[str, JsonValue]:
    """One Detection reading's objectValue."""
    alert = change.alert
    return {
        "label": sighting.label,
        "score": round(sighting.score, 4),
        "box": [round(v, 1) for v in sighting.box],
        "zone": sighting.zones[0] if sighting.zones else "",
        "zones": list(sighting.zones),
        "camera": alert.camera,
        "alertId": alert.alert_id,
        "rule": alert.rule,
        "model": sighting.model,
        "latencyMs": _latency_ms(alert.latency_s),
        "trackId": sighting.track_id,
        "stationary": sighting.stationary,
    }


def alert_object(change: AlertChange) -> dict[str, JsonValue]:
    """The Alert reading's objectValue."""
    alert = change.alert
    frame = change.frame
    return {
        "alertId": alert.alert_id,
        "state": change.transition,
        "sequence": change.sequence,
        "rule": alert.rule,
        "camera": alert.camera,
        "severity": alert.severity,
        "summary": alert.summary,
        "model": alert.model,
        "startedAt": _ns(alert.started_s),
        "updatedAt": _ns(alert.updated_s),
        "endedAt": _ns(alert.ended_s),
        "updates": alert.updates,
        "detectionCount": len(alert.sightings),
        "latencyMs": _latency_ms(alert.latency_s),
        "frameEventId": frame.event_id if frame is not None else "",
        "frameOrigin": frame.origin_ns if frame is not None else None,
    }


def result_payload(change: AlertChange, source: str, snapshot: str) -> dict[str, JsonValue]:
    """What the outbox stores for a result event (snapshot = file name to attach, or '')."""
    sightings = change.alert.sightings if change.transition != "end" else ()
    return {
        "source": source,
        "state": change.transition,
        "alert": alert_object(change),
        "detections": [detection_object(s, change) for s in sightings],
        "snapshot": snapshot,
    }


def build_result_request(payload: dict[str, JsonValue], snapshot_jpeg: bytes | None) -> AddEventRequest:
    """A new AddEventRequest (fresh event id and request id) from a stored payload."""
    source = str(payload["source"])
    readings = [
        Reading.simple("AlertState", "String", str(payload["state"])),
        Reading.object("Alert", payload["alert"]),
    ]
    detections = payload.get("detections")
    if isinstance(detections, list):
        readings.extend(Reading.object("Detection", item) for item in detections)
    if snapshot_jpeg is not None:
        readings.append(Reading.binary("Snapshot", snapshot_jpeg, "image/jpeg"))
    return new_add_event_request(new_event(RESULT_DEVICE, RESULT_PROFILE, source, readings))
