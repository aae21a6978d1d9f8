"""Go-style duration strings ("5s", "1m30s", "250ms") as EdgeX writes them in configuration."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_UNIT_S = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration_s(text: str) -> float:
    """Seconds in a Go duration string; raises ValueError on anything time.ParseDuration rejects."""
    body = text.strip()
    if body in {"0", "-0", "+0"}:
        return 0.0
    sign = -1.0 if body.startswith("-") else 1.0
    body = body.lstrip("+-")
    if not body:
        raise ValueError(f"invalid duration {text!r}")
    total, pos = 0.0, 0
    for match in _PART.finditer(body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_S[match.group(2)]
        pos = match.end()
    if pos != len(body):
        raise ValueError(f"invalid duration {text!r} (expected e.g. '5s', '1m30s', '250ms')")
    return sign * total


def _check(text: str) -> str:
    parse_duration_s(text)
    return text


GoDuration = Annotated[str, AfterValidator(_check)]
"""A configuration string that must parse as a Go duration; kept as written (EdgeX style)."""
