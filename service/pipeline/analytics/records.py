"""What counting reports: per-frame events (crossings, zone entries and exits) and a camera's counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from service.pipeline.analytics.lines import CrossingDirection

ExitReason = Literal["left", "lost", "restart"]


@dataclass(frozen=True, slots=True)
class LineCrossing:
    """A track's anchor crossed a line between its previous sighting and this frame."""

    line: str
    track_id: int
    label: str
    direction: CrossingDirection
    time_s: float  # the frame that showed it


@dataclass(frozen=True, slots=True)
class ZoneEntry:
    """A track was seen inside a zone it was not in on its previous sighting."""

    zone: str
    track_id: int
    label: str
    time_s: float


@dataclass(frozen=True, slots=True)
class ZoneExit:
    """A track's visit of a zone ended: seen outside ("left"), ended by the tracker rule ("lost"), or
    ended because the service restarted and the tracker started afresh ("restart")."""

    zone: str
    track_id: int
    label: str
    time_s: float  # the frame that ended the visit
    dwell_s: float  # first to last frame seen inside
    reason: ExitReason


@dataclass(frozen=True, slots=True)
class CountingEvents:
    """The events of one analysed frame, each tuple in the order they happened."""

    crossings: tuple[LineCrossing, ...] = ()
    entries: tuple[ZoneEntry, ...] = ()
    exits: tuple[ZoneExit, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.crossings or self.entries or self.exits)


@dataclass(frozen=True, slots=True)
class LineCounts:
    """Crossings of one line since counting began (kept across restarts)."""

    line: str
    in_count: int
    out_count: int
    in_recent: int = 0  # in the last Counting.RateWindowS
    out_recent: int = 0


@dataclass(frozen=True, slots=True)
class ZoneCounts:
    """One zone now: occupancy, its recent peak, visit totals and dwell percentiles of ended visits."""

    zone: str
    occupancy: int
    peak_occupancy: int  # highest in the last Counting.PeakWindowS
    entries: int
    exits: int
    dwell_count: int  # ended visits in the last Counting.DwellWindowS (newest 1000)
    dwell_p50_s: float | None  # None while dwell_count is 0
    dwell_p95_s: float | None
    entries_recent: int = 0  # in the last Counting.RateWindowS
    exits_recent: int = 0


@dataclass(frozen=True, slots=True)
class TrackDwell:
    """A visit still open: how long the track has been seen inside so far."""

    zone: str
    track_id: int
    label: str
    entered_s: float
    dwell_s: float  # first to latest frame seen inside


@dataclass(frozen=True, slots=True)
class CameraCounts:
    """A camera's counts at one moment, lines and zones in configuration order."""

    lines: tuple[LineCounts, ...]
    zones: tuple[ZoneCounts, ...]
    dwelling: tuple[TrackDwell, ...]
