"""What analysts see: the Dagster UI in a real browser (Debian's chromium, installed here if
missing) opens the asset graph, launches a materialization, waits for success, saves a screenshot."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from dagster_project.settings import REPO_ROOT
from tests.conftest import SEEDS, query

SCREENSHOTS = REPO_ROOT / "tests" / "screenshots"


def ensure_chromium() -> tuple[str, str]:
    """Debian's chromium and chromedriver, installed with apt-get when the machine lacks them."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver", "fonts-noto-cjk"],
                       check=True, env=env, capture_output=True)
    return shutil.which("chromium"), shutil.which("chromedriver")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query_text: str, variables: dict | None = None) -> dict:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", headers={"Content-Type": "application/json"},
                                 data=json.dumps({"query": query_text, "variables": variables or {}}).encode())
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


@pytest.fixture
def webserver(tmp_path):
    input_dir = tmp_path / "input"
    shutil.copytree(SEEDS, input_dir)
    home = tmp_path / "dagster_home"
    home.mkdir()
    # The project's instance settings (its instance class and run launcher), except that runs
    # launch at once: no queue, so no daemon is needed for the test.
    settings = yaml.safe_load((REPO_ROOT / "instance" / "dagster.yaml").read_text())
    settings["run_coordinator"] = {"module": "dagster.core.run_coordinator", "class": "DefaultRunCoordinator"}
    (home / "dagster.yaml").write_text(yaml.safe_dump(settings))
    warehouse = tmp_path / "wh" / "livecommerce.duckdb"
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "LCW_INPUT_DIR": str(input_dir), "LCW_WAREHOUSE": str(warehouse)}
    env.pop("LCW_BUILD_WAREHOUSE", None)
    server = subprocess.Popen([str(Path(sys.executable).parent / "dagster-webserver"), "-m", "dagster_project.definitions",
                               "-h", "127.0.0.1", "-p", str(port)], cwd=REPO_ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if graphql(port, "{ version }").get("data"):
                break
        except OSError:
            time.sleep(1)
    else:
        server.kill()
        pytest.fail("dagster-webserver did not start")
    yield port, warehouse, home
    os.killpg(server.pid, 9)
    server.wait(timeout=30)


def test_materialize_all_from_the_asset_graph_in_chromium(webserver):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    port, warehouse, home = webserver
    chromium, chromedriver = ensure_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1600,1000"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(chromedriver), options=options)
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        browser.get(f"http://127.0.0.1:{port}/asset-groups")
        wait = WebDriverWait(browser, 120)
        wait.until(ec.presence_of_element_located((By.XPATH, "//*[normalize-space(text())='staging']")))
        time.sleep(2)
        for skip in browser.find_elements(By.XPATH, "//button[normalize-space(.)='Skip']"):  # first-visit dialog
            skip.click()
        button = wait.until(ec.element_to_be_clickable((By.XPATH, "//button[contains(., 'Materialize all')]")))
        browser.save_screenshot(str(SCREENSHOTS / "asset_graph.png"))
        button.click()

        deadline = time.monotonic() + 300
        status = None
        while time.monotonic() < deadline:
            runs = graphql(port, "{ runsOrError(limit: 1) { ... on Runs { results { runId status } } } }")
            results = runs["data"]["runsOrError"]["results"]
            status = results[0]["status"] if results else None
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                break
            time.sleep(2)
        browser.save_screenshot(str(SCREENSHOTS / "after_launch.png"))
        assert status == "SUCCESS", f"the run launched from the UI ended {status}"
        browser.get(f"http://127.0.0.1:{port}/runs/{results[0]['runId']}")
        wait.until(ec.presence_of_element_located((By.XPATH, "//*[contains(., 'Success')]")))
        time.sleep(2)
        browser.save_screenshot(str(SCREENSHOTS / "run_success.png"))
    finally:
        browser.quit()
    assert query(warehouse, "select count(*) from marts.articles") == [(8,)]
    import dagster as dg

    from dagster_project.run_worker import WORKER_PID_TAG

    with dg.DagsterInstance.from_config(str(home)) as instance:  # the UI's run went to the project's run worker
        assert WORKER_PID_TAG in instance.get_run_by_id(results[0]["runId"]).tags
    assert (SCREENSHOTS / "run_success.png").stat().st_size > 10_000
