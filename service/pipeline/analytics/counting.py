"""Counting of one camera: line crossings, zone visits, occupancy and dwell, from its tracked sightings.

CameraCounter.update(view) is called once per analysed frame with the FrameView that
analysis.sighting.sight() made (the camera's tracker and zones already applied), frames with no
sightings included (that is how tracks age) and StillFrames left out (the tracker skips them too);
it returns that frame's events. counts(now) gives the totals to publish; to_state()/from_state() carry them
across a restart. Not thread-safe: one thread (the control thread) owns a camera's counter.

The rules, in one place:
- Only sightings whose label is in Counting.Labels count. A track is followed by its anchor, the
  bottom centre of its box in frame fractions (as zones place it): see lines.py for crossings.
- Crossing: the anchor's step from the track's previous sighting to this one crosses a line; after
  missed frames the step spans the gap. A track's first sighting crosses nothing.
- Visit: a track is in a zone on the frames whose sighting lists that zone. The visit enters on the
  first such frame and exits on the first frame it is seen outside ("left") or when the track ends
  ("lost"). Its dwell runs from the first to the last frame seen inside: a track seen inside once
  dwells 0 s, and the grace period of a lost track does not count. A box cut off by the frame's
  edge keeps its anchor short of that edge, so someone leaving the frame through a zone drawn to
  the edge exits it as "lost", MaxMissedS later, with the dwell up to their last sighting.
- A track ends by the tracker's own rule (TrackingSettings): absent from MaxMissedFrames analysed
  frames and unseen for MaxMissedS seconds. The counter forgets a track when the tracker does, so an
  id the tracker carries through an occlusion neither exits nor enters again.
- Rates: entries, exits and crossings in and out during the last Counting.RateWindowS.
- Occupancy: tracks with an open visit, those in their grace period included. Peak: the highest
  occupancy in the last Counting.PeakWindowS. Dwell p50/p95: of visits that ended in the last
  Counting.DwellWindowS (the newest 1000 per zone).
- Restart: the tracker starts afresh (its ids from 1), so a restored track cannot be matched to a
  sighting. The first update() after from_state() ends every restored visit ("restart", dwell up to
  its last frame inside) before it counts the frame; a person still there enters again as a new
  track. Line counts, visit totals, peaks and dwell samples carry over; lines and zones no longer
  configured are dropped, new ones start from zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from service.pipeline.analysis.sighting import FrameView, Sighting
from service.pipeline.analytics.counter_state import (
    CounterState,
    LineState,
    TrackState,
    VisitState,
    ZoneState,
)
from service.pipeline.analytics.lines import Line, anchor_of, crossings, lines_of
from service.pipeline.analytics.records import (
    CameraCounts,
    CountingEvents,
    ExitReason,
    LineCounts,
    LineCrossing,
    TrackDwell,
    ZoneCounts,
    ZoneEntry,
    ZoneExit,
)
from service.pipeline.analytics.windows import DwellWindow, PeakWindow, RecentTimes
from service.pipeline.count_settings import CountingSettings, LineSettings, Point
from service.pipeline.settings import TrackingSettings


@dataclass(slots=True)
class _Visit:
    entered_s: float
    last_inside_s: float


@dataclass(slots=True)
class _Track:
    track_id: int
    label: str
    anchor: Point
    seen_s: float
    missed: int = 0
    visits: dict[str, _Visit] = field(default_factory=dict)


@dataclass(slots=True)
class _Zone:
    peak: PeakWindow
    dwell: DwellWindow
    entered: RecentTimes
    exited: RecentTimes
    entries: int = 0
    exits: int = 0


@dataclass(slots=True)
class _LineCount:
    crossed_in: RecentTimes
    crossed_out: RecentTimes
    ins: int = 0
    outs: int = 0


@dataclass(slots=True)
class _Frame:
    """Events of the frame being counted."""

    time_s: float
    crossings: list[LineCrossing] = field(default_factory=list)
    entries: list[ZoneEntry] = field(default_factory=list)
    exits: list[ZoneExit] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CounterSetup:
    """What a camera's counter is built from: its lines and zone names, and the shared settings."""

    lines: Mapping[str, LineSettings]
    zones: Sequence[str]
    counting: CountingSettings
    tracking: TrackingSettings


class CameraCounter:
    """One camera's counts; update() once per analysed frame, in frame order."""

    def __init__(self, setup: CounterSetup) -> None:
        self._setup = setup
        self._labels = frozenset(setup.counting.Labels)
        self._lines: tuple[Line, ...] = lines_of(setup.lines)
        self._line_counts: dict[str, _LineCount] = {line.name: self._new_line() for line in self._lines}
        self._zones: dict[str, _Zone] = {name: self._new_zone() for name in setup.zones}
        self._tracks: dict[int, _Track] = {}
        self._restored: list[_Track] = []
        self._updated_s = 0.0

    def update(self, view: FrameView) -> CountingEvents:
        """Count one analysed frame: crossings, entries and exits of its sightings, tracks that ended."""
        frame = _Frame(view.analysed_s)
        for track in self._restored:
            self._end(track, frame, "restart")
        self._restored = []
        seen: set[int] = set()
        for sighting in view.sightings:
            if sighting.label in self._labels:
                seen.add(sighting.track_id)
                self._follow(sighting, anchor_of(sighting.box, view.width, view.height), frame)
        self._age(seen, frame)
        self._note_occupancy(frame.time_s)
        self._updated_s = frame.time_s
        return CountingEvents(tuple(frame.crossings), tuple(frame.entries), tuple(frame.exits))

    def counts(self, now_s: float) -> CameraCounts:
        """Totals per line and zone now, and the visits still open."""
        lines = tuple(
            LineCounts(name, c.ins, c.outs, c.crossed_in.count(now_s), c.crossed_out.count(now_s))
            for name, c in self._line_counts.items()
        )
        zones = tuple(self._zone_counts(name, zone, now_s) for name, zone in self._zones.items())
        dwelling = tuple(
            TrackDwell(
                name, track.track_id, track.label, visit.entered_s, visit.last_inside_s - visit.entered_s
            )
            for track in (*self._restored, *self._tracks.values())
            for name, visit in track.visits.items()
        )
        return CameraCounts(lines, zones, dwelling)

    def to_state(self) -> CounterState:
        """Everything the counts depend on, for the state file."""
        return CounterState(
            UpdatedS=self._updated_s,
            Lines={
                name: LineState(
                    In=c.ins, Out=c.outs, InTimes=list(c.crossed_in.times), OutTimes=list(c.crossed_out.times)
                )
                for name, c in self._line_counts.items()
            },
            Zones={
                name: ZoneState(
                    Entries=zone.entries,
                    Exits=zone.exits,
                    Occupancy=list(zone.peak.changes),
                    Dwell=list(zone.dwell.samples),
                    EntryTimes=list(zone.entered.times),
                    ExitTimes=list(zone.exited.times),
                )
                for name, zone in self._zones.items()
            },
            Tracks=[_track_state(track) for track in (*self._restored, *self._tracks.values())],
        )

    @classmethod
    def from_state(cls, setup: CounterSetup, state: CounterState) -> CameraCounter:
        """A counter that resumes from stored state (its restored tracks end on the next update)."""
        counter = cls(setup)
        counter._updated_s = state.UpdatedS
        for name, line in state.Lines.items():
            if name in counter._line_counts:
                counter._line_counts[name] = counter._new_line(line)
        for name, stored in state.Zones.items():
            if name in counter._zones:
                counter._zones[name] = counter._new_zone(stored)
        counter._restored = [_track_of(stored, counter._zones) for stored in state.Tracks]
        return counter

    @property
    def setup(self) -> CounterSetup:
        """What the counter was built from."""
        return self._setup

    def reconfigured(self, setup: CounterSetup) -> CameraCounter:
        """The same counter under edited lines and zones (a live edit): the tracker did not restart,
        so tracks and their open visits carry on; lines and zones kept by name keep their counts,
        removed ones are dropped (with their open visits), new ones start from zero."""
        counter = CameraCounter.from_state(setup, self.to_state())
        zones = counter._zones

        def moved(track: _Track) -> _Track:
            visits = {
                name: _Visit(v.entered_s, v.last_inside_s)
                for name, v in track.visits.items()
                if name in zones
            }
            return _Track(track.track_id, track.label, track.anchor, track.seen_s, track.missed, visits)

        counter._restored = [moved(track) for track in self._restored]
        counter._tracks = {track_id: moved(track) for track_id, track in self._tracks.items()}
        return counter

    @staticmethod
    def _zone_counts(name: str, zone: _Zone, now_s: float) -> ZoneCounts:
        dwell_count, p50, p95 = zone.dwell.percentiles(now_s)
        occupancy, peak = zone.peak.current, zone.peak.peak(now_s)
        return ZoneCounts(
            name,
            occupancy,
            peak,
            zone.entries,
            zone.exits,
            dwell_count,
            p50,
            p95,
            zone.entered.count(now_s),
            zone.exited.count(now_s),
        )

    def _new_zone(self, stored: ZoneState | None = None) -> _Zone:
        settings = self._setup.counting
        stored = stored or ZoneState()
        rate_s = settings.RateWindowS
        return _Zone(
            PeakWindow(settings.PeakWindowS, stored.Occupancy),
            DwellWindow(settings.DwellWindowS, stored.Dwell),
            RecentTimes(rate_s, stored.EntryTimes),
            RecentTimes(rate_s, stored.ExitTimes),
            stored.Entries,
            stored.Exits,
        )

    def _new_line(self, stored: LineState | None = None) -> _LineCount:
        stored = stored or LineState()
        rate_s = self._setup.counting.RateWindowS
        return _LineCount(
            RecentTimes(rate_s, stored.InTimes), RecentTimes(rate_s, stored.OutTimes), stored.In, stored.Out
        )

    def _follow(self, sighting: Sighting, anchor: Point, frame: _Frame) -> None:
        track = self._tracks.get(sighting.track_id)
        if track is None:
            track = self._tracks[sighting.track_id] = _Track(
                sighting.track_id, sighting.label, anchor, frame.time_s
            )
        else:
            self._cross(track, anchor, frame)
        track.anchor, track.seen_s, track.missed = anchor, frame.time_s, 0
        inside = {zone for zone in sighting.zones if zone in self._zones}
        for name in [name for name in track.visits if name not in inside]:
            self._exit(track, name, frame, "left")
        for name in sorted(inside):
            visit = track.visits.get(name)
            if visit is None:
                track.visits[name] = _Visit(frame.time_s, frame.time_s)
                zone = self._zones[name]
                zone.entries += 1
                zone.entered.add(frame.time_s)
                frame.entries.append(ZoneEntry(name, track.track_id, track.label, frame.time_s))
            else:
                visit.last_inside_s = frame.time_s

    def _cross(self, track: _Track, anchor: Point, frame: _Frame) -> None:
        for line in self._lines:
            for direction in crossings(line, track.anchor, anchor):
                count = self._line_counts[line.name]
                if direction == "in":
                    count.ins += 1
                    count.crossed_in.add(frame.time_s)
                else:
                    count.outs += 1
                    count.crossed_out.add(frame.time_s)
                frame.crossings.append(
                    LineCrossing(line.name, track.track_id, track.label, direction, frame.time_s)
                )

    def _age(self, seen: set[int], frame: _Frame) -> None:
        tracking = self._setup.tracking
        for track in list(self._tracks.values()):
            if track.track_id in seen:
                continue
            track.missed += 1
            if (
                track.missed >= tracking.MaxMissedFrames
                and frame.time_s - track.seen_s >= tracking.MaxMissedS
            ):
                del self._tracks[track.track_id]
                self._end(track, frame, "lost")

    def _end(self, track: _Track, frame: _Frame, reason: ExitReason) -> None:
        for name in list(track.visits):
            self._exit(track, name, frame, reason)

    def _exit(self, track: _Track, name: str, frame: _Frame, reason: ExitReason) -> None:
        visit = track.visits.pop(name)
        dwell_s = visit.last_inside_s - visit.entered_s
        zone = self._zones[name]
        zone.exits += 1
        zone.exited.add(frame.time_s)
        zone.dwell.add(frame.time_s, dwell_s)
        frame.exits.append(ZoneExit(name, track.track_id, track.label, frame.time_s, dwell_s, reason))

    def _note_occupancy(self, now_s: float) -> None:
        occupancy = dict.fromkeys(self._zones, 0)
        for track in self._tracks.values():
            for name in track.visits:
                occupancy[name] += 1
        for name, zone in self._zones.items():
            zone.peak.record(now_s, occupancy[name])
            zone.dwell.prune(now_s)
            zone.entered.prune(now_s)
            zone.exited.prune(now_s)
        for line in self._line_counts.values():
            line.crossed_in.prune(now_s)
            line.crossed_out.prune(now_s)


def _track_state(track: _Track) -> TrackState:
    return TrackState(
        TrackId=track.track_id,
        Label=track.label,
        Anchor=track.anchor,
        SeenS=track.seen_s,
        Missed=track.missed,
        Visits=[
            VisitState(Zone=name, EnteredS=v.entered_s, LastInsideS=v.last_inside_s)
            for name, v in track.visits.items()
        ],
    )


def _track_of(stored: TrackState, zones: Mapping[str, _Zone]) -> _Track:
    visits = {v.Zone: _Visit(v.EnteredS, v.LastInsideS) for v in stored.Visits if v.Zone in zones}
    return _Track(stored.TrackId, stored.Label, stored.Anchor, stored.SeenS, stored.Missed, visits)
