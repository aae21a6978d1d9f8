"""Frame requests of fusion rules: fetch a snapshot through core-command, or force the next frame.

A camera with a SnapshotCommand (e.g. ONVIF `Snapshot`, a Binary image/jpeg resource) is read with
a core-command GET on a small thread pool, so neither the control thread nor the bus thread waits
on the network; the image enters the camera's latest-frame slot (`put`) as a forced frame (past
the motion gate).
Any other camera has its next frame analysed whatever the motion gate says. This is an edge: a
failed GET is logged and the camera falls back to its next frame.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from service.edgex.commands import CommandClient
from service.edgex.dtos import new_add_event_request
from service.edgex.errors import EdgeXError
from service.pipeline.ingest.event_split import split_event
from service.pipeline.ingest.frame import Frame
from service.pipeline.settings import PipelineSettings

LOG = logging.getLogger(__name__)


class FrameRequester:
    """request(camera) is called on the control thread and returns at once."""

    def __init__(
        self,
        settings: PipelineSettings,
        commands: CommandClient,
        put: Callable[[Frame], None],
        force_next: Callable[[str], None],
    ) -> None:
        """force_next(camera): analyse the camera's next frame whatever the motion gate says."""
        self._settings = settings
        self._commands = commands
        self._put = put
        self._force_next = force_next
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pipeline-snapshot")
        self._closed = False

    def request(self, camera: str) -> None:
        """Ask for a frame of the camera now (after close(): only the next frame is forced)."""
        self._force_next(camera)
        device = self._settings.Devices.get(camera)
        if device is None or not device.SnapshotCommand or self._closed:
            return
        try:
            self._pool.submit(self._fetch, camera, device.SnapshotCommand)
        except RuntimeError:  # closed meanwhile: the control loop drains its queue after close()
            LOG.debug("fusion snapshot of %s not fetched: stopping", camera)

    def fetch(self, camera: str, command: str) -> int:
        """GET the snapshot command and queue its images as forced frames; how many were queued."""
        result = self._commands.get(camera, command)
        if not result.ok or result.event is None:
            raise EdgeXError(f"snapshot {camera}/{command}: {result.status} {result.message}")
        ingested = split_event(new_add_event_request(result.event), time.time_ns())
        for frame in ingested.frames:
            self._put(replace(frame, camera=camera, forced=True))
        return len(ingested.frames)

    def close(self) -> None:
        """Stop taking requests; GETs in progress finish on their own (their frames go to slots
        that are closed by then)."""
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _fetch(self, camera: str, command: str) -> None:
        try:
            count = self.fetch(camera, command)
        except Exception as exc:  # edge: the next camera frame is analysed anyway (forced above)
            LOG.warning("fusion snapshot of %s via core-command %s failed: %s", camera, command, exc)
            return
        LOG.debug("fusion snapshot of %s: %d frame(s) queued", camera, count)
