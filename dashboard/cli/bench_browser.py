"""``python -m dashboard bench browser``: what a manager's browser waits for on the Overview.

Serves the database with ``serve`` (gunicorn, as in production) on 127.0.0.1 and opens the
Overview in Debian's headless Chromium: ``--loads`` times in a fresh browser profile (cold:
nothing cached, nothing compiled) and as many times again in one browser (warm: scripts
cached). Prints the bytes that crossed the wire on a cold load (compressed, as sent) and the
time until the KPI cards, the treemap and the distribution are drawn.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from dashboard.cli.bench_load import free_port, start_server, stop_server
from dashboard.cli.bench_ui import prepare_database
from dashboard.config import Settings

DRAWN_JS = """
const kpi = document.querySelector('#kpi-customers');
return !!(kpi && kpi.innerText.trim()
    && document.querySelector('#overview-treemap .main-svg')
    && document.querySelector('#overview-distribution .main-svg'));
"""
DRAWN_TIMEOUT_SECONDS = 60


def chromium(log_network: bool):
    """A headless Debian Chromium under Selenium; SystemExit in words when it is missing."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not browser or not driver:
        raise SystemExit("bench browser: needs apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(flag)
    if log_network:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def drawn_seconds(driver, url: str) -> float:
    """Seconds from asking for ``url`` until the Overview's numbers and charts are drawn."""
    from selenium.webdriver.support.ui import WebDriverWait

    started = time.perf_counter()
    driver.get(url)
    WebDriverWait(driver, DRAWN_TIMEOUT_SECONDS, poll_frequency=0.02).until(
        lambda d: d.execute_script(DRAWN_JS)
    )
    return time.perf_counter() - started


def wire_bytes(driver) -> tuple[int, int]:
    """(bytes received, responses) since the browser started, from its network log."""
    received: dict[str, int] = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.loadingFinished":
            received[message["params"]["requestId"]] = int(message["params"]["encodedDataLength"])
    return sum(received.values()), len(received)


def measure(base: str, loads: int) -> dict:
    """Cold loads (each in a new browser) and warm loads (one browser, cache kept)."""
    cold: list[float] = []
    sizes: list[tuple[int, int]] = []
    for _ in range(loads):
        driver = chromium(log_network=True)
        try:
            cold.append(drawn_seconds(driver, f"{base}/"))
            sizes.append(wire_bytes(driver))
        finally:
            driver.quit()
    warm: list[float] = []
    driver = chromium(log_network=False)
    try:
        drawn_seconds(driver, f"{base}/")
        for _ in range(loads):
            warm.append(drawn_seconds(driver, f"{base}/"))
    finally:
        driver.quit()
    return {
        "loads": loads,
        "cold_bytes": max(size for size, _ in sizes),
        "cold_responses": max(count for _, count in sizes),
        "cold_seconds": {"median": statistics.median(cold), "all": cold},
        "warm_seconds": {"median": statistics.median(warm), "all": warm},
    }


def bench_browser_command(
    settings: Settings,
    rows: int,
    seed: int,
    database_url: str | None,
    loads: int,
    as_json: bool,
    echo: Callable[[str], None] = print,
) -> int:
    """Prepare ``rows`` customers (unless 0), serve them, time the Overview, print."""
    quiet = (lambda _text: None) if as_json else echo
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        url = prepare_database(database_url, rows, seed, Path(tmp), quiet)
        port = free_port()
        server = start_server(replace(settings, database_url=url), 2, port, Path(tmp) / "cache")
        try:
            figures = measure(f"http://127.0.0.1:{port}", max(1, loads))
        finally:
            stop_server(server)
    if as_json:
        echo(json.dumps(figures, indent=2))
        return 0
    echo(
        f"first load: {figures['cold_bytes'] / 1e6:.2f} MB on the wire "
        f"in {figures['cold_responses']} responses"
    )
    for kind in ("cold", "warm"):
        seconds = figures[f"{kind}_seconds"]
        each = ", ".join(f"{value:.2f}" for value in seconds["all"])
        echo(f"Overview drawn {kind}: median {seconds['median']:.2f} s ({each})")
    return 0
