"""Configuration routes: rules and cameras' zones, lines and masks edited live; every change a
version, rollback to any version.

    GET    /api/v3/rules                          the rules in force, in evaluation order
    GET    /api/v3/rules/schema                   the JSON Schema of a rule (the page's form is built from it)
    POST   /api/v3/rules/dry-run                  {"rule": {...}, "minutes": 10}: would it have fired lately?
    GET    /api/v3/rules/{name}                   one rule
    POST   /api/v3/rules                          add a rule (201; 409 if the name is taken)
    PUT    /api/v3/rules/{name}                   replace it
    DELETE /api/v3/rules/{name}                   remove it (its active alerts end)
    GET    /api/v3/cameras/{name}/geometry        a camera's Zones, Lines and MotionMasks
    PUT    /api/v3/cameras/{name}/geometry        replace them (kept zones and lines keep their counts)
    GET    /api/v3/cameras/geometry/schema        the JSON Schema of a camera's settings
    GET    /api/v3/changes                        every version, newest first: when, what, the diff
    POST   /api/v3/changes/{n}/rollback           put version n back (a new version)

Bodies are validated as the configuration file is (pipeline/config_editor.py): a 400 BaseResponse
names the field path, and nothing stored changes. Changes apply at once, without a restart.
"""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse

from service.api.responses import API_VERSION, base_response
from service.pipeline.config_editor import ConfigEditError, ConfigVersion
from service.pipeline.rule_settings import RuleSettings
from service.pipeline.rules.dry_run import DryRunResult
from service.pipeline.settings import DeviceSettings
from service.pipeline.state.alert_wire import ns

API_BASE = "/api/v3/rules"


class ConfigEdits(Protocol):
    """What the routes need of the pipeline's ConfigEditor."""

    @property
    def rules(self) -> tuple[RuleSettings, ...]: ...
    def get(self, name: str) -> RuleSettings: ...
    def create(self, body: Any) -> RuleSettings: ...
    def update(self, name: str, body: Any) -> RuleSettings: ...
    def delete(self, name: str) -> None: ...
    def geometry(self, camera: str) -> dict[str, Any]: ...
    def set_geometry(self, camera: str, body: Any) -> dict[str, Any]: ...
    def versions(self) -> list[ConfigVersion]: ...
    def dry_run(self, body: Any, minutes: float) -> DryRunResult: ...
    def rollback(self, version: int) -> ConfigVersion: ...


def rule_out(rule: RuleSettings) -> dict[str, Any]:
    """A rule as stored: the keys set, Name always."""
    dumped: dict[str, Any] = rule.model_dump(mode="json", exclude_defaults=True)
    return {"Name": rule.Name, **dumped}


def version_out(version: ConfigVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "at": ns(version.at_s),
        "change": version.change,
        "rules": [rule["Name"] for rule in version.config.get("Rules", [])],
        "cameras": version.config.get("Cameras", {}),
        "diff": version.diff,
    }


def _ok(status: int = 200, **fields: Any) -> JSONResponse:
    return JSONResponse({"apiVersion": API_VERSION, "statusCode": status, **fields}, status_code=status)


def _error(exc: ConfigEditError) -> Response:
    return base_response(exc.status, str(exc), None)


def config_router(edits: ConfigEdits) -> APIRouter:
    """The routes, editing through `edits`."""
    router = APIRouter()

    @router.get(API_BASE)
    def rules() -> Response:
        return _ok(rules=[rule_out(rule) for rule in edits.rules])

    @router.get(f"{API_BASE}/schema")
    def schema() -> Response:
        return JSONResponse(RuleSettings.model_json_schema())

    @router.get("/api/v3/changes")
    def versions() -> Response:
        return _ok(versions=[version_out(v) for v in edits.versions()])

    @router.get("/api/v3/cameras/geometry/schema")
    def geometry_schema() -> Response:
        return JSONResponse(DeviceSettings.model_json_schema())

    @router.get("/api/v3/cameras/{name}/geometry")
    def geometry(name: str) -> Response:
        try:
            return _ok(camera=name, **edits.geometry(name))
        except ConfigEditError as exc:
            return _error(exc)

    @router.put("/api/v3/cameras/{name}/geometry")
    def set_geometry(name: str, body: Any = Body(...)) -> Response:  # noqa: B008
        try:
            return _ok(camera=name, **edits.set_geometry(name, body))
        except ConfigEditError as exc:
            return _error(exc)

    @router.post("/api/v3/changes/{version}/rollback")
    def rollback(version: int) -> Response:
        try:
            restored = edits.rollback(version)
        except ConfigEditError as exc:
            return _error(exc)
        return _ok(version=version_out(restored))

    @router.post(f"{API_BASE}/dry-run")
    def try_rule(body: Any = Body(...)) -> Response:  # noqa: B008
        if not isinstance(body, dict) or set(body) - {"rule", "minutes"} or "rule" not in body:
            return base_response(400, 'invalid request: body: {"rule": {...}, "minutes": N} expected', None)
        minutes = body.get("minutes", 10)
        if isinstance(minutes, bool) or not isinstance(minutes, int | float):
            return base_response(400, "invalid request: minutes: Input should be a number", None)
        try:
            result = edits.dry_run(body["rule"], float(minutes))
        except ConfigEditError as exc:
            return _error(exc)
        alerts = [
            {"camera": a.camera, "startedAt": ns(a.started_s), "summary": a.summary, "severity": a.severity}
            for a in result.alerts
        ]
        return _ok(
            wouldFire=bool(alerts),
            alerts=alerts,
            ended=result.ended,
            suppressed=result.suppressed,
            frames=result.frames,
            readings=result.readings,
            start=ns(result.start_s),
            end=ns(result.end_s),
        )

    @router.get(f"{API_BASE}/{{name}}")
    def one(name: str) -> Response:
        try:
            return _ok(rule=rule_out(edits.get(name)))
        except ConfigEditError as exc:
            return _error(exc)

    @router.post(API_BASE)
    def create(body: Any = Body(...)) -> Response:  # noqa: B008 (FastAPI's way to take any JSON)
        try:
            return _ok(201, rule=rule_out(edits.create(body)))
        except ConfigEditError as exc:
            return _error(exc)

    @router.put(f"{API_BASE}/{{name}}")
    def update(name: str, body: Any = Body(...)) -> Response:  # noqa: B008
        try:
            return _ok(rule=rule_out(edits.update(name, body)))
        except ConfigEditError as exc:
            return _error(exc)

    @router.delete(f"{API_BASE}/{{name}}")
    def delete(name: str) -> Response:
        try:
            edits.delete(name)
        except ConfigEditError as exc:
            return _error(exc)
        return _ok()

    return router
