"""Counting lines: polylines in frame fractions with an "in" side, and which way a track's anchor crossed.

A track is followed by its anchor, the bottom centre of its box (where it stands, as zones use it),
in frame fractions. Between two consecutive sightings the anchor takes a straight step, and the step
crosses a segment when each one's ends lie on different sides of the other's line.

Ties are broken by simulation of simplicity: every anchor is taken as moved by an infinitesimal
(e, -e*e), right by e and up by the far smaller e*e, so no anchor is ever exactly on a line and no
step runs exactly through a corner. Up, because anchors on the frame's bottom edge are common (a
box cut off by it): they stay on the frame, and so on the lines drawn down to that edge.

So an anchor that stops on a line and walks back makes no crossing or an in-and-out pair, never a
lone crossing; a step through the corner of two segments counts once, one that touches it never or
as a pair; and over a line that runs from edge to edge of the frame, a path's net count (in minus
out) depends only on the sides it starts and ends on. A step that crosses a bent line twice (a
zigzag) makes two crossings, in the order it makes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from service.pipeline.analysis.tracking import Box
from service.pipeline.count_settings import DIRECTION_VECTORS, LineSettings, Point

CrossingDirection = Literal["in", "out"]


@dataclass(frozen=True, slots=True)
class Line:
    """A line ready for crossing tests: its points and, per segment, whether its right side is in."""

    name: str
    points: tuple[Point, ...]
    right_is_in: tuple[bool, ...]  # one per segment

    @staticmethod
    def from_settings(name: str, settings: LineSettings) -> Line:
        """Compile a validated LineSettings (every segment crosses InDirection)."""
        points = tuple(settings.Points)
        direction = DIRECTION_VECTORS[settings.InDirection]
        right_is_in = tuple(
            _cross(start, end, (start[0] + direction[0], start[1] + direction[1])) > 0
            for start, end in pairwise(points)
        )
        return Line(name, points, right_is_in)


def lines_of(settings: Mapping[str, LineSettings]) -> tuple[Line, ...]:
    """A camera's configured lines, compiled, in configuration order."""
    return tuple(Line.from_settings(name, line) for name, line in settings.items())


def anchor_of(box: Box, width: int, height: int) -> Point:
    """The bottom centre of an x1y1x2y2 box in source pixels, as fractions of the frame size."""
    return ((box[0] + box[2]) / 2 / width, box[3] / height)


def crossings(line: Line, start: Point, end: Point) -> tuple[CrossingDirection, ...]:
    """Directions of the line's crossings by the step start -> end, in the order the step makes them."""
    found: list[tuple[float, CrossingDirection]] = []
    for index, right_is_in in enumerate(line.right_is_in):
        a, b = line.points[index], line.points[index + 1]
        start_right, end_right = _right_of(a, b, start), _right_of(a, b, end)
        if start_right == end_right or _step_right_of(start, end, a) == _step_right_of(start, end, b):
            continue
        start_side, end_side = _cross(a, b, start), _cross(a, b, end)
        t = start_side / (start_side - end_side)  # how far along the step: orders several crossings
        found.append((t, "in" if end_right == right_is_in else "out"))
    return tuple(direction for _, direction in sorted(found))


def _right_of(a: Point, b: Point, point: Point) -> bool:
    """Whether point + (e, -e*e) is right of a -> b as seen (x right, y down)."""
    side = _cross(a, b, point)
    if side != 0:
        return side > 0
    # _cross(a, b, point + (e, -e*e)) - side = -(b.x - a.x) e*e - (b.y - a.y) e: the e term leads.
    return b[1] < a[1] if b[1] != a[1] else b[0] < a[0]


def _step_right_of(start: Point, end: Point, point: Point) -> bool:
    """Whether point is right of the step (start -> end) + (e, -e*e)."""
    side = _cross(start, end, point)
    if side != 0:
        return side > 0
    # _cross(start + d, end + d, point) - side = -(end - start) x d, d = (e, -e*e):
    # (end.x - start.x) e*e + (end.y - start.y) e.
    return end[1] > start[1] if end[1] != start[1] else end[0] > start[0]


def _cross(origin: Point, a: Point, b: Point) -> float:
    """z of (a - origin) x (b - origin): > 0 when b is right of origin -> a, as seen (x right, y down)."""
    return (a[0] - origin[0]) * (b[1] - origin[1]) - (a[1] - origin[1]) * (b[0] - origin[0])
