"""Access control in non-secure mode: a local account, page sessions, API tokens (docs in README)."""

from service.access.control import TOKEN_PREFIX, AccessControl, NewToken, check_user_name
from service.access.errors import AccessError, AccountError, LoginRateLimited, LoginRefused, UnknownToken
from service.access.settings import AccessSettings
from service.access.store import AccessStore, TokenRecord

__all__ = [
    "TOKEN_PREFIX",
    "AccessControl",
    "AccessError",
    "AccessSettings",
    "AccessStore",
    "AccountError",
    "LoginRateLimited",
    "LoginRefused",
    "NewToken",
    "TokenRecord",
    "UnknownToken",
    "check_user_name",
]
