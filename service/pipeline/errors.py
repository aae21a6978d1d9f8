"""Errors raised by the pipeline.

PipelineError
 ├── PipelineConfigError    settings that cannot work with the loaded parts (unknown model, zone...)
 ├── FrameDecodeError       a camera frame is not a readable JPEG/PNG
 ├── OutboxError            the durable outbox cannot be opened or written
 ├── StateStoreError        the state store (alerts, sensor states) cannot be opened, read or written
 ├── StreamCredentialsError a stream camera's SecretName names no secret with a username
 └── ActionError            one delivery attempt of an action failed (the outbox retries it)
      └── PermanentActionError  the peer refused the action for good (dead-lettered, no retry)
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every error raised by service.pipeline."""


class PipelineConfigError(PipelineError):
    """Pipeline settings refer to something that does not exist (names it)."""


class FrameDecodeError(PipelineError):
    """A frame's bytes are not a readable image (names the camera)."""

    def __init__(self, camera: str, reason: str) -> None:
        self.camera = camera
        self.reason = reason
        super().__init__(f"cannot decode frame from {camera!r}: {reason}")


class OutboxError(PipelineError):
    """The SQLite outbox could not be opened or written."""


class StateStoreError(PipelineError):
    """The SQLite state store (alerts, sensor states) could not be opened, read or written."""


class StreamCredentialsError(PipelineError):
    """A stream camera's secret is missing or holds no username (names the secret, never its data)."""


class ActionError(PipelineError):
    """A delivery attempt failed; the outbox schedules a retry."""


class PermanentActionError(ActionError):
    """The peer rejected the action (e.g. HTTP 400/404); retrying cannot help."""
