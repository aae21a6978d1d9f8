"""Login, logout and API tokens (access control in non-secure mode; service/access/).

    GET    /login, /login.js              the login page (no build step, as the main page)
    POST   /api/v3/auth/login             {"user", "password"} -> session cookie; 401 wrong, 429 too many
    POST   /api/v3/auth/logout            ends the session, clears the cookie
    GET    /api/v3/auth/session           who is logged in, and how (session or token)
    GET    /api/v3/auth/tokens            the user's API tokens (never the tokens themselves)
    POST   /api/v3/auth/tokens            {"name"} -> 201 with the token, shown this once
    DELETE /api/v3/auth/tokens/{id}       revoke; 404 when it is not one of the user's

Tokens are managed from a page session only: an API token cannot make more tokens.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import Field

from service.access import AccessControl, LoginRateLimited, LoginRefused, TokenRecord, UnknownToken
from service.api.access_middleware import SESSION_COOKIE, USER_STATE, VIA_STATE, session_cookie
from service.api.responses import API_VERSION, base_response
from service.metrics import Metrics
from service.strict import StrictModel

API_BASE = "/api/v3/auth"
_NO_STORE = {"Cache-Control": "no-store"}


class LoginBody(StrictModel):
    user: str = Field(min_length=1, max_length=64, description="User name.")
    password: str = Field(min_length=1, max_length=1024, description="Password.")


class TokenBody(StrictModel):
    name: str = Field(
        min_length=1, max_length=64, description="What the token is for (e.g. 'backup script')."
    )


def _token_out(record: TokenRecord) -> dict[str, object]:
    return {
        "id": record.token_id,
        "name": record.name,
        "prefix": record.prefix,
        "createdAt": int(record.created_s * 1e9),
        "lastUsedAt": int(record.last_used_s * 1e9) if record.last_used_s is not None else None,
    }


def access_router(access: AccessControl, metrics: Metrics) -> APIRouter:
    """The login page and the auth routes over `access`."""
    router = APIRouter()
    cookie_age_s = int(access.settings.SessionTtlS)

    @router.get("/login", include_in_schema=False)
    def login_page() -> HTMLResponse:
        return HTMLResponse(_static("login.html"), headers=_NO_STORE)

    @router.get("/login.js", include_in_schema=False)
    def login_script() -> Response:
        return Response(_static("login.js"), media_type="text/javascript", headers=_NO_STORE)

    @router.post(f"{API_BASE}/login")
    def login(body: LoginBody, request: Request) -> Response:
        address = request.client.host if request.client is not None else "unknown"
        try:
            session = access.login(body.user, body.password, address)
        except LoginRateLimited as exc:
            metrics.access_refused_total.labels("rate_limited").inc()
            response = base_response(429, str(exc), None)
            response.headers["Retry-After"] = str(max(1, round(exc.retry_after_s)))
            return response
        except LoginRefused as exc:
            metrics.access_refused_total.labels("bad_password").inc()
            return base_response(401, f"unauthorized: {exc}", None)
        accepted = _body(200, user=body.user)
        accepted.set_cookie(
            SESSION_COOKIE,
            session,
            max_age=cookie_age_s,
            httponly=True,
            samesite="strict",
            secure=access.settings.SecureCookie,
        )
        return accepted

    @router.post(f"{API_BASE}/logout")
    def logout(request: Request) -> Response:
        session = session_cookie(request.scope)
        if session:
            access.logout(session)
        response = base_response(200, "logged out", None)
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
        return response

    @router.get(f"{API_BASE}/session")
    def session(request: Request) -> Response:
        return _body(200, user=_user(request), via=getattr(request.state, VIA_STATE, ""))

    @router.get(f"{API_BASE}/tokens")
    def tokens(request: Request) -> Response:
        refused = _needs_session(request)
        if refused is not None:
            return refused
        return _body(200, tokens=[_token_out(t) for t in access.tokens(_user(request))])

    @router.post(f"{API_BASE}/tokens")
    def create_token(body: TokenBody, request: Request) -> Response:
        refused = _needs_session(request)
        if refused is not None:
            return refused
        made = access.create_token(_user(request), body.name)
        return _body(201, token=made.token, **_token_out(made.record))

    @router.delete(f"{API_BASE}/tokens/{{token_id}}")
    def revoke_token(token_id: str, request: Request) -> Response:
        refused = _needs_session(request)
        if refused is not None:
            return refused
        try:
            access.revoke_token(_user(request), token_id)
        except UnknownToken as exc:
            return base_response(404, str(exc), None)
        return base_response(200, f"API token {token_id} revoked", None)

    return router


def _static(name: str) -> str:
    return resources.files("service.api").joinpath("static", name).read_text(encoding="utf-8")


def _user(request: Request) -> str:
    user = getattr(request.state, USER_STATE, "")
    return user if isinstance(user, str) else ""


def _needs_session(request: Request) -> Response | None:
    if getattr(request.state, VIA_STATE, "") == "session":
        return None
    return base_response(403, "forbidden: API tokens are managed from a logged-in page session", None)


def _body(status: int, **fields: object) -> Response:
    return JSONResponse({"apiVersion": API_VERSION, "statusCode": status, **fields}, status_code=status)
