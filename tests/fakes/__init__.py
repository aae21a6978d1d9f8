"""Spec-validating fake EdgeX peers (real HTTP servers on free loopback ports) for tests."""

from tests.fakes.core_command import TINY_JPEG, FakeCommand, FakeCoreCommand, FakeDevice
from tests.fakes.http_fake import FakeHttpPeer, RecordedRequest
from tests.fakes.support_notifications import FakeSupportNotifications

__all__ = [
    "TINY_JPEG",
    "FakeCommand",
    "FakeCoreCommand",
    "FakeDevice",
    "FakeHttpPeer",
    "FakeSupportNotifications",
    "RecordedRequest",
]
