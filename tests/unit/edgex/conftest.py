"""Shared fixtures of the edgex unit tests: the real EdgeX 4.0 captures (golden vectors)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.shared_material import CAPTURES_DIR

CAPTURE_DIR = CAPTURES_DIR


@dataclass(frozen=True)
class Capture:
    """One captured MQTT message: its topic and exact payload bytes."""

    name: str
    topic: str
    data: bytes


@pytest.fixture(scope="session")
def captures() -> dict[str, Capture]:
    """Every NAME.bin/NAME.topic pair, by NAME (e.g. "event-v4-bool")."""
    return {
        p.stem: Capture(p.stem, p.with_suffix(".topic").read_text().strip(), p.read_bytes())
        for p in sorted(CAPTURE_DIR.glob("*.bin"))
    }


@pytest.fixture(scope="session")
def rest_captures() -> dict[str, object]:
    """The rest-*.json replies, parsed, by file stem."""
    return {p.stem: json.loads(p.read_text()) for p in sorted(CAPTURE_DIR.glob("rest-*.json"))}
