"""Lifecycle: start the built parts in dependency order, stop them in reverse within EdgeX's time."""

from __future__ import annotations

import logging
import time

from service.pipeline.parts import Parts
from service.pipeline.settings import PipelineSettings

LOG = logging.getLogger(__name__)
STOP_TIMEOUT_S = 3.0  # delivery attempts in flight get this long; EdgeX expects a stop within 5 s


def needed_models(settings: PipelineSettings) -> list[str]:
    """Every model the settings name (cameras, default, rules, privacy face model)."""
    names = [settings.DefaultModel]
    for device in settings.Devices.values():
        names.extend(device.Models)
    names.extend(rule.Model for rule in settings.Rules if rule.Model)
    if settings.Privacy.BlurFaces and settings.Privacy.FaceModel:
        names.append(settings.Privacy.FaceModel)
    return list(dict.fromkeys(names))


class PipelineLifecycle:
    """start() and stop() of the pipeline's threads and files."""

    def __init__(self, parts: Parts) -> None:
        self._parts = parts

    def start(self) -> None:
        """Compile the models, then start delivery, control, the workers, clips and streams (in order)."""
        parts = self._parts
        settings = parts.settings
        for name in needed_models(settings):
            parts.engine.load(name)
        for worker in parts.delivery.values():
            worker.start()
        parts.control.start()
        parts.workers.start()
        parts.clips.start()
        parts.snapshots.start()
        parts.streams.start()  # last: its frames need the workers, its health the control queue
        simulator = settings.Simulator
        if simulator.Enabled and simulator.Camera not in settings.Devices:
            LOG.warning(
                "Simulator.Enabled, but the settings did not come through "
                "service.simulator.embedded_default(): no simulated devices or demo rules will run"
            )
        LOG.info(
            "pipeline started: %d rule(s), %d worker(s), outbox %s (%s pending), %d active alert(s) resumed",
            len(settings.Rules),
            settings.Workers,
            parts.outbox.path,
            parts.outbox.counts()["pending"],
            len(parts.alerts.active()),
        )

    def stop(self) -> None:
        """Stop the streams and taking frames, drain the control queue, write the clips in progress,
        stop delivery, close the outbox and state file."""
        parts = self._parts
        parts.streams.stop()
        parts.cameras.slots.close()
        parts.workers.stop()
        parts.requester.close()
        parts.control.stop()
        parts.clips.close()  # clips in progress are written with what they have
        parts.snapshots.close()
        for worker in parts.delivery.values():
            worker.request_stop()  # all at once: one peer's timeout must not delay the others
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for worker in parts.delivery.values():
            worker.join(max(0.0, deadline - time.monotonic()))
        parts.outbox.close()
        parts.sensors.flush()
        parts.state.close()
        LOG.info("pipeline stopped")
