"""Go durations (time.ParseDuration) as read from the configuration."""

from __future__ import annotations

import pytest

from service.config.duration import parse_duration_s


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5s", 5.0), ("1m30s", 90.0), ("250ms", 0.25), ("1h", 3600.0), ("0", 0.0), ("1.5s", 1.5), ("-2s", -2.0)],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration_s(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "5 s", "s", "5sec", "1m 2s"])
def test_bad_go_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration_s(text)
