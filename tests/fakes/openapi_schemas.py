"""Standalone JSON schemas cut from EdgeX's OpenAPI files (refs inlined, allOf merged).

`openapi_schema("core-metadata.yaml", "CreateDevice", strict=True)` gives a schema that a plain
jsonschema validator can use; `strict` forbids keys the schema does not name (catches typos).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from tests.shared_material import OPENAPI_DIR

Schema = dict[str, Any]


def _load_openapi(name: str) -> dict[str, Any]:
    path = OPENAPI_DIR / name
    if not path.is_file():
        pytest.fail(f"{path} missing: the shared/ folder must sit beside the repository")
    with path.open(encoding="utf-8") as fh:
        loaded: dict[str, Any] = yaml.safe_load(fh)
    return loaded


def _inline(node: Any, components: dict[str, Any]) -> Any:
    """Resolve every local $ref and merge allOf, so a schema stands alone and can be made strict."""
    if isinstance(node, list):
        return [_inline(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _inline(copy.deepcopy(components[name]), components)
    out = {key: _inline(value, components) for key, value in node.items()}
    for part in out.pop("allOf", []):
        out.setdefault("properties", {}).update(part.get("properties", {}))
        out["required"] = sorted(set(out.get("required", [])) | set(part.get("required", [])))
        out.setdefault("type", part.get("type", "object"))
    return out


def _strict(node: Any) -> Any:
    """Forbid keys the schema does not name (catches typos such as `valuetype`)."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _strict(value) for key, value in node.items()}
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def openapi_schema(spec: str, name: str, *, strict: bool = False) -> Schema:
    components = _load_openapi(spec)["components"]["schemas"]
    schema = _inline(copy.deepcopy(components[name]), components)
    return _strict(schema) if strict else schema  # type: ignore[no-any-return]
