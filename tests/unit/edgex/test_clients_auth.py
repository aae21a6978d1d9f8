"""HttpPeer's auth hook (EdgeX secure mode): the JWT on every call, one retry after a 401 with a
fresh JWT, and a JWT that cannot be had is PeerUnavailable (queued work waits, nothing is lost)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.edgex.clients import HttpPeer, PeerSettings
from service.edgex.errors import PeerRejected, PeerUnavailable
from service.edgex.notifications import Notification, NotificationClient
from service.edgex.secretstore import StoreUnavailable
from tests.fakes.support_notifications import FakeSupportNotifications


class Jwts:
    """An AuthHeaderSource handing out jwt-1, jwt-2, ... (a new one after each invalidate)."""

    def __init__(self) -> None:
        self.number = 1
        self.invalidated = 0
        self.down = False

    def authorization_header(self) -> dict[str, str]:
        if self.down:
            raise StoreUnavailable("http://127.0.0.1:8200", "GET /v1/identity/oidc/token/app-vision: refused")
        return {"Authorization": f"Bearer jwt-{self.number}"}

    def invalidate(self) -> None:
        self.invalidated += 1
        self.number += 1


@pytest.fixture
def notifications() -> Iterator[FakeSupportNotifications]:
    accepted = {"jwt-2", "jwt-3"}
    with FakeSupportNotifications(jwt_check=lambda token: token in accepted) as fake:
        yield fake


def send(fake: FakeSupportNotifications, jwts: Jwts) -> list[str]:
    peer = HttpPeer(PeerSettings("support-notifications", "127.0.0.1", fake.port, timeout_s=2), auth=jwts)
    return NotificationClient(peer).send([Notification(content="hot", severity="CRITICAL", category="env")])


def test_a_401_is_retried_once_with_a_fresh_jwt(notifications: FakeSupportNotifications) -> None:
    jwts = Jwts()
    assert len(send(notifications, jwts)) == 1
    assert [(r.headers["Authorization"], r.status) for r in notifications.requests] == [
        ("Bearer jwt-1", 401),
        ("Bearer jwt-2", 207),
    ]
    assert jwts.invalidated == 1


def test_a_second_401_is_the_peers_refusal(notifications: FakeSupportNotifications) -> None:
    jwts = Jwts()
    jwts.number = 5  # neither 5 nor 6 is accepted
    with pytest.raises(PeerRejected) as caught:
        send(notifications, jwts)
    assert caught.value.status == 401 and len(notifications.requests) == 2


def test_no_jwt_is_peer_unavailable_and_nothing_is_sent(notifications: FakeSupportNotifications) -> None:
    jwts = Jwts()
    jwts.down = True
    with pytest.raises(PeerUnavailable, match="no JWT for the call") as caught:
        send(notifications, jwts)
    assert "secret store at http://127.0.0.1:8200" in str(caught.value)
    assert notifications.requests == []


def test_without_the_hook_no_authorization_header_is_sent() -> None:
    with FakeSupportNotifications() as fake:
        peer = HttpPeer(PeerSettings("support-notifications", "127.0.0.1", fake.port, timeout_s=2))
        NotificationClient(peer).send([Notification(content="hot", severity="CRITICAL", category="env")])
        assert "Authorization" not in fake.requests[0].headers
