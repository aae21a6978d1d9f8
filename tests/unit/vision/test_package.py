"""Package hygiene: export list and import direction."""

import ast
from pathlib import Path

import service.vision

VISION = Path(service.vision.__file__).parent
FORBIDDEN = ("service.edgex", "service.pipeline", "service.config", "service.api", "service.app")


def test_all_matches_exports() -> None:
    public = {name for name in vars(service.vision) if not name.startswith("_")}
    modules = {name for name, value in vars(service.vision).items() if type(value).__name__ == "module"}
    assert set(service.vision.__all__) == public - modules


def test_vision_imports_only_allowed_packages() -> None:
    offenders = []
    for path in VISION.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(FORBIDDEN)]
    assert offenders == []
