"""Signing in and out in a real browser against the real server with sign-in on."""

from __future__ import annotations

import time
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException
from sqlalchemy import Engine, text

from dashboard.services import accounts
from tests.browser.conftest import console_errors
from tests.server_process import STRONG_KEY, running_server

PASSWORD = "a long enough password"


def wait_for(driver, css: str, predicate, seconds: float = 20) -> str:
    """Poll until the element's text matches; a page that is still navigating
    after a form post replaces its elements, so a stale element is polled again."""
    deadline = time.monotonic() + seconds
    last = ""
    while time.monotonic() < deadline:
        try:
            elements = driver.find_elements("css selector", css)
            last = elements[0].text if elements else ""
        except StaleElementReferenceException:
            elements, last = [], ""
        if elements and predicate(last):
            return last
        time.sleep(0.2)
    raise AssertionError(f"{css} never matched; last text {last!r}")


def test_sign_in_keeps_the_link_and_roles_shape_the_page(
    dash_duo, loaded_engine: Engine, tmp_path: Path
) -> None:
    accounts.add_user(loaded_engine, "maria", PASSWORD, "viewer")
    with loaded_engine.connect() as connection:
        female = connection.execute(
            text("SELECT count(*) FROM customer_results WHERE gender = 'Female'")
        ).scalar_one()
    url = loaded_engine.url.render_as_string(hide_password=False)
    env = {"AUTH_REQUIRED": "1", "SECRET_KEY": STRONG_KEY}
    driver = dash_duo.driver
    with running_server(url, tmp_path, workers=1, env=env) as (base_url, _process):
        driver.get(f"{base_url}/segments?gender=Female")
        assert "/login?next=/segments" in driver.current_url
        driver.find_element("id", "username").send_keys("maria")
        driver.find_element("id", "password").send_keys("wrong password")
        driver.find_element("id", "sign-in").click()
        wait_for(driver, "body", lambda t: "Wrong user name or password" in t)

        driver.find_element("id", "username").send_keys("maria")
        driver.find_element("id", "password").send_keys(PASSWORD)
        driver.find_element("id", "sign-in").click()
        wait_for(driver, "#filter-count", lambda t: t.startswith(f"{female:,} of "))
        assert driver.current_url == f"{base_url}/segments?gender=Female"
        assert "maria · viewer" in driver.find_element("tag name", "nav").text

        # A viewer sees no upload form and no Audit log.
        driver.get(f"{base_url}/data")
        wait_for(driver, "body", lambda t: "Loading files needs the analyst role." in t)
        assert driver.find_elements("css selector", "#data-upload") == []
        assert "Audit log" not in driver.find_element("tag name", "nav").text

        driver.find_element("css selector", "form[action='/logout'] button").click()
        wait_for(driver, "body", lambda t: "Sign in with your account." in t)
        driver.get(f"{base_url}/")
        assert "/login" in driver.current_url
    assert console_errors(dash_duo) == []
