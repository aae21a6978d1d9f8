"""Reading value strings: Go-compatible parsing and formatting."""

from __future__ import annotations

import math

import pytest

from service.edgex.errors import ReadingValueError
from service.edgex.values import (
    format_float,
    format_value,
    normalize_value_type,
    parse_array,
    parse_bool,
    parse_float,
    parse_int,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (23.45, "2.345000e+01"),
        (0.0, "0.000000e+00"),
        (-1e-7, "-1.000000e-07"),
        (1e300, "1.000000e+300"),
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
        (math.nan, "NaN"),
    ],
)
def test_format_float_like_go_percent_e(value: float, text: str) -> None:
    assert format_float(value) == text


@pytest.mark.parametrize(
    ("value", "value_type", "text"),
    [
        (True, "Bool", "true"),
        (-5, "Int64", "-5"),
        (3, "Float32", "3.000000e+00"),
        ([True, False], "BoolArray", "[true, false]"),
        ([1.5], "Float64Array", "[1.500000e+00]"),
        (["a", 'b"c'], "StringArray", '["a", "b\\"c"]'),
        ([], "Uint8Array", "[]"),
        ("hi", "String", "hi"),
    ],
)
def test_format_value(value: object, value_type: str, text: str) -> None:
    assert format_value(value, value_type) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "value_type"),
    [
        (1, "Bool"),
        (1.5, "Int8"),
        (True, "Int8"),
        ("1", "Float32"),
        (5, "BoolArray"),
        ("ab", "Int8Array"),
        ({"a": 1}, "Object"),
        (1, "String"),
    ],
)
def test_format_value_rejects_wrong_python_types(value: object, value_type: str) -> None:
    with pytest.raises(ReadingValueError):
        format_value(value, value_type)  # type: ignore[arg-type]


def test_parsers() -> None:
    assert [parse_bool(t) for t in ("true", "T", "1", "False", "f", "0")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert parse_int("-792440581013538726") == -792440581013538726 and parse_int("+7") == 7
    assert parse_float("2.345000e+01") == 23.45 and parse_float("+Inf") == math.inf
    assert math.isnan(parse_float("NaN"))
    assert parse_array("[1 2 3]", "Int8Array") == [1, 2, 3]  # Go's %v form
    assert parse_array("[false, true]", "BoolArray") == [False, True]
    assert parse_array("[]", "Float64Array") == []


@pytest.mark.parametrize(
    ("func", "text"),
    [
        (parse_bool, "yes"),
        (parse_bool, ""),
        (parse_int, "1.0"),
        (parse_int, ""),
        (parse_int, "\u0661"),
        (parse_int, "1_000"),
        (parse_float, " 1"),
        (parse_float, "abc"),
        (parse_float, "1_0"),
    ],
)
def test_parser_errors(func: object, text: str) -> None:
    with pytest.raises(ReadingValueError):
        func(text)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "value_type"),
    [("1, 2", "Int8Array"), ("[x]", "Int8Array"), ("[1, 2]", "StringArray"), ('["a"', "StringArray")],
)
def test_array_errors(text: str, value_type: str) -> None:
    with pytest.raises(ReadingValueError):
        parse_array(text, value_type)


def test_value_type_normalisation() -> None:
    assert normalize_value_type("float32array") == "Float32Array"
    assert normalize_value_type("OBJECTARRAY") == "ObjectArray"
    with pytest.raises(KeyError):
        normalize_value_type("Float128")
