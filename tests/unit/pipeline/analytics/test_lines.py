"""Lines: which way a track's anchor step crossed a (poly)line, with the tie rules of lines.py."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.pipeline.analytics.lines import Line, anchor_of, crossings, lines_of
from service.pipeline.count_settings import Direction, LineSettings, Point


def line(points: list[Point], in_direction: Direction = "down") -> Line:
    return Line.from_settings("door", LineSettings(Points=points, InDirection=in_direction))


ACROSS = [(0.0, 0.5), (1.0, 0.5)]  # horizontal, edge to edge
UPRIGHT = [(0.5, 0.0), (0.5, 1.0)]  # vertical
VEE = [(0.2, 0.2), (0.5, 0.6), (0.8, 0.2)]
PEAK = [(0.2, 0.8), (0.5, 0.2), (0.8, 0.8)]
CHEVRON = [(0.2, 0.2), (0.8, 0.5), (0.2, 0.8)]  # ">": a vertical step crosses both arms


@pytest.mark.parametrize(
    ("points", "in_direction", "start", "end", "expected"),
    [
        (ACROSS, "down", (0.5, 0.4), (0.5, 0.6), ("in",)),
        (ACROSS, "down", (0.5, 0.6), (0.5, 0.4), ("out",)),
        (ACROSS, "up", (0.5, 0.6), (0.5, 0.4), ("in",)),
        (list(reversed(ACROSS)), "down", (0.5, 0.4), (0.5, 0.6), ("in",)),  # drawing order does not matter
        (ACROSS, "down", (0.1, 0.4), (0.9, 0.45), ()),  # stays above
        (ACROSS, "down", (0.5, 0.5), (0.5, 0.5), ()),  # no step
        (UPRIGHT, "right", (0.3, 0.5), (0.7, 0.5), ("in",)),
        (UPRIGHT, "left", (0.3, 0.5), (0.7, 0.5), ("out",)),
        (UPRIGHT, "right", (0.3, 0.2), (0.7, 0.9), ("in",)),  # diagonal
        ([(0.2, 0.5), (0.4, 0.5)], "down", (0.5, 0.4), (0.5, 0.6), ()),  # beside the segment's end
        ([(0.2, 0.5), (0.4, 0.5)], "down", (0.3, 0.4), (0.3, 0.6), ("in",)),
        # An anchor exactly on a horizontal line counts as a hair above it.
        (ACROSS, "down", (0.5, 0.4), (0.5, 0.5), ()),
        (ACROSS, "down", (0.5, 0.5), (0.5, 0.4), ()),
        (ACROSS, "down", (0.5, 0.6), (0.5, 0.5), ("out",)),
        (ACROSS, "down", (0.5, 0.5), (0.5, 0.6), ("in",)),
        (list(reversed(ACROSS)), "down", (0.5, 0.4), (0.5, 0.5), ()),
        # Feet cut off by the frame's bottom edge: anchors at y = 1, on a line drawn down to it.
        (UPRIGHT, "right", (0.4, 1.0), (0.6, 1.0), ("in",)),
        (UPRIGHT, "right", (0.6, 1.0), (0.4, 1.0), ("out",)),
        (ACROSS, "down", (0.2, 0.5), (0.8, 0.5), ()),  # along the line
        (UPRIGHT, "right", (0.5, 0.5), (0.4, 0.5), ("out",)),  # on a vertical one: a hair right of it
        (VEE, "down", (0.5, 0.5), (0.5, 0.7), ("in",)),  # through the corner: once
        (VEE, "down", (0.5, 0.7), (0.5, 0.5), ("out",)),
        (VEE, "down", (0.3, 0.6), (0.7, 0.6), ("out", "in")),  # touches the corner from below: a pair
        (PEAK, "down", (0.3, 0.2), (0.7, 0.2), ()),  # touches the peak from above
        (PEAK, "right", (0.1, 0.6), (0.9, 0.6), ("in", "in")),  # both arms, rightwards
        (PEAK, "right", (0.9, 0.6), (0.1, 0.6), ("out", "out")),
        (CHEVRON, "right", (0.5, 0.1), (0.5, 0.9), ("out", "in")),  # upper arm first
        (CHEVRON, "right", (0.5, 0.9), (0.5, 0.1), ("out", "in")),  # lower arm first
        (CHEVRON, "right", (0.5, 0.1), (0.5, 0.5), ("out",)),
        (CHEVRON, "right", (0.5, 0.5), (0.5, 0.1), ("in",)),
    ],
)
def test_crossings(
    points: list[Point],
    in_direction: Direction,
    start: Point,
    end: Point,
    expected: tuple[str, ...],
) -> None:
    assert crossings(line(points, in_direction), start, end) == expected


def test_right_is_in_follows_in_direction_per_segment() -> None:
    assert line(VEE, "down").right_is_in == (True, True)  # drawn left to right: below is right
    assert line(PEAK, "right").right_is_in == (True, False)
    assert line(PEAK, "left").right_is_in == (False, True)


def test_lines_of_keeps_configuration_order() -> None:
    settings = {
        "b": LineSettings(Points=ACROSS, InDirection="down"),
        "a": LineSettings(Points=UPRIGHT, InDirection="left"),
    }
    assert [compiled.name for compiled in lines_of(settings)] == ["b", "a"]


def test_anchor_is_the_bottom_centre_in_frame_fractions() -> None:
    assert anchor_of((100, 50, 300, 400), 640, 480) == (200 / 640, 400 / 480)


# Coordinates on a 1/16 grid: every cross product is exact in binary floating point, and the grid
# makes steps land on lines and corners often, which is where the tie rule matters.
GRID = st.integers(0, 16).map(lambda n: n / 16)
LEFT_OF_THE_EDGE = st.integers(0, 15).map(lambda n: n / 16)  # moved right by e, x = 1 would leave the frame
GRID_POINT = st.tuples(LEFT_OF_THE_EDGE, GRID)


@st.composite
def edge_to_edge(draw: st.DrawFn) -> list[Point]:
    """A polyline y = f(x) from the left edge to the right edge, x strictly increasing."""
    inner = sorted(draw(st.sets(st.integers(1, 15), max_size=4)))
    xs = [0, *inner, 16]
    return [(x / 16, draw(GRID)) for x in xs]


def below(points: list[Point], point: Point) -> bool:
    """Whether point + (e, -e*e) is below the polyline y = f(x) (InDirection down's in side), exactly."""
    x, y = Fraction(point[0]), Fraction(point[1])
    for (x1, y1), (x2, y2) in pairwise(points):
        if Fraction(x1) <= x < Fraction(x2):
            slope = (Fraction(y2) - Fraction(y1)) / (Fraction(x2) - Fraction(x1))
            f = Fraction(y1) + slope * (x - Fraction(x1))
            # On the line: y - e*e > f(x + e) = f(x) + slope e holds for slope < 0.
            return y > f or (y == f and slope < 0)
    raise AssertionError("the polyline spans the frame")


@settings(max_examples=500)
@given(edge_to_edge(), st.lists(GRID_POINT, min_size=2, max_size=12))
def test_net_count_over_an_edge_to_edge_line_depends_only_on_the_ends(
    points: list[Point], path: list[Point]
) -> None:
    compiled = line(points, "down")
    net = 0
    for start, end in pairwise(path):
        found = crossings(compiled, start, end)
        net += found.count("in") - found.count("out")
    assert net == int(below(points, path[-1])) - int(below(points, path[0]))


@settings(max_examples=500)
@given(edge_to_edge(), GRID_POINT, GRID_POINT)
def test_a_step_and_its_reverse_cross_the_same_number_of_times(
    points: list[Point], start: Point, end: Point
) -> None:
    compiled = line(points, "down")
    forward, backward = crossings(compiled, start, end), crossings(compiled, end, start)
    assert sorted(forward) == sorted("out" if d == "in" else "in" for d in backward)
