"""Package hygiene: the export list (import direction: tests/unit/test_layers.py)."""

from pathlib import Path

import service.vision

VISION = Path(service.vision.__file__).parent


def test_all_matches_exports() -> None:
    public = {name for name in vars(service.vision) if not name.startswith("_")}
    modules = {name for name, value in vars(service.vision).items() if type(value).__name__ == "module"}
    assert set(service.vision.__all__) == public - modules
