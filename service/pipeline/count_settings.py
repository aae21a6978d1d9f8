"""Strict configuration of counting: a camera's lines (name -> LineSettings) and the counters' windows.

A base layer of the pipeline (beside rule_settings), so that settings.py can hold a camera's Lines.
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Literal

from pydantic import Field, field_validator, model_validator

from service.strict import StrictModel

Point = tuple[float, float]
Direction = Literal["down", "up", "right", "left"]
# Unit vectors in frame coordinates (x to the right, y down), as the frame is seen.
DIRECTION_VECTORS: dict[Direction, Point] = {
    "down": (0.0, 1.0),
    "up": (0.0, -1.0),
    "right": (1.0, 0.0),
    "left": (-1.0, 0.0),
}
# A segment within about 3 degrees of InDirection has no usable "in" side: crossing it is a walk along it.
MIN_CROSSING_SINE = 0.05


class LineSettings(StrictModel):
    """A counting line: a polyline in frame fractions; crossing it in InDirection counts in, else out."""

    Points: list[Point] = Field(
        min_length=2,
        max_length=64,
        description="Two or more [x, y] points in fractions 0..1 of the frame width and height.",
    )
    InDirection: Direction = Field(
        description=(
            "Travel across the line that counts as in, as seen on the frame: down, up, right or left. "
            "Each segment must cross that direction (a segment running along it has no in side; "
            "use a zone for that shape)."
        )
    )

    @field_validator("Points")
    @classmethod
    def _check_points(cls, points: list[Point]) -> list[Point]:
        for x, y in points:
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise ValueError(f"point ({x}, {y}) is outside the frame; use fractions 0..1 of width/height")
        for index, (start, end) in enumerate(pairwise(points)):
            if start == end:
                raise ValueError(f"points {index} and {index + 1} are the same: a segment needs two ends")
        return points

    @model_validator(mode="after")
    def _segments_cross_the_direction(self) -> LineSettings:
        dx, dy = DIRECTION_VECTORS[self.InDirection]
        for index, ((x1, y1), (x2, y2)) in enumerate(pairwise(self.Points)):
            sine = ((x2 - x1) * dy - (y2 - y1) * dx) / math.hypot(x2 - x1, y2 - y1)
            if abs(sine) < MIN_CROSSING_SINE:
                raise ValueError(
                    f"segment {index} runs along InDirection {self.InDirection!r}: crossing it is neither "
                    "in nor out"
                )
        return self


class CountingSettings(StrictModel):
    """What is counted, the windows of peaks, rates and dwell percentiles, and how often counts go out."""

    Enabled: bool = Field(
        default=True, description="Count on cameras with Lines or Zones; off: no counters, no readings."
    )
    Labels: list[str] = Field(
        default=["person"], min_length=1, description="Labels counted; other sightings are ignored."
    )
    PeakWindowS: float = Field(
        default=60, gt=0, le=86400, description="Peak occupancy is the highest in this many seconds."
    )
    DwellWindowS: float = Field(
        default=3600,
        gt=0,
        le=7 * 86400,
        description="Dwell p50/p95 are of visits that ended in this many seconds (newest 1000 per zone).",
    )
    RateWindowS: float = Field(
        default=60,
        gt=0,
        le=86400,
        description="EntriesRecent, ExitsRecent, InRecent and OutRecent count this many seconds back.",
    )
    PublishIntervalS: float = Field(
        default=60,
        gt=0,
        le=86400,
        description="Counts are published this often, and at once when they change.",
    )
    MinPublishGapS: float = Field(
        default=1.0,
        ge=0,
        le=3600,
        description="Changes closer together than this go out in one event (0: every change at once).",
    )
