"""The standard REST API of an EdgeX application service (AFS openapi/app-functions-sdk.yaml).

GET /api/v3/ping, /version, /config; POST /api/v3/secret (insecure mode: in-memory store) and
POST /api/v3/trigger (an AddEventRequest in JSON or CBOR takes the bus event's path). Error bodies
are BaseResponse JSON (service.api.responses); /trigger errors carry the Content-Type
`application/text` its OpenAPI entry declares.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import Field

from service.api.middleware import correlation_of
from service.api.responses import API_VERSION, TEXT_ERROR_MEDIA_TYPE, base_response, uuid_or_none
from service.config.secrets import InsecureSecretStore
from service.edgex.dtos import AddEventRequest, decode_event_payload
from service.edgex.errors import DecodeError
from service.edgex.plain import media_type_of
from service.strict import StrictModel

log = logging.getLogger(__name__)

API_BASE = "/api/v3"
_EVENT_MEDIA_TYPES = ("application/json", "application/cbor")


class EventSink(Protocol):
    """Where triggered events go: the pipeline's ingress, the bus subscription's path."""

    def handle_event(self, req: AddEventRequest, received_topic: str, correlation_id: str = "") -> None:
        """Ingest a decoded event; counted as received (and as invalid if it fails, then raised)."""
        ...

    def reject_event(self, received_topic: str, reason: str) -> None:
        """Count a message that carried no decodable event."""
        ...


@dataclass(frozen=True, slots=True)
class EdgeXApiDeps:
    """What the standard routes need; `config_view` returns the redacted configuration."""

    service_name: str
    version: str
    sdk_version: str
    config_view: Callable[[], dict[str, object]]
    secrets: InsecureSecretStore
    sink: EventSink


class SecretDataKeyValue(StrictModel):
    key: str = Field(min_length=1, description="Key within the secret (e.g. 'username').")
    value: str = Field(min_length=1, description="Secret value.")


class SecretRequest(StrictModel):
    """POST /api/v3/secret body (GMCC dtos/requests/secret.go)."""

    apiVersion: Literal["v3"] = Field(default="v3", description="DTO version.")
    requestId: str = Field(default="", description="Optional UUID echoed in the response.")
    secretName: str = Field(min_length=1, description="Name of the secret.")
    secretData: list[SecretDataKeyValue] = Field(min_length=1, description="Key/value pairs to store.")


def ping_timestamp(now: datetime) -> str:
    """Go's time.UnixDate layout ('Mon Jan _2 15:04:05 MST 2006'), as EdgeX's ping returns."""
    return now.strftime("%a %b ") + f"{now.day:>2}" + now.strftime(" %H:%M:%S %Z %Y")


def edgex_router(deps: EdgeXApiDeps) -> APIRouter:
    """The five standard routes, bound to `deps`."""
    router = APIRouter(prefix=API_BASE)

    @router.get("/ping")
    def ping() -> dict[str, str]:
        now = datetime.now(UTC)
        return {"apiVersion": API_VERSION, "timestamp": ping_timestamp(now), "serviceName": deps.service_name}

    @router.get("/version")
    def version() -> dict[str, str]:
        return {
            "apiVersion": API_VERSION,
            "version": deps.version,
            "serviceName": deps.service_name,
            "sdk_version": deps.sdk_version,
        }

    @router.get("/config")
    def config() -> dict[str, object]:
        return {"apiVersion": API_VERSION, "config": deps.config_view(), "serviceName": deps.service_name}

    @router.post("/secret", status_code=201)
    def secret(body: SecretRequest) -> JSONResponse:
        deps.secrets.store(body.secretName, {item.key: item.value for item in body.secretData})
        log.info("secret %s stored in memory (insecure mode)", body.secretName)
        return base_response(201, "", uuid_or_none(body.requestId))

    @router.post("/trigger")
    async def trigger(request: Request) -> Response:
        content_type = request.headers.get("content-type", "application/json")
        media_type = media_type_of(content_type)
        if media_type not in _EVENT_MEDIA_TYPES:
            deps.sink.reject_event("", f"unsupported Content-Type {content_type!r}")
            return _trigger_error(400, f"unsupported Content-Type {content_type!r}: use JSON or CBOR")
        body = await request.body()
        try:
            req = decode_event_payload(body, media_type)
        except DecodeError as exc:
            deps.sink.reject_event("", str(exc))
            return _trigger_error(422, f"cannot decode the event: {exc}")
        correlation_id = correlation_of(request)
        try:
            await run_in_threadpool(deps.sink.handle_event, req, "", correlation_id)
        except Exception as exc:  # the REST edge: report, count (middleware), keep serving
            log.exception(
                "trigger: event %s from %s (correlation %s) failed",
                req.event.id,
                req.event.device_name,
                correlation_id,
            )
            return _trigger_error(500, f"processing the event failed: {exc}")
        request_id = uuid_or_none(req.request_id)
        return base_response(200, "", request_id)

    return router


def _trigger_error(status: int, message: str) -> JSONResponse:
    return base_response(status, message, None, media_type=TEXT_ERROR_MEDIA_TYPE)
