"""Debian's Chromium as the Studio's figures (bench/studio.py) and its browser tests
(tests/browser) launch it: the system's /usr/bin/chromium, since ``playwright install``
downloads a browser build and nothing may be downloaded here."""

from pathlib import Path

from playwright.sync_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")
# Headless, as root (no sandbox), and quiet: none of its own update, sync or background
# requests, so every request a page makes is the Studio's.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch(playwright: Playwright) -> Browser:
    """Chromium, headless; Playwright gives every launch a fresh, temporary user-data-dir."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
