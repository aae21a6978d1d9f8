"""The FastAPI application (EdgeX routes, extra routers, /metrics) and its uvicorn server.

Every error leaves as an EdgeX BaseResponse: HTTP errors (404, 405, 413 ...), request validation
errors (400, as EdgeX answers malformed DTOs) and unexpected exceptions (500).
"""

from __future__ import annotations

from collections.abc import Sequence

import uvicorn
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.api.edgex_routes import EdgeXApiDeps, edgex_router
from service.api.jwt_auth import HeaderValidator, JwtAuthMiddleware
from service.api.middleware import BodyLimitMiddleware, CorrelationMiddleware
from service.api.responses import base_response
from service.metrics import PROMETHEUS_CONTENT_TYPE, Metrics

GRACEFUL_SHUTDOWN_S = 2
"""Open requests get this long after SIGTERM; the whole stop must fit in EdgeX's 5 s."""


def create_app(
    edgex: EdgeXApiDeps,
    metrics: Metrics,
    max_request_kb: int,
    extra_routers: Sequence[APIRouter] = (),
    jwt_validator: HeaderValidator | None = None,
) -> FastAPI:
    """The REST application; `max_request_kb` is Service.MaxRequestSize (0 = unlimited);
    `jwt_validator` (EdgeX secure mode) guards every route but ping."""
    app = FastAPI(title="app-vision", version=edgex.version, docs_url="/api/v3/docs", redoc_url=None)
    app.include_router(edgex_router(edgex))
    for router in extra_routers:
        app.include_router(router)

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(metrics.prometheus_text(), media_type=PROMETHEUS_CONTENT_TYPE)

    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_request_kb * 1024)
    if jwt_validator is not None:  # inside the correlation middleware: 401s are tagged and counted
        app.add_middleware(JwtAuthMiddleware, validator=jwt_validator)
    app.add_middleware(CorrelationMiddleware, metrics=metrics)
    return app


def build_server(app: FastAPI, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for `app`; logging stays with the service's own configuration."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        lifespan="off",
    )
    return uvicorn.Server(config)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # registered for this type only
    if exc.status_code == 404:
        message = f"{request.method} {request.url.path}: no such route"
    else:
        message = str(exc.detail)
    response = base_response(exc.status_code, message, None)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # registered for this type only
    problems = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append(f"{location or 'body'}: {error.get('msg', 'invalid')}")
    return base_response(400, "invalid request: " + "; ".join(problems), None)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Starlette's ServerErrorMiddleware re-raises after this answer, and uvicorn logs the traceback.
    return base_response(500, f"internal error: {type(exc).__name__}", None)
