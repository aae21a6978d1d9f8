"""Simulated EdgeX devices for the embedded default: a camera, a PIR sensor and a light."""

from service.simulator.demo import DEMO_RULE_NAMES, embedded_default, with_demo
from service.simulator.devices import Simulator, SimulatorDeps
from service.simulator.errors import SimulatorError

__all__ = ["DEMO_RULE_NAMES", "Simulator", "SimulatorDeps", "SimulatorError", "embedded_default", "with_demo"]
