"""Counting settings: lines are validated when loaded (frame fractions, real segments, an in side)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from service.pipeline.count_settings import CountingSettings, LineSettings


@pytest.mark.parametrize(
    "body",
    [
        {"Points": [[0, 0.5], [1, 0.5]], "InDirection": "down"},
        {"Points": [[0.5, 0], [0.5, 1]], "InDirection": "left"},
        {"Points": [[0.1, 0.9], [0.5, 0.4], [0.9, 0.9]], "InDirection": "up"},
        {"Points": [[0, 0], [1, 1]], "InDirection": "right"},  # a diagonal crosses every direction
    ],
)
def test_valid_lines(body: dict[str, Any]) -> None:
    line = LineSettings.model_validate(body)
    assert len(line.Points) == len(body["Points"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Points": [[0, 0.5]], "InDirection": "down"}, "at least 2"),
        ({"Points": [[0, 0.5], [1.2, 0.5]], "InDirection": "down"}, "outside the frame"),
        ({"Points": [[0, -0.1], [1, 0.5]], "InDirection": "down"}, "outside the frame"),
        ({"Points": [[0.2, 0.5], [0.2, 0.5]], "InDirection": "down"}, "are the same"),
        ({"Points": [[0, 0.5], [1, 0.5]], "InDirection": "right"}, "segment 0 runs along InDirection"),
        ({"Points": [[0.5, 0], [0.5, 1]], "InDirection": "down"}, "segment 0 runs along InDirection"),
        ({"Points": [[0, 0.5], [0.5, 0.5], [0.5, 1]], "InDirection": "down"}, "segment 1 runs along"),
        ({"Points": [[0, 0.5], [1, 0.52]], "InDirection": "right"}, "runs along"),  # within ~3 degrees
        ({"Points": [[0, 0.5], [1, 0.5]], "InDirection": "inwards"}, "InDirection"),
        ({"Points": [[0, 0.5], [1, 0.5]]}, "InDirection"),
        ({"Points": [[0, 0.5], [1, 0.5]], "InDirection": "down", "Colour": "red"}, "Extra inputs"),
    ],
)
def test_invalid_lines(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        LineSettings.model_validate(body)


def test_counting_defaults() -> None:
    counting = CountingSettings()
    assert (counting.Labels, counting.PeakWindowS, counting.DwellWindowS) == (["person"], 60, 3600)


@pytest.mark.parametrize(
    "body", [{"Labels": []}, {"PeakWindowS": 0}, {"DwellWindowS": -1}, {"PeakWindowS": 86401}, {"Other": 1}]
)
def test_invalid_counting(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CountingSettings.model_validate(body)
