"""Result events: device `app-vision`, profile `app-vision-result` (device-profiles/app-vision-result.yaml).

Readings of one event (sourceName = PipelineSettings.ResultSource, default `Alert`):
- `AlertState` (String): new, update or end;
- `Alert` (Object): the alert as a whole (id, rule, camera, severity, summary, times in ns, ...,
  clipUrl when a clip was asked);
- `Detection` (Object), one per detection: label, score, box [x1,y1,x2,y2] in source pixels, zone,
  zones, camera, alertId, rule, model, latencyMs (frame origin to result), trackId, stationary;
- `Snapshot` (Binary image/jpeg), only when the rule's AttachSnapshot says the image may leave.

The outbox stores the readings' content (no ids: payloads.EventPayload). Every publish attempt
builds a new event with a fresh UUID, so an id the broker accepted is never published again
(core-data stores a repeated id twice and then fails lookups by it).
"""

from __future__ import annotations

from service.edgex.dtos import AddEventRequest, JsonValue, Reading, new_add_event_request, new_event
from service.pipeline.actions.payloads import EventPayload, ResultAlert, ResultDetection
from service.pipeline.analysis.sighting import Sighting
from service.pipeline.identity import RESULT_DEVICE, RESULT_PROFILE
from service.pipeline.state.alert_wire import latency_ms, wire_alert, wire_detection
from service.pipeline.state.records import AlertChange


def detection_object(sighting: Sighting, change: AlertChange) -> ResultDetection:
    """One Detection reading's objectValue."""
    alert = change.alert
    return ResultDetection(
        **wire_detection(sighting).model_dump(),
        zone=sighting.zones[0] if sighting.zones else "",
        camera=alert.camera,
        alertId=alert.alert_id,
        rule=alert.rule,
        latencyMs=latency_ms(alert.latency_s),
    )


def alert_object(change: AlertChange) -> ResultAlert:
    """The Alert reading's objectValue."""
    frame = change.frame
    return ResultAlert(
        **wire_alert(change.alert).model_dump(),
        state=change.transition,
        sequence=change.sequence,
        detectionCount=len(change.alert.sightings),
        frameEventId=frame.event_id if frame is not None else "",
        frameOrigin=frame.origin_ns if frame is not None else None,
    )


def result_payload(change: AlertChange, source: str, snapshot: str) -> EventPayload:
    """What the outbox stores for a result event (snapshot = file name to attach, or '')."""
    sightings = change.alert.sightings if change.transition != "end" else ()
    return EventPayload(
        source=source,
        state=change.transition,
        alert=alert_object(change),
        detections=tuple(detection_object(s, change) for s in sightings),
        snapshot=snapshot,
        correlationId=change.frame.correlation_id if change.frame is not None else "",
    )


def result_object(change: AlertChange, source: str, snapshot: str) -> dict[str, JsonValue]:
    """result_payload as the JSON object its outbox row holds, its alert as published (to compare
    with what was published)."""
    payload = result_payload(change, source, snapshot)
    stored: dict[str, JsonValue] = payload.model_dump(mode="json")
    stored["alert"] = alert_reading(payload.alert)
    return stored


def alert_reading(alert: ResultAlert) -> dict[str, JsonValue]:
    """The Alert reading's objectValue: clipUrl only with a clip (an alert without one publishes as
    it did before clips)."""
    value: dict[str, JsonValue] = alert.model_dump(mode="json")
    if not alert.clipUrl:
        del value["clipUrl"]
    return value


def build_result_request(payload: EventPayload, snapshot_jpeg: bytes | None) -> AddEventRequest:
    """A new AddEventRequest (fresh event id and request id) from a stored payload."""
    readings = [
        Reading.simple("AlertState", "String", payload.state),
        Reading.object("Alert", alert_reading(payload.alert)),
    ]
    readings.extend(Reading.object("Detection", d.model_dump(mode="json")) for d in payload.detections)
    if snapshot_jpeg is not None:
        readings.append(Reading.binary("Snapshot", snapshot_jpeg, "image/jpeg"))
    return new_add_event_request(new_event(RESULT_DEVICE, RESULT_PROFILE, payload.source, readings))
