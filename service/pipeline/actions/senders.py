"""Action senders: one send function per outbox kind (bus publish, core-command set, support-notifications).

Each raises ActionError (the outbox retries) or PermanentActionError (dead-lettered, no retry)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from service.at_rest import SealedFileError
from service.edgex.bus import MessageBus
from service.edgex.commands import CommandClient
from service.edgex.dtos import AddEventRequest
from service.edgex.envelope import envelope_for_event
from service.edgex.errors import BusUnavailable, DecodeError, PeerRejected, PeerUnavailable
from service.edgex.notifications import Notification
from service.edgex.topics import event_topic
from service.edgex.wire_format import WireFormat
from service.pipeline.actions.count_event import build_count_request
from service.pipeline.actions.delivery import Sender
from service.pipeline.actions.health_event import build_health_request
from service.pipeline.actions.mode_event import build_mode_request
from service.pipeline.actions.outbox import OutboxItem
from service.pipeline.actions.payloads import (
    CommandPayload,
    CountPayload,
    EventPayload,
    HealthPayload,
    ModePayload,
    NotificationPayload,
    read_payload,
)
from service.pipeline.actions.plan import (
    KIND_ANALYTICS,
    KIND_COMMAND,
    KIND_EVENT,
    KIND_HEALTH,
    KIND_MODE,
    KIND_NOTIFICATION,
)
from service.pipeline.actions.result_event import build_result_request
from service.pipeline.errors import ActionError, PermanentActionError
from service.pipeline.identity import (
    ANALYTICS_PROFILE,
    HEALTH_PROFILE,
    MODE_PROFILE,
    RESULT_DEVICE,
    RESULT_PROFILE,
    RESULT_SERVICE,
)
from service.pipeline.state.snapshot_store import SnapshotStore

log = logging.getLogger(__name__)


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
    def by_kind(self) -> dict[str, Sender]:
        """Kind -> send function."""
        return {
            KIND_EVENT: self.send_event,
            KIND_COMMAND: self.send_command,
            KIND_NOTIFICATION: self.send_notification,
            KIND_ANALYTICS: self.send_counts,
            KIND_HEALTH: self.send_health,
            KIND_MODE: self.send_mode,
        }

    def _snapshot(self, name: str) -> bytes | None:
        """The alert's snapshot for its result event; one refused on disk (altered) goes without."""
        try:
            return self._deps.snapshots.read(name) if name else None
        except SealedFileError as exc:
            log.warning("result event without its snapshot: %s", exc)
            return None

    def send_event(self, item: OutboxItem) -> str:
        """Publish a result event with a fresh id; returns the id."""
        payload = read_payload(EventPayload, item.payload)
        req = build_result_request(payload, self._snapshot(payload.snapshot))
        wire = self._deps.wire
        envelope = envelope_for_event(
            req,
            wire.form,
            cbor_all_events=wire.encode_all_events_cbor,
            correlation_id=payload.correlationId or None,  # the triggering message's, as the AFS does
        )
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

    def send_counts(self, item: OutboxItem) -> str:
        """Publish an analytics event with a fresh id; returns the id."""
        req = build_count_request(read_payload(CountPayload, item.payload))
        wire = self._deps.wire
        envelope = envelope_for_event(req, wire.form, cbor_all_events=wire.encode_all_events_cbor)
        topic = event_topic(
            self._deps.base_topic,
            RESULT_SERVICE,
            ANALYTICS_PROFILE,
            req.event.device_name,
            req.event.source_name,
            escape=wire.name_field_escape,
        )
        try:
            self._deps.bus.publish(topic, envelope)
        except BusUnavailable as exc:
            raise ActionError(f"bus unavailable: {exc}") from exc
        return req.event.id

    def send_health(self, item: OutboxItem) -> str:
        """Publish a camera health event with a fresh id; returns the id."""
        req = build_health_request(read_payload(HealthPayload, item.payload))
        return self._publish_device_event(req, HEALTH_PROFILE)

    def send_mode(self, item: OutboxItem) -> str:
        """Publish a mode switch with a fresh id; returns the id."""
        return self._publish_device_event(
            build_mode_request(read_payload(ModePayload, item.payload)), MODE_PROFILE
        )

    def _publish_device_event(self, req: AddEventRequest, profile: str) -> str:
        wire = self._deps.wire
        envelope = envelope_for_event(req, wire.form, cbor_all_events=wire.encode_all_events_cbor)
        topic = event_topic(
            self._deps.base_topic,
            RESULT_SERVICE,
            profile,
            req.event.device_name,
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
        payload = read_payload(CommandPayload, item.payload)
        try:
            result = self._deps.commands.set(payload.device, payload.command, payload.settings())
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
        payload = read_payload(NotificationPayload, item.payload)
        notification = Notification(
            content=payload.content,
            severity=_severity(payload.severity),
            category=payload.category,
            labels=payload.labels,
            description=payload.description,
            request_id=payload.requestId,
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


def _severity(value: str) -> Literal["MINOR", "NORMAL", "CRITICAL"]:
    if value == "MINOR":
        return "MINOR"
    return "CRITICAL" if value == "CRITICAL" else "NORMAL"
