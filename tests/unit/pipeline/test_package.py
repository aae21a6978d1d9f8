"""Import direction: pipeline joins edgex and vision; simulator sits on top; nothing imports app/config."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[3] / "service"
RULES = {
    # package: imports it must never make
    "pipeline": ("service.app", "service.config", "service.simulator", "service.api"),
    "simulator": ("service.app", "service.config", "service.api"),
}
# Pipeline.router() is the agreed interface (INTERFACES.md): its one import of the routes is lazy.
ALLOWED = {("service.py", "service.api.vision_routes")}


def imports_of(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("package", sorted(RULES))
def test_no_wrong_way_imports(package: str) -> None:
    offenders = [
        f"{path.name}: {name}"
        for path in sorted((SERVICE / package).rglob("*.py"))
        for name in imports_of(path)
        if name.startswith(RULES[package]) and (path.name, name) not in ALLOWED
    ]
    assert offenders == []


def test_motion_gate_stays_inside_vision() -> None:
    assert [n for n in imports_of(SERVICE / "vision" / "motion.py") if n.startswith("service.")] == []
