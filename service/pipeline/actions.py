"""Actions of an alert change: what goes into the outbox (plan) and how each kind is delivered (send).

Kinds (one literal registry, `ActionSenders.registry`):
- `event`: the result event, published on the bus (every lifecycle transition);
- `command`: the rule's core-command set command (new alerts only);
- `notification`: the rule's support-notifications notification (new alerts only).
Idempotency key: `<alert id>/<sequence>/<kind>`: unique per transition of an alert, so replaying a
change never queues an action twice, and the notification's requestId is derived from it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from service.edgex.bus import MessageBus
from service.edgex.commands import CommandClient
from service.edgex.dtos import JsonValue
from service.edgex.envelope import envelope_for_event
from service.edgex.errors import BusUnavailable, DecodeError, PeerRejected, PeerUnavailable
from service.edgex.notifications import Notification
from service.edgex.topics import event_topic
from service.edgex.wire_format import WireFormat
from service.pipeline.alerts import AlertChange
from service.pipeline.delivery import Sender
from service.pipeline.errors import ActionError, PermanentActionError
from service.pipeline.outbox import OutboxItem
from service.pipeline.result_event import RESULT_DEVICE, RESULT_PROFILE, RESULT_SERVICE, build_result_request
from service.pipeline.result_event import result_payload as build_payload
from service.pipeline.rule_settings import RuleSettings
from service.pipeline.snapshots import SnapshotStore

KIND_EVENT, KIND_COMMAND, KIND_NOTIFICATION = "event", "command", "notification"
KINDS = (KIND_EVENT, KIND_COMMAND, KIND_NOTIFICATION)
_KEY_NAMESPACE = uuid.UUID("6f1d5a38-2f4e-4d55-9a43-1c7e0f0b9a11")


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """One outbox row to add."""

    key: str
    kind: str
    alert_id: str
    payload: str


def plan_actions(change: AlertChange, rule: RuleSettings, source: str, snapshot: str) -> list[PlannedAction]:
    """The outbox rows for one lifecycle change of an alert of `rule`."""
    alert = change.alert
    actions = rule.Actions
    planned: list[PlannedAction] = []

    def key(kind: str) -> str:
        return f"{alert.alert_id}/{change.sequence}/{kind}"

    def add(kind: str, payload: dict[str, JsonValue]) -> None:
        planned.append(PlannedAction(key(kind), kind, alert.alert_id, json.dumps(payload)))

    if actions.ResultEvent:
        attach = snapshot if (actions.AttachSnapshot and change.transition == "new") else ""
        add(KIND_EVENT, build_payload(change, source, attach))
    if change.transition != "new":
        return planned
    if actions.Command is not None:
        body: dict[str, JsonValue] = {}
        for resource, value in actions.Command.Body.items():
            body[resource] = dict(value) if isinstance(value, dict) else value
        command = actions.Command
        add(KIND_COMMAND, {"device": command.Device, "command": command.Command, "body": body})
    if actions.Notification is not None:
        note = actions.Notification
        labels = [rule.Name, *([alert.camera] if alert.camera else []), *note.Labels]
        labels.extend(sorted({s.label for s in alert.sightings}))
        add(
            KIND_NOTIFICATION,
            {
                "category": note.Category,
                "labels": list(dict.fromkeys(labels)),
                "severity": note.Severity or alert.severity,
                "content": alert.summary,
                "description": f"app-vision alert {alert.alert_id} ({rule.Name})",
                "requestId": str(uuid.uuid5(_KEY_NAMESPACE, key(KIND_NOTIFICATION))),
            },
        )
    return planned


class Notifier(Protocol):
    """What delivery needs of service.edgex.notifications.NotificationClient."""

    def send(self, notifications: Sequence[Notification]) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class SenderDeps:
    """What delivery needs: the bus and wire form for events, the two EdgeX clients, snapshots."""

    bus: MessageBus
    wire: WireFormat
    base_topic: str
    commands: CommandClient
    notifications: Notifier
    snapshots: SnapshotStore


class ActionSenders:
    """One send function per kind; each raises ActionError (retry) or PermanentActionError (dead)."""

    def __init__(self, deps: SenderDeps) -> None:
        self._deps = deps

    @property
    def registry(self) -> dict[str, Sender]:
        """Kind -> send function."""
        return {
            KIND_EVENT: self.send_event,
            KIND_COMMAND: self.send_command,
            KIND_NOTIFICATION: self.send_notification,
        }

    def send_event(self, item: OutboxItem) -> str:
        """Publish a result event with a fresh id; returns the id."""
        payload = _payload(item)
        name = payload.get("snapshot")
        jpeg = self._deps.snapshots.read(name) if isinstance(name, str) and name else None
        req = build_result_request(payload, jpeg)
        wire = self._deps.wire
        envelope = envelope_for_event(req, wire.form, cbor_all_events=wire.encode_all_events_cbor)
        topic = event_topic(
            self._deps.base_topic,
            RESULT_SERVICE,
            RESULT_PROFILE,
            RESULT_DEVICE,
            req.event.source_name,
            escape=wire.name_field_escape,
        )
        try:
            self._deps.bus.publish(topic, envelope)
        except BusUnavailable as exc:
            raise ActionError(f"bus unavailable: {exc}") from exc
        return req.event.id

    def send_command(self, item: OutboxItem) -> str:
        """core-command set; 4xx refusals are permanent, an unreachable peer or 5xx is retried."""
        payload = _payload(item)
        body = payload.get("body")
        if not isinstance(body, dict):
            raise PermanentActionError("command payload has no body")
        try:
            result = self._deps.commands.set(str(payload["device"]), str(payload["command"]), body)
        except PeerUnavailable as exc:
            raise ActionError(str(exc)) from exc
        if result.ok:
            return f"{result.status} in {result.latency_s * 1000:.1f} ms"
        detail = f"core-command answered {result.status}: {result.message}"
        if 400 <= result.status < 500:
            raise PermanentActionError(detail)
        raise ActionError(detail)

    def send_notification(self, item: OutboxItem) -> str:
        """support-notifications POST; returns the id it assigned."""
        payload = _payload(item)
        labels = payload.get("labels")
        notification = Notification(
            content=str(payload["content"]),
            severity=_severity(payload.get("severity")),
            category=str(payload.get("category") or ""),
            labels=tuple(str(label) for label in labels) if isinstance(labels, list) else (),
            description=str(payload.get("description") or ""),
            request_id=str(payload.get("requestId") or ""),
        )
        try:
            return self._deps.notifications.send([notification])[0]
        except PeerUnavailable as exc:
            raise ActionError(str(exc)) from exc
        except PeerRejected as exc:
            if exc.status >= 500:
                raise ActionError(str(exc)) from exc
            raise PermanentActionError(str(exc)) from exc
        except DecodeError as exc:  # accepted or not is unknown: never risk a duplicate alert
            raise PermanentActionError(f"unreadable reply: {exc}") from exc


def _payload(item: OutboxItem) -> dict[str, JsonValue]:
    try:
        value = json.loads(item.payload)
    except ValueError as exc:
        raise PermanentActionError(f"corrupt outbox payload: {exc}") from exc
    if not isinstance(value, dict):
        raise PermanentActionError("outbox payload is not an object")
    return value


def _severity(value: JsonValue) -> Literal["MINOR", "NORMAL", "CRITICAL"]:
    if value == "MINOR":
        return "MINOR"
    return "CRITICAL" if value == "CRITICAL" else "NORMAL"
