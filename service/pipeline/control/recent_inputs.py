"""What the rules saw lately: analysed frames (their views) and sensor readings, for dry runs.

The control thread adds each analysed frame's FrameView and each sensor reading; REST takes a copy
of those since a time. Kept for MAX_AGE_S and at most MAX_ITEMS (oldest dropped first): a view holds
sightings, not pixels, so an hour of 8 cameras at 5 FPS fits in a few tens of MB.
"""

from __future__ import annotations

import threading
from collections import deque

from service.pipeline.analysis.sighting import FrameView
from service.pipeline.ingest.sensor_reading import SensorReading

MAX_AGE_S = 3600.0
MAX_ITEMS = 200_000

RecentItem = FrameView | SensorReading


def item_time(item: RecentItem) -> float:
    """When the rules saw it (the pipeline's clock)."""
    return item.analysed_s if isinstance(item, FrameView) else item.received_s


class RecentInputs:
    """Thread-safe ring of the rules' recent inputs, in arrival order."""

    def __init__(self, max_age_s: float = MAX_AGE_S, max_items: int = MAX_ITEMS) -> None:
        self._max_age_s = max_age_s
        self._items: deque[RecentItem] = deque(maxlen=max_items)
        self._lock = threading.Lock()

    def add(self, item: RecentItem) -> None:
        """Keep an input (control thread), forgetting those older than max_age_s."""
        with self._lock:
            self._items.append(item)
            limit = item_time(item) - self._max_age_s
            while self._items and item_time(self._items[0]) < limit:
                self._items.popleft()

    def since(self, start_s: float) -> list[RecentItem]:
        """The inputs seen at or after start_s, in arrival order."""
        with self._lock:
            return [item for item in self._items if item_time(item) >= start_s]
