"""Where the read-only reference material lives: EdgeX captures, OpenAPI specs, reference files.

It sits outside the repository (/work/shared on the project's machines); APP_VISION_SHARED_DIR
points elsewhere. Every test that reads it takes the paths from here.
"""

from __future__ import annotations

import os
from pathlib import Path

SHARED_DIR = Path(os.environ.get("APP_VISION_SHARED_DIR", "/work/shared"))
CAPTURES_DIR = SHARED_DIR / "edgex" / "captures"
OPENAPI_DIR = SHARED_DIR / "edgex" / "openapi"
REFERENCE_DIR = SHARED_DIR / "edgex" / "reference"
