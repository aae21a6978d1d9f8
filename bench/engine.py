"""Engine speed next to OpenVINO's own benchmark_app on the same IR, in the same run.

    python -m bench.engine [--seconds 2] [--rounds 9] [--streams 4] [--models person,face]

For each model and round: benchmark_app -hint throughput against the engine's THROUGHPUT-hint
submit() fed by N concurrent streams (each keeping a few frames in flight), then benchmark_app
-hint latency (median) against the median wall time of the engine's LATENCY-hint infer() (input
copy, inference, decode, NMS and mapping back included). The two sides alternate in many short
rounds, and the ratio reported is the median of the per-round ratios: this VM's speed shifts by up
to 1.7x for seconds at a time (other tenants), which skews any one pair but not the median. Each
engine is compiled once, before the first round.

Both sides see the same photo (astronaut) at the model's input size: benchmark_app reads it with
-i, and host resizing is left out on both sides (it is in MODELS.md section 3). The SSD's in-graph
NMS costs more on random data, so random input would flatter the engine. BlazeFace runs without its
face_landmark second stage so both sides run the same single IR.
Targets on the 2-core machine: throughput >= 0.90x, median latency <= 1.15x.
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

import cv2
import numpy as np

from bench.reference import benchmark_app
from service.vision.engine import Engine
from service.vision.fetch import fetch_models
from service.vision.specs import EngineSettings, ModelSpec, bundled_models

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / ".cache" / "models"
THROUGHPUT_TARGET = 0.90
LATENCY_TARGET = 1.15
IN_FLIGHT_PER_STREAM = 4
WARMUP_S = 0.5


@dataclass(frozen=True, slots=True)
class Round:
    """One round's four figures."""

    reference_fps: float
    engine_fps: float
    reference_ms: float
    engine_ms: float


@dataclass(frozen=True, slots=True)
class Case:
    """What one model's measurements need."""

    name: str
    spec: ModelSpec
    xml: Path
    frame: np.ndarray
    frame_file: Path
    seconds: float


def engine_throughput(engine: Engine, case: Case, streams: int) -> float:
    """Frames per second completed by `streams` threads calling submit() for case.seconds."""
    done = [0] * streams
    stop = time.perf_counter() + WARMUP_S + case.seconds

    def stream(index: int) -> None:
        slots = threading.Semaphore(IN_FLIGHT_PER_STREAM)

        def finished(_: object) -> None:
            done[index] += 1
            slots.release()

        while time.perf_counter() < stop:
            slots.acquire()
            engine.submit(case.name, case.frame).add_done_callback(finished)

    threads = [threading.Thread(target=stream, args=(i,)) for i in range(streams)]
    for thread in threads:
        thread.start()
    time.sleep(WARMUP_S)  # count from here
    baseline, started = sum(done), time.perf_counter()
    for thread in threads:
        thread.join()
    return (sum(done) - baseline) / (time.perf_counter() - started)


def engine_latency(engine: Engine, case: Case) -> float:
    """Median wall time of a synchronous infer() in ms, one stream, over case.seconds."""
    for _ in range(20):
        engine.infer(case.name, case.frame)
    times: list[float] = []
    stop = time.perf_counter() + case.seconds
    while time.perf_counter() < stop:
        begin = time.perf_counter()
        engine.infer(case.name, case.frame)
        times.append(time.perf_counter() - begin)
    return statistics.median(times) * 1000


def make_case(name: str, seconds: float, folder: Path) -> Case:
    """The model without second stage, and the astronaut photo at its input size (also as a file)."""
    from skimage import data

    spec = bundled_models()[name].model_copy(update={"SecondStage": None})
    with Engine({name: spec}, EngineSettings(ModelsDir=MODELS_DIR)) as probe:
        width, height = probe.input_size(name)
    astronaut: Any = data.astronaut  # skimage is untyped
    rgb = cv2.resize(astronaut(), (width, height))
    frame_file = folder / f"{name}.png"
    cv2.imwrite(str(frame_file), rgb)  # cv2 reads it back as this same array: RGB, as the model wants
    frame = np.ascontiguousarray(rgb[..., ::-1])  # the engine takes BGR
    return Case(name, spec, MODELS_DIR / spec.File, frame, frame_file, seconds)


def measure(case: Case, rounds: int, streams: int) -> list[Round]:
    """Alternate benchmark_app and the engine, `rounds` times; each engine is compiled once."""
    models = {case.name: case.spec}
    throughput = Engine(models, EngineSettings(PerformanceHint="THROUGHPUT", ModelsDir=MODELS_DIR))
    latency = Engine(models, EngineSettings(PerformanceHint="LATENCY", ModelsDir=MODELS_DIR))
    results = []
    try:
        for _ in range(rounds):
            reference_fps = benchmark_app(case.xml, "throughput", case.seconds, case.frame_file).fps
            fps = engine_throughput(throughput, case, streams)
            reference_ms = benchmark_app(case.xml, "latency", case.seconds, case.frame_file).median_ms
            results.append(Round(reference_fps, fps, reference_ms, engine_latency(latency, case)))
    finally:
        throughput.close()
        latency.close()
    return results


def report(name: str, rounds: list[Round], streams: int) -> bool:
    """Print one model's rounds and medians; True when both targets are met."""
    fps_ratios = [r.engine_fps / r.reference_fps for r in rounds]
    ms_ratios = [r.engine_ms / r.reference_ms for r in rounds]
    for index, r in enumerate(rounds, 1):
        print(
            f"  {name:<7} round {index}: throughput benchmark_app {r.reference_fps:8.1f} FPS, engine "
            f"({streams} streams) {r.engine_fps:8.1f} FPS ({fps_ratios[index - 1]:.2f}x); median latency "
            f"benchmark_app {r.reference_ms:7.3f} ms, engine {r.engine_ms:7.3f} ms "
            f"({ms_ratios[index - 1]:.2f}x)"
        )
    fps_ratio, ms_ratio = statistics.median(fps_ratios), statistics.median(ms_ratios)
    ok = fps_ratio >= THROUGHPUT_TARGET and ms_ratio <= LATENCY_TARGET
    print(
        f"{name:<7} median: throughput {fps_ratio:.2f}x (target >= {THROUGHPUT_TARGET}), "
        f"latency {ms_ratio:.2f}x (target <= {LATENCY_TARGET}): {'met' if ok else 'NOT met'}"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run the engine benchmark; exit 0 even when a target is missed (the figures are the result)."""
    parser = argparse.ArgumentParser(prog="python -m bench.engine", description="Engine vs benchmark_app.")
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement (2)")
    parser.add_argument("--rounds", type=int, default=9, help="alternating rounds per model (9)")
    parser.add_argument("--streams", type=int, default=4, help="concurrent streams for throughput (4)")
    parser.add_argument("--models", default="person,face", help="bundled model names (person,face)")
    args = parser.parse_args(argv)
    fetch_models(ROOT / "models.lock", MODELS_DIR)
    print(f"engine vs benchmark_app, {args.rounds} rounds of {args.seconds:g} s, same IR and photo")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.models.split(","):
            case = make_case(name, args.seconds, Path(folder))
            report(name, measure(case, args.rounds, args.streams), args.streams)
    return 0


if __name__ == "__main__":
    sys.exit(main())
