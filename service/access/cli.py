"""`app-vision users add NAME`: add a local account or set its password (its sessions end).

The password is asked twice on the terminal, or read from the first line of stdin with
`--password-stdin` (for scripts); it is never an argument, so it stays out of shell history.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from service.access.control import AccessControl, check_user_name
from service.access.errors import AccountError
from service.access.settings import AccessSettings
from service.access.store import AccessStore


def read_password(from_stdin: bool, stdin: TextIO, ask: Callable[[str], str] = getpass.getpass) -> str:
    """The new password: stdin's first line, or asked twice (AccountError when they differ)."""
    if from_stdin:
        return stdin.readline().rstrip("\r\n")
    first = ask("New password: ")
    if ask("Repeat it: ") != first:
        raise AccountError("the two passwords differ")
    return first


def add_user(settings: AccessSettings, state_dir: Path, user: str, password: str) -> str:
    """Set `user`'s password in the access file; the line to print."""
    check_user_name(user)
    access = AccessControl(settings, AccessStore(state_dir / settings.File))
    try:
        created = access.set_password(user, password)
    finally:
        access.close()
    where = state_dir / settings.File
    return f"user {user} {'added' if created else 'has a new password (its sessions ended)'} in {where}"


def cmd_users_add(settings: AccessSettings, state_dir: Path, user: str, from_stdin: bool) -> int:
    """Exit code 0, or 2 with the reason on stderr."""
    try:
        check_user_name(user)
        print(add_user(settings, state_dir, user, read_password(from_stdin, sys.stdin)))
    except AccountError as exc:
        print(f"app-vision: users add: {exc}", file=sys.stderr)
        return 2
    return 0
