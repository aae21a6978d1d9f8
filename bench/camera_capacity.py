"""Camera capacity: how many 640x480 H.264 streams at 10 FPS one service analyses in time.

    python -m bench.camera_capacity [--counts 1,2,4,8,12,16,24,32] [--seconds 24] [--warmup-s 4]
                                    [--source file|rtsp] [--file-seconds 20]

The stream: a 640x480 10 FPS H.264 file built from the bundled photos (libx264, GOP 1 s, no
B-frames, one slice: what cameras send), an empty scene for 90% of it and a person for the last 10%,
looping. Each camera reads it as its own stream (`--source file`: a file source paced at its own
rate, Realtime; `--source rtsp`: one GStreamer RTSP server process per camera, as in tests/streams),
all in step: every camera sees the person at the same time (the worst case). Each frame carries a
frame-number strip along its top (as cameras burn in a timestamp); a motion mask covers it. The
service (this process) is the real pipeline on the
in-process bus: the engine (SSDLite person, default hint), DetectFps 5, the motion gate on, a person
rule, clips on (every reader feeds its pre-roll ring), 4 workers.

For each K of --counts (in order, stopping at the first K that fails), K cameras run for --warmup-s,
then --seconds are measured (longer than the video's loop, so each camera sees the person):
- frame-to-result latency of every analysed frame (capture estimate to the end of inference, as
  frame_to_result_seconds), p50/p95/p99 over all cameras;
- behind: a camera whose reader handed on less than 90% of DetectFps, or that lost more than 5% of
  the frames it handed on as replaced or stale (the motion gate's no_motion is not a loss);
- the service's CPU (user+system, psutil) per camera in % of one core, and its RSS at the end;
- the readers' decode CPU per decoded frame (their own thread-CPU figure, decode + BGR conversion)
  against `ffmpeg -benchmark -i FILE -f null -` on the same file in the same run (its utime per
  frame; also with -threads 1, as a reader decodes on one thread): ratio ffmpeg / reader.
A K passes with p95 <= 250 ms and no camera behind. The largest passing K is the capacity.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from bench.streams_decode import ffmpeg_user_s
from service.edgex.bus import BusSettings, create_bus
from service.edgex.clients import HttpPeer, PeerSettings
from service.edgex.commands import RestCommandClient
from service.edgex.notifications import NotificationClient
from service.edgex.wire_format import WireFormat
from service.metrics import Metrics
from service.pipeline.analysis.sighting import FrameView
from service.pipeline.assembly import Pipeline, PipelineDeps
from service.pipeline.settings import PipelineSettings
from service.vision.engine import Engine
from service.vision.fetch import fetch_models
from service.vision.specs import EngineSettings, bundled_models
from tests.streams.media import Media, build_media
from tests.streams.servers import RtspServer, gstreamer_rtsp_available

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / ".cache" / "models"
DETECT_FPS = 5.0
P95_LIMIT_S = 0.250
MIN_HANDED_SHARE = 0.9
MAX_LOST_SHARE = 0.05
OVERLAY_MASK = [(0.0, 0.0), (1.0, 0.0), (1.0, 0.05), (0.0, 0.05)]  # the frame-number strip (16 of 480 px)


@dataclass(frozen=True)
class Step:
    """What one K measured."""

    cameras: int
    analysed: int
    p50_s: float
    p95_s: float
    p99_s: float
    behind: tuple[str, ...]
    cpu_pct_per_camera: float
    rss_mb: float
    decode_us_per_frame: float
    handed_fps: float  # mean per camera
    analysed_share: float  # analysed / handed on (the motion gate passes the rest as still)

    @property
    def passed(self) -> bool:
        return self.p95_s <= P95_LIMIT_S and not self.behind


def pipeline_settings(uris: list[str], state_dir: Path) -> dict[str, Any]:
    devices = {
        f"cam-{index:02d}": {
            "Role": "camera",
            "Stream": {
                "Uri": uri,
                "DetectFps": DETECT_FPS,
                "HwAccel": "none",
                "Loop": True,
                "Realtime": True,
            },
            "MotionMasks": [OVERLAY_MASK],
        }
        for index, uri in enumerate(uris)
    }
    return {
        "Devices": devices,
        "Rules": [{"Name": "person", "Detection": {"Labels": ["person"], "MinScore": 0.5}, "CooldownS": 5}],
        "Workers": 4,
        "HeartbeatS": 30,
        "StateDir": str(state_dir),
    }


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


class Run:
    """One K: the pipeline on K streams, the views it analysed."""

    def __init__(self, engine: Engine, uris: list[str], state_dir: Path) -> None:
        self.metrics = Metrics()
        wire = WireFormat()
        self.bus = create_bus(BusSettings(type="memory"), wire)
        nowhere = PeerSettings("nowhere", "127.0.0.1", 9, timeout_s=0.2)  # no rule sends a command
        self.settings = PipelineSettings.model_validate(pipeline_settings(uris, state_dir))
        self.pipeline = Pipeline(
            PipelineDeps(
                self.settings,
                engine,
                self.bus,
                RestCommandClient(HttpPeer(nowhere)),
                NotificationClient(HttpPeer(nowhere)),
                self.metrics,
                wire,
                "edgex",
                state_dir,
            )
        )
        self.cameras = sorted(self.settings.Devices)
        self._lock = threading.Lock()
        self._latencies: list[float] = []
        self._measuring = False
        self.pipeline.add_frame_listener(self._seen)

    def _seen(self, view: FrameView) -> None:
        if self._measuring:
            with self._lock:
                self._latencies.append(view.latency_s)

    def measure(self, warmup_s: float, seconds: float) -> Step:
        process = psutil.Process()
        self.bus.connect()
        self.pipeline.start()
        try:
            time.sleep(warmup_s)
            before = self._counters()
            cpu_before = process.cpu_times()
            self._measuring = True
            started = time.monotonic()
            time.sleep(seconds)
            self._measuring = False
            elapsed = time.monotonic() - started
            cpu_after = process.cpu_times()
            after = self._counters()
            rss_mb = process.memory_info().rss / 2**20
        finally:
            self.pipeline.stop()
            self.bus.close()
        cpu_s = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
        return self._step(before, after, elapsed, cpu_s, rss_mb)

    def _counters(self) -> dict[str, tuple[float, float, float, float, float]]:
        """camera -> (handed on, lost, analysed, decoded, decode CPU s)."""
        healths = {row.name: row.stream for row in self.pipeline.view.cameras()}
        counters = {}
        for camera in self.cameras:
            health = healths[camera]
            assert health is not None
            lost = sum(
                sample(self.metrics, "frames_dropped_total", camera=camera, reason=r)
                for r in ("replaced", "stale")
            )
            analysed = sample(self.metrics, "frame_to_result_seconds_count", camera=camera)
            counters[camera] = (
                float(health.frames_handed_on),
                lost,
                analysed,
                float(health.frames_decoded),
                health.decode_cpu_s,
            )
        return counters

    def _step(
        self,
        before: dict[str, tuple[float, float, float, float, float]],
        after: dict[str, tuple[float, float, float, float, float]],
        elapsed: float,
        cpu_s: float,
        rss_mb: float,
    ) -> Step:
        behind = []
        handed_total = analysed_total = decoded_total = decode_cpu_total = 0.0
        for camera in self.cameras:
            handed, lost, analysed, decoded, decode_cpu = (
                a - b for a, b in zip(after[camera], before[camera], strict=True)
            )
            handed_total += handed
            analysed_total += analysed
            decoded_total += decoded
            decode_cpu_total += decode_cpu
            if handed < MIN_HANDED_SHARE * DETECT_FPS * elapsed or lost > MAX_LOST_SHARE * max(handed, 1):
                behind.append(f"{camera} ({handed / elapsed:.1f} FPS handed on, {lost:.0f} lost)")
        k = len(self.cameras)
        with self._lock:
            latencies = list(self._latencies)
        return Step(
            cameras=k,
            analysed=len(latencies),
            p50_s=percentile(latencies, 0.50),
            p95_s=percentile(latencies, 0.95),
            p99_s=percentile(latencies, 0.99),
            behind=tuple(behind),
            cpu_pct_per_camera=100 * cpu_s / elapsed / k,
            rss_mb=rss_mb,
            decode_us_per_frame=1e6 * decode_cpu_total / max(decoded_total, 1),
            handed_fps=handed_total / elapsed / k,
            analysed_share=analysed_total / max(handed_total, 1),
        )


def sources(media: Media, source: str, count: int) -> tuple[list[str], list[RtspServer]]:
    """K stream URIs; for rtsp, the K server processes to stop after the step."""
    if source == "file":
        return [str(media.h264_mp4)] * count, []
    servers = [RtspServer(media.h264_units, mount=f"/cam{index}") for index in range(count)]
    for server in servers:
        server.start()
    return [server.uri for server in servers], servers


def report(step: Step, ffmpeg_us: float, ffmpeg1_us: float) -> None:
    verdict = "pass" if step.passed else "FAIL"
    behind = "; behind: " + ", ".join(step.behind) if step.behind else ""
    print(
        f"K={step.cameras:2d} {verdict}: {step.analysed} frames analysed "
        f"({100 * step.analysed_share:.0f}% of {step.handed_fps:.2f} FPS/camera handed on), frame-to-result "
        f"p50 {1e3 * step.p50_s:.0f} / p95 {1e3 * step.p95_s:.0f} / p99 {1e3 * step.p99_s:.0f} ms; "
        f"CPU {step.cpu_pct_per_camera:.1f}% of a core per camera, RSS {step.rss_mb:.0f} MB; decode "
        f"{step.decode_us_per_frame:.0f} us/frame, ffmpeg {ffmpeg_us:.0f} (-threads 1: {ffmpeg1_us:.0f}): "
        f"ratio {ffmpeg_us / step.decode_us_per_frame:.2f} ({ffmpeg1_us / step.decode_us_per_frame:.2f})"
        f"{behind}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.camera_capacity", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--counts", default="1,2,4,8,12,16,24,32", help="K values, in order")
    parser.add_argument(
        "--seconds", type=float, default=24.0, help="measured seconds per K (24: more than one loop)"
    )
    parser.add_argument("--warmup-s", type=float, default=4.0)
    parser.add_argument("--source", choices=("file", "rtsp"), default="file")
    parser.add_argument("--file-seconds", type=float, default=20.0, help="length of the looped video")
    args = parser.parse_args(argv)
    if args.source == "rtsp" and not gstreamer_rtsp_available():
        print("GStreamer's RTSP server is not installed (see tests/streams/servers.py); use --source file")
        return 2
    counts = [int(value) for value in args.counts.split(",")]
    fetch_models(ROOT / "models.lock", MODELS_DIR)
    engine = Engine(bundled_models(), EngineSettings(ModelsDir=MODELS_DIR))
    engine.load("person")
    best: Step | None = None
    decode_ratios: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-capacity-") as tmp, engine:
        media = build_media(Path(tmp), empty_s=0.9 * args.file_seconds, person_s=0.1 * args.file_seconds)
        print(
            f"camera capacity: {args.source} streams of {media.h264_mp4.name} "
            f"(640x480 H.264 {media.fps} FPS, "
            f"person in view {media.person_s:g} s of every {media.empty_s + media.person_s:g} s), "
            f"DetectFps {DETECT_FPS:g}, motion gate on, {args.seconds:g} s per K after {args.warmup_s:g} s; "
            f"pass: p95 <= {1e3 * P95_LIMIT_S:.0f} ms and no camera behind",
            flush=True,
        )
        frames = media.frame_count
        for count in counts:
            ffmpeg_us = 1e6 * ffmpeg_user_s(media.h264_mp4, None) / frames
            ffmpeg1_us = 1e6 * ffmpeg_user_s(media.h264_mp4, 1) / frames
            uris, servers = sources(media, args.source, count)
            try:
                state_dir = Path(tmp) / f"state-{count}"
                step = Run(engine, uris, state_dir).measure(args.warmup_s, args.seconds)
            finally:
                for server in servers:
                    server.stop()
            report(step, ffmpeg_us, ffmpeg1_us)
            decode_ratios.append(ffmpeg_us / step.decode_us_per_frame)
            if not step.passed:
                break
            best = step
    if best is None:
        print("camera capacity: no K passed")
        return 1
    print(
        f"camera capacity: largest K = {best.cameras} (p95 {1e3 * best.p95_s:.0f} ms, "
        f"CPU {best.cpu_pct_per_camera:.1f}% of a core per camera, RSS {best.rss_mb:.0f} MB); decode ratio "
        f"ffmpeg/reader median {statistics.median(decode_ratios):.2f} over {len(decode_ratios)} step(s); "
        f"{psutil.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
