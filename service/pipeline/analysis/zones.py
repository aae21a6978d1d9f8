"""Zones: which named polygons (in frame fractions) hold a detection's bottom centre."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from service.pipeline.analysis.tracking import Box

Polygon = Sequence[tuple[float, float]]


def point_in_polygon(x: float, y: float, polygon: Polygon) -> bool:
    """Ray casting; points on an edge may fall either way."""
    inside = False
    count = len(polygon)
    for i in range(count):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % count]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


_INSIDE = 1e-9


def zones_of(box: Box, zones: Mapping[str, Polygon], width: int, height: int) -> tuple[str, ...]:
    """Names of the zones holding the box's bottom centre (zones are in frame fractions)."""
    if not zones or width <= 0 or height <= 0:
        return ()
    # Just inside the frame: a box clipped at the frame's edge (feet cut off) still has an anchor
    # that a zone drawn to that edge holds (ray casting leaves points on an edge out).
    x = min(max((box[0] + box[2]) / 2 / width, _INSIDE), 1 - _INSIDE)
    y = min(max(box[3] / height, _INSIDE), 1 - _INSIDE)
    return tuple(name for name, polygon in zones.items() if point_in_polygon(x, y, polygon))
