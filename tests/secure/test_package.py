"""service.edgex.secretstore exports exactly its __all__, and stays inside service/edgex's layer."""

from __future__ import annotations

from pathlib import Path

import service.edgex.secretstore as secretstore
from tests.unit.test_layers import FORBIDDEN, imported_modules


def test_the_package_exports_exactly_its_all() -> None:
    exported = {name for name in vars(secretstore) if not name.startswith("_")}
    modules = {p.stem for p in Path(secretstore.__file__).parent.glob("*.py")} - {"__init__"}
    assert sorted(exported - modules) == sorted(secretstore.__all__)


def test_it_imports_nothing_above_service_edgex() -> None:
    folder = Path(secretstore.__file__).parent
    offenders = [
        f"{path.name}: {name}"
        for path in sorted(folder.glob("*.py"))
        for name in imported_modules(path)
        if name.startswith(FORBIDDEN["edgex"])
    ]
    assert offenders == []
