"""Errors of a stream reader; each is an error on that camera (counted, last error, backoff).

StreamError                 base; messages are redacted (no credentials)
├── StreamOpenError         the URI could not be asked for or opened (refused, 404, 401, timeout, junk)
├── NoVideoStream           the source opened but holds no video stream
├── NoDecoder               its codec has no decoder in this FFmpeg
└── StreamLost              an open stream ended, failed or went silent
"""

from __future__ import annotations


class StreamError(Exception):
    """Base of stream errors."""


class StreamOpenError(StreamError):
    """The stream could not be opened."""


class NoVideoStream(StreamError):
    """No video stream in the source."""


class NoDecoder(StreamError):
    """The video codec cannot be decoded here."""


class StreamLost(StreamError):
    """An open stream ended, failed or stopped delivering."""
