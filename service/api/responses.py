"""EdgeX BaseResponse bodies: {apiVersion, requestId?, message?, statusCode} (GMCC dtos/common/base.go)."""

from __future__ import annotations

import uuid

from fastapi.responses import JSONResponse

from service.edgex.dtos import API_VERSION

__all__ = ["API_VERSION", "JSON_MEDIA_TYPE", "base_response", "uuid_or_none"]

JSON_MEDIA_TYPE = "application/json"


def base_response(
    status: int, message: str, request_id: str | None, *, media_type: str = JSON_MEDIA_TYPE
) -> JSONResponse:
    """A BaseResponse with `status`; empty message and request id are omitted as Go's omitempty does."""
    body: dict[str, object] = {"apiVersion": API_VERSION}
    if request_id:
        body["requestId"] = request_id
    if message:
        body["message"] = message
    body["statusCode"] = status
    return JSONResponse(body, status_code=status, media_type=media_type)


def uuid_or_none(text: str | None) -> str | None:
    """`text` when it is a UUID (BaseResponse.requestId must be one), else None."""
    if not text:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None
