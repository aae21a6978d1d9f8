"""The decode-and-infer floor: the most any pipeline built on this engine could reach here.

    python -m bench.floor [--rounds 5] [--seconds 4] [--threads 4] [--bench-seconds 3]

bench.e2e's FPS target compares the whole service (MQTT, envelope and CBOR decode, latest-frame
slots, JPEG decode, inference, tracking, rules) with `benchmark_app -hint throughput`, which feeds
the model tensors it prepared beforehand. This bench measures what is left when everything but the
unavoidable work is taken away: --threads threads, each decoding the same 640x480 JPEGs at 1/2
(as the pipeline does) and running them through Engine.infer (the engine's synchronous path: fit,
copy in, infer, decode outputs) on SSDLite, THROUGHPUT hint. No bus, no publisher, no broker, no
rules. It alternates with `benchmark_app` as bench.e2e does, and prints the ratio of each round
and the CPU per frame of both, plus the same without the JPEG decode (pre-decoded frames), which
separates the decode's share from the engine's.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from bench.e2e import MODELS_DIR, PHOTOS, ROOT, write_photos
from bench.reference import benchmark_app
from service.simulator.photos import photo_jpeg
from service.vision.engine import Engine
from service.vision.fetch import fetch_models
from service.vision.specs import EngineSettings, bundled_models

MODEL = "person"
XML = MODELS_DIR / "ssdlite-person.xml"  # the IR the engine compiles for MODEL


def decode(jpeg: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A 640x480 JPEG at 1/2, as the pipeline decodes it for a 300x300 model."""
    image = cv2.imdecode(jpeg, cv2.IMREAD_REDUCED_COLOR_2)
    if image is None:
        raise ValueError("a load-generator photo does not decode")
    return np.asarray(image, np.uint8)


def run_threads(threads: int, seconds: float, frame: Callable[[int], None]) -> tuple[float, float]:
    """`frame(i)` in a loop on each of `threads` threads for `seconds`: (frames per second, CPU
    microseconds of this process per frame)."""
    stop = threading.Event()
    counts = [0] * threads

    def loop(index: int) -> None:
        done = 0
        while not stop.is_set():
            frame(done)
            done += 1
        counts[index] = done

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    frames = max(sum(counts), 1)
    return frames / wall, 1e6 * cpu / frames


def main(argv: list[str] | None = None) -> int:
    """Alternate benchmark_app and the floor; print each round and the medians."""
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0, help="each floor run (4)")
    parser.add_argument("--threads", type=int, default=4, help="decode+infer threads (4)")
    parser.add_argument("--bench-seconds", type=float, default=3.0, help="each benchmark_app run (3)")
    args = parser.parse_args(argv)
    fetch_models(ROOT / "models.lock", MODELS_DIR)
    jpegs = [np.frombuffer(photo_jpeg(name), np.uint8) for name in PHOTOS]
    decoded = [decode(j) for j in jpegs]
    engine = Engine(bundled_models(), EngineSettings(ModelsDir=MODELS_DIR, PerformanceHint="THROUGHPUT"))
    engine.load(MODEL)

    def decode_and_infer(index: int) -> None:
        engine.infer(MODEL, decode(jpegs[index % len(jpegs)]))

    def infer_only(index: int) -> None:
        engine.infer(MODEL, decoded[index % len(decoded)])

    print(
        f"decode-and-infer floor: {args.threads} threads of cv2.imdecode (640x480 JPEG at 1/2) + "
        f"Engine.infer on SSDLite (THROUGHPUT), no bus; {args.rounds} rounds alternating with "
        f"benchmark_app -hint throughput ({args.bench_seconds:g} s) and {args.seconds:g} s per run"
    )
    ratios: list[float] = []
    infer_ratios: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        images = write_photos(Path(tmp) / "photos")
        try:
            for index in range(1, args.rounds + 1):
                reference = benchmark_app(XML, "throughput", args.bench_seconds, images)
                fps, cpu_us = run_threads(args.threads, args.seconds, decode_and_infer)
                bare_fps, bare_us = run_threads(args.threads, args.seconds, infer_only)
                ratios.append(fps / reference.fps)
                infer_ratios.append(bare_fps / reference.fps)
                print(
                    f"round {index}: benchmark_app {reference.fps:.1f} FPS, "
                    f"{1e6 / reference.frames_per_cpu_s:.0f} us CPU/frame (its ~1 s compile included); "
                    f"decode+infer {fps:.1f} FPS ({ratios[-1]:.2f}), {cpu_us:.0f} us/frame; "
                    f"infer only {bare_fps:.1f} FPS ({infer_ratios[-1]:.2f}), {bare_us:.0f} us/frame",
                    flush=True,
                )
        finally:
            engine.close()
    print(
        f"floor: decode+infer {statistics.median(ratios):.2f} of benchmark_app "
        f"({min(ratios):.2f}-{max(ratios):.2f}); infer only {statistics.median(infer_ratios):.2f} "
        f"({min(infer_ratios):.2f}-{max(infer_ratios):.2f}); medians of the per-round ratios"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
