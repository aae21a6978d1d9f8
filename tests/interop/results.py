"""app-vision's result events built and published by the pipeline's own code (ActionSenders.send_event)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from service.edgex.bus import MessageBus
from service.edgex.clients import HttpPeer, PeerSettings
from service.edgex.commands import BusCommandClient, BusCommandSettings
from service.edgex.dtos import JsonValue
from service.edgex.notifications import NotificationClient
from service.edgex.wire_format import WireFormat
from service.pipeline.actions.outbox import OutboxItem
from service.pipeline.actions.plan import KIND_EVENT
from service.pipeline.actions.result_event import result_object as result_payload
from service.pipeline.actions.senders import ActionSenders, SenderDeps
from service.pipeline.analysis.sighting import FrameView, Sighting
from service.pipeline.settings import SnapshotSettings
from service.pipeline.state.records import Alert, AlertChange, Transition
from service.pipeline.state.snapshot_store import SnapshotStore

RESULT_SOURCE = "Alert"
RESULT_TOPIC = f"edgex/events/device/app-vision/app-vision-result/app-vision/{RESULT_SOURCE}"


def alert_change(transition: Transition = "new") -> AlertChange:
    """A person alert on Camera-1 with one tracked detection, caused by a real-looking frame."""
    now = time.time()
    sighting = Sighting(
        model="person-detection",
        label="person",
        score=0.87654,
        box=(12.0, 20.5, 118.25, 230.0),
        zones=("door",),
        track_id=3,
        stationary=False,
        scores=(0.81, 0.87654),
    )
    alert = Alert(
        alert_id=str(uuid.uuid4()),
        rule="person-at-door",
        camera="Camera-1",
        severity="CRITICAL",
        model="person-detection",
        summary="person at the door",
        state="active" if transition != "end" else "ended",
        started_s=now - 3.0,
        updated_s=now,
        last_match_s=now,
        updates=1,
        ended_s=now if transition == "end" else None,
        sightings=(sighting,),
        latency_s=0.0421,
    )
    frame = FrameView(
        camera="Camera-1",
        width=640,
        height=480,
        sightings=(sighting,),
        origin_ns=time.time_ns() - 42_100_000,
        analysed_s=now,
        latency_s=0.0421,
        event_id=str(uuid.uuid4()),
    )
    return AlertChange(transition, alert, frame, 0 if transition == "new" else 2)


def outbox_item(payload: dict[str, JsonValue], alert_id: str) -> OutboxItem:
    return OutboxItem(
        row_id=1,
        key=f"{alert_id}/0/{KIND_EVENT}",
        kind=KIND_EVENT,
        alert_id=alert_id,
        payload=json.dumps(payload),
        state="pending",
        attempts=0,
        next_attempt_s=0.0,
        created_s=time.time(),
        last_error="",
        done_s=None,
        latency_ms=None,
        result="",
    )


def senders(bus: MessageBus, wire: WireFormat, state_dir: Path) -> tuple[ActionSenders, SnapshotStore]:
    """The pipeline's action senders; only the bus and the snapshot store take part in send_event."""
    snapshots = SnapshotStore(state_dir / "snapshots", SnapshotSettings())
    unused_peer = HttpPeer(PeerSettings("support-notifications", "127.0.0.1", 9))
    deps = SenderDeps(
        bus=bus,
        wire=wire,
        base_topic="edgex",
        commands=BusCommandClient(bus, BusCommandSettings()),
        notifications=NotificationClient(unused_peer),
        snapshots=snapshots,
    )
    return ActionSenders(deps), snapshots


def publish_result(
    bus: MessageBus, wire: WireFormat, state_dir: Path, jpeg: bytes | None, transition: Transition = "new"
) -> tuple[str, dict[str, JsonValue]]:
    """Publish one result event as the pipeline does; returns (event id, the stored outbox payload)."""
    action, snapshots = senders(bus, wire, state_dir)
    change = alert_change(transition)
    name = snapshots.save(change.alert.alert_id, jpeg) if jpeg is not None else ""
    payload = result_payload(change, RESULT_SOURCE, name)
    return action.send_event(outbox_item(payload, change.alert.alert_id)), payload
