"""Readiness probe for an EdgeX device service, used by scripts/edgex-stack.sh.

usage: devices_ready.py METADATA_URL SERVICE_NAME DEVICES_DIR

Exits 0 when core-metadata lists, for SERVICE_NAME, every device defined in DEVICES_DIR (YAML or
JSON files holding `deviceList: [...]` or a plain list of devices); otherwise prints what is
missing and exits 1. With `--names` it only prints the device names found in DEVICES_DIR.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

_SUFFIXES = {".yaml", ".yml", ".json"}


def _entries(document: Any) -> list[Any]:
    if isinstance(document, dict):
        listed = document.get("deviceList", [])
        return listed if isinstance(listed, list) else []
    return document if isinstance(document, list) else []


def defined_device_names(devices_dir: Path) -> set[str]:
    """Names of the devices a device service will load from its DevicesDir."""
    names: set[str] = set()
    for path in sorted(devices_dir.iterdir()):
        if path.suffix.lower() not in _SUFFIXES or not path.is_file():
            continue
        for entry in _entries(yaml.safe_load(path.read_text(encoding="utf-8"))):
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                names.add(entry["name"])
    return names


def listed_device_names(metadata_url: str, service: str) -> set[str]:
    """Names core-metadata holds for the device service (empty when it cannot be asked yet)."""
    url = f"{metadata_url}/api/v3/device/service/name/{service}?limit=1024"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            body = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return set()
    devices = body.get("devices") or []
    return {d["name"] for d in devices if isinstance(d, dict) and isinstance(d.get("name"), str)}


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--names":
        sys.stdout.write("".join(f"{n}\n" for n in sorted(defined_device_names(Path(argv[1])))))
        return 0
    if len(argv) != 3:
        sys.stderr.write(__doc__ or "")
        return 2
    metadata_url, service, devices_dir = argv
    missing = defined_device_names(Path(devices_dir)) - listed_device_names(metadata_url, service)
    if missing:
        sys.stdout.write(f"{service}: not yet in core-metadata: {', '.join(sorted(missing))}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
