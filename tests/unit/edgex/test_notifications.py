"""support-notifications client against the spec-validating fake; Notification validation."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from service.edgex.clients import HttpPeer, PeerSettings
from service.edgex.errors import PeerRejected, PeerUnavailable
from service.edgex.notifications import InvalidNotification, Notification, NotificationClient
from tests.fakes import FakeSupportNotifications


@pytest.fixture
def notifications() -> Iterator[FakeSupportNotifications]:
    with FakeSupportNotifications() as fake:
        yield fake


def _client(fake: FakeSupportNotifications) -> NotificationClient:
    return NotificationClient(
        HttpPeer(PeerSettings("support-notifications", "127.0.0.1", fake.port, timeout_s=2))
    )


def _alert(**overrides: Any) -> Notification:
    fields: dict[str, Any] = {
        "content": "person detected on test-vision (score 0.9)",
        "severity": "CRITICAL",
        "category": "vision-alert",
        "labels": ("vision", "person"),
    }
    return Notification(**(fields | overrides))


def test_send_returns_ids_and_body_matches_capture_shape(
    notifications: FakeSupportNotifications, rest_captures: dict[str, Any]
) -> None:
    request_id = str(uuid.uuid4())
    ids = _client(notifications).send([_alert(request_id=request_id, description="front door")])
    stored = notifications.notifications[0]
    assert ids == [stored["id"]]
    (recorded,) = notifications.requests
    assert recorded.valid and recorded.status == 207 and notifications.response_errors == []
    sent = recorded.json[0]
    assert sent == {
        "apiVersion": "v3",
        "requestId": request_id,
        "notification": {
            "content": "person detected on test-vision (score 0.9)",
            "contentType": "text/plain",
            "sender": "app-vision",
            "severity": "CRITICAL",
            "category": "vision-alert",
            "labels": ["vision", "person"],
            "description": "front door",
        },
    }
    # what the real service stored for such a request (capture) has the same fields we sent
    real = rest_captures["rest-notification-get-reply"]["notifications"][0]
    assert set(sent["notification"]) - {"description"} <= set(real)
    assert notifications.count_by_request_id()[request_id] == 1


def test_capture_post_reply_parses(rest_captures: dict[str, Any]) -> None:
    from service.edgex.notifications import _id_of

    assert _id_of(rest_captures["rest-notification-post-reply"][0]) == "f9621287-6a17-4cde-a93a-01e8dc344e9c"


def test_many_in_one_request(notifications: FakeSupportNotifications) -> None:
    ids = _client(notifications).send(
        [_alert(severity="MINOR"), _alert(severity="NORMAL", category="", labels=("x",))]
    )
    assert len(set(ids)) == 2 and [n["severity"] for n in notifications.notifications] == ["MINOR", "NORMAL"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"severity": "HIGH"},
        {"content": ""},
        {"category": "", "labels": ()},
        {"category": "vision alert"},
        {"labels": ("ok", "not/ok")},
        {"sender": "app vision"},
        {"request_id": "not-a-uuid"},
    ],
)
def test_invalid_notifications_are_refused_at_construction(overrides: dict[str, Any]) -> None:
    with pytest.raises((InvalidNotification, ValueError)):
        _alert(**overrides)


def test_peer_down_and_rejection(notifications: FakeSupportNotifications) -> None:
    client = _client(notifications)
    notifications.set_down(True)
    with pytest.raises(PeerUnavailable):
        client.send([_alert()])
    notifications.set_down(False)
    notifications.fail_next(500, "database unavailable")
    with pytest.raises(PeerRejected) as err:
        client.send([_alert()])
    assert (err.value.status, err.value.message) == (500, "database unavailable")
    assert len(client.send([_alert()])) == 1


def test_fake_rejects_spec_violations_and_records_them(notifications: FakeSupportNotifications) -> None:
    url = f"{notifications.url}/api/v3/notification"
    bad = [
        {
            "apiVersion": "v3",
            "notification": {"content": "x", "sender": "s", "severity": "HIGH", "category": "c"},
        },
        {"notification": {"content": "x", "sender": "s", "severity": "MINOR", "category": "c"}},
        {"apiVersion": "v3", "notification": {"sender": "s", "severity": "MINOR", "category": "c"}},
    ]
    for item in bad:
        assert requests.post(url, json=[item], timeout=2).status_code == 400
    edgex_rule = {"apiVersion": "v3", "notification": {"content": "x", "sender": "s", "severity": "MINOR"}}
    reply = requests.post(url, json=[edgex_rule], timeout=2)  # schema-valid, but no category/labels
    assert reply.status_code == 400 and "category or labels" in reply.json()["message"]
    assert [r.valid for r in notifications.requests] == [False, False, False, True]
    assert notifications.notifications == []
    good = {
        "apiVersion": "v3",
        "notification": {"content": "x", "sender": "s", "severity": "MINOR", "labels": ["l"]},
    }
    reply = requests.post(url, json=[good], timeout=2)
    assert reply.status_code == 207 and reply.json()[0]["statusCode"] == 201
    listed = requests.get(f"{notifications.url}/api/v3/notification/category/none", timeout=2).json()
    assert listed["totalCount"] == 0 and notifications.response_errors == []
    assert notifications.counts()[notifications.requests[-2].key()] == 1
