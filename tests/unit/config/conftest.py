"""Fixtures shared by the configuration tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _no_default_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs where ./res/configuration.yaml does not exist (built-in defaults)."""
    monkeypatch.chdir(tmp_path)
