"""Import direction (STYLE.md §3): edgex and vision know nothing of each other or of what sits above.

app, __main__      compose everything
api                sees pipeline through narrow protocols; never app/config
simulator          drives the bus like device services would; never app/config/api
pipeline           joins edgex and vision; never app/config/api/simulator; inside it, sub-packages
                   import downwards only (PIPELINE_LAYERS)
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
    "streams": ("service.edgex", "service.vision", *ABOVE),
    "pipeline": ("service.app", "service.config", "service.api", "service.simulator"),
    "simulator": ("service.app", "service.config", "service.api"),
    "api": ("service.app", "service.config.loader"),
    "access": ("service.app", "service.config", "service.api", "service.simulator", "service.edgex"),
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


# service/pipeline, bottom to top: a package may import only from packages before it (and itself).
PIPELINE_LAYERS: tuple[tuple[str, ...], ...] = (
    ("rule_settings", "count_settings", "errors", "identity"),
    ("mode_settings", "action_settings"),
    ("settings",),
    ("ingest",),
    ("analysis",),
    ("analytics",),
    ("state",),
    ("rules",),
    ("actions",),
    ("cameras",),
    ("control",),
    ("parts",),
    ("lifecycle", "view", "config_editor"),
    ("assembly",),
)
PIPELINE = SERVICE / "pipeline"


def pipeline_part(module: str) -> str | None:
    """'service.pipeline.rules.engine' -> 'rules' (None outside service.pipeline)."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["service", "pipeline"] else None


def layer_of(part: str) -> int:
    return next(i for i, names in enumerate(PIPELINE_LAYERS) if part in names)


def test_every_pipeline_module_has_a_layer() -> None:
    parts = {path.relative_to(PIPELINE).parts[0].removesuffix(".py") for path in PIPELINE.rglob("*.py")}
    parts.discard("__init__")
    assert sorted(p for p in parts if not any(p in names for names in PIPELINE_LAYERS)) == []


def test_pipeline_imports_point_down() -> None:
    """TYPE_CHECKING imports count too: a cycle hidden behind them is still a cycle."""
    offenders = []
    for path in sorted(PIPELINE.rglob("*.py")):
        own = path.relative_to(PIPELINE).parts[0].removesuffix(".py")
        if own == "__init__":
            continue
        for name in imported_modules(path):
            part = pipeline_part(name)
            if part is not None and part != own and layer_of(part) >= layer_of(own):
                offenders.append(f"{path.relative_to(SERVICE)}: {name}")
    assert offenders == []


def test_the_check_sees_a_wrong_way_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from service.vision.engine import Engine\n", encoding="utf-8")
    assert any(name.startswith(FORBIDDEN["edgex"]) for name in imported_modules(module))
