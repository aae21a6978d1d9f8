"""The standard REST API of an EdgeX application service (AFS openapi/app-functions-sdk.yaml).

GET /api/v3/ping, /version, /config; POST /api/v3/secret (insecure mode: in-memory store; secure
mode: the service's folder in the secret store, 503 while the store cannot be reached) and
POST /api/v3/trigger (an AddEventRequest in JSON or CBOR takes the bus event's path). Error bodies
are BaseResponse JSON (service.api.responses), except /trigger's, which are the error's text, with
the SDK's status codes (400 undecodable, 422 failed), as the SDK's HTTP trigger writes them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import Field

from service.api.middleware import correlation_of
from service.api.responses import API_VERSION, base_response, uuid_or_none
from service.edgex.dtos import AddEventRequest, decode_event_payload
from service.edgex.errors import DecodeError, EdgeXError
from service.edgex.event_validation import validate_add_event_request
from service.edgex.payload_codec import media_type_of
from service.strict import StrictModel

log = logging.getLogger(__name__)

API_BASE = "/api/v3"
_EVENT_MEDIA_TYPES = ("application/json", "application/cbor")
TRIGGER_ERROR_MEDIA_TYPE = "text/plain; charset=utf-8"  # the spec says application/text; the SDK sends this


class EventSink(Protocol):
    """Where triggered events go: the pipeline's ingress, the bus subscription's path."""

    def handle_event(self, req: AddEventRequest, received_topic: str, correlation_id: str = "") -> None:
        """Ingest a decoded event; counted as received (and as invalid if it fails, then raised)."""
        ...

    def reject_event(self, received_topic: str, reason: str, correlation_id: str = "") -> None:
        """Count (and log, with its correlation id) a message that carried no decodable event."""
        ...


class SecretWriter(Protocol):
    """Where POST /api/v3/secret stores (InsecureSecretStore, or the secure SecureSecretStore)."""

    def store(self, secret_name: str, data: Mapping[str, str]) -> None:
        """Store the secret; the secure store raises service.edgex errors when it cannot."""
        ...


@dataclass(frozen=True, slots=True)
class EdgeXApiDeps:
    """What the standard routes need; `config_view` returns the redacted configuration."""

    service_name: str
    version: str
    sdk_version: str
    config_view: Callable[[], dict[str, object]]
    secrets: SecretWriter
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
        request_id = uuid_or_none(body.requestId)
        try:
            deps.secrets.store(body.secretName, {item.key: item.value for item in body.secretData})
        except (EdgeXError, ValueError) as exc:  # secure mode: the store is down or refuses the name
            log.warning("secret %s not stored: %s", body.secretName, exc)
            status = 400 if isinstance(exc, ValueError) else 503
            return base_response(status, f"secret {body.secretName!r} not stored: {exc}", request_id)
        log.info("secret %s stored", body.secretName)
        return base_response(201, "", request_id)

    @router.post("/trigger")
    async def trigger(request: Request) -> Response:
        # As the SDK's HTTP trigger (internal/trigger/http/rest.go, runtime.DecodeMessage): the body
        # is read by its Content-Type, JSON or CBOR only, and validated as EdgeX's DTOs are; 400 for
        # a body that holds no valid event, 422 when the pipeline fails on it; 200 with no body
        # (our pipeline sets no response data).
        correlation_id = correlation_of(request)
        media_type = media_type_of(request.headers.get("content-type", ""))
        body = await request.body()
        try:
            if media_type not in _EVENT_MEDIA_TYPES:
                raise DecodeError(f"unsupported content type: {media_type}")
            req = decode_event_payload(body, media_type)
            validate_add_event_request(req)
        except DecodeError as exc:
            deps.sink.reject_event("", str(exc), correlation_id)
            return _trigger_error(400, f"unable to process payload {exc}")
        try:
            await run_in_threadpool(deps.sink.handle_event, req, "", correlation_id)
        except Exception as exc:  # the REST edge: report, count (middleware), keep serving
            log.exception(
                "trigger: event %s from %s (correlation %s) failed",
                req.event.id,
                req.event.device_name,
                correlation_id,
            )
            return _trigger_error(422, str(exc))
        return Response(status_code=200)

    return router


def _trigger_error(status: int, message: str) -> Response:
    """The SDK writes the error's text as the body; Go's net/http labels it text/plain."""
    return Response(message, status_code=status, media_type=TRIGGER_ERROR_MEDIA_TYPE)
