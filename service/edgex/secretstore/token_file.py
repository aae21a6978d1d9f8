"""Read the service's secret-store token file (`secrets-token.json`) and take the token from it.

security-secretstore-setup writes the userpass login response there: `{"auth": {"client_token":
"s.…", "entity_id": "…", …}, …}`, compact JSON, mode 0600. Like go-mod-secrets' authtokenloader,
the token is `auth.client_token`, else a top-level `root_token`; anything else is an error that
names the file. The token never appears in a message or a repr.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from service.edgex.secretstore.errors import TokenFileError

_MISSING = "missing (is the service in EDGEX_ADD_SECRETSTORE_TOKENS, and its folder mounted?)"


@dataclass(frozen=True, slots=True)
class TokenFile:
    """What the file holds: the token (hidden from repr) and the identity it belongs to."""

    path: Path
    token: str = field(repr=False)
    entity_id: str = ""


def read_token_file(path: Path) -> TokenFile:
    """The token in `path`; raises TokenFileError (missing, unreadable, not JSON, no token)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise TokenFileError(path, _MISSING) from exc
    except OSError as exc:
        raise TokenFileError(path, f"unreadable ({exc.strerror or type(exc).__name__})") from exc
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise TokenFileError(path, "not JSON") from exc
    if not isinstance(parsed, dict):
        raise TokenFileError(path, "not a JSON object")
    auth = parsed.get("auth")
    auth = auth if isinstance(auth, dict) else {}
    token = auth.get("client_token") or parsed.get("root_token")
    if not isinstance(token, str) or not token:
        raise TokenFileError(path, "holds no token (auth.client_token is empty)")
    entity_id = auth.get("entity_id")
    return TokenFile(path, token, entity_id if isinstance(entity_id, str) else "")
