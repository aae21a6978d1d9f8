"""EdgeX reading values: the valueType table, string parsing and Go-compatible formatting.

EdgeX carries every simple value as a string (`"true"`, `"42"`, `"2.345000e+01"`, `"[1, 2]"`).
Parsing follows Go's strconv rules closely enough for every value a Go device service emits;
formatting follows GMCC 3.x/4.0 (`%e` for floats, `[a, b]` for arrays, JSON for StringArray).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

from service.edgex.errors import ReadingValueError

ScalarValue = bool | int | float | str

INTEGER_TYPES = frozenset({"Uint8", "Uint16", "Uint32", "Uint64", "Int8", "Int16", "Int32", "Int64"})
FLOAT_TYPES = frozenset({"Float32", "Float64"})
SCALAR_TYPES = frozenset({"Bool", "String"}) | INTEGER_TYPES | FLOAT_TYPES
ARRAY_TYPES = frozenset(f"{t}Array" for t in SCALAR_TYPES)
OBJECT_TYPES = frozenset({"Object", "ObjectArray"})
BINARY_TYPE = "Binary"
VALUE_TYPES = SCALAR_TYPES | ARRAY_TYPES | OBJECT_TYPES | {BINARY_TYPE}

_CANONICAL = {name.lower(): name for name in VALUE_TYPES}
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def normalize_value_type(value_type: str) -> str:
    """Return the canonical spelling of a valueType (EdgeX NormalizeValueType); KeyError if unknown."""
    return _CANONICAL[value_type.lower()]


def element_type(value_type: str) -> str:
    """`Float32Array` -> `Float32`; a scalar type is its own element type."""
    return value_type[: -len("Array")] if value_type in ARRAY_TYPES else value_type


def parse_bool(text: str) -> bool:
    """Go strconv.ParseBool."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ReadingValueError(f"not a Bool: {text!r}")


def parse_int(text: str) -> int:
    """Decimal integer as Go's strconv.ParseInt(s, 10, 64) accepts it (no underscores, no spaces)."""
    body = text[1:] if text[:1] in "+-" else text
    if not body.isascii() or not body.isdigit():
        raise ReadingValueError(f"not an integer: {text!r}")
    return int(text)


def parse_float(text: str) -> float:
    """Go strconv.ParseFloat, including `+Inf`, `-Inf` and `NaN`."""
    stripped = text.strip()
    if stripped != text or not text or "_" in text:
        raise ReadingValueError(f"not a Float: {text!r}")
    try:
        return float(text)
    except ValueError as exc:
        raise ReadingValueError(f"not a Float: {text!r}") from exc


def parse_scalar(text: str, value_type: str) -> ScalarValue:
    """Parse one element of the given scalar valueType."""
    if value_type == "Bool":
        return parse_bool(text)
    if value_type in INTEGER_TYPES:
        return parse_int(text)
    if value_type in FLOAT_TYPES:
        return parse_float(text)
    return text


def parse_array(text: str, value_type: str) -> list[ScalarValue]:
    """Parse `"[1, 2, 3]"` (or Go's `"[1 2 3]"`, or a JSON array for StringArray)."""
    item_type = element_type(value_type)
    stripped = text.strip()
    if not (stripped.startswith("[") and stripped.endswith("]")):
        raise ReadingValueError(f"not an array: {text!r}")
    if item_type == "String":
        try:
            items = json.loads(stripped)
        except ValueError as exc:
            raise ReadingValueError(f"not a StringArray: {text!r}") from exc
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ReadingValueError(f"not a StringArray: {text!r}")
        return list(items)
    inner = stripped[1:-1].replace(",", " ").split()
    return [parse_scalar(item, item_type) for item in inner]


def format_float(value: float) -> str:
    """Go `%e` (fmt) formatting: `2.345000e+01`, `+Inf`, `-Inf`, `NaN`."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:e}"


def format_scalar(value: ScalarValue, value_type: str) -> str:
    """Format a Python value as the EdgeX string for a scalar valueType."""
    if value_type == "Bool":
        if not isinstance(value, bool):
            raise ReadingValueError(f"Bool reading needs a bool, got {value!r}")
        return "true" if value else "false"
    if value_type in INTEGER_TYPES:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ReadingValueError(f"{value_type} reading needs an int, got {value!r}")
        return str(value)
    if value_type in FLOAT_TYPES:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ReadingValueError(f"{value_type} reading needs a number, got {value!r}")
        return format_float(float(value))
    if not isinstance(value, str):
        raise ReadingValueError(f"String reading needs a str, got {value!r}")
    return value


def format_value(value: ScalarValue | Sequence[ScalarValue], value_type: str) -> str:
    """Format a scalar or a sequence (for an *Array valueType) as the EdgeX value string."""
    if value_type in ARRAY_TYPES:
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            raise ReadingValueError(f"{value_type} reading needs a sequence, got {value!r}")
        item_type = element_type(value_type)
        items = [format_scalar(v, item_type) for v in value]
        if item_type == "String":
            return json.dumps(items)
        return "[" + ", ".join(items) + "]"
    if value_type in SCALAR_TYPES:
        if not isinstance(value, bool | int | float | str):
            raise ReadingValueError(f"{value_type} reading needs a scalar, got {value!r}")
        return format_scalar(value, value_type)
    raise ReadingValueError(f"{value_type} is not a simple valueType")
