"""Model package routes (issue 16): deploy, pull, roll back, list.

    POST /api/v3/models                 multipart, field `package`: a .tar.gz or .zip package
    POST /api/v3/models/pull            {"url": "https://.../person-2.0.0.tar.gz", "sha256": "<hex>"}
    POST /api/v3/models/{name}/rollback the version before the active one (or the configured model)
    GET  /api/v3/models                 every model: version serving, versions kept, cameras, device, latency

A deploy answers 201 with what became active; a refused one 400, naming the step that failed and
why (the file or manifest field), while the active model keeps serving.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path, PurePath
from typing import Protocol

from fastapi import APIRouter, Response, UploadFile
from pydantic import Field

from service.api.responses import API_VERSION, base_response
from service.strict import StrictModel
from service.vision.errors import DeployError, PackageError
from service.vision.packages.deploy import DeployResult
from service.vision.packages.inventory import ModelRow

API_BASE = "/api/v3"


class ModelService(Protocol):
    """What the routes need (service.model_runtime.ModelRuntime)."""

    def deploy(self, source: Path, origin: str) -> DeployResult: ...
    def pull(self, url: str, sha256: str) -> DeployResult: ...
    def rollback(self, name: str) -> DeployResult: ...
    def inventory(self) -> list[ModelRow]: ...
    def cameras_of(self, model: str) -> list[str]: ...


class PullRequest(StrictModel):
    """POST /api/v3/models/pull body."""

    url: str = Field(pattern=r"^https?://", max_length=2048, description="HTTP(S) URL of a .tar.gz or .zip")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 (lowercase hex) of the archive")


def result_out(result: DeployResult, status: int) -> dict[str, object]:
    return {
        "apiVersion": API_VERSION,
        "statusCode": status,
        "name": result.name,
        "version": result.version,
        "device": result.device,
        "latencyMs": round(result.latency_ms, 3),
        "steps": list(result.steps),
    }


def row_out(row: ModelRow, cameras: list[str]) -> dict[str, object]:
    return {
        "name": row.name,
        "active": row.active,
        "device": row.device,
        "latencyMs": None if row.latency_ms is None else round(row.latency_ms, 3),
        "cameras": cameras,
        "versions": [
            {
                "version": v.version,
                "state": v.state,
                "deployed": None if v.deployed_s is None else int(v.deployed_s * 1e9),
                "source": v.source,
            }
            for v in row.versions
        ],
    }


def refusal(what: str, exc: DeployError | PackageError) -> Response:
    if isinstance(exc, PackageError):
        return base_response(400, f"{what} refused: {exc}", None)
    status = 500 if exc.step == "swap" else 400
    return base_response(status, f"{what} refused at step {exc.step!r}: {exc.reason}", None)


def model_router(service: ModelService) -> APIRouter:
    """The routes, deploying through `service`."""
    router = APIRouter()

    @router.post(f"{API_BASE}/models", status_code=201, response_model=None)
    def upload(package: UploadFile) -> dict[str, object] | Response:
        name = PurePath(package.filename or "").name
        if not name.endswith((".tar.gz", ".tgz", ".zip")):
            return base_response(400, f"invalid request: package: {name!r} is not a .tar.gz or .zip", None)
        with tempfile.TemporaryDirectory(prefix="app-vision-upload-") as folder:
            path = Path(folder) / name
            with path.open("wb") as out:
                shutil.copyfileobj(package.file, out, 1 << 20)
            try:
                return result_out(service.deploy(path, f"upload {name}"), 201)
            except (DeployError, PackageError) as exc:
                return refusal(f"package {name}", exc)

    @router.post(f"{API_BASE}/models/pull", status_code=201, response_model=None)
    def pull(body: PullRequest) -> dict[str, object] | Response:
        try:
            return result_out(service.pull(body.url, body.sha256), 201)
        except (DeployError, PackageError) as exc:
            return refusal(f"package {body.url}", exc)

    @router.post(f"{API_BASE}/models/{{name}}/rollback", response_model=None)
    def rollback(name: str) -> dict[str, object] | Response:
        try:
            return result_out(service.rollback(name), 200)
        except DeployError as exc:
            status = 404 if exc.step == "rollback" else 500 if exc.step == "swap" else 400
            return base_response(status, f"rollback of {name}: {exc.reason}", None)

    @router.get(f"{API_BASE}/models", response_model=None)
    def listing() -> dict[str, object]:
        rows = [row_out(row, service.cameras_of(row.name)) for row in service.inventory()]
        return {"apiVersion": API_VERSION, "statusCode": 200, "models": rows}

    return router
