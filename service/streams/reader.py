"""StreamReader: one thread per camera stream: connect, read, reconnect with backoff, report health.

    reader = StreamReader("door", settings, uri_provider, on_frame, packet_sink=clips, on_health=cb)
    reader.start()
    reader.health            # HealthSnapshot, from any thread
    reader.stop(timeout_s=2) # returns promptly even while FFmpeg is blocked (see interrupt.py)

`uri_provider` is called at every (re)connect and returns the URI with its credentials; what it
raises becomes the camera's last error. Nothing raised by the source, FFmpeg, the provider, the
sink or `on_frame` escapes the thread: each is an error on this camera (counted, last error,
backoff), and the reader goes on until stopped.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
from collections.abc import Callable

from av.codec.hwaccel import HWAccel

from service.streams.backoff import Backoff
from service.streams.decoded_frame import DecodedFrame
from service.streams.errors import StreamError
from service.streams.health import CameraHealth, HealthSnapshot, HealthState, OnHealthChange
from service.streams.hwaccel import choose_hwaccel
from service.streams.interrupt import bind_current_thread
from service.streams.opening import OpenedStream, open_stream
from service.streams.packet_sink import PacketSink
from service.streams.session import SessionContext, StreamSession
from service.streams.settings import StreamSettings
from service.streams.uri import redact

logger = logging.getLogger(__name__)


class StreamReader:
    """Reads one camera's stream on its own thread and hands frames on at DetectFps."""

    def __init__(
        self,
        camera: str,
        settings: StreamSettings,
        uri_provider: Callable[[], str],
        on_frame: Callable[[DecodedFrame], None],
        packet_sink: PacketSink | None = None,
        on_health: OnHealthChange | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._camera = camera
        self._settings = settings
        self._uri_provider = uri_provider
        self._clock = clock
        self._health = CameraHealth(camera, on_health, wall_clock)
        # Staying up as long as the longest wait is "stable": the doubling starts over.
        self._backoff = Backoff(
            settings.BackoffInitialS, settings.BackoffMaxS, settings.BackoffMaxS, clock, jitter
        )
        self._stopping = threading.Event()
        self._lost_at: float | None = None  # start of the current outage (None while online)
        self._hw_decided = settings.HwAccel == "none"
        self._hwaccel: HWAccel | None = None
        sequence = itertools.count()
        self._context = SessionContext(
            camera=camera,
            settings=settings,
            health=self._health,
            on_frame=on_frame,
            on_first_frame=self._online,
            sink=packet_sink,
            stopping=self._stopping,
            clock=clock,
            wall_clock=wall_clock,
            next_sequence=lambda: next(sequence),
        )
        self._thread = threading.Thread(target=self._run, name=f"stream-{camera}", daemon=True)

    @property
    def camera(self) -> str:
        return self._camera

    @property
    def health(self) -> HealthSnapshot:
        """State and counters now."""
        return self._health.snapshot()

    @property
    def running(self) -> bool:
        """Whether the reader thread is alive."""
        return self._thread.is_alive()

    def start(self) -> None:
        """Start the reader thread (once)."""
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> bool:
        """Stop reading; True when the thread has ended within timeout_s."""
        self._stopping.set()
        if self._thread.ident is not None:
            self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _run(self) -> None:
        bind_current_thread(self._stopping)
        self._lost_at = self._clock()
        for attempt in itertools.count():
            if self._stopping.is_set():
                return
            if attempt:
                self._health.count_reconnect()
                self._health.transition(HealthState.CONNECTING, "reconnecting")
            try:
                self._read_once()
            except Exception as exc:  # the edge: whatever failed is an error on this camera
                if not self._stopping.is_set():
                    self._failed(exc)
                continue
            if not self._stopping.is_set():  # a file ended and Loop is off
                self._health.transition(HealthState.STALLED, "end of file (Loop is off)")
            return

    def _read_once(self) -> None:
        uri = self._uri_provider()
        opened = self._decide_hw(open_stream(uri, self._settings, self._hwaccel), uri)
        session = StreamSession(self._context, opened)
        try:
            session.run()
        finally:
            session.close()

    def _online(self) -> None:
        self._health.transition(HealthState.ONLINE, "frames arriving")
        self._backoff.online()
        self._lost_at = None

    def _failed(self, exc: Exception) -> None:
        message = redact(str(exc) if isinstance(exc, StreamError) else f"{type(exc).__name__}: {exc}")
        now = self._clock()
        if self._health.transition(HealthState.STALLED, message) or self._lost_at is None:
            self._lost_at = now
        self._health.record_error(message)
        delay_s = self._backoff.next_delay_s()
        logger.warning("camera %s: %s; reconnecting in %.1f s", self._camera, message, delay_s)
        self._wait(now + delay_s, message)

    def _wait(self, until: float, message: str) -> None:
        """Sleep until `until` (or stop), going offline on the way if the outage lasts too long."""
        offline_at = (self._lost_at or self._clock()) + self._settings.OfflineAfterS
        while not self._stopping.is_set():
            now = self._clock()
            if now >= offline_at and self._health.state is not HealthState.OFFLINE:
                reason = f"reconnecting failed for {self._settings.OfflineAfterS:g} s: {message}"
                self._health.transition(HealthState.OFFLINE, reason)
            if now >= until:
                return
            next_check = until if now >= offline_at else min(until, offline_at)
            self._stopping.wait(max(0.0, next_check - now))

    def _decide_hw(self, opened: OpenedStream, uri: str) -> OpenedStream:
        """On the first open: hardware decode if the machine can, else one log line saying why."""
        if self._hw_decided:
            return opened
        self._hw_decided = True
        mode, codec = self._settings.HwAccel, opened.stream.codec_context.name
        choice = choose_hwaccel(mode, codec)
        if choice.hwaccel is None:
            level = logging.INFO if mode == "auto" else logging.WARNING
            logger.log(
                level,
                "camera %s: hardware decode (%s) unavailable for %s, decoding in software: %s",
                self._camera,
                mode,
                codec,
                choice.software_reason,
            )
            return opened
        opened.close()
        self._hwaccel = choice.hwaccel
        self._health.set_hw_decode(choice.device)
        logger.info("camera %s: decoding %s on %s", self._camera, codec, choice.device)
        return open_stream(uri, self._settings, self._hwaccel)
