"""Shared helpers for the shipping tests: paths, and JSON schemas taken from EdgeX's OpenAPI files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakes.openapi_schemas import Schema, openapi_schema

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def schema_of() -> Callable[..., Schema]:
    """`schema_of("core-metadata.yaml", "CreateDevice", strict=True)` -> standalone JSON schema."""
    return openapi_schema


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: minutes, not seconds (fresh virtual environment); runs in make test"
    )
