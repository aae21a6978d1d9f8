"""Tracker quality on the synthetic set (tests/analytics): MOTA, IDF1, ID switches, fragmentation.

    python -m bench.tracking [--scenes walk-right,two-pass,...] [--trackers iou,bytetrack,...]

Every scene of tests/analytics/scene_set.py is rendered and run through the bundled person model
once; each tracker then runs over the same detections, frame by frame, as the control loop would.
Scores come from motmetrics against the truth boxes of walkers at least half visible
(tests.analytics.scenes.MIN_VISIBLE), a track matching a truth box at IoU >= 0.5. A track that
follows another walker than before is an ID switch; a walker's track that stops and resumes (under
any id) is a fragmentation. MOTP is printed as the mean IoU of the matches.

Each tracker's tracks are also counted (service.pipeline.analytics, default settings) and compared
with counting the truth: "count errors" adds up |difference| over every line's in and out counts
and every zone's entries. "us/frame" is the tracker's own update time.

Trackers:
  iou              the service's Tracker (service/pipeline/analysis/tracking.py), TrackingSettings():
                   boxes matched where each track is heading (PredictMotion)
  iou-static       the same matching each track's last box (PredictMotion false: the tracker
                   before issue 17)
  bytetrack        edgefirst-tracker's ByteTrack with its defaults (high_conf 0.7, iou 0.25,
                   lifespan 0.5 s): detections below high_conf never start a track
  bytetrack-tuned  the same with high_conf 0.5 (the person model's threshold) and a lifespan of 3 s
                   (TrackingSettings.MaxMissedS)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import motmetrics
import numpy as np
from edgefirst.tracker import ByteTrack

from service.pipeline.analysis.sighting import FrameView, Sighting
from service.pipeline.analysis.tracking import Box, Observation, Tracker, iou
from service.pipeline.analysis.zones import zones_of
from service.pipeline.analytics import CameraCounts
from service.pipeline.settings import TrackingSettings
from service.vision.engine import Engine
from service.vision.fetch import fetch_models
from service.vision.specs import EngineSettings, bundled_models
from tests.analytics.replay import DetectedFrame, count, counter_for, detect, truth_views
from tests.analytics.scene_set import HARD_SCENES, SCENES
from tests.analytics.scenes import HEIGHT, WIDTH, Scene

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / ".cache" / "models"
MATCH_IOU = 0.5
METRICS = [
    "num_frames",
    "mota",
    "idf1",
    "motp",
    "num_switches",
    "num_fragmentations",
    "num_misses",
    "num_false_positives",
    "num_unique_objects",
    "mostly_tracked",
]
# One tracker over one scene: observations and the frame time in, a track id (None: untracked) per
# observation out.
TrackStep = Callable[[Sequence[Observation], float], list[int | None]]


def iou_tracker(predict: bool) -> Callable[[], TrackStep]:
    def build() -> TrackStep:
        tracker = Tracker(TrackingSettings(PredictMotion=predict))

        def step(observations: Sequence[Observation], now_s: float) -> list[int | None]:
            return [info.track_id for info in tracker.update(observations, now_s)]

        return step

    return build


def byte_tracker(high_conf: float, lifespan_s: float) -> Callable[[], TrackStep]:
    def build() -> TrackStep:
        tracker = ByteTrack(high_conf=high_conf, lifespan_ns=round(lifespan_s * 1e9))
        ids: dict[str, int] = {}

        def step(observations: Sequence[Observation], now_s: float) -> list[int | None]:
            scale = np.array([WIDTH, HEIGHT, WIDTH, HEIGHT], np.float32)
            boxes = np.array([obs.box for obs in observations], np.float32).reshape(-1, 4) / scale
            scores = np.array([obs.score for obs in observations], np.float32)
            labels = np.zeros(len(observations), np.uintp)  # its bindings take uintp labels only
            found = tracker.update(boxes, scores, labels, round(now_s * 1e9))
            return [None if info is None else ids.setdefault(info.uuid, len(ids) + 1) for info in found]

        return step

    return build


TRACKERS: dict[str, Callable[[], TrackStep]] = {
    "iou": iou_tracker(predict=True),
    "iou-static": iou_tracker(predict=False),
    "bytetrack": byte_tracker(0.7, 0.5),
    "bytetrack-tuned": byte_tracker(0.5, 3.0),
}


@dataclass(frozen=True, slots=True)
class Run:
    """One tracker over one scene: its motmetrics accumulator, count errors and update time."""

    accumulator: Any  # motmetrics.MOTAccumulator (untyped)
    count_errors: int
    update_s: float
    frames: int


def run(scene: Scene, detected: Sequence[DetectedFrame], build: Callable[[], TrackStep]) -> Run:
    """Track the scene's detections, score the tracks against the truth, count them."""
    step = build()
    accumulator = motmetrics.MOTAccumulator(auto_id=True)
    views: list[FrameView] = []
    update_s = 0.0
    for item in detected:
        started = time.perf_counter()
        ids = step(item.observations, item.frame.time_s)
        update_s += time.perf_counter() - started
        tracked = [(track_id, obs) for track_id, obs in zip(ids, item.observations, strict=True) if track_id]
        truth = item.frame.shown()
        distances = [[_distance(box.box, obs.box) for _, obs in tracked] for box in truth]
        accumulator.update([box.person_id for box in truth], [track_id for track_id, _ in tracked], distances)
        views.append(_view(scene, item.frame.time_s, tracked))
    return Run(accumulator, _count_errors(scene, views, detected), update_s, len(detected))


def _distance(truth: Box, box: Box) -> float:
    overlap = iou(truth, box)
    return 1.0 - overlap if overlap >= MATCH_IOU else float("nan")


def _view(scene: Scene, time_s: float, tracked: Sequence[tuple[int, Observation]]) -> FrameView:
    sightings = tuple(
        Sighting(
            obs.model,
            obs.label,
            obs.score,
            obs.box,
            zones_of(obs.box, scene.zones, WIDTH, HEIGHT),
            track_id,
            False,
            (),
        )
        for track_id, obs in tracked
    )
    return FrameView(scene.name, WIDTH, HEIGHT, sightings, 0, time_s, 0.0)


def _count_errors(scene: Scene, views: Sequence[FrameView], detected: Sequence[DetectedFrame]) -> int:
    tracking = TrackingSettings()
    counted, truth = counter_for(scene, tracking), counter_for(scene, tracking)
    count(counted, views)
    count(truth, truth_views(scene, [item.frame for item in detected]))
    return _difference(counted.counts(scene.duration_s), truth.counts(scene.duration_s))


def _difference(got: CameraCounts, want: CameraCounts) -> int:
    lines = sum(
        abs(a.in_count - b.in_count) + abs(a.out_count - b.out_count)
        for a, b in zip(got.lines, want.lines, strict=True)
    )
    return lines + sum(abs(a.entries - b.entries) for a, b in zip(got.zones, want.zones, strict=True))


def table(results: dict[tuple[str, str], Run], scenes: Sequence[str], trackers: Sequence[str]) -> list[str]:
    """One row per scene and tracker, then one overall row per tracker."""
    host = motmetrics.metrics.create()
    header = f"{'scene':<14} {'tracker':<16} {'MOTA':>6} {'IDF1':>6} {'MOTP':>6} {'IDsw':>5} {'frag':>5} "
    header += f"{'miss':>5} {'FP':>4} {'GT':>3} {'MT':>3} {'count err':>9} {'us/frame':>9}"
    rows = [header, "-" * len(header)]
    for tracker in trackers:
        names = [*scenes, "OVERALL"]
        summary = host.compute_many(
            [results[(scene, tracker)].accumulator for scene in scenes],
            metrics=METRICS,
            names=list(scenes),
            generate_overall=True,
        )
        for name in names:
            picked = [results[(scene, tracker)] for scene in (scenes if name == "OVERALL" else [name])]
            rows.append(_row(name, tracker, summary.loc[name], picked))
        rows.append("")
    return rows


def _row(scene: str, tracker: str, metrics: Any, runs: Sequence[Run]) -> str:
    errors = sum(r.count_errors for r in runs)
    micros = 1e6 * sum(r.update_s for r in runs) / max(1, sum(r.frames for r in runs))
    scores = (
        f"{metrics['mota']:>6.3f} {metrics['idf1']:>6.3f} {1 - metrics['motp']:>6.3f} "
        f"{int(metrics['num_switches']):>5} {int(metrics['num_fragmentations']):>5} "
        f"{int(metrics['num_misses']):>5} {int(metrics['num_false_positives']):>4} "
        f"{int(metrics['num_unique_objects']):>3} {int(metrics['mostly_tracked']):>3}"
    )
    return f"{scene:<14} {tracker:<16} {scores} {errors:>9} {micros:>9.0f}"


def main(argv: list[str] | None = None) -> int:
    """Detect every scene once, run each tracker over the detections, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.tracking", description=__doc__.split("\n")[0])
    parser.add_argument("--scenes", default=",".join(scene.name for scene in SCENES + HARD_SCENES))
    parser.add_argument("--trackers", default=",".join(TRACKERS))
    args = parser.parse_args(argv)
    by_name = {scene.name: scene for scene in SCENES + HARD_SCENES}
    scenes, trackers = args.scenes.split(","), args.trackers.split(",")
    unknown = [name for name in scenes if name not in by_name] + [
        name for name in trackers if name not in TRACKERS
    ]
    if unknown:
        parser.error(
            f"unknown {', '.join(unknown)}; scenes: {', '.join(by_name)}; trackers: {', '.join(TRACKERS)}"
        )
    fetch_models(ROOT / "models.lock", MODELS_DIR)
    results: dict[tuple[str, str], Run] = {}
    with Engine(bundled_models(), EngineSettings(ModelsDir=MODELS_DIR)) as engine:
        for name in scenes:
            detected = detect(engine, by_name[name])
            for tracker in trackers:
                results[(name, tracker)] = run(by_name[name], detected, TRACKERS[tracker])
    frames = sum(results[(name, trackers[0])].frames for name in scenes)
    print(
        f"tracker quality on the synthetic set: {len(scenes)} scenes, {frames} frames, person model (SSDLite)"
    )
    print(f"truth: walkers at least half visible; a match needs IoU >= {MATCH_IOU}", end="; ")
    print(f"motmetrics {motmetrics.__version__}, edgefirst-tracker {version('edgefirst-tracker')}")
    print()
    for row in table(results, scenes, trackers):
        print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
