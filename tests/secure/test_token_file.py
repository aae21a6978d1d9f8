"""Reading secrets-token.json: the captured file, the root_token fallback, and every way it fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.edgex.secretstore import TokenFileError, default_token_file, read_token_file
from tests.fakes.openbao import CAPTURES


def test_the_captured_file_gives_its_token_and_entity(tmp_path: Path) -> None:
    path = tmp_path / "secrets-token.json"
    path.write_bytes((CAPTURES / "token-file.secrets-token.json").read_bytes())
    loaded = read_token_file(path)
    assert loaded.token == "s.FAKEappVisionToken000001"
    assert loaded.entity_id == "0000fa4e-0000-0000-0000-000000000001"
    assert "FAKEappVisionToken" not in repr(loaded)


def test_a_root_token_file_is_accepted_as_go_mod_secrets_does(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"root_token": "s.rootrootrootrootrootroot"}))
    assert read_token_file(path).token == "s.rootrootrootrootrootroot"


def test_the_default_path_is_edgexs() -> None:
    assert default_token_file("app-vision") == Path("/tmp/edgex/secrets/app-vision/secrets-token.json")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "missing"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"auth": {"client_token": ""}}', "holds no token"),
        (b'{"auth": null, "data": null}', "holds no token"),
        (b'{"auth": {"client_token": 42}}', "holds no token"),
    ],
)
def test_a_bad_file_is_an_error_naming_it(tmp_path: Path, content: bytes | None, problem: str) -> None:
    path = tmp_path / "app-vision" / "secrets-token.json"
    if content is not None:
        path.parent.mkdir()
        path.write_bytes(content)
    with pytest.raises(TokenFileError) as caught:
        read_token_file(path)
    assert str(path) in str(caught.value) and problem in str(caught.value)
    assert caught.value.path == path


def test_a_folder_in_place_of_the_file_is_unreadable(tmp_path: Path) -> None:
    # (a 0000 file would do too, but the suite may run as root, which reads it anyway)
    with pytest.raises(TokenFileError, match=r"unreadable"):
        read_token_file(tmp_path)
