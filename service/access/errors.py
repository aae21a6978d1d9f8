"""Access control errors; the REST layer turns each into a BaseResponse.

AccessError
 ├── LoginRefused       wrong user name or password (one message for both: names are not disclosed)
 ├── LoginRateLimited   too many failed logins from one client address (429, Retry-After)
 ├── UnknownToken       an API token id that is not the user's (404)
 └── AccountError       a user name or password that cannot be stored (CLI, first start)
"""

from __future__ import annotations


class AccessError(Exception):
    """Base of access control errors."""


class LoginRefused(AccessError):
    """Wrong user name or password."""


class LoginRateLimited(AccessError):
    """Too many failed logins from one address; `retry_after_s` until the next is allowed."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"too many failed logins from this address; retry in {retry_after_s:.0f} s")
        self.retry_after_s = retry_after_s


class UnknownToken(AccessError):
    """No such API token for this user."""


class AccountError(AccessError):
    """A user name or password that cannot be used, or an access file that cannot be opened."""
