"""Topic-level escaping: app-vision's escape_name / unescape_level against EdgeX's own functions.

go-mod-core-contracts' common.URLEncode is what an EdgeX service with Service.EnableNameFieldEscape
writes into a topic level; Go's url.PathUnescape is what every EdgeX receiver applies to one.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from service.edgex.errors import TopicError
from service.edgex.topics import escape_name, unescape_level
from tests.interop.peer import Json

pytestmark = pytest.mark.interop

NAMES = [
    "Camera-1",
    "camera_01.front",
    "Door 1/East",
    "a+b#c",
    "50%",
    "~tilde",
    "x!*'();:@&=$,?",
    "Kamera-Süd",
    "カメラ",
    "tab\there",
    "emoji-📷",
    "",
    "%2D",
]
LEVELS = ["Door%201%2FEast", "Kamera%2DS%C3%BCd", "a+b", "%7e", "%E3%82%AB", "plain", "%zz", "%4", "100%"]


def _go(binary: Path, args: list[str]) -> list[Json]:
    done = subprocess.run(
        [str(binary), "escape-names", *args], capture_output=True, text=True, timeout=30, check=True
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_escape_name_matches_edgex_urlencode(peer_binary: Path) -> None:
    for record in _go(peer_binary, NAMES):
        assert escape_name(record["name"]) == record["escaped"], record


def test_escaped_names_round_trip_through_edgex_unescape(peer_binary: Path) -> None:
    for record in _go(peer_binary, [escape_name(name) for name in NAMES]):
        assert record["unescaped"] == unescape_level(record["name"]), record


def test_unescape_level_agrees_with_go_path_unescape(peer_binary: Path) -> None:
    for record in _go(peer_binary, LEVELS):
        if record.get("unescapeError"):
            with pytest.raises(TopicError):
                unescape_level(record["name"])
        else:
            assert unescape_level(record["name"]) == record["unescaped"], record
