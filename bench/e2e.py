"""End-to-end: frames over Mosquitto from a separate process, through the whole pipeline.

    python -m bench.e2e [--rounds 5] [--seconds 4] [--cameras 4] [--scenarios saturated,paced,single]
                        [--bench-seconds 3]

A Mosquitto broker starts on a free loopback port. The load generator (service.simulator.loadgen,
its own process, plain paho + cbor2) publishes CBOR events with 640x480 JPEGs (real photos, with
and without people) from 4 cameras, closed loop, i.e. as fast as the service takes them: a frame
is published when the service has analysed an earlier one. Scenarios: `saturated` keeps one frame
per camera outstanding (4 in all, THROUGHPUT hint, 4 workers): the FPS target; `paced` keeps 2
outstanding in all (LATENCY hint, 2 workers: one frame in inference while the next is decoded);
`single` keeps 1 outstanding (LATENCY hint, 1 worker): the latency target, nothing queued. Optional,
`overload`: open loop, each camera publishing 100 FPS, more than the service takes (THROUGHPUT, 4
workers): the latest-frame slots drop the rest (the offered FPS is printed per round). The service
(this process) runs the real MQTT bus, engine (SSDLite person) and pipeline with a person rule.

Each scenario starts the service once, then alternates, --rounds times, `benchmark_app -hint
throughput` and `-hint latency` on the same IR and the same photos (`-i`) with --seconds of load
from a fresh load generator: this VM's speed shifts by up to 1.7x for seconds at a time, so only a
reference measured next to the load is comparable. The FPS ratio is the median of the per-round
ratios (their range is printed too); latencies are pooled over the rounds. Reported: processed FPS,
publish-to-result latency p50/p95/p99 (reading origin = publish time, to the analysed frame reaching
the rules), CPU and RSS of the service (psutil), the CPU of the publisher and the broker, and the
service's CPU per analysed frame by thread role, and latency by stage. Targets: ratio >= 0.80, and
p95 <= 2 x benchmark_app -hint latency median + JPEG decode, each round's p95 against the bound
measured next to it (median over the rounds).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

import cv2
import numpy as np
import psutil

from bench.reference import AppRun, benchmark_app
from service.edgex.bus import BusSettings, MessageBus, create_bus
from service.edgex.clients import HttpPeer, PeerSettings
from service.edgex.commands import RestCommandClient
from service.edgex.dtos import AddEventRequest
from service.edgex.envelope import MessageEnvelope, event_from_envelope
from service.edgex.notifications import NotificationClient
from service.edgex.wire_format import WireFormat
from service.metrics import Metrics
from service.pipeline.analysis.sighting import FrameView
from service.pipeline.assembly import Pipeline, PipelineDeps
from service.pipeline.settings import PipelineSettings
from service.simulator.photos import load_photo, photo_jpeg
from service.vision.engine import Engine
from service.vision.fetch import fetch_models
from service.vision.specs import EngineSettings, bundled_models

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / ".cache" / "models"
FPS_TARGET = 0.80
WARMUP_S = 1.5  # per round: the load generator connects and the first frames go round
PHOTOS = ("astronaut", "coffee", "camera", "chelsea")
Stages = tuple[tuple[str, float], ...]  # FrameView.stages: (stage, seconds)
RULE = {
    "Name": "person",
    "Detection": {"Labels": ["person"], "MinScore": 0.6},
    "CooldownS": 5,
    "EndAfterS": 2,
}


@dataclass(frozen=True, slots=True)
class Scenario:
    """One load shape: engine hint, pipeline workers, and how many frames are outstanding."""

    name: str
    hint: Literal["THROUGHPUT", "LATENCY"]
    workers: int
    window: int  # per camera (closed loop)
    in_flight: int  # in all; 0 = window per camera
    fps: float = 0.0  # per camera, open loop (window and in_flight unused): more than the service takes


SCENARIOS = {
    # every camera always has a frame waiting: the service at full throughput
    "saturated": Scenario("saturated", "THROUGHPUT", 4, 1, 0),
    # open loop, more frames than the service can take: each camera's newest frame is analysed
    "overload": Scenario("overload", "THROUGHPUT", 4, 0, 0, fps=100.0),
    # two frames outstanding in all: one in inference while the next is decoded
    "paced": Scenario("paced", "LATENCY", 2, 1, 2),
    # one frame at a time: publish-to-result latency with nothing queued (the latency target)
    "single": Scenario("single", "LATENCY", 1, 1, 1),
}


@dataclass
class Recorder:
    """Frame listener: latency per analysed frame, and the release of that camera's next frame."""

    release: IO[str] | None = None
    started: float = field(default_factory=time.monotonic)
    samples: list[tuple[float, Stages]] = field(default_factory=list)  # per frame: latency, its stages
    measured: int = 0  # samples taken when the measured window closed
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, view: FrameView) -> None:
        latency = time.time() - view.origin_ns / 1e9
        if self.release is not None:
            self.release.write(view.camera + "\n")
            self.release.flush()
        if time.monotonic() - self.started >= WARMUP_S:
            with self.lock:
                self.samples.append((latency, view.stages))


class Listener:
    """The pipeline's frame listener for the whole scenario: passes frames to this round's Recorder."""

    def __init__(self) -> None:
        self.recorder: Recorder | None = None

    def __call__(self, view: FrameView) -> None:
        recorder = self.recorder
        if recorder is not None:
            recorder(view)


def start_mosquitto(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Mosquitto on a free loopback port."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = workdir / "mosquitto.conf"
    config.write_text(
        f"persistence false\nset_tcp_nodelay true\nuser {getpass.getuser()}\n"
        f"listener {port} 127.0.0.1\nallow_anonymous true\n"
    )
    binary = next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto") if Path(p).is_file()), "mosquitto"
    )
    process = subprocess.Popen(
        [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("mosquitto did not start (apt-get install -y mosquitto)")


def jpeg_decode_ms() -> float:
    """Median cv2.imdecode time of the load generator's 640x480 JPEGs, reduced as the pipeline does."""
    times = []
    for name in PHOTOS:
        data = np.frombuffer(photo_jpeg(name), np.uint8)
        for _ in range(30):
            started = time.perf_counter()
            cv2.imdecode(data, cv2.IMREAD_REDUCED_COLOR_2)
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def build_service(port: int, state_dir: Path, scenario: Scenario) -> tuple[MessageBus, Pipeline, Engine]:
    """MQTT bus, engine and pipeline as app.py wires them; subscribed to edgex/events/#."""
    wire = WireFormat()
    bus = create_bus(
        BusSettings(type="mqtt", host="127.0.0.1", port=port, client_id=f"bench-{uuid.uuid4().hex[:6]}"), wire
    )
    engine = Engine(bundled_models(), EngineSettings(ModelsDir=MODELS_DIR, PerformanceHint=scenario.hint))
    settings = PipelineSettings.model_validate(
        {"Rules": [RULE], "Workers": scenario.workers, "MaxFrameAgeS": 10}
    )
    unused_peer = _UnusedPeers()  # the bench rule sends no command and no notification
    pipeline = Pipeline(
        PipelineDeps(
            settings,
            engine,
            bus,
            unused_peer.commands,
            unused_peer.notifications,
            Metrics(),
            wire,
            "edgex",
            state_dir,
        )
    )

    def on_envelope(topic: str, envelope: MessageEnvelope) -> None:
        request: AddEventRequest = event_from_envelope(envelope)
        pipeline.handle_event(request, topic)

    bus.connect()
    deadline = time.monotonic() + 10
    while not bus.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    pipeline.start()
    bus.subscribe(["edgex/events/device/loadgen/#"], on_envelope, lambda topic, exc: None)
    return bus, pipeline, engine


class _UnusedPeers:
    """Clients pointed at a closed port: the bench rule never uses them."""

    def __init__(self) -> None:
        self.commands = RestCommandClient(HttpPeer(PeerSettings("core-command", "127.0.0.1", 9)))
        self.notifications = NotificationClient(
            HttpPeer(PeerSettings("support-notifications", "127.0.0.1", 9))
        )


def run_load(
    broker: psutil.Process, port: int, recorder: Recorder, args: argparse.Namespace, scenario: Scenario
) -> dict[str, float]:
    """Run a load generator for --seconds after its warm-up; service, publisher and broker CPU,
    service RSS, and the service's CPU seconds by thread role (cpu_s_<role>)."""
    command = [
        sys.executable,
        "-m",
        "service.simulator.loadgen",
        "--port",
        str(port),
        "--cameras",
        str(args.cameras),
        "--seconds",
        str(args.seconds + WARMUP_S),
        "--photos",
        ",".join(PHOTOS),
    ]
    if scenario.fps:
        command += ["--fps", str(scenario.fps)]
    else:
        command += ["--closed-loop", "--window", str(scenario.window), "--in-flight", str(scenario.in_flight)]
    me = psutil.Process()
    publisher = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert publisher.stdin is not None
    recorder.release = None if scenario.fps else publisher.stdin
    recorder.started = time.monotonic()
    time.sleep(WARMUP_S)
    peer = psutil.Process(publisher.pid)
    threads0 = thread_cpu_s()
    cpu0, peer0, broker0, wall0 = me.cpu_times(), peer.cpu_times(), broker.cpu_times(), time.monotonic()
    rss_max = 0.0
    while publisher.poll() is None and time.monotonic() - wall0 < args.seconds:
        rss_max = max(rss_max, me.memory_info().rss / 2**20)
        time.sleep(0.25)
    cpu1, broker1, wall1 = me.cpu_times(), broker.cpu_times(), time.monotonic()
    groups = cpu_by_group(threads0, thread_cpu_s())
    peer1 = peer.cpu_times() if publisher.poll() is None else peer0
    with recorder.lock:
        recorder.measured = len(recorder.samples)
    recorder.release = None
    summary = json.loads(publisher.communicate(timeout=30)[0].strip().splitlines()[-1])
    wall = wall1 - wall0
    return {
        "wall_s": wall,
        "service_cpu_pct": 100 * ((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) / wall,
        "publisher_cpu_pct": 100 * ((peer1.user + peer1.system) - (peer0.user + peer0.system)) / wall,
        "broker_cpu_pct": 100 * ((broker1.user + broker1.system) - (broker0.user + broker0.system)) / wall,
        "rss_mib": rss_max,
        "published_fps": summary["frames"] / summary["seconds"],
        **{f"cpu_s_{group}": seconds for group, seconds in groups.items()},
    }


def thread_cpu_s() -> dict[int, float]:
    """CPU seconds (user + system) of each thread of this process, by native thread id."""
    tick = os.sysconf("SC_CLK_TCK")
    times = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            stat = Path(f"/proc/self/task/{tid}/stat").read_text()
        except OSError:  # the thread ended
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        times[int(tid)] = (int(fields[11]) + int(fields[12])) / tick
    return times


def thread_group(name: str) -> str:
    """Python threads by role; threads Python did not start are OpenVINO's (inference and callbacks)."""
    for prefix, group in (("pipeline-worker", "workers"), ("paho", "bus"), ("pipeline-control", "control")):
        if name.startswith(prefix):
            return group
    return "other"


def cpu_by_group(before: dict[int, float], after: dict[int, float]) -> dict[str, float]:
    """CPU seconds per thread group between two thread_cpu_s() samples."""
    names = {t.native_id: thread_group(t.name) for t in threading.enumerate() if t.native_id is not None}
    groups: dict[str, float] = {}
    for tid, cpu in after.items():
        group = names.get(tid, "openvino")
        groups[group] = groups.get(group, 0.0) + cpu - before.get(tid, 0.0)
    return groups


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


@dataclass(frozen=True, slots=True)
class Round:
    """One round: benchmark_app next to --seconds of load."""

    reference: AppRun
    fps: float
    latencies_ms: list[float]
    usage: dict[str, float]
    stages: list[Stages]  # each frame's, as latencies_ms

    @property
    def ratio(self) -> float:
        return self.fps / self.reference.fps

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies_ms, 0.95) if self.latencies_ms else float("nan")

    def bound_ms(self, decode_ms: float) -> float:
        """The latency target next to this round: 2 x benchmark_app's latency median + decode."""
        return 2 * self.reference.median_ms + decode_ms

    @property
    def frames_per_cpu_s(self) -> float:
        """Analysed frames per CPU-second of the whole service process."""
        return self.fps / (self.usage["service_cpu_pct"] / 100)


def run_scenario(
    broker: psutil.Process, port: int, paths: tuple[Path, Path], args: argparse.Namespace, scenario: Scenario
) -> list[Round]:
    """Start the service for one scenario; --rounds times, benchmark_app then a load; stop it."""
    state_dir, images = paths
    bus, pipeline, engine = build_service(port, state_dir, scenario)
    listener = Listener()
    pipeline.add_frame_listener(listener)
    rounds = []
    try:
        for _ in range(args.rounds):
            reference_run = reference(MODELS_DIR / "ssdlite-person.xml", args.bench_seconds, images)
            recorder = listener.recorder = Recorder()
            usage = run_load(broker, port, recorder, args, scenario)
            with recorder.lock:
                samples = recorder.samples[: recorder.measured]
            latencies = [latency * 1000 for latency, _ in samples]
            stages = [frame_stages for _, frame_stages in samples]
            rounds.append(Round(reference_run, len(latencies) / usage["wall_s"], latencies, usage, stages))
    finally:
        pipeline.stop()
        bus.close()
        engine.close()
    return rounds


def reference(xml: Path, seconds: float, images: Path) -> AppRun:
    """benchmark_app -hint throughput and -hint latency, back to back: throughput FPS and CPU
    efficiency of the first, latency median of the second."""
    throughput = benchmark_app(xml, "throughput", seconds, images)
    latency = benchmark_app(xml, "latency", seconds, images)
    return AppRun(throughput.fps, latency.median_ms, throughput.frames_per_cpu_s)


def write_photos(directory: Path) -> Path:
    """The load generator's photos at the model input size, as benchmark_app's -i input."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in PHOTOS:
        cv2.imwrite(str(directory / f"{name}.png"), cv2.resize(load_photo(name), (300, 300)))
    return directory


def main(argv: list[str] | None = None) -> int:
    """Run the end-to-end benchmark and print the figures (exit 0 even when a target is missed)."""
    parser = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per scenario (5)")
    parser.add_argument("--seconds", type=float, default=4.0, help="measured seconds of load per round (4)")
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--scenarios", default="saturated,paced,single", help=f"of {', '.join(SCENARIOS)}")
    parser.add_argument("--bench-seconds", type=float, default=3.0, help="each benchmark_app run (3)")
    args = parser.parse_args(argv)
    fetch_models(ROOT / "models.lock", MODELS_DIR)
    decode_ms = jpeg_decode_ms()
    print(
        f"end-to-end over Mosquitto: {args.cameras} cameras, 640x480 JPEG in CBOR events, closed loop; "
        f"{args.rounds} rounds per scenario of benchmark_app ({args.bench_seconds:g} s per hint) then "
        f"{args.seconds:g} s of load; JPEG decode at 1/2: {decode_ms:.2f} ms"
    )
    print(
        f"{'scenario':<10} {'hint':<10} {'wkrs':>4} {'inflt':>5} {'FPS':>6} {'bapp FPS':>8} {'ratio':>5} "
        f"{'range':>9} {'p50':>6} {'p95':>6} {'p99':>6} {'bound':>6} {'p95/bnd':>7} {'CPU%':>5} {'RSS':>5} "
        f"{'f/CPU-s':>7} {'ratio':>5}  targets"
    )
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        images = write_photos(Path(tmp) / "photos")
        broker, port = start_mosquitto(Path(tmp))
        try:
            for name in args.scenarios.split(","):
                scenario = SCENARIOS[name]
                rounds = run_scenario(
                    psutil.Process(broker.pid), port, (Path(tmp) / name, images), args, scenario
                )
                report(scenario, rounds, args, decode_ms)
        finally:
            broker.terminate()
            broker.wait(5)
    print(
        "ratio: median of the per-round ratios of FPS to benchmark_app -hint throughput (range: lowest-"
        "highest); latency in ms (publish to result), pooled over the rounds; bound = 2 x benchmark_app's "
        "latency median + decode (the median over rounds; p95/bnd: the median of each round's p95 over "
        "that round's bound); f/CPU-s = analysed frames per CPU-second of the "
        "service process, its ratio to benchmark_app's (whose CPU time includes its ~1 s compile); "
        f"targets: ratio >= {FPS_TARGET:.2f}, p95/bnd <= 1"
    )
    return 0


def report(scenario: Scenario, rounds: list[Round], args: argparse.Namespace, decode_ms: float) -> None:
    """One row for the scenario, then its rounds and where the service's CPU went."""
    s = scenario
    ratios = [r.ratio for r in rounds]
    ratio = statistics.median(ratios)
    latencies = [v for r in rounds for v in r.latencies_ms]
    fps = statistics.median(r.fps for r in rounds)
    reference_fps = statistics.median(r.reference.fps for r in rounds)
    bound = 2 * statistics.median(r.reference.median_ms for r in rounds) + decode_ms
    p95 = percentile(latencies, 0.95) if latencies else float("nan")
    p95_ratio = statistics.median(r.p95_ms / r.bound_ms(decode_ms) for r in rounds)
    cpu = statistics.mean(r.usage["service_cpu_pct"] for r in rounds)
    rss = max(r.usage["rss_mib"] for r in rounds)
    per_cpu = statistics.median(r.frames_per_cpu_s for r in rounds)
    per_cpu_ratio = statistics.median(r.frames_per_cpu_s / r.reference.frames_per_cpu_s for r in rounds)
    verdict = (
        f"FPS {'met' if ratio >= FPS_TARGET else 'NOT met'}, p95 {'met' if p95_ratio <= 1 else 'NOT met'}"
    )
    print(
        f"{s.name:<10} {s.hint:<10} {s.workers:>4} {s.in_flight or s.window * args.cameras:>5} {fps:>6.1f} "
        f"{reference_fps:>8.1f} {ratio:>5.2f} {min(ratios):>4.2f}-{max(ratios):<4.2f} "
        f"{percentile(latencies, 0.5) if latencies else float('nan'):>6.1f} {p95:>6.1f} "
        f"{percentile(latencies, 0.99) if latencies else float('nan'):>6.1f} {bound:>6.1f} {p95_ratio:>7.2f} "
        f"{cpu:>5.0f} {rss:>5.0f} {per_cpu:>7.1f} {per_cpu_ratio:>5.2f}  {verdict}"
    )
    for index, r in enumerate(rounds, 1):
        # open loop: what the load generator offered over its run (closed loop: the analysed FPS)
        offered = f"offered {r.usage['published_fps']:.1f} FPS; " if s.fps else ""
        print(
            f"{'':<10} round {index}: {r.fps:.1f} FPS, benchmark_app {r.reference.fps:.1f} ({r.ratio:.2f}), "
            f"latency median {r.reference.median_ms:.2f} ms; p95 {r.p95_ms:.1f} ms vs bound "
            f"{r.bound_ms(decode_ms):.1f}; {offered}CPU of publisher "
            f"{r.usage['publisher_cpu_pct']:.0f}%, broker {r.usage['broker_cpu_pct']:.0f}%"
        )
    frames = sum(len(r.latencies_ms) for r in rounds)
    spent: dict[str, float] = {}
    for r in rounds:
        for key, seconds in r.usage.items():
            if key.startswith("cpu_s_"):
                role = key.removeprefix("cpu_s_")
                spent[role] = spent.get(role, 0.0) + seconds
    by_stage: dict[str, list[float]] = {}
    for r in rounds:
        for frame_stages in r.stages:
            for stage, seconds in frame_stages:
                by_stage.setdefault(stage, []).append(seconds * 1000)
    print(
        f"{'':<10} latency by stage, ms (p50/p95): "
        + ", ".join(
            f"{stage} {percentile(ms, 0.5):.2f}/{percentile(ms, 0.95):.2f}" for stage, ms in by_stage.items()
        )
    )
    reference_us = 1e6 / statistics.median(r.reference.frames_per_cpu_s for r in rounds)
    print(
        f"{'':<10} service CPU per analysed frame: "
        + ", ".join(
            f"{group} {1e6 * seconds / max(frames, 1):.0f} us" for group, seconds in sorted(spent.items())
        )
        + f"; benchmark_app {reference_us:.0f} us"
    )


if __name__ == "__main__":
    sys.exit(main())
