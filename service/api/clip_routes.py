"""The clip route: an alert's MP4, with HTTP range requests (browsers seek in a video by range).

    GET|HEAD /api/v3/alerts/{id}/clip.mp4      video/mp4; 206 for `Range: bytes=...`, 416 when unsatisfiable

Starlette's FileResponse already honours `Range` and `If-Range` (single and multipart ranges,
416 with `Content-Range: bytes */size`) and answers HEAD without a body, so it serves the file.
An unknown alert, or one without a clip, is a 404 EdgeX BaseResponse.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse

from service.api.responses import base_response

API_BASE = "/api/v3"


def clip_router(find_clip: Callable[[str], Path | None]) -> APIRouter:
    """The clip route; `find_clip(alert_id)` gives the clip's file, or None (it validates the id)."""
    router = APIRouter()

    @router.api_route(
        f"{API_BASE}/alerts/{{alert_id}}/clip.mp4", methods=["GET", "HEAD"], response_model=None
    )
    def alert_clip(alert_id: str) -> Response:
        path = find_clip(alert_id)
        try:
            stat = os.stat(path) if path is not None else None
        except FileNotFoundError:  # retention deleted it just now
            stat = None
        if path is None or stat is None:
            return base_response(404, f"no clip for alert {alert_id}", None)
        return FileResponse(path, media_type="video/mp4", stat_result=stat)

    return router
