"""Suite-wide policy and the bundled models shared by every tier.

Under CI=true a skipped test fails the run (a skip proves nothing). Many tests run the service from
a temporary working directory; they all use the models fetched into this checkout (`make models`,
or the `models_dir` fixture on a fresh clone), so the models directory is made absolute.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.vision.engine import Engine
from service.vision.fetch import fetch_models
from service.vision.specs import EngineSettings, bundled_models

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / ".cache" / "models"


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("APPCUSTOM_ENGINE_MODELSDIR", str(MODELS_DIR))


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _in_ci():
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        if reporter is not None:
            reporter.write_line(
                f"CI=true: {len(skipped)} test(s) skipped; a skipped test fails the run in CI.", red=True
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The fetched bundled models (fetch is a no-op when the manifest matches models.lock)."""
    return fetch_models(ROOT / "models.lock", MODELS_DIR).models_dir


@pytest.fixture(scope="session")
def engine(models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One engine for the bundled models, shared by the session (as cameras share it)."""
    settings = EngineSettings(ModelsDir=models_dir, CacheDir=tmp_path_factory.mktemp("ov-cache"))
    with Engine(bundled_models(), settings) as shared:
        yield shared
