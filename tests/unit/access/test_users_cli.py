"""`app-vision users add NAME`: the real command line, password from stdin or asked twice."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from service.access import AccessControl, AccessSettings, AccessStore, AccountError
from service.access.cli import read_password

APP_VISION = Path(sys.executable).parent / "app-vision"


def _run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDGEX_", "APPCUSTOM_"))}
    env["APPCUSTOM_PIPELINE_STATEDIR"] = str(tmp_path / "state")
    return subprocess.run(
        [str(APP_VISION), "users", "add", *args], input=stdin, capture_output=True, text=True, env=env,
        cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip


def test_users_add_then_change_password(tmp_path: Path) -> None:
    added = _run(tmp_path, "alice", "--password-stdin", stdin="first password\n")
    assert added.returncode == 0, added.stderr
    assert "user alice added" in added.stdout
    path = tmp_path / "state" / "access.sqlite"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    changed = _run(tmp_path, "alice", "--password-stdin", stdin="second password\n")
    assert changed.returncode == 0 and "new password" in changed.stdout
    assert "second password" not in changed.stdout + changed.stderr
    access = AccessControl(AccessSettings(), AccessStore(path))
    assert access.login("alice", "second password", "127.0.0.1")
    assert access.ensure_first_user() is None  # an account exists: no generated one at start


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [("alice", "short\n", "at least 8 characters"), ("no spaces", "long enough\n", "user name")],
)
def test_users_add_refuses_bad_input_with_exit_2(
    tmp_path: Path, name: str, password: str, message: str
) -> None:
    result = _run(tmp_path, name, "--password-stdin", stdin=password)
    assert result.returncode == 2 and message in result.stderr


def test_the_password_is_asked_twice() -> None:
    answers = iter(["one password", "one password"])
    assert read_password(False, io.StringIO(), lambda _prompt: next(answers)) == "one password"
    answers = iter(["one password", "another"])
    with pytest.raises(AccountError, match="differ"):
        read_password(False, io.StringIO(), lambda _prompt: next(answers))
    assert read_password(True, io.StringIO("from stdin\r\nrest\n")) == "from stdin"
