"""GET/HEAD /api/v3/alerts/{id}/clip.mp4: 200, 206 ranges, 416, 404 BaseResponse."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.api.clip_routes import clip_router
from service.streams.clip_store import ClipSettings, ClipStore

URL = "/api/v3/alerts/{}/clip.mp4"


@pytest.fixture
def served(tmp_path: Path) -> tuple[TestClient, bytes]:
    store = ClipStore(ClipSettings(), tmp_path)
    body = os.urandom(10_000)
    store.target("a1").write_bytes(body)
    app = FastAPI()
    app.include_router(clip_router(store.path))
    return TestClient(app), body


def test_whole_clip(served: tuple[TestClient, bytes]) -> None:
    client, body = served
    response = client.get(URL.format("a1"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.content == body


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=5000-", 5000, 9999),
        ("bytes=-300", 9700, 9999),
        ("bytes=9990-20000", 9990, 9999),
    ],
)
def test_range_is_206_with_its_bytes(
    served: tuple[TestClient, bytes], header: str, start: int, end: int
) -> None:
    client, body = served
    response = client.get(URL.format("a1"), headers={"Range": header})
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(body)}"
    assert response.content == body[start : end + 1]
    assert int(response.headers["content-length"]) == end - start + 1


def test_unsatisfiable_range_is_416(served: tuple[TestClient, bytes]) -> None:
    client, body = served
    response = client.get(URL.format("a1"), headers={"Range": "bytes=20000-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(body)}"


def test_head_has_the_headers_and_no_body(served: tuple[TestClient, bytes]) -> None:
    client, body = served
    response = client.head(URL.format("a1"))
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(body) and response.content == b""


@pytest.mark.parametrize("alert_id", ["nope", "%2E%2E", ".a1", "a1%20", "a1.mp4"])
def test_unknown_clip_is_a_404_base_response(served: tuple[TestClient, bytes], alert_id: str) -> None:
    client, _ = served
    response = client.get(URL.format(alert_id))
    assert response.status_code == 404
    body = response.json()
    assert body["statusCode"] == 404 and body["apiVersion"] == "v3" and "no clip" in body["message"]


def test_an_escaping_path_is_not_served(served: tuple[TestClient, bytes], tmp_path: Path) -> None:
    client, _ = served
    (tmp_path / "secret.mp4").write_bytes(b"secret")
    response = client.get(URL.format("..%2Fsecret"))
    assert response.status_code == 404 and b"secret" not in response.content
