"""What clips cost: the remux of a stream camera's clip, the ring on the reader thread, a bus camera's encode.

    python -m bench.clips [--rounds 7] [--bus-frames 50]

Source: 20 s of 640x480 H.264 at 10 FPS (libx264 veryfast, a keyframe every 2 s, B-frames) made
from the bundled photos (a person in view 6-9 s), demuxed from MPEG-TS as an RTSP camera delivers it.

- ring: ClipRecorder.packet over the whole stream (the copy into the pre-roll ring, PreRollS 5),
  CPU per packet; this is the only clip work on the reader thread.
- remux: remux_clip of a 10 s clip (pre 5 + post 5: the keyframe at or before the start, then the
  period), wall and CPU time per clip, median of --rounds, and the clip's size.
- bus encode: encode_clip of --bus-frames 640x480 JPEGs (the bundled photos, irregular capture
  times 0.15-0.9 s apart), JPEG decode + libx264 veryfast + mux, wall and CPU per frame.

CPU is this process's (time.process_time), so libx264's threads count too.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av

from service.simulator.photos import PHOTO_NAMES, photo_jpeg
from service.streams.clip_recorder import ClipRecorder
from service.streams.clip_ring import ClipRing
from service.streams.clip_store import ClipSettings, ClipStore
from service.streams.clip_writer import ClipOutput, StreamTemplate, remux_clip
from service.streams.frame_clip import KeptFrame, encode_clip
from tests.clips.source import FPS, PERSON_SCENE, T0, encode_source

PRE_S, POST_S = 5.0, 5.0
AT_S = T0 + 7.5


def timed(run: Callable[[], None], rounds: int) -> tuple[float, float]:
    """Median wall and CPU seconds of `run`."""
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def ring_cost(source: bytes, rounds: int) -> tuple[float, int]:
    """Median CPU seconds per packet of ClipRecorder.packet, and the packet count."""
    settings = ClipSettings(PreRollS=PRE_S)
    per_packet: list[float] = []
    with tempfile.TemporaryDirectory() as state, ThreadPoolExecutor(1) as executor:
        output = ClipOutput(ClipStore(settings, Path(state)), executor, lambda *_: None)
        for _ in range(rounds):
            with av.open(io.BytesIO(source), "r") as container:
                stream = container.streams.video[0]
                packets = [p for p in container.demux(stream) if p.size]
                recorder = ClipRecorder("bench", settings, output)
                recorder.stream_opened(stream)
                started = time.process_time()
                for index, packet in enumerate(packets):
                    recorder.packet(packet, T0 + index / FPS)
                per_packet.append((time.process_time() - started) / len(packets))
            recorder.stream_closed()
    return statistics.median(per_packet), len(packets)


def remux_cost(source: bytes, rounds: int, directory: Path) -> tuple[float, float, int, int]:
    """Median wall and CPU seconds of one 10 s remux, the clip's bytes and packets."""
    with av.open(io.BytesIO(source), "r") as container:
        stream = container.streams.video[0]
        template = StreamTemplate(stream)
        ring = ClipRing(template.time_base, max_duration_s=60, max_bytes=10**9)
        for index, packet in enumerate(p for p in container.demux(stream) if p.size):
            ring.push(packet, T0 + index / FPS)
    packets = ring.since(AT_S - PRE_S, AT_S + POST_S)
    path = directory / "remux.mp4"
    wall, cpu = timed(lambda: remux_clip(template, packets, AT_S - PRE_S, path), rounds)
    return wall, cpu, path.stat().st_size, len(packets)


def bus_cost(frames: int, rounds: int, directory: Path) -> tuple[float, float, int]:
    """Median wall and CPU seconds per frame of encode_clip, and the clip's bytes."""
    rng = random.Random(1)
    jpegs = [photo_jpeg(name) for name in PHOTO_NAMES]
    kept: list[KeptFrame] = []
    at = T0
    for index in range(frames):
        kept.append(KeptFrame(jpegs[index % len(jpegs)], at))
        at += rng.uniform(0.15, 0.9)
    path = directory / "bus.mp4"
    wall, cpu = timed(lambda: encode_clip(kept, path), rounds)
    return wall / frames, cpu / frames, path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--bus-frames", type=int, default=50)
    args = parser.parse_args(argv)
    source = encode_source(PERSON_SCENE)
    per_packet_s, packets = ring_cost(source, args.rounds)
    print(f"ring:   {per_packet_s * 1e6:.1f} us CPU per packet ({packets} packets, 640x480 10 FPS H.264)")
    with tempfile.TemporaryDirectory() as directory:
        wall, cpu, size, clip_packets = remux_cost(source, args.rounds, Path(directory))
        print(
            f"remux:  10 s clip ({clip_packets} packets, {size / 1024:.0f} KiB): "
            f"{wall * 1e3:.2f} ms wall, {cpu * 1e3:.2f} ms CPU (median of {args.rounds})"
        )
        wall, cpu, size = bus_cost(args.bus_frames, args.rounds, Path(directory))
        print(
            f"bus:    {args.bus_frames} frames 640x480 JPEG -> H.264 ({size / 1024:.0f} KiB): "
            f"{wall * 1e3:.2f} ms wall, {cpu * 1e3:.2f} ms CPU per frame (median of {args.rounds})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
