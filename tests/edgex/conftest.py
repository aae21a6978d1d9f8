"""Session fixture for the `edgex` tier: real EdgeX 4.0 services built and run by scripts/edgex-stack.sh.

Environment honoured by the script (and so by this fixture): APP_VISION_EDGEX_CACHE, APP_VISION_EDGEX_RUN,
EDGEX_STACK_EXTRA_ENV (e.g. "EDGEX_MSG_BASE64_PAYLOAD=true" for every service),
EDGEX_STACK_DEVICE_{VIRTUAL,REST}_{PROFILES,DEVICES}_DIR. See docs/EDGEX-STACK.md.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.edgex.stack import BUILD_COMMAND, EdgexStack, binaries_cached, in_ci, parse_state, run_script

# A build from empty Go caches compiles ~7 services on 2 cores; when cached it is a stamp check.
_BUILD_TIMEOUT_S = 3600.0
_START_TIMEOUT_S = 300.0
_STOP_TIMEOUT_S = 120.0


@pytest.fixture(scope="session")
def edgex_stack() -> Iterator[EdgexStack]:
    """Build (no-op when cached), start the whole stack, yield its description, stop it at the end."""
    if not in_ci() and not binaries_cached():
        pytest.skip(f"EdgeX binaries are not built: run `{BUILD_COMMAND}` (takes minutes the first time)")
    run_script("build", _BUILD_TIMEOUT_S)
    run_script("start", _START_TIMEOUT_S)
    try:
        yield parse_state(run_script("env", 30.0))
    finally:
        run_script("stop", _STOP_TIMEOUT_S)
