"""Secret redaction for everything that shows configuration (config check, GET /api/v3/config)."""

from __future__ import annotations

from collections.abc import Mapping

from service.streams.uri import redact as redact_uri

REDACTED = "<redacted>"
_SECRET_WORDS = ("password", "token", "secretdata", "privatekey", "clientkey")


def redact(node: Mapping[str, object]) -> dict[str, object]:
    """A copy of a configuration dump with secret values replaced by REDACTED.

    Secret: every value under a `SecretData` map (Writable.InsecureSecrets.*.SecretData), every
    non-empty value whose key names a password, token or private key, and the userinfo of any URI
    in a string (a camera's `rtsp://user:pw@host/...` Stream.Uri becomes `rtsp://***@host/...`).
    """
    result: dict[str, object] = {}
    for key, value in node.items():
        if _is_secret_key(str(key)):
            result[key] = _blank(value)
        else:
            result[key] = _redact_value(value)
    return result


def _redact_value(value: object) -> object:
    if isinstance(value, Mapping):
        return redact(value)
    if isinstance(value, str):
        return redact_uri(value)
    if isinstance(value, list):
        return [_redact_value(item) for item in value]
    return value


def _is_secret_key(key: str) -> bool:
    lowered = key.lower().replace("_", "").replace("-", "")
    return any(word in lowered for word in _SECRET_WORDS)


def _blank(value: object) -> object:
    if isinstance(value, Mapping):
        return {key: _blank(item) for key, item in value.items()}
    return REDACTED if value not in (None, "") else value
