"""REST plumbing shared by the EdgeX clients: one `requests` session per peer, typed errors.

Connection failures, timeouts and 502/503/504 raise PeerUnavailable (worth retrying); any other
status >= 400 raises PeerRejected carrying the status and the peer's BaseResponse `message`.
Command and notification clients live in `commands.py` and `notifications.py`.

In EdgeX secure mode every call carries `Authorization: Bearer <service JWT>` from an
`AuthHeaderSource` (the secret store's JwtCache). A 401 drops the cached JWT and the call is sent
once more with a fresh one; a JWT that cannot be had (the store is sealed, gone, or refuses the
token) is PeerUnavailable, so queued work waits for the store instead of failing for good.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

import requests

from service.edgex.errors import EdgeXError, PeerRejected, PeerUnavailable
from service.edgex.event_types import JsonValue

logger = logging.getLogger(__name__)

API_BASE = "/api/v3"
_UNAVAILABLE_STATUSES = frozenset({502, 503, 504})


class AuthHeaderSource(Protocol):
    """Where outgoing calls get their auth header (service.edgex.secretstore.JwtCache)."""

    def authorization_header(self) -> dict[str, str]:
        """`{"Authorization": "Bearer <jwt>"}`; raises when no JWT can be had."""
        ...

    def invalidate(self) -> None:
        """Forget the cached JWT (the peer answered 401)."""
        ...


@dataclass(frozen=True, slots=True)
class PeerSettings:
    """Where a peer listens (from Clients.<key> in configuration.yaml) and how long to wait."""

    name: str  # service key, e.g. "core-command"; used in errors and logs
    host: str
    port: int
    protocol: str = "http"
    timeout_s: float = 5.0

    @property
    def base_url(self) -> str:
        """`http://host:port` without a trailing slash."""
        return f"{self.protocol}://{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class HttpReply:
    """A successful reply: status and the decoded JSON body (None when empty)."""

    status: int
    body: JsonValue
    elapsed_s: float


def path_segment(name: str) -> str:
    """Escape a device/command name for a URL path (Go's router unescapes it)."""
    return quote(name, safe="")


class HttpPeer:
    """Issues JSON requests to one EdgeX service and maps failures to PeerError subclasses."""

    def __init__(
        self,
        settings: PeerSettings,
        session: requests.Session | None = None,
        auth: AuthHeaderSource | None = None,
    ) -> None:
        self._settings = settings
        self._session = session or requests.Session()
        self._auth = auth

    @property
    def settings(self) -> PeerSettings:
        """The peer's settings."""
        return self._settings

    def call(
        self,
        method: str,
        path: str,
        *,
        body: JsonValue = None,
        params: Mapping[str, str] | None = None,
        correlation_id: str = "",
    ) -> HttpReply:
        """`method` `API_BASE + path`; returns the reply or raises PeerUnavailable / PeerRejected."""
        url = self._settings.base_url + API_BASE + path
        headers = {"X-Correlation-ID": correlation_id} if correlation_id else {}
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = "application/json"
        resp = self._send(method, path, url, data, dict(params or {}), headers)
        if resp.status_code == 401 and self._auth is not None:
            # EdgeX peers answer 401 to an expired or revoked JWT: mint a fresh one, try once more.
            logger.info(
                "%s answered 401 to %s %s: retrying with a fresh JWT", self._settings.name, method, path
            )
            self._auth.invalidate()
            resp = self._send(method, path, url, data, dict(params or {}), headers)
        return self._reply(method, path, resp)

    def _send(
        self,
        method: str,
        path: str,
        url: str,
        data: bytes | None,
        params: dict[str, str],
        headers: dict[str, str],
    ) -> requests.Response:
        sent = {**headers, **self._auth_header(method, path)}
        try:
            return self._session.request(
                method, url, data=data, params=params, headers=sent, timeout=self._settings.timeout_s
            )
        except requests.RequestException as exc:
            raise PeerUnavailable(self._settings.name, f"{method} {path}: {exc}") from exc

    def _auth_header(self, method: str, path: str) -> dict[str, str]:
        if self._auth is None:
            return {}
        try:
            return self._auth.authorization_header()
        except EdgeXError as exc:  # the secret store is sealed, gone or refuses our token
            raise PeerUnavailable(
                self._settings.name, f"{method} {path}: no JWT for the call ({exc})"
            ) from exc

    def _reply(self, method: str, path: str, resp: requests.Response) -> HttpReply:
        parsed = _json_body(resp)
        if resp.status_code in _UNAVAILABLE_STATUSES:
            raise PeerUnavailable(
                self._settings.name,
                f"{method} {path}: {resp.status_code} {_message(parsed, resp)}",
                status=resp.status_code,
            )
        if resp.status_code >= 400:
            raise PeerRejected(self._settings.name, resp.status_code, _message(parsed, resp))
        return HttpReply(resp.status_code, parsed, resp.elapsed.total_seconds())

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()


def _json_body(resp: requests.Response) -> JsonValue:
    if not resp.content:
        return None
    try:
        value: JsonValue = resp.json()
    except ValueError:
        return None
    return value


def _message(parsed: JsonValue, resp: requests.Response) -> str:
    """The BaseResponse `message`, else the start of the body text."""
    if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
        return str(parsed["message"])
    if isinstance(parsed, list) and parsed and isinstance(parsed[0], dict):
        return _message(parsed[0], resp)
    return resp.text[:200] or resp.reason or ""
