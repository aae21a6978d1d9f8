"""Validate a result event as core-data's POST /api/v3/event body (core-data.yaml AddEventRequest).

One fix to the spec as loaded: it types `objectValue` as a base64 string, yet EdgeX 4 sends and
stores Object readings as JSON values (its own example in the same file, and the capture
event-v4-object.bin from a real device-virtual), so `objectValue` is accepted as any JSON value.
"""

from __future__ import annotations

import functools
from typing import Any

import jsonschema
import yaml

from tests.shared_material import OPENAPI_DIR

SPEC = OPENAPI_DIR / "core-data.yaml"


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    spec = yaml.safe_load(SPEC.read_text())
    components = spec["components"]
    for reading in ("BaseReading", "Reading", "ObjectReading"):
        properties = components["schemas"].get(reading, {}).get("properties", {})
        if "objectValue" in properties:
            properties["objectValue"] = {}
    schema = {"$ref": "#/components/schemas/AddEventRequest", "components": components}
    return jsonschema.Draft202012Validator(schema)


def add_event_request_errors(body: Any) -> list[str]:
    """Every schema violation of an AddEventRequest body (empty when core-data would accept it)."""
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator().iter_errors(body)]
