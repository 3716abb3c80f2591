"""Headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium, for
tests that need a real browser: its origins, cookie scopes, CORS and websockets.

Hosts under ``.localhost`` resolve to loopback in Chromium itself (no DNS, no /etc/hosts), so
``http://hub.localhost:PORT`` and ``http://alice.users.localhost:PORT`` reach the proxy on
127.0.0.1 as distinct origins of one site, as ``hub.example.org`` and
``alice.users.example.org`` are."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

__all__ = ["CHROMEDRIVER", "CHROMIUM", "Chromium", "chromium"]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

# As root (CI) Chromium needs --no-sandbox; the rest keep it from calling home or updating
# itself, which would add requests and timing noise to the tests.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)


class Chromium:
    """One browser: a fresh profile, so no cookie outlives the test that made it."""

    def __init__(self, driver: webdriver.Chrome, screenshots: Path) -> None:
        self.driver = driver
        self.screenshots = screenshots

    def send_headers(self, headers: Mapping[str, str]) -> None:
        """Add ``headers`` to every request the browser makes from now on: the identity an
        auth proxy in front of the hub adds (the hub logs users in from it)."""
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": dict(headers)})

    def open(self, url: str) -> str:
        """Navigate to ``url`` (following redirects); returns the URL the browser shows."""
        self.driver.get(url)
        return str(self.driver.current_url)

    def submit(self, form_selector: str) -> str:
        """Submit the form (as a click on its submit button) and wait for the next page;
        returns the URL the browser shows then."""
        before = self.driver.current_url
        button = self.driver.find_element(
            By.CSS_SELECTOR, f"{form_selector} [type=submit], {form_selector} button"
        )
        button.click()
        WebDriverWait(self.driver, 60).until(lambda driver: driver.current_url != before)
        self.wait_for("document.readyState === 'complete'")
        return str(self.driver.current_url)

    def element(self, selector: str, timeout: float = 60) -> WebElement:
        """The first element ``selector`` (CSS) matches, once it is shown."""
        return WebDriverWait(self.driver, timeout, poll_frequency=0.2).until(
            expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, selector))
        )

    def type_keys(self, *keys: str) -> None:
        """Type into the element that has the focus, as a user at the keyboard."""
        ActionChains(self.driver).send_keys(*keys).perform()

    def chord(self, modifier: str, key: str) -> None:
        """Press ``key`` while holding ``modifier`` (``Keys.SHIFT``, ...)."""
        ActionChains(self.driver).key_down(modifier).send_keys(key).key_up(modifier).perform()

    def all_cookies(self) -> list[dict[str, Any]]:
        """Every cookie the browser holds, of every host (DevTools' Network.getAllCookies)."""
        found = self.driver.execute_cdp_cmd("Network.getAllCookies", {})
        return list(found["cookies"])

    def wait_for(self, script: str, timeout: float = 60) -> Any:
        """Wait until the page's JavaScript expression ``script`` is truthy; returns it."""
        return WebDriverWait(self.driver, timeout, poll_frequency=0.2).until(
            lambda driver: driver.execute_script(f"return {script};")
        )

    def page_json(self, element_id: str, timeout: float = 60) -> Any:
        """The JSON a page writes into the element ``element_id`` when it is done."""
        text = self.wait_for(
            f"document.getElementById({json.dumps(element_id)})?.dataset.done && "
            f"document.getElementById({json.dumps(element_id)}).textContent",
            timeout,
        )
        return json.loads(text)

    def cookies(self) -> list[dict[str, Any]]:
        """The cookies of the current page's URL (what the browser would send to it)."""
        return list(self.driver.get_cookies())

    def console(self) -> list[dict[str, Any]]:
        """The page's console messages since the last call (errors of blocked requests too)."""
        return list(self.driver.get_log("browser"))  # type: ignore[no-untyped-call]

    def screenshot(self, name: str) -> Path:
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


@contextmanager
def chromium(workdir: Path) -> Iterator[Chromium]:
    """A headless Chromium with a fresh profile under ``workdir``; quit on exit."""
    for program in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(program) is None:
            raise RuntimeError(f"{program} is missing: run `make test` (Debian chromium)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    profile = workdir / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    options.add_argument(f"--user-data-dir={profile}")
    # Browser console messages, for a failing test's report.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(CHROMEDRIVER, log_output=str(workdir / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    try:
        yield Chromium(driver, workdir / "screenshots")
    finally:
        driver.quit()
