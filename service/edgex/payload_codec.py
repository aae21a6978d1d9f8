"""JSON / CBOR bytes <-> plain values (JsonValue), raising only DecodeError on bad input.

CBOR decoding is followed by a walk that rejects everything JSON cannot hold (tags such as
datetimes, sets, undefined, non-string map keys) and bounds the depth, which also stops the
cyclic structures CBOR's shared-reference tags can build.
"""

from __future__ import annotations

import binascii
import json
import math
from typing import Any

import cbor2
import pybase64

from service.edgex.errors import DecodeError, PayloadDecodeError
from service.edgex.event_types import JsonValue

MAX_DEPTH = 64


def json_loads(data: bytes | str) -> JsonValue:
    """Parse JSON text; DecodeError on anything malformed or too deep."""
    try:
        value: JsonValue = json.loads(data)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise PayloadDecodeError(f"invalid JSON: {exc}") from exc
    return value


def json_dumps(value: JsonValue) -> bytes:
    """Compact JSON (bytes inside values become base64 strings, as Go writes []byte)."""
    return json.dumps(to_json_compatible(value), separators=(",", ":")).encode()


def to_json_compatible(value: JsonValue) -> JsonValue:
    """Replace bytes by standard base64 strings, recursively."""
    if isinstance(value, bytes):
        return b64encode(value)
    if isinstance(value, list):
        return [to_json_compatible(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json_compatible(v) for k, v in value.items()}
    return value


def cbor_loads(data: bytes) -> JsonValue:
    """Decode one CBOR item into plain values; DecodeError on malformed or non-JSON content."""
    try:
        raw = cbor2.loads(data)
    except (
        cbor2.CBORError,
        ValueError,
        TypeError,
        OverflowError,
        RecursionError,
        LookupError,
        MemoryError,
    ) as exc:
        raise PayloadDecodeError(f"invalid CBOR: {exc}") from exc
    return to_plain(raw, 0)


def to_plain(obj: Any, depth: int) -> JsonValue:
    """Check a decoded CBOR item only holds JSON-like values (plus bytes)."""
    if depth > MAX_DEPTH:
        raise PayloadDecodeError("CBOR nested too deeply (or cyclic)")
    if obj is None or isinstance(obj, bool | int | str | bytes):
        return obj
    if isinstance(obj, float):
        if math.isnan(obj) or math.isinf(obj):
            raise PayloadDecodeError("CBOR float is NaN or infinite")
        return obj
    if isinstance(obj, list | tuple):
        return [to_plain(v, depth + 1) for v in obj]
    if isinstance(obj, dict):
        out: dict[str, JsonValue] = {}
        for key, val in obj.items():
            if not isinstance(key, str):
                raise PayloadDecodeError(f"CBOR map key is not a text string: {type(key).__name__}")
            out[key] = to_plain(val, depth + 1)
        return out
    raise PayloadDecodeError(f"CBOR item of unsupported type {type(obj).__name__}")


def cbor_dumps(value: JsonValue) -> bytes:
    """Encode plain values as CBOR (bytes as byte strings, ints exact)."""
    return cbor2.dumps(value)


def b64decode_strict(text: str) -> bytes:
    """Standard base64 with padding, as Go's encoding/json writes []byte.

    pybase64 (SIMD): an image event's ~60 KB payload decodes in 2.4 us instead of the standard
    library's 75 us, all of it under the GIL on the bus thread.
    """
    try:
        return pybase64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecodeError("invalid base64") from exc


def b64encode(data: bytes) -> str:
    """Standard base64 with padding, as text (Go's encoding/json form of []byte)."""
    return pybase64.b64encode(data).decode("ascii")


def media_type_of(content_type: str) -> str:
    """`application/json; charset=utf-8` -> `application/json` (as AFS splits on ';')."""
    return content_type.split(";", 1)[0].strip().lower()
