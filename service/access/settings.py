"""AppCustom.Access: the local account, page sessions, API tokens and login rate limit (non-secure mode)."""

from __future__ import annotations

from pydantic import Field

from service.strict import StrictModel


class AccessSettings(StrictModel):
    """Access control of the page and the REST API when EdgeX runs non-secure."""

    Enabled: bool = Field(
        default=True,
        description="Off (false) only on purpose: then anyone who reaches the port sees the cameras.",
    )
    File: str = Field(
        default="access.sqlite",
        min_length=1,
        description="SQLite file of accounts, sessions and API tokens, relative to the state directory.",
    )
    FirstUser: str = Field(
        default="admin",
        pattern=r"^[A-Za-z0-9._@-]{1,64}$",
        description="Account made on first start (its password is printed once) when there is none.",
    )
    SessionTtlS: float = Field(
        default=12 * 3600, ge=60, le=30 * 86400, description="A page login lasts this long."
    )
    SecureCookie: bool = Field(
        default=False, description="Mark the session cookie Secure (when the page is served over HTTPS)."
    )
    LoginAttempts: int = Field(
        default=5, ge=1, le=1000, description="Failed logins allowed per client address within LoginWindowS."
    )
    LoginWindowS: float = Field(default=300, ge=1, le=86400, description="Window of the login rate limit.")
