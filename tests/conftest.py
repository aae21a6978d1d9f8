"""Suite-wide policy: under CI=true a skipped test fails the run (a skip proves nothing).

Many tests run the service from a temporary working directory; they all use the models that
`make models` fetched into this checkout, so the models directory is made absolute for the session.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

MODELS_DIR = Path(__file__).resolve().parents[1] / ".cache" / "models"


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
