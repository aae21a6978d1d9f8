"""Errors raised by the EdgeX wire layer and its clients.

EdgeXError
├── DecodeError                 bytes off the bus / a peer could not be decoded (the ONLY error
│   │                           the decoders raise, whatever the input)
│   ├── EnvelopeDecodeError     the MessageEnvelope itself (JSON or CBOR) is malformed
│   ├── PayloadDecodeError      the payload (event, DTO) inside a valid envelope is malformed
│   └── TopicError              a topic that does not follow the EdgeX scheme / bad escapes
├── ReadingValueError           a typed accessor met a value of the wrong shape (also ValueError)
├── InvalidTopicPattern         a subscription pattern with a misplaced '#' or '+' (also ValueError)
├── BusError                    raised by service/edgex/bus implementations
│   ├── BusUnavailable          not connected / publish failed
│   └── RequestTimeout          no reply on the response topic in time
└── PeerError                   a REST or bus peer (core-command, support-notifications)
    ├── PeerUnavailable         connection refused, timeout, 502/503/504: worth retrying
    └── PeerRejected            the peer answered with an error: retrying will not help
"""

from __future__ import annotations


class EdgeXError(Exception):
    """Base of every error of service.edgex."""


class DecodeError(EdgeXError):
    """Input could not be decoded; the message should be counted and dropped."""


class EnvelopeDecodeError(DecodeError):
    """The MessageEnvelope (JSON or CBOR) is malformed."""


class PayloadDecodeError(DecodeError):
    """The payload carried by an envelope is not the expected DTO."""


class TopicError(DecodeError):
    """A topic does not follow the EdgeX scheme or holds a malformed %-escape."""


class ReadingValueError(EdgeXError, ValueError):
    """A reading's value does not parse as the requested type (or the reading is null)."""


class InvalidTopicPattern(EdgeXError, ValueError):
    """A subscription pattern uses '#' or '+' in a way MQTT forbids."""


class BusError(EdgeXError):
    """Base of message-bus errors."""


class BusUnavailable(BusError):
    """The bus is not connected, or a publish failed."""


class RequestTimeout(BusError):
    """No reply arrived on the response topic before the timeout."""


class PeerError(EdgeXError):
    """Base of errors talking to another EdgeX service."""


class PeerUnavailable(PeerError):
    """The peer could not be reached or answered 502/503/504 (retryable)."""

    def __init__(self, peer: str, detail: str, status: int | None = None) -> None:
        super().__init__(f"{peer} unavailable: {detail}")
        self.peer = peer
        self.detail = detail
        self.status = status


class PeerRejected(PeerError):
    """The peer answered with an error status; `message` is the BaseResponse message."""

    def __init__(self, peer: str, status: int, message: str) -> None:
        super().__init__(f"{peer} rejected the request ({status}): {message}")
        self.peer = peer
        self.status = status
        self.message = message
