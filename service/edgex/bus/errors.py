"""Errors of the message-bus clients.

    service.edgex.errors.BusError
    ├── BusUnavailable        not connected / publish failed          (defined in service.edgex.errors)
    ├── RequestTimeout        no reply on the response topic in time  (defined in service.edgex.errors)
    └── UnsupportedBusType    MessageBus.Type / Optional.Format names no implementation (also ValueError)

Decode failures of incoming messages are `service.edgex.errors.DecodeError`; the buses hand them to
the subscriber's `on_error` callback and never raise them from their own threads.
"""

from __future__ import annotations

from service.edgex.errors import BusError, BusUnavailable, RequestTimeout

__all__ = ["BusError", "BusUnavailable", "RequestTimeout", "UnsupportedBusType"]


class UnsupportedBusType(BusError, ValueError):
    """The configured bus type (or NATS format) is not one this service implements."""

    def __init__(self, what: str, name: str, valid: tuple[str, ...]) -> None:
        super().__init__(f"unsupported {what} {name!r}; valid: {', '.join(valid)}")
        self.name = name
        self.valid = valid
