"""Action planning: the outbox rows (event, command, notification) of one alert lifecycle change.

Idempotency key: `<alert id>/<sequence>/<kind>`: unique per transition of an alert, so replaying a
change never queues an action twice, and the notification's requestId is derived from it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from service.pipeline.actions.payloads import (
    ActionPayload,
    CommandPayload,
    NotificationPayload,
    write_payload,
)
from service.pipeline.actions.result_event import result_payload
from service.pipeline.rule_settings import RuleSettings
from service.pipeline.state.records import AlertChange

KIND_EVENT, KIND_COMMAND, KIND_NOTIFICATION = "event", "command", "notification"
KIND_ANALYTICS = "analytics"  # counting readings (count_event.py): not an alert's, so alert id ''
KIND_HEALTH = "health"  # a stream camera's health change (health_event.py): alert id '' too
KIND_MODE = "mode"  # a mode switch (mode_event.py): alert id ''
KINDS = (KIND_EVENT, KIND_COMMAND, KIND_NOTIFICATION, KIND_ANALYTICS, KIND_HEALTH, KIND_MODE)
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

    def add(kind: str, payload: ActionPayload) -> None:
        planned.append(PlannedAction(key(kind), kind, alert.alert_id, write_payload(payload)))

    if actions.ResultEvent:
        attach = snapshot if (actions.AttachSnapshot and change.transition == "new") else ""
        add(KIND_EVENT, result_payload(change, source, attach))
    if change.transition != "new":
        return planned
    if actions.Command is not None:
        command = actions.Command
        add(KIND_COMMAND, CommandPayload(device=command.Device, command=command.Command, body=command.Body))
    if actions.Notification is not None:
        note = actions.Notification
        labels = [rule.Name, *([alert.camera] if alert.camera else []), *note.Labels]
        labels.extend(sorted({s.label for s in alert.sightings}))
        notification = NotificationPayload(
            category=note.Category,
            labels=tuple(dict.fromkeys(labels)),
            severity=note.Severity or alert.severity,
            content=alert.summary,
            description=f"app-vision alert {alert.alert_id} ({rule.Name})",
            requestId=str(uuid.uuid5(_KEY_NAMESPACE, key(KIND_NOTIFICATION))),
        )
        add(KIND_NOTIFICATION, notification)
    return planned
