"""Request/response validation against the official EdgeX OpenAPI files (openapi-core).

Three fixes are applied to the specs as loaded, to make them say what EdgeX does:
- `enum: [true, false]` on string query parameters: YAML reads booleans; EdgeX means the strings
  "true"/"false" (core-command's ds-pushevent/ds-returnevent);
- `BaseReading.required` lists `apiVersion`, but real readings never carry one (see the capture
  rest-core-command-get-reply.json), so it is dropped from the required list;
- `servers` is replaced by the relative `/api/v3` so any host:port matches.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from tests.shared_material import OPENAPI_DIR

SPEC_DIR = OPENAPI_DIR
_LOCK = threading.Lock()  # openapi-core validators are not documented as thread-safe


def _fix_bool_enums(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and isinstance(node.get("enum"), list):
            node["enum"] = [str(v).lower() if isinstance(v, bool) else v for v in node["enum"]]
            if isinstance(node.get("default"), bool):
                node["default"] = str(node["default"]).lower()
        for value in node.values():
            _fix_bool_enums(value)
    elif isinstance(node, list):
        for value in node:
            _fix_bool_enums(value)


@functools.cache
def load_spec(name: str) -> OpenAPI:
    """The spec `<name>.yaml` from SPEC_DIR (e.g. "core-command"), fixed and validated, cached."""
    spec = yaml.safe_load((SPEC_DIR / f"{name}.yaml").read_text())
    _fix_bool_enums(spec)
    base_reading = spec.get("components", {}).get("schemas", {}).get("BaseReading")
    if base_reading and "apiVersion" in base_reading.get("required", []):
        base_reading["required"] = [k for k in base_reading["required"] if k != "apiVersion"]
    spec["servers"] = [{"url": "/api/v3"}]
    return OpenAPI.from_dict(spec)


def _describe(exc: Exception) -> str:
    parts = [f"{type(exc).__name__}: {exc}"]
    cause = exc.__cause__
    while cause is not None:
        errors = getattr(cause, "schema_errors", None)
        parts.append("; ".join(str(e.message) for e in errors) if errors else repr(cause)[:300])
        cause = cause.__cause__
    return " <- ".join(parts)


class SpecValidator:
    """Validates raw HTTP requests/responses for one EdgeX service's OpenAPI file."""

    def __init__(self, spec_name: str) -> None:
        self._api = load_spec(spec_name)

    def request_errors(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        content_type: str,
    ) -> list[str]:
        """Every violation of the spec by this request (empty when valid)."""
        request = MockRequest(
            "http://127.0.0.1",
            method,
            path,
            args=query,
            headers=headers,
            data=body or None,
            content_type=content_type,
        )
        with _LOCK:
            return [_describe(e) for e in self._api.iter_request_errors(request)]

    def response_errors(
        self, method: str, path: str, query: dict[str, str], status: int, body: bytes
    ) -> list[str]:
        """Every violation of the spec by our answer to a (valid) request."""
        request = MockRequest("http://127.0.0.1", method, path, args=query)
        response = MockResponse(body, status_code=status, content_type="application/json")
        with _LOCK:
            return [_describe(e) for e in self._api.iter_response_errors(request, response)]
