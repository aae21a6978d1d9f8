"""Access control in headless Chromium: the real app (create_app + install_access + the page's
routes over a fake view), served by uvicorn. A stranger lands on the login page; a wrong password
says so and stays there; the right one shows the page with the user; logout ends the session; an
API token made by the logged-in user lets a script (httpx) in, and nothing without it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from service.access import AccessSettings
from service.access_runtime import install_access, open_access
from service.api.edgex_routes import EdgeXApiDeps
from service.api.server import create_app
from service.api.vision_routes import vision_router
from service.config import InsecureSecretStore
from service.metrics import Metrics
from tests.pipeline.test_ui_browser import CHROME_FLAGS, _binary, _free_port
from tests.unit.api.harness import RecordingSink
from tests.unit.api.test_vision_routes import View
from tests.unit.pipeline.support import wait_for

pytestmark = pytest.mark.browser


@dataclass
class Site:
    url: str
    password: str


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    metrics = Metrics()
    deps = EdgeXApiDeps("app-vision", "1", "1", dict, InsecureSecretStore({}), RecordingSink())
    app = create_app(deps, metrics, 0, (vision_router(View()),))  # type: ignore[arg-type]
    access = open_access(AccessSettings(), tmp_path)
    printed: list[str] = []
    install_access(app, access, metrics, printed.append)
    password = printed[0].split("password: ")[1].split()[0]
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_for(lambda: server.started, 10)
    yield Site(f"http://127.0.0.1:{port}", password)
    server.should_exit = True
    thread.join(5)
    access.close()


@pytest.fixture
def driver() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _binary("chromium", "chromium-browser")
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    chrome = webdriver.Chrome(options=options, service=Service(_binary("chromedriver")))
    yield chrome
    chrome.quit()


def _log_in(driver: Any, site: Site, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(site.url + "/")
    assert wait_for(lambda: driver.current_url == site.url + "/login", 10, 0.1), driver.current_url
    driver.find_element(By.ID, "user").send_keys("admin")
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "submit").click()


def _text(driver: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.ID, element_id)
    return str(found[0].text) if found else ""


def test_a_wrong_password_stays_on_the_login_page_and_says_so(driver: Any, site: Site) -> None:
    _log_in(driver, site, "not-the-password")
    assert wait_for(lambda: "wrong user name or password" in _text(driver, "error"), 10, 0.1)
    assert driver.current_url == site.url + "/login"
    assert driver.get_cookie("app_vision_session") is None


def test_login_shows_the_page_and_logout_ends_the_session(driver: Any, site: Site) -> None:
    from selenium.webdriver.common.by import By

    _log_in(driver, site, site.password)
    assert wait_for(lambda: driver.current_url == site.url + "/", 10, 0.1), driver.current_url
    assert driver.title == "app-vision"
    assert wait_for(lambda: _text(driver, "user") == "admin", 10, 0.1)
    assert wait_for(lambda: bool(driver.find_elements(By.CSS_SELECTOR, '[data-camera="cam 1"]')), 10, 0.1)
    cookie = driver.get_cookie("app_vision_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    session = cookie["value"]
    driver.find_element(By.ID, "logout").click()
    assert wait_for(lambda: driver.current_url == site.url + "/login", 10, 0.1)
    driver.get(site.url + "/")
    assert wait_for(lambda: driver.current_url == site.url + "/login", 10, 0.1)  # logged out for good
    stale = httpx.get(site.url + "/api/v3/cameras", cookies={"app_vision_session": session})
    assert stale.status_code == 401


def test_an_api_token_made_on_the_page_serves_a_script(driver: Any, site: Site) -> None:
    _log_in(driver, site, site.password)
    assert wait_for(lambda: _text(driver, "user") == "admin", 10, 0.1)
    made = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('/api/v3/auth/tokens', {method: 'POST', headers: {'Content-Type': 'application/json'},"
        " body: JSON.stringify({name: 'nightly export'})}).then((r) => r.json()).then(done);"
    )
    token = made["token"]
    assert made["statusCode"] == 201 and token.startswith("avt_")
    with httpx.Client(base_url=site.url, timeout=5) as script:
        assert script.get("/api/v3/cameras").status_code == 401
        reply = script.get("/api/v3/cameras", headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 200 and reply.json()["cameras"][0]["name"] == "cam 1"
        snapshot = script.get(
            "/api/v3/cameras/cam%201/snapshot.jpg", headers={"Authorization": f"Bearer {token}"}
        )
        assert snapshot.content == b"\xff\xd8cam"
        revoked = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"fetch('/api/v3/auth/tokens/{made['id']}', {{method: 'DELETE'}}).then((r) => done(r.status));"
        )
        assert revoked == 200
        assert script.get("/api/v3/cameras", headers={"Authorization": f"Bearer {token}"}).status_code == 401
