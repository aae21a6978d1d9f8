"""The motion gate lives in service/vision and imports nothing of service (see tests/unit/test_layers.py)."""

from __future__ import annotations

import ast
from pathlib import Path

SERVICE = Path(__file__).resolve().parents[3] / "service"


def imports_of(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_motion_gate_stays_inside_vision() -> None:
    assert [n for n in imports_of(SERVICE / "vision" / "motion.py") if n.startswith("service.")] == []
