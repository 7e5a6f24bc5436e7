"""Debian's headless chromium, as the screenshots (elm/screenshots.py) and the tests that open pages in a real
browser run it: the flags it needs as root with no network, and a Selenium driver (Selenium is a dev dependency)."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
INSTALL = "apt-get install --no-install-recommends chromium chromium-driver"


def chromium_flags(profile: Path) -> list[str]:
    """Headless chromium as root, offline and quiet, with ``profile`` as its fresh user-data-dir."""
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}"]


# No network at all, even on a machine that has one: no host name resolves, and a request for an address goes
# to a proxy on a closed local port (chromium still opens file:// pages and, by default, loopback addresses).
NO_NETWORK = ("--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9")


def fresh_profile(parent: Path) -> Path:
    """A new empty folder in ``parent`` for one chromium run's profile."""
    return Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=parent))


def webdriver(parent: Path, window: tuple[int, int] = (412, 915), flags: tuple[str, ...] = ()):
    """A Selenium driver of headless chromium (a phone-sized window by default), its profile in ``parent``,
    with ``flags`` added (e.g. NO_NETWORK); quit() it when done."""
    from selenium import webdriver as selenium_webdriver
    from selenium.webdriver.chrome.service import Service

    options = selenium_webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*chromium_flags(fresh_profile(parent)), *flags]:
        options.add_argument(flag)
    options.add_argument(f"--window-size={window[0]},{window[1]}")
    return selenium_webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
