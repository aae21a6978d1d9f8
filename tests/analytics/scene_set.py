"""The synthetic set: the scenes the counting tests and bench.tracking run, with what they must count.

Frames are 4 per second. Walking speeds are 0.15-0.2 frame widths a second (24-33 px a frame);
paths are timed so that no crossing falls exactly on a frame, and every scene runs on for 4 s after
its last walker has gone, so that every track has ended (TrackingSettings: 5 frames and 3 s). The
expected counts are the ones the paths make (tests/analytics/test_scene_set.py counts the truth).
"""

from __future__ import annotations

from service.pipeline.count_settings import LineSettings
from tests.analytics.scenes import Expected, Key, Person, Scene, Walker

# Feet above the frame's bottom edge: a box cut off by the edge has its anchor exactly on y = 1, which
# analysis.zones places outside every zone (ray casting leaves the edge out).
FOOT = 0.95
TALL = 360.0

# Lines: a vertical door in the middle (walking right = in), a threshold across the bottom (walking
# down, towards the camera = in), two vertical lines at a quarter and three quarters of the width.
DOOR = LineSettings(Points=[(0.5, 0.0), (0.5, 1.0)], InDirection="right")
THRESHOLD = LineSettings(Points=[(0.0, 0.82), (1.0, 0.82)], InDirection="down")
WEST = LineSettings(Points=[(0.25, 0.0), (0.25, 1.0)], InDirection="right")
EAST = LineSettings(Points=[(0.75, 0.0), (0.75, 1.0)], InDirection="right")
RIGHT_HALF = [(0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0)]
# Clear of the frame's sides: a box leaving the frame is cut off by its edge, so its anchor (the cut
# box's bottom centre) stops short of the edge, and a zone drawn to the edge is left only when the
# track ends, not when the walker is seen outside it.
QUEUE = [(0.15, 0.0), (0.85, 0.0), (0.85, 1.0), (0.15, 1.0)]
FRONT = [(0.0, 0.82), (1.0, 0.82), (1.0, 1.0), (0.0, 1.0)]


def walk(person: Person, *keys: tuple[float, float]) -> Walker:
    """A walker at the front of the frame, TALL px tall: keys are (time_s, x)."""
    return Walker(person, tuple(Key(t, x, FOOT, TALL) for t, x in keys))


WALK_RIGHT = Scene(
    name="walk-right",
    background="plain",
    walkers=(walk("astronaut", (0.0, -0.11), (8.0, 1.09)),),
    duration_s=12.0,
    lines={"door": DOOR, "threshold": THRESHOLD},
    zones={"right": RIGHT_HALF},
    expected=Expected(lines={"door": (1, 0), "threshold": (0, 0)}, entries={"right": 1}, peaks={"right": 1}),
)

WALK_LEFT = Scene(
    name="walk-left",
    background="coffee",
    walkers=(walk("cameraman", (0.0, 1.11), (8.0, -0.09)),),
    duration_s=12.0,
    lines={"door": DOOR},
    zones={"right": RIGHT_HALF},
    expected=Expected(lines={"door": (0, 1)}, entries={"right": 1}, peaks={"right": 1}),
)

IN_AND_BACK = Scene(
    name="in-and-back",
    background="chelsea",
    walkers=(walk("astronaut", (0.0, -0.12), (4.0, 0.72), (7.0, 0.72), (11.0, -0.12)),),
    duration_s=15.0,
    lines={"door": DOOR},
    zones={"right": RIGHT_HALF},
    expected=Expected(lines={"door": (1, 1)}, entries={"right": 1}, peaks={"right": 1}),
)

TWO_PASS = Scene(
    name="two-pass",
    background="plain",
    walkers=(
        walk("astronaut", (0.0, -0.12), (8.0, 1.08)),
        walk("cameraman", (0.0, 1.12), (8.0, -0.08)),  # in front: hides the astronaut as they pass
    ),
    duration_s=12.0,
    lines={"west": WEST, "east": EAST},
    zones={},
    expected=Expected(lines={"west": (1, 1), "east": (1, 1)}, entries={}, peaks={}),
)

QUEUE_SCENE = Scene(
    name="queue",
    background="floor",
    walkers=(
        walk("astronaut", (0.0, -0.16), (3.0, 0.22), (9.0, 0.22), (12.0, -0.16)),
        walk("cameraman", (1.0, 1.17), (4.0, 0.78), (7.0, 0.78), (10.0, 1.17)),
    ),
    duration_s=16.0,
    lines={},
    zones={"queue": QUEUE},
    expected=Expected(lines={}, entries={"queue": 2}, peaks={"queue": 2}),
)

APPROACH = Scene(
    name="approach",
    background="plain",
    walkers=(
        Walker(
            "astronaut",
            (
                Key(0.0, 0.5, 0.68, 320.0),
                Key(3.1, 0.5, FOOT, 390.0),
                Key(5.0, 0.5, FOOT, 390.0),
                Key(8.1, 0.5, 0.68, 320.0),
            ),
        ),
    ),
    duration_s=12.0,
    lines={"threshold": THRESHOLD},
    zones={"front": FRONT},
    expected=Expected(lines={"threshold": (1, 1)}, entries={"front": 1}, peaks={"front": 1}),
)

SCENES: tuple[Scene, ...] = (WALK_RIGHT, WALK_LEFT, IN_AND_BACK, TWO_PASS, QUEUE_SCENE, APPROACH)

# Harder for a tracker: walkers that hide each other while one of them moves. The IoU tracker
# swaps their ids as they pass, and still counts them right: a crossing follows the anchor's step,
# whichever id it is under. bench.tracking scores trackers on these as on the others.
OVERTAKE = Scene(
    name="overtake",
    background="plain",
    walkers=(
        walk("astronaut", (0.0, -0.12), (8.0, 1.08)),
        walk("cameraman", (1.0, -0.29), (5.0, 1.11)),  # faster, in front: overtakes mid-frame
    ),
    duration_s=12.0,
    lines={"door": DOOR},
    zones={},
    expected=Expected(lines={"door": (2, 0)}, entries={}, peaks={}),
)

MIDDLE = [(0.35, 0.0), (0.65, 0.0), (0.65, 1.0), (0.35, 1.0)]
PASS_IN_FRONT = Scene(
    name="pass-in-front",
    background="chelsea",
    walkers=(
        walk("astronaut", (0.0, -0.12), (2.5, 0.49), (9.0, 0.49), (11.5, 1.1)),  # waits in the middle
        walk("cameraman", (3.0, 1.12), (8.0, -0.08)),  # in front: hides the astronaut as he passes
    ),
    duration_s=15.5,
    lines={"west": WEST, "east": EAST},
    zones={"middle": MIDDLE},
    expected=Expected(lines={"west": (1, 1), "east": (1, 1)}, entries={"middle": 2}, peaks={"middle": 2}),
)

HARD_SCENES: tuple[Scene, ...] = (OVERTAKE, PASS_IN_FRONT)
