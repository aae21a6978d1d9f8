"""Access control of incoming requests in non-secure mode (separate from EdgeX's JWT check, jwt_auth.py).

A request passes with the page's session cookie or `Authorization: Bearer avt_...` (an API token);
the user is put in `scope["state"]["access_user"]`, and how it came in (`session` or `token`) in
`access_via`. Open without either: `OPEN_PATHS` (ping for EdgeX health checks, the login page and
its files, the login route). Otherwise: `GET /` goes to the login page (303), everything else gets
401 with a BaseResponse; each refusal is counted in `access_refused_total{reason}`. Tokens and
cookies never reach a log line or an answer.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Protocol

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from service.api.responses import base_response
from service.metrics import Metrics

SESSION_COOKIE = "app_vision_session"
USER_STATE = "access_user"
VIA_STATE = "access_via"
OPEN_PATHS = frozenset(
    {"/api/v3/ping", "/login", "/login.js", "/ui/style.css", "/api/v3/auth/login", "/favicon.ico"}
)


class Authenticator(Protocol):
    """What the middleware asks of service.access.AccessControl."""

    def user_of_session(self, session: str) -> str | None: ...

    def user_of_token(self, token: str) -> str | None: ...


class AccessMiddleware:
    """Pure ASGI: 401 (or the login page for `/`) unless a session or API token names a user."""

    def __init__(self, app: ASGIApp, access: Authenticator, metrics: Metrics) -> None:
        self.app = app
        self.access = access
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        user, via, reason = await run_in_threadpool(self._identify, scope)
        if user is not None:
            state = scope.setdefault("state", {})
            state[USER_STATE], state[VIA_STATE] = user, via
            await self.app(scope, receive, send)
            return
        if scope.get("path", "") in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        self.metrics.access_refused_total.labels(reason).inc()
        if scope.get("path") == "/" and scope.get("method") in {"GET", "HEAD"}:
            await RedirectResponse("/login", status_code=303)(scope, receive, send)
            return
        response = base_response(401, _MESSAGES[reason], None)
        response.headers["WWW-Authenticate"] = 'Bearer realm="app-vision"'
        await response(scope, receive, send)

    def _identify(self, scope: Scope) -> tuple[str | None, str, str]:
        """(user or None, how, why refused)."""
        authorization = _header(scope, b"authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return None, "", "bad_header"
            user = self.access.user_of_token(token.strip())
            return (user, "token", "") if user is not None else (None, "", "bad_token")
        session = session_cookie(scope)
        if session:
            user = self.access.user_of_session(session)
            return (user, "session", "") if user is not None else (None, "", "bad_session")
        return None, "", "missing"


_MESSAGES = {
    "bad_header": "unauthorized: the Authorization header must be 'Bearer <API token>'",
    "bad_token": "unauthorized: unknown or revoked API token",
    "bad_session": "unauthorized: the session has ended; log in again at /login",
    "missing": "unauthorized: log in at /login, or send 'Authorization: Bearer <API token>'",
}


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def session_cookie(scope: Scope) -> str:
    raw = _header(scope, b"cookie")
    if not raw:
        return ""
    try:
        cookies = SimpleCookie(raw)
    except CookieError:
        return ""
    morsel = cookies.get(SESSION_COOKIE)
    return morsel.value if morsel is not None else ""
