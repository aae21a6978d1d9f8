"""Synthetic scenes: person crops from the bundled photos, pasted onto backgrounds along known paths.

Each Scene is a few seconds of 640 x 480 frames at FPS: walkers (the astronaut, or the cameraman of
the "camera" photo, cut to the person box the bundled person model finds in each photo) follow
keyframed paths, linear in between, and are pasted in order, so a later walker hides an earlier
one. The photos come through service.simulator.photos as the simulated camera loads them.

The truth of a frame is where every walker is and how much of it shows (after the frame's edges
and the walkers in front of it): a walker at least MIN_VISIBLE shown is one the person model
should find, and the one a tracker should follow. Counting the truth boxes under the walkers' own
ids (truth_views) gives the counts a perfect detector and tracker would give.

Walkers are 320-400 px tall: the bundled SSDLite person model finds smaller pasted crops only now
and then, which would measure the detector, not the tracker.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from service.pipeline.analysis.sighting import FrameView, Sighting
from service.pipeline.analysis.tracking import Box
from service.pipeline.analysis.zones import zones_of
from service.pipeline.count_settings import LineSettings
from service.simulator.photos import load_photo

WIDTH, HEIGHT = 640, 480
FPS = 4.0
MIN_VISIBLE = 0.5
Person = Literal["astronaut", "cameraman"]
Background = Literal["plain", "floor", "coffee", "chelsea"]
Polygon = list[tuple[float, float]]
# The person box the bundled model finds in each photo (tests/models/test_bundled.py), x1 y1 x2 y2 of
# the 512 x 512 photo. load_photo letterboxes to 640 x 480: scaled by 480/512, offset 80 px in x.
PERSON_BOXES: dict[Person, tuple[str, tuple[int, int, int, int]]] = {
    "astronaut": ("astronaut", (3, 32, 373, 509)),
    "cameraman": ("camera", (1, 67, 302, 512)),
}


@dataclass(frozen=True, slots=True)
class Key:
    """Where a walker is at time_s: the centre of its feet (x, bottom in frame fractions) and its height."""

    time_s: float
    x: float
    bottom: float
    height_px: float


@dataclass(frozen=True, slots=True)
class Walker:
    """A person on a path: keys in time order; shown from the first key's time to the last's."""

    person: Person
    keys: tuple[Key, ...]

    def box_at(self, time_s: float) -> Box | None:
        """The walker's box in frame pixels (may reach past the frame's edges), None when off the path."""
        if not self.keys[0].time_s <= time_s <= self.keys[-1].time_s:
            return None
        later = next(index for index, key in enumerate(self.keys) if key.time_s >= time_s)
        a, b = self.keys[max(later - 1, 0)], self.keys[later]
        share = 0.0 if b.time_s == a.time_s else (time_s - a.time_s) / (b.time_s - a.time_s)
        x, bottom, height = (
            getattr(a, name) + share * (getattr(b, name) - getattr(a, name))
            for name in ("x", "bottom", "height_px")
        )
        width = height * _aspect(self.person)
        return (x * WIDTH - width / 2, bottom * HEIGHT - height, x * WIDTH + width / 2, bottom * HEIGHT)


@dataclass(frozen=True, slots=True)
class Expected:
    """What counting a scene must give: per line (in, out), per zone entries, peak occupancy."""

    lines: Mapping[str, tuple[int, int]]
    entries: Mapping[str, int]
    peaks: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Scene:
    """Walkers over a background for duration_s seconds, with the camera's lines and zones."""

    name: str
    background: Background
    walkers: tuple[Walker, ...]
    duration_s: float
    lines: Mapping[str, LineSettings]
    zones: Mapping[str, Polygon]
    expected: Expected
    fps: float = FPS

    def times(self) -> list[float]:
        """Frame times from 0, one every 1 / fps seconds."""
        return [index / self.fps for index in range(round(self.duration_s * self.fps) + 1)]


@dataclass(frozen=True, slots=True)
class TruthBox:
    """A walker in one frame: its box clipped to the frame, and the share of it that shows."""

    person_id: int  # 1-based index of the walker in the scene
    box: Box
    visible: float


@dataclass(frozen=True, slots=True)
class SceneFrame:
    """One rendered frame and its truth."""

    time_s: float
    image: NDArray[np.uint8]
    truth: tuple[TruthBox, ...] = field(default=())

    def shown(self) -> tuple[TruthBox, ...]:
        """The walkers a detector should find: at least MIN_VISIBLE of them shows."""
        return tuple(box for box in self.truth if box.visible >= MIN_VISIBLE)


def render(scene: Scene) -> Iterator[SceneFrame]:
    """The scene's frames, in time order."""
    background = _background(scene.background)
    for time_s in scene.times():
        image = background.copy()
        owner = np.zeros((HEIGHT, WIDTH), np.int16)  # which walker shows at each pixel (0: none)
        placed: list[tuple[int, Box, float]] = []
        for person_id, walker in enumerate(scene.walkers, start=1):
            box = walker.box_at(time_s)
            if box is not None:
                area = _paste(image, owner, person_id, walker.person, box)
                placed.append((person_id, box, area))
        truth = tuple(
            TruthBox(person_id, _clipped(box), float(np.count_nonzero(owner == person_id)) / area)
            for person_id, box, area in placed
        )
        yield SceneFrame(time_s, image, truth)


def truth_view(scene: Scene, frame: SceneFrame) -> FrameView:
    """The frame as a perfect detector and tracker would give it: shown walkers under their own ids."""
    sightings = tuple(
        Sighting(
            "truth",
            "person",
            1.0,
            box.box,
            zones_of(box.box, scene.zones, WIDTH, HEIGHT),
            box.person_id,
            False,
            (),
        )
        for box in frame.shown()
    )
    return FrameView(scene.name, WIDTH, HEIGHT, sightings, 0, frame.time_s, 0.0)


@cache
def _crop(person: Person) -> NDArray[np.uint8]:
    photo, (x1, y1, x2, y2) = PERSON_BOXES[person]
    letterboxed = load_photo(photo)  # 512 x 512 -> 480 x 480, centred in 640 x 480
    scale, offset = HEIGHT / 512, (WIDTH - HEIGHT) // 2
    crop = letterboxed[
        round(y1 * scale) : round(y2 * scale), offset + round(x1 * scale) : offset + round(x2 * scale)
    ]
    return np.ascontiguousarray(crop)


def _aspect(person: Person) -> float:
    crop = _crop(person)
    return float(crop.shape[1]) / float(crop.shape[0])


@cache
def _resized(person: Person, width: int, height: int) -> NDArray[np.uint8]:
    return np.asarray(cv2.resize(_crop(person), (width, height), interpolation=cv2.INTER_AREA), np.uint8)


def _paste(
    image: NDArray[np.uint8], owner: NDArray[np.int16], person_id: int, person: Person, box: Box
) -> float:
    """Paste the walker's crop over box (clipped to the frame); returns the crop's whole area in px."""
    x1, y1 = round(box[0]), round(box[1])
    width, height = round(box[2]) - x1, round(box[3]) - y1
    crop = _resized(person, width, height)
    left, top = max(x1, 0), max(y1, 0)
    right, bottom = min(x1 + width, WIDTH), min(y1 + height, HEIGHT)
    if right > left and bottom > top:
        image[top:bottom, left:right] = crop[top - y1 : bottom - y1, left - x1 : right - x1]
        owner[top:bottom, left:right] = person_id
    return float(width * height)


def _clipped(box: Box) -> Box:
    return (max(box[0], 0.0), max(box[1], 0.0), min(box[2], float(WIDTH)), min(box[3], float(HEIGHT)))


@cache
def _background(name: Background) -> NDArray[np.uint8]:
    if name == "plain":
        return np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    if name == "floor":  # brighter towards the bottom, with fixed noise: a floor under a ceiling light
        rows = np.linspace(70, 130, HEIGHT)[:, None] + np.random.default_rng(17).normal(0, 6, (HEIGHT, WIDTH))
        tint = np.array([1.0, 0.95, 0.85])
        return np.asarray(np.clip(rows[..., None] * tint, 0, 255), np.uint8)
    return load_photo(name)
