"""EdgeX secure mode for incoming calls: a bearer JWT on every route but the open ones (ping).

As go-mod-bootstrap's auth middleware: the `Authorization: Bearer <jwt>` header is checked by the
secret store's JwtValidator (introspection for OpenBao's issuer, else security-proxy-auth's key);
a missing, expired, garbage or foreign JWT gets 401 with a BaseResponse saying why. A store that
cannot be asked (sealed, gone) gets 503: the caller may retry, nothing was checked. The JWT itself
never reaches a log line or an answer.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Protocol

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from service.api.responses import base_response
from service.edgex.errors import EdgeXError
from service.edgex.secretstore import JwtRejected

log = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/api/v3/ping"})


class HeaderValidator(Protocol):
    """service.edgex.secretstore.JwtValidator's one method the API uses."""

    def validate_header(self, authorization: str | None) -> object:
        """The accepted JWT's claims (None when validation is off); raises JwtRejected."""
        ...


class JwtAuthMiddleware:
    """Pure ASGI: 401 unless the request carries a JWT the validator accepts."""

    def __init__(self, app: ASGIApp, validator: HeaderValidator, open_paths: Collection[str] = OPEN_PATHS):
        self.app = app
        self.validator = validator
        self.open_paths = frozenset(open_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "") in self.open_paths:
            await self.app(scope, receive, send)
            return
        header = _authorization(scope)
        where = f"{scope.get('method', '')} {scope.get('path', '')}"
        try:
            await run_in_threadpool(self.validator.validate_header, header)
        except JwtRejected as exc:
            log.warning("%s: refused, %s", where, exc)
            await base_response(401, f"unauthorized: {exc}", None)(scope, receive, send)
            return
        except EdgeXError as exc:  # the store or security-proxy-auth could not be asked
            log.warning("%s: JWT not checked, %s", where, exc)
            await base_response(503, f"cannot check the JWT now: {exc}", None)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _authorization(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == b"authorization":
            return bytes(value).decode("latin-1")
    return None
