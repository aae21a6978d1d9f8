"""Import direction (STYLE.md §3): edgex and vision know nothing of each other or of what sits above.

app, __main__      compose everything
api                sees pipeline through narrow protocols; never app/config
simulator          drives the bus like device services would; never app/config/api
pipeline           joins edgex and vision; never app/config/api/simulator
edgex, vision      independent of each other and of everything above
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[2] / "service"
ABOVE = ("service.app", "service.config", "service.api", "service.simulator", "service.pipeline")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "edgex": ("service.vision", *ABOVE),
    "vision": ("service.edgex", "service.metrics", *ABOVE),
    "pipeline": ("service.app", "service.config", "service.api", "service.simulator"),
    "simulator": ("service.app", "service.config", "service.api"),
    "api": ("service.app", "service.config.loader"),
}


def imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_wrong_way_imports(package: str) -> None:
    offenders = [
        f"{path.relative_to(SERVICE)}: {name}"
        for path in sorted((SERVICE / package).rglob("*.py"))
        for name in imported_modules(path)
        if name.startswith(FORBIDDEN[package])
    ]
    assert offenders == []


def test_the_check_sees_a_wrong_way_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from service.vision.engine import Engine\n", encoding="utf-8")
    assert any(name.startswith(FORBIDDEN["edgex"]) for name in imported_modules(module))
