"""Debian's headless chromium for the tests that open pages in a real browser: skip markers when it is absent,
and elm/browser.py's flags, profile folders and Selenium driver, shared with `make screenshots`."""
from __future__ import annotations

import pytest

from elm.browser import CHROMEDRIVER, CHROMIUM, INSTALL, NO_NETWORK, chromium_flags, fresh_profile, webdriver

__all__ = ["CHROMEDRIVER", "CHROMIUM", "NO_NETWORK", "chromium_flags", "fresh_profile", "needs_chromedriver",
           "needs_chromium", "webdriver"]

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's `chromium` is not installed (apt-get install --no-install-recommends chromium)")
needs_chromedriver = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None, reason=f"Debian's `chromium` and `chromium-driver` are not installed "
                                                     f"({INSTALL})")
