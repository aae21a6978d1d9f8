"""OpenVINO's own benchmark_app, run on an IR and images: the reference both benchmarks compare to."""

from __future__ import annotations

import re
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class AppRun:
    """What one benchmark_app run reported."""

    fps: float
    median_ms: float
    frames_per_cpu_s: float  # inferences per CPU-second of benchmark_app


def benchmark_app(xml: Path, hint: str, seconds: float, images: Path) -> AppRun:
    """`benchmark_app -d CPU -hint <hint> -i <images>`; its CPU time includes the model compile (about
    1 CPU-second), which slightly favours the service in a per-CPU-second ratio."""
    tool = Path(sys.executable).with_name("benchmark_app")
    command = [str(tool), "-m", str(xml), "-d", "CPU", "-hint", hint, "-t", str(int(seconds))]
    command += ["-i", str(images)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    fps = re.search(r"Throughput:\s+([\d.]+) FPS", out)
    median = re.search(r"Median:\s+([\d.]+) (ms|us)", out)
    count = re.search(r"Count:\s+(\d+) iterations", out)
    if fps is None or median is None or count is None:
        raise RuntimeError(f"cannot parse benchmark_app output:\n{out[-2000:]}")
    median_ms = float(median.group(1)) / (1000 if median.group(2) == "us" else 1)
    return AppRun(float(fps.group(1)), median_ms, int(count.group(1)) / cpu_s if cpu_s > 0 else float("nan"))
