"""Access control wired into the REST application (non-secure mode), and the exposure warning.

`install_access` opens the access file in the state directory, makes the first account on first
start (its password is written once to the console, never to the log), adds the login routes and
puts AccessMiddleware just inside the correlation middleware (so a 401 carries X-Correlation-ID and
counts in rest_errors_total). In EdgeX secure mode the JWT check (service/api/jwt_auth.py) guards
the routes instead and access control is not installed.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from starlette.middleware import Middleware

from service.access import AccessControl, AccessSettings, AccessStore
from service.api.access_middleware import AccessMiddleware
from service.api.access_routes import access_router
from service.api.middleware import CorrelationMiddleware
from service.metrics import Metrics

log = logging.getLogger(__name__)


def open_access(settings: AccessSettings, state_dir: Path) -> AccessControl:
    """The access control of `<state_dir>/<settings.File>` (created 0600 when missing)."""
    return AccessControl(settings, AccessStore(state_dir / settings.File))


def install_access(
    app: FastAPI,
    access: AccessControl,
    metrics: Metrics,
    console: Callable[[str], object] = sys.stderr.write,
) -> None:
    """Login routes and the middleware on `app`; the first account made if there is none."""
    password = access.ensure_first_user()
    if password is not None:
        user = access.settings.FirstUser
        console(
            f"\n  app-vision: first start, account '{user}' created with password: {password}\n"
            "  (shown only this once; change it with `app-vision users add "
            f"{user}`)\n\n"
        )
        log.info("access control: first start, account %s created (password printed on the console)", user)
    app.include_router(access_router(access, metrics))
    stack = app.user_middleware
    position = next((i + 1 for i, m in enumerate(stack) if m.cls is CorrelationMiddleware), 0)  # type: ignore[comparison-overlap]
    stack.insert(position, Middleware(AccessMiddleware, access=access, metrics=metrics))


def is_loopback(host: str) -> bool:
    """Whether binding `host` listens on loopback only ('' and 0.0.0.0 listen everywhere)."""
    if not host:
        return False
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def warn_if_exposed(bind_host: str, protected: bool) -> None:
    """One WARNING at start when the REST port is reachable from elsewhere and nothing guards it."""
    if not protected and not is_loopback(bind_host):
        log.warning(
            "REST binds to %s, reachable from other hosts, and access control is off "
            "(AppCustom.Access.Enabled: false): anyone who reaches the port sees the cameras",
            bind_host or "every address",
        )
