"""Vision routes: alerts, cameras, snapshots, outbox, sensors, and the plain HTML UI at `/`.

    GET /api/v3/alerts[?state=all|active|recent&limit=N]   active and recent alerts
    GET /api/v3/alerts/{id}                                one alert
    GET /api/v3/alerts/{id}/snapshot.jpg                   the alert's annotated snapshot
    GET /api/v3/alerts/{id}/clip.mp4                       the alert's MP4 clip (clip_routes.py)
    GET /api/v3/cameras                                    state, fps, drops, last detections, stream health
    GET /api/v3/cameras/{name}/snapshot.jpg                latest annotated snapshot
    GET /api/v3/outbox[?limit=N]                           counts, pending, dead letters, delivered
    GET /api/v3/sensors                                    the sensor-state table
    GET /api/v3/analytics                                  line and zone counts of every counting camera
    GET /api/v3/analytics/{camera}                         one camera's counts (404 if it counts nothing)
    GET /  and /ui/{app.js,style.css}                      the UI (no build step)

Errors are EdgeX BaseResponse JSON. Times are nanoseconds since the epoch, like EdgeX `origin`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from service.api.responses import API_VERSION, base_response
from service.at_rest import SealedFileError
from service.pipeline.actions.outbox import OutboxItem, State
from service.pipeline.analytics import CameraCounts
from service.pipeline.cameras.status import CameraStatus
from service.pipeline.identity import analytics_device
from service.pipeline.state.alert_wire import WireAlert, WireDetection, ns, wire_alert, wire_detection
from service.pipeline.state.records import ActionOutcome, Alert, SensorState
from service.streams.health import HealthSnapshot

API_BASE = "/api/v3"
_UI_FILES = {
    "app.js": "text/javascript",
    "style.css": "text/css",
    "session.js": "text/javascript",  # the page's user and logout (service/api/access_routes.py)
}
_NO_STORE = {"Cache-Control": "no-store"}


class VisionView(Protocol):
    """What the routes read from the pipeline."""

    def active_alerts(self) -> list[Alert]: ...
    def recent_alerts(self) -> list[Alert]: ...
    def alert(self, alert_id: str) -> Alert | None: ...
    def cameras(self) -> list[CameraStatus]: ...
    def latest_snapshot(self, camera: str) -> bytes | None: ...
    def alert_snapshot(self, alert_id: str) -> bytes | None: ...
    def alert_clip(self, alert_id: str) -> Path | None: ...
    def outbox_counts(self) -> dict[State, int]: ...
    def outbox_items(self, state: State, limit: int) -> list[OutboxItem]: ...
    def sensor_states(self) -> list[SensorState]: ...
    def counts(self) -> dict[str, CameraCounts]: ...


class ActionOut(BaseModel):
    key: str
    kind: str
    outcome: str
    attempts: int
    latencyMs: float | None
    detail: str
    at: int


class AlertOut(WireAlert):
    state: Literal["active", "ended"] = Field(description="active, or ended (then in the recent list).")
    snapshotUrl: str = Field(description="The alert's snapshot ('' when it has none).")
    detections: tuple[WireDetection, ...] = Field(description="Detections of the alert's last change.")
    actions: tuple[ActionOut, ...] = Field(description="Latest state of each of the alert's actions.")
    clipReady: bool = Field(description="The clip at clipUrl is written and can be fetched.")


class StreamOut(BaseModel):
    """A stream camera's reader: its state machine and counters (reason and error redacted)."""

    state: Literal["connecting", "online", "stalled", "offline"]
    reason: str
    since: int
    framesIn: int
    framesDecoded: int
    framesHandedOn: int
    reconnects: int
    errors: int
    lastError: str
    lastErrorAt: int | None
    lastFrameAt: int | None
    hwDecode: str
    decodeCpuMsPerFrame: float


class CameraOut(BaseModel):
    name: str
    role: str
    models: list[str]
    framesReceived: int
    framesAnalysed: int
    fpsReceived: float
    fpsAnalysed: float
    drops: dict[str, int]
    lastFrameAt: int | None
    lastAnalysedAt: int | None
    lastLatencyMs: float | None
    detections: list[WireDetection]
    zones: list[str]
    snapshotUrl: str
    stream: StreamOut | None


def action_out(a: ActionOutcome) -> ActionOut:
    return ActionOut(
        key=a.key,
        kind=a.kind,
        outcome=a.outcome,
        attempts=a.attempts,
        latencyMs=None if a.latency_ms is None else round(a.latency_ms, 2),
        detail=a.detail,
        at=ns(a.at_s),
    )


def alert_out(a: Alert, clip_ready: bool = False) -> AlertOut:
    return AlertOut(
        **wire_alert(a).model_dump(),
        state=a.state,
        snapshotUrl=f"{API_BASE}/alerts/{a.alert_id}/snapshot.jpg" if a.snapshot else "",
        detections=tuple(wire_detection(s) for s in a.sightings),
        actions=tuple(action_out(x) for x in a.actions),
        clipReady=clip_ready,
    )


def stream_out(h: HealthSnapshot) -> StreamOut:
    return StreamOut(
        state=h.state.value,
        reason=h.reason,
        since=ns(h.since_s),
        framesIn=h.packets_in,
        framesDecoded=h.frames_decoded,
        framesHandedOn=h.frames_handed_on,
        reconnects=h.reconnects,
        errors=h.errors,
        lastError=h.last_error,
        lastErrorAt=ns(h.last_error_s),
        lastFrameAt=ns(h.last_frame_s),
        hwDecode=h.hw_decode,
        decodeCpuMsPerFrame=round(h.decode_cpu_ms_per_frame, 3),
    )


def camera_out(c: CameraStatus) -> CameraOut:
    return CameraOut(
        name=c.name,
        role=c.role,
        models=list(c.models),
        framesReceived=c.frames_received,
        framesAnalysed=c.frames_analysed,
        fpsReceived=round(c.fps_received, 2),
        fpsAnalysed=round(c.fps_analysed, 2),
        drops=dict(c.drops),
        lastFrameAt=ns(c.last_frame_s),
        lastAnalysedAt=ns(c.last_analysed_s),
        lastLatencyMs=None if c.last_latency_ms is None else round(c.last_latency_ms, 2),
        detections=[wire_detection(s) for s in c.sightings],
        zones=list(c.zones),
        snapshotUrl=f"{API_BASE}/cameras/{quote(c.name, safe='')}/snapshot.jpg" if c.has_snapshot else "",
        stream=stream_out(c.stream) if c.stream is not None else None,
    )


def outbox_item_out(item: OutboxItem) -> dict[str, object]:
    return {
        "id": item.row_id,
        "key": item.key,
        "kind": item.kind,
        "alertId": item.alert_id,
        "state": item.state,
        "attempts": item.attempts,
        "nextAttemptAt": ns(item.next_attempt_s),
        "createdAt": ns(item.created_s),
        "doneAt": ns(item.done_s),
        "lastError": item.last_error,
        "latencyMs": item.latency_ms,
        "result": item.result,
    }


def counts_out(camera: str, counts: CameraCounts) -> dict[str, object]:
    """A camera's counts as REST shows them (times in ns, dwell in seconds)."""
    return {
        "camera": camera,
        "lines": [
            {
                "line": c.line,
                "device": analytics_device(camera, c.line),
                "in": c.in_count,
                "out": c.out_count,
                "inRecent": c.in_recent,
                "outRecent": c.out_recent,
            }
            for c in counts.lines
        ],
        "zones": [
            {
                "zone": z.zone,
                "device": analytics_device(camera, z.zone),
                "occupancy": z.occupancy,
                "peakOccupancy": z.peak_occupancy,
                "entries": z.entries,
                "exits": z.exits,
                "entriesRecent": z.entries_recent,
                "exitsRecent": z.exits_recent,
                "dwellCount": z.dwell_count,
                "dwellP50S": z.dwell_p50_s,
                "dwellP95S": z.dwell_p95_s,
            }
            for z in counts.zones
        ],
        "dwelling": [
            {
                "zone": d.zone,
                "trackId": d.track_id,
                "label": d.label,
                "enteredAt": ns(d.entered_s),
                "dwellS": round(d.dwell_s, 3),
            }
            for d in counts.dwelling
        ],
    }


def _jpeg(data: bytes | None, what: str) -> Response:
    if data is None:
        return base_response(404, f"no snapshot for {what}", None)
    return Response(data, media_type="image/jpeg", headers=_NO_STORE)


def _ui_file(name: str) -> str:
    return resources.files("service.api").joinpath("static", name).read_text(encoding="utf-8")


def vision_router(view: VisionView) -> APIRouter:
    """The routes, reading from `view`."""
    router = APIRouter()

    def _alert_out(a: Alert) -> AlertOut:
        return alert_out(a, bool(a.clip) and view.alert_clip(a.alert_id) is not None)

    @router.get(f"{API_BASE}/alerts")
    def alerts(
        state: Literal["all", "active", "recent"] = "all", limit: int = Query(default=100, ge=1, le=10000)
    ) -> dict[str, object]:
        active = view.active_alerts() if state != "recent" else []
        recent = view.recent_alerts() if state != "active" else []
        return {
            "apiVersion": API_VERSION,
            "statusCode": 200,
            "active": [_alert_out(a) for a in active[-limit:]],
            "recent": [_alert_out(a) for a in recent[:limit]],
        }

    @router.get(f"{API_BASE}/alerts/{{alert_id}}", response_model=None)
    def alert(alert_id: str) -> dict[str, object] | Response:
        found = view.alert(alert_id)
        if found is None:
            return base_response(404, f"no alert {alert_id}", None)
        return {"apiVersion": API_VERSION, "statusCode": 200, "alert": _alert_out(found)}

    @router.get(f"{API_BASE}/alerts/{{alert_id}}/snapshot.jpg")
    def alert_snapshot(alert_id: str) -> Response:
        try:
            jpeg = view.alert_snapshot(alert_id)
        except SealedFileError as exc:  # altered on disk, or another key: refused, never served
            return base_response(500, f"snapshot of alert {alert_id} refused: {exc}", None)
        return _jpeg(jpeg, f"alert {alert_id}")

    @router.get(f"{API_BASE}/cameras")
    def cameras() -> dict[str, object]:
        rows = [camera_out(c) for c in view.cameras()]
        return {"apiVersion": API_VERSION, "statusCode": 200, "cameras": rows}

    @router.get(f"{API_BASE}/cameras/{{name}}/snapshot.jpg")
    def camera_snapshot(name: str) -> Response:
        return _jpeg(view.latest_snapshot(name), f"camera {name}")

    @router.get(f"{API_BASE}/outbox")
    def outbox(limit: int = Query(default=50, ge=1, le=10000)) -> dict[str, object]:
        counts = view.outbox_counts()
        body: dict[str, object] = {"apiVersion": API_VERSION, "statusCode": 200, "counts": counts}
        states: tuple[State, ...] = ("pending", "dead", "delivered")
        for state in states:
            body[state] = [outbox_item_out(item) for item in view.outbox_items(state, limit)]
        return body

    @router.get(f"{API_BASE}/sensors")
    def sensors() -> dict[str, object]:
        rows = [
            {
                "device": s.device,
                "resource": s.resource,
                "valueType": s.value_type,
                "value": s.value,
                "origin": s.origin_ns,
                "updatedAt": ns(s.updated_s),
                "lastRisingAt": ns(s.last_rising_s),
                "lastFallingAt": ns(s.last_falling_s),
            }
            for s in view.sensor_states()
        ]
        return {"apiVersion": API_VERSION, "statusCode": 200, "sensors": rows}

    @router.get(f"{API_BASE}/analytics")
    def analytics() -> dict[str, object]:
        rows = [counts_out(camera, counts) for camera, counts in view.counts().items()]
        return {"apiVersion": API_VERSION, "statusCode": 200, "cameras": rows}

    @router.get(f"{API_BASE}/analytics/{{camera}}", response_model=None)
    def camera_analytics(camera: str) -> dict[str, object] | Response:
        counts = view.counts().get(camera)
        if counts is None:
            return base_response(404, f"camera {camera} counts no lines or zones", None)
        return {"apiVersion": API_VERSION, "statusCode": 200, **counts_out(camera, counts)}

    @router.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(_ui_file("index.html"), headers=_NO_STORE)

    @router.get("/ui/{name}", include_in_schema=False)
    def ui_file(name: str) -> Response:
        if name not in _UI_FILES:
            return base_response(404, f"no UI file {name}", None)
        return Response(_ui_file(name), media_type=_UI_FILES[name], headers=_NO_STORE)

    return router
