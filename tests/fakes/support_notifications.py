"""FakeSupportNotifications: support-notifications' REST API (port 59860) for alerts.

    with FakeSupportNotifications() as sn:
        client = NotificationClient(HttpPeer(PeerSettings("support-notifications", "127.0.0.1", sn.port)))
        ids = client.send([Notification(content="person", severity="CRITICAL", category="vision-alert")])
        assert sn.notifications[0]["id"] == ids[0]
        assert sn.count_by_request_id()        # idempotency: how often each requestId arrived
        sn.set_down(True, mode="503")

`POST /api/v3/notification` is validated against support-notifications.yaml AND EdgeX's own DTO
rules the schema does not express (a category or labels; unreserved characters in category,
labels and sender), as the real service answers 400 for those too. It answers 207 with one
BaseWithIdResponse (statusCode 201, id) per item, like the capture rest-notification-post-reply.
`GET /api/v3/notification/category/{category}` returns the stored notifications.
"""

from __future__ import annotations

import collections
import re
import time
import uuid
from typing import Any
from urllib.parse import unquote

from tests.fakes.http_fake import FakeHttpPeer, JwtCheck, Reply, error_body

_UNRESERVED = re.compile(r"^[A-Za-z0-9\-._~]+$")


def edgex_notification_errors(notification: dict[str, Any]) -> list[str]:
    """GMCC validation beyond the OpenAPI schema (dtos/requests/notification.go)."""
    errors = []
    if not notification.get("category") and not notification.get("labels"):
        errors.append("notification needs a category or labels")
    names = [notification.get("sender", ""), *(notification.get("labels") or [])]
    if notification.get("category"):
        names.append(notification["category"])
    errors += [f"{name!r} is not RFC 3986 unreserved" for name in names if not _UNRESERVED.match(str(name))]
    return errors


class FakeSupportNotifications(FakeHttpPeer):
    """See the module docstring."""

    spec_name = "support-notifications"

    def __init__(self, jwt_check: JwtCheck | None = None) -> None:
        super().__init__(jwt_check)  # jwt_check: secure mode, 401 without a JWT it accepts
        self.notifications: list[dict[str, Any]] = []
        self._request_ids: list[str] = []

    def count_by_request_id(self) -> collections.Counter[str]:
        """How many times each AddNotificationRequest requestId was accepted (idempotency checks)."""
        with self._lock:
            return collections.Counter(self._request_ids)

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        if method == "POST" and path == "/api/v3/notification":
            return self._add(body)
        prefix = "/api/v3/notification/category/"
        if method == "GET" and path.startswith(prefix):
            category = unquote(path[len(prefix) :])
            with self._lock:
                found = [n for n in self.notifications if n.get("category") == category]
            return 200, {
                "apiVersion": "v3",
                "statusCode": 200,
                "totalCount": len(found),
                "notifications": found,
            }
        return 404, error_body(404, f"no route for {method} {path}")

    def _add(self, body: list[dict[str, Any]]) -> Reply:
        problems = [e for item in body for e in edgex_notification_errors(item["notification"])]
        if problems:
            return 400, error_body(400, "; ".join(problems))
        answers = []
        for item in body:
            now_ms = time.time_ns() // 1_000_000
            stored = dict(item["notification"]) | {
                "id": str(uuid.uuid4()),
                "created": now_ms,
                "modified": now_ms,
                "status": "NEW",
                "acknowledged": False,
            }
            answer: dict[str, Any] = {"apiVersion": "v3", "statusCode": 201, "id": stored["id"]}
            if item.get("requestId"):
                answer["requestId"] = item["requestId"]
            with self._lock:
                self.notifications.append(stored)
                self._request_ids.append(item.get("requestId", ""))
            answers.append(answer)
        return 207, answers
