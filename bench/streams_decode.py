"""Decode CPU of a StreamReader against `ffmpeg -benchmark` on the same H.264 file, same run.

    python -m bench.streams_decode [--rounds 3] [--seconds 60] [--detect-fps 5]

Builds a 640x480 10 FPS H.264 file from the bundled photos (libx264, yuv420p, GOP 1 s, no
B-frames, one slice: what cameras send; a person in view the last 10% of it), then alternates,
--rounds times, `ffmpeg -benchmark -i FILE -f null -` (its `utime`; Debian's ffmpeg) and one
StreamReader pass over the file (PyAV's FFmpeg; Realtime off so it runs flat out, Loop off,
DetectFps 5: every frame decoded, half of them converted to BGR and handed on). The reader's
figure is this process's user CPU over the pass (getrusage), so it includes demuxing, PyAV,
the BGR conversion of the frames handed on and the reader's Python. Printed per round and as
medians: ffmpeg's user CPU per frame, the reader's per decoded and per handed-on frame, and the
ratios ffmpeg / reader (1.0 = as cheap as ffmpeg; target >= 0.9 per decoded frame), also
against `ffmpeg -threads 1` (the reader decodes on one thread).
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from service.streams.decoded_frame import DecodedFrame
from service.streams.reader import StreamReader
from service.streams.settings import StreamSettings
from tests.streams.media import build_media

_UTIME = re.compile(r"bench: utime=([0-9.]+)s")


@dataclass(frozen=True)
class ReaderRun:
    user_s: float
    decoded: int
    handed_on: int
    decode_cpu_s: float  # the reader's own figure (thread CPU in decode + conversion)


def ffmpeg_user_s(path: Path, threads: int | None) -> float:
    """`ffmpeg -benchmark` decoding every frame of path to the null muxer: its user CPU (s)."""
    command = ["ffmpeg", "-hide_banner", "-nostats", "-benchmark"]
    if threads is not None:
        command += ["-threads", str(threads)]
    command += ["-i", str(path), "-f", "null", "-"]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    found = _UTIME.search(done.stderr)
    if found is None:
        raise RuntimeError(f"no utime in ffmpeg's output: {done.stderr[-500:]}")
    return float(found.group(1))


def reader_pass(path: Path, detect_fps: float) -> ReaderRun:
    """One StreamReader pass over the file as fast as it goes."""
    settings = StreamSettings(Uri=str(path), DetectFps=detect_fps, Realtime=False, Loop=False, HwAccel="none")
    handed = threading.Event()

    def on_frame(_frame: DecodedFrame) -> None:
        handed.set()

    reader = StreamReader("bench", settings, lambda: str(path), on_frame)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    reader.start()
    while reader.running:
        time.sleep(0.01)
    user_s = resource.getrusage(resource.RUSAGE_SELF).ru_utime - before
    health = reader.health
    return ReaderRun(user_s, health.frames_decoded, health.frames_handed_on, health.decode_cpu_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.streams_decode", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the file (60)")
    parser.add_argument("--detect-fps", type=float, default=5.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-streams-") as tmp:
        media = build_media(Path(tmp), empty_s=0.9 * args.seconds, person_s=0.1 * args.seconds)
        frames = media.frame_count
        print(
            f"decode CPU: {media.h264_mp4.name}, 640x480 H.264 {media.fps} FPS, {frames} frames; "
            f"StreamReader at DetectFps {args.detect_fps:g} against "
            f"`ffmpeg -benchmark -i FILE -f null -` ({args.rounds} rounds, alternating)",
            flush=True,
        )
        per_decoded: list[float] = []
        per_handed: list[float] = []
        ffmpeg_us: list[float] = []
        per_decoded_1: list[float] = []
        for index in range(1, args.rounds + 1):
            ff_us = 1e6 * ffmpeg_user_s(media.h264_mp4, None) / frames
            ff1_us = 1e6 * ffmpeg_user_s(media.h264_mp4, 1) / frames
            run = reader_pass(media.h264_mp4, args.detect_fps)
            decoded_us = 1e6 * run.user_s / max(run.decoded, 1)
            handed_us = 1e6 * run.user_s / max(run.handed_on, 1)
            ffmpeg_us.append(ff_us)
            per_decoded.append(ff_us / decoded_us)
            per_handed.append(ff_us / handed_us)
            per_decoded_1.append(ff1_us / decoded_us)
            print(
                f"round {index}: ffmpeg {ff_us:.0f} us/frame (-threads 1: {ff1_us:.0f}); reader "
                f"{run.decoded} decoded, {run.handed_on} handed on: {decoded_us:.0f} us/decoded frame "
                f"({per_decoded[-1]:.2f}), {handed_us:.0f} us/handed-on frame ({per_handed[-1]:.2f}); "
                f"its own decode+BGR figure {1e6 * run.decode_cpu_s / max(run.decoded, 1):.0f} us/frame",
                flush=True,
            )
    print(
        f"decode CPU: ffmpeg {statistics.median(ffmpeg_us):.0f} us/frame; ratio ffmpeg/reader "
        f"{statistics.median(per_decoded):.2f} per decoded frame "
        f"({min(per_decoded):.2f}-{max(per_decoded):.2f}), "
        f"{statistics.median(per_handed):.2f} per handed-on frame; against ffmpeg -threads 1 "
        f"{statistics.median(per_decoded_1):.2f} per decoded frame; medians of the per-round ratios"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
