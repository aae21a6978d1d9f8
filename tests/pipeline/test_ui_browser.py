"""The UI at `/` in headless Chromium: the embedded default (memory bus, simulated camera, PIR and
light, sample rules, real models) shows the camera's annotated snapshot and the person alert."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from service.api.vision_routes import vision_router
from service.edgex.bus import MemoryBus
from service.edgex.wire_format import WireFormat
from service.metrics import Metrics
from service.pipeline.assembly import Pipeline, PipelineDeps
from service.pipeline.settings import PipelineSettings
from service.simulator import embedded_default
from service.vision.engine import Engine
from tests.unit.pipeline.support import StubCommands, StubNotifications, wait_for

pytestmark = pytest.mark.browser
INSTALL = "apt-get install -y chromium chromium-driver"
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1000",
)


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name) or next(
            (p for p in (f"/usr/bin/{name}", f"/usr/lib/chromium/{name}") if Path(p).is_file()), None
        )
        if found:
            return found
    pytest.skip(f"{' or '.join(names)} is not installed; {INSTALL}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def demo_url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    """The embedded default's pipeline and routes, served by uvicorn on a free port."""
    pytest.importorskip("skimage", reason="the simulated camera needs scikit-image: pip install -e '.[demo]'")
    wire = WireFormat()
    bus = MemoryBus(wire)
    bus.connect()
    configured = PipelineSettings.model_validate({"Simulator": {"Enabled": True, "Fps": 4}})
    settings, simulator = embedded_default(configured, bus, wire, "edgex")
    assert simulator is not None
    pipeline = Pipeline(
        PipelineDeps(
            settings, engine, bus, StubCommands(), StubNotifications(), Metrics(), wire, "edgex", tmp_path
        )
    )
    ingress = pipeline.ingress
    bus.subscribe(["edgex/events/#"], ingress.on_envelope, ingress.on_error)
    app = FastAPI()
    app.include_router(vision_router(pipeline.view))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    pipeline.start()
    simulator.start()
    thread.start()
    assert wait_for(lambda: server.started, 10)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)
    simulator.stop()
    pipeline.stop()
    bus.close()


def test_the_page_shows_the_snapshot_and_the_person_alert(demo_url: str) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = _binary("chromium", "chromium-browser")
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(_binary("chromedriver")))
    try:
        started = time.monotonic()
        driver.get(demo_url + "/")
        assert driver.title == "app-vision"

        def person_alert() -> bool:
            rows = driver.find_elements(By.CSS_SELECTOR, "#alerts tr.alert")
            return any(r.find_element(By.CSS_SELECTOR, "td.rule").text == "demo-person" for r in rows)

        assert wait_for(person_alert, 10, 0.2), driver.page_source[-2000:]
        assert time.monotonic() - started < 10
        row = next(
            r
            for r in driver.find_elements(By.CSS_SELECTOR, "#alerts tr.alert")
            if r.find_element(By.CSS_SELECTOR, "td.rule").text == "demo-person"
        )
        assert "person seen by sim-camera" in row.find_element(By.CSS_SELECTOR, "td.summary").text

        def snapshot_loaded() -> bool:
            return bool(
                driver.execute_script(
                    "const img = document.querySelector('[data-camera=\"sim-camera\"] img.snapshot');"
                    "return img !== null && img.complete && img.naturalWidth >= 320;"
                )
            )

        assert wait_for(snapshot_loaded, 10, 0.2)
        assert (
            driver.execute_script(
                "return document.querySelector('[data-camera=\"sim-camera\"] img.snapshot').naturalWidth"
            )
            == 640
        )
    finally:
        driver.quit()
