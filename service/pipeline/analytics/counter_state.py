"""What a camera's counter stores (pydantic, for the state file): counts, windows and live tracks.

A CounterState of another version, or one that does not validate, is the caller's to skip: the
counter then starts from zero, as on a first start.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from service.strict import StrictModel


class VisitState(StrictModel):
    """A track's open visit of a zone."""

    Zone: str
    EnteredS: float = Field(description="First frame seen inside.")
    LastInsideS: float = Field(description="Latest frame seen inside.")


class TrackState(StrictModel):
    """A track the counter was following."""

    TrackId: int
    Label: str
    Anchor: tuple[float, float] = Field(description="Bottom centre of its last box, frame fractions.")
    SeenS: float = Field(description="Its last sighting.")
    Missed: int = Field(ge=0, description="Analysed frames since then without it.")
    Visits: list[VisitState] = Field(default=[], description="Its open visits.")


class LineState(StrictModel):
    """One line's totals."""

    In: int = Field(default=0, ge=0)
    Out: int = Field(default=0, ge=0)
    InTimes: list[float] = Field(default=[], description="Recent crossings in (rate window).")
    OutTimes: list[float] = Field(default=[], description="Recent crossings out (rate window).")


class ZoneState(StrictModel):
    """One zone's totals and windows."""

    Entries: int = Field(default=0, ge=0)
    Exits: int = Field(default=0, ge=0)
    Occupancy: list[tuple[float, int]] = Field(default=[], description="(time_s, occupancy) changes.")
    Dwell: list[tuple[float, float]] = Field(default=[], description="(ended_s, dwell_s) of ended visits.")
    EntryTimes: list[float] = Field(default=[], description="Recent entries (rate window).")
    ExitTimes: list[float] = Field(default=[], description="Recent exits (rate window).")


class CounterState(StrictModel):
    """One camera's counter, as CameraCounter.to_state() gives it and from_state() takes it."""

    Version: Literal[1] = 1
    UpdatedS: float = Field(default=0.0, description="The last frame counted.")
    Lines: dict[str, LineState] = Field(default={}, description="Line name to totals.")
    Zones: dict[str, ZoneState] = Field(default={}, description="Zone name to totals and windows.")
    Tracks: list[TrackState] = Field(default=[], description="Tracks followed at the last frame.")
