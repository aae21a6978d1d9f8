"""Errors of the simulator.

SimulatorError    the simulated devices cannot start (e.g. the demo photos are missing)
"""

from __future__ import annotations


class SimulatorError(Exception):
    """The simulated devices cannot start; the message says how to fix it."""
