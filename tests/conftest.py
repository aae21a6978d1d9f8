"""Suite-wide policy: under CI=true a skipped test fails the run (a skip proves nothing)."""

from __future__ import annotations

import os

import pytest


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
