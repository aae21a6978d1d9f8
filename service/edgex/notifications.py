"""support-notifications client: `POST /api/v3/notification` with `[AddNotificationRequest]`.

EdgeX requires content, sender and severity (MINOR|NORMAL|CRITICAL), at least one of category and
labels, and RFC 3986 unreserved characters in category, labels and sender (GMCC
dtos/requests/notification.go); a Notification that breaks these is refused at construction with
InvalidNotification, so it never reaches the outbox. The reply is 207 with one BaseWithIdResponse
per request; an item with statusCode >= 400 raises PeerRejected.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from service.edgex.clients import HttpPeer
from service.edgex.errors import EdgeXError, PayloadDecodeError, PeerRejected
from service.edgex.event_types import API_VERSION, JsonValue

Severity = Literal["MINOR", "NORMAL", "CRITICAL"]
SEVERITIES: frozenset[str] = frozenset({"MINOR", "NORMAL", "CRITICAL"})
SENDER = "app-vision"
_UNRESERVED = re.compile(r"^[A-Za-z0-9\-._~]+$")
SUPPORT_NOTIFICATIONS = "support-notifications"


class InvalidNotification(EdgeXError, ValueError):
    """A notification support-notifications would reject (400)."""


@dataclass(frozen=True, slots=True)
class Notification:
    """One AddNotificationRequest; `request_id` doubles as an idempotency key for the outbox."""

    content: str
    severity: Severity
    category: str = ""
    labels: tuple[str, ...] = ()
    content_type: str = "text/plain"
    description: str = ""
    sender: str = SENDER
    request_id: str = ""

    def __post_init__(self) -> None:
        if not self.content:
            raise InvalidNotification("content is required")
        if self.severity not in SEVERITIES:
            raise InvalidNotification(f"severity must be one of {sorted(SEVERITIES)}, not {self.severity!r}")
        if not self.category and not self.labels:
            raise InvalidNotification("a notification needs a category or labels")
        for what, text in [
            ("sender", self.sender),
            ("category", self.category or "x"),
            *(("label", label) for label in self.labels),
        ]:
            if not _UNRESERVED.match(text):
                raise InvalidNotification(f"{what} {text!r} must use RFC 3986 unreserved characters only")
        if self.request_id:
            uuid.UUID(self.request_id)  # ValueError for a non-UUID: EdgeX requires a UUID

    def to_json(self) -> dict[str, JsonValue]:
        """The AddNotificationRequest JSON object."""
        body: dict[str, JsonValue] = {
            "content": self.content,
            "contentType": self.content_type,
            "sender": self.sender,
            "severity": self.severity,
        }
        if self.category:
            body["category"] = self.category
        if self.labels:
            body["labels"] = list(self.labels)
        if self.description:
            body["description"] = self.description
        request: dict[str, JsonValue] = {"apiVersion": API_VERSION}
        if self.request_id:
            request["requestId"] = self.request_id
        request["notification"] = body
        return request


class NotificationClient:
    """Sends notifications to support-notifications (port 59860)."""

    def __init__(self, peer: HttpPeer) -> None:
        self._peer = peer

    def send(self, notifications: Sequence[Notification]) -> list[str]:
        """POST them in one request; returns the ids support-notifications assigned, in order."""
        reply = self._peer.call("POST", "/notification", body=[n.to_json() for n in notifications])
        if not isinstance(reply.body, list) or len(reply.body) != len(notifications):
            raise PayloadDecodeError("support-notifications reply is not one item per notification")
        return [_id_of(item) for item in reply.body]


def _id_of(item: JsonValue) -> str:
    if not isinstance(item, dict):
        raise PayloadDecodeError("reply item is not an object")
    status = item.get("statusCode")
    if isinstance(status, int) and status >= 400:
        message = item.get("message")
        raise PeerRejected(SUPPORT_NOTIFICATIONS, status, message if isinstance(message, str) else "")
    ident = item.get("id")
    if not isinstance(ident, str):
        raise PayloadDecodeError("reply item has no id")
    return ident
