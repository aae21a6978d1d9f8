"""Pure-ASGI middleware: request size limit, X-Correlation-ID, and error counting."""

from __future__ import annotations

import uuid

from fastapi import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.responses import base_response
from service.metrics import Metrics

CORRELATION_HEADER = b"x-correlation-id"
CORRELATION_STATE = "correlation_id"


class BodyLimitMiddleware:
    """Refuses bodies over `max_bytes` with 413 (0 = unlimited), by Content-Length and while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await base_response(413, self._message(), None)(scope, receive, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                # Raised inside the endpoint's body read; the HTTPException handler answers 413.
                raise HTTPException(status_code=413, detail=self._message())
            return message

        await self.app(scope, limited_receive, send)

    def _message(self) -> str:
        return f"request body exceeds Service.MaxRequestSize ({self.max_bytes // 1024} KB)"


class CorrelationMiddleware:
    """Echoes X-Correlation-ID (or a fresh UUID) on every response, and counts errors per route."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = _header(scope, CORRELATION_HEADER) or str(uuid.uuid4())
        scope.setdefault("state", {})[CORRELATION_STATE] = correlation_id  # for the routes
        status = 500

        async def tagged_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != CORRELATION_HEADER]
                headers.append((CORRELATION_HEADER, correlation_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, tagged_send)
        finally:
            if status >= 400:
                self.metrics.rest_errors_total.labels(_route_label(scope)).inc()


def correlation_of(request: Request) -> str:
    """The request's correlation id: its X-Correlation-ID, or the one the middleware made up."""
    value = getattr(request.state, CORRELATION_STATE, None)
    return value if isinstance(value, str) else _header(request.scope, CORRELATION_HEADER) or ""


def _route_label(scope: Scope) -> str:
    """The matched route template (bounded label values); 'unmatched' for 404s and the like."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None
