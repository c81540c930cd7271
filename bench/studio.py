"""The Studio's figures (issue 15): time to interactive of /studio/ and of a 50-action canvas
in Debian's Chromium, and the size of the built assets. ``python -m bench.studio`` after
``make web``; needs /usr/bin/chromium and Playwright for Python (the dev extras).

Times are wall clock from the navigation to the moment a person can act (the sign-in field
enabled; the workflow list drawn; every node of the canvas drawn), the median of ``--runs``
page loads in a fresh browser page, against ``automator api`` on its defaults.
"""

import argparse
import gzip
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, sync_playwright

from bench import chromium
from bench.harness import KEY, Options, automator, create_workflow

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"


def fifty_actions() -> dict[str, Any]:
    """50 actions: 10 conditions, each with two actions in then and two in else."""

    def branch(i: int) -> dict[str, Any]:
        return {
            "id": f"check_{i}",
            "type": "condition",
            "conditions": [{"field": "data.total", "operator": "greater_than", "value": i}],
            "then": [
                {"id": f"mail_{i}", "type": "send_email", "template": "t", "delay": 60},
                {"id": f"push_{i}", "type": "send_push"},
            ],
            "else": [
                {"id": f"log_{i}", "type": "log", "data": {"message": "no"}},
                {"id": f"wait_{i}", "type": "delay", "delay": 300},
            ],
        }

    return {
        "workflow_id": "fifty",
        "name": "Fifty actions",
        "trigger": {"type": "order_placed"},
        "actions": [branch(i) for i in range(10)],
    }


def timed(start: Callable[[], object], ready: Locator) -> float:
    """Ms from ``start()`` until ``ready`` is in the page."""
    began = time.perf_counter()
    start()
    ready.wait_for(state="attached")
    return (time.perf_counter() - began) * 1000


def sign_in(page: Page, url: str) -> float:
    """Loads the sign-in page; returns ms until its field can be typed in."""
    page.goto("about:blank")
    return timed(lambda: page.goto(f"{url}/studio/"), page.get_by_label("API key"))


def list_page(page: Page, url: str) -> float:
    return timed(lambda: page.goto(f"{url}/studio/"), page.locator("tr[data-workflow]").first)


def canvas(page: Page, url: str) -> float:
    return timed(
        lambda: page.goto(f"{url}/studio/workflows/fifty"), page.locator("[data-node='wait_9']")
    )


def add_node(page: Page) -> float:
    page.click("[data-node='check_5']")
    palette_log = page.get_by_role("button", name="Log", exact=True)
    return timed(palette_log.click, page.locator("[data-node='log_1']"))


def asset_sizes() -> list[str]:
    rows = []
    for path in sorted((DIST / "assets").iterdir()):
        raw = path.read_bytes()
        rows.append(
            f"| {path.name} | {len(raw) / 1024:,.0f} kB | {len(gzip.compress(raw)) / 1024:,.0f} kB |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="page loads per figure")
    runs = parser.parse_args().runs
    if not (DIST / "index.html").exists():
        raise SystemExit("web/dist is missing: run `make web` first")
    with tempfile.TemporaryDirectory() as directory, sync_playwright() as playwright:
        options = Options(Path(directory), "", 0, 0, 0, {}, None)
        with automator(options, "studio", ["api"]) as service:
            create_workflow(service, fifty_actions())
            browser = chromium.launch(playwright)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            figures: dict[str, list[float]] = {
                "sign-in page": [],
                "workflow list": [],
                "50-action canvas": [],
                "add a node to it": [],
            }
            sign_in(page, service.url)  # the first load fills the HTTP cache, as for a person
            page.get_by_label("API key").fill(KEY)
            page.get_by_role("button", name="Sign in").click()
            page.locator("tr[data-workflow]").first.wait_for()
            for _ in range(runs):
                figures["workflow list"].append(list_page(page, service.url))
                figures["50-action canvas"].append(canvas(page, service.url))
                figures["add a node to it"].append(add_node(page))
            page.get_by_role("button", name="Sign out").click()
            for _ in range(runs):
                figures["sign-in page"].append(sign_in(page, service.url))
            browser.close()
    print("| figure | median ms | min / max ms |\n|---|---|---|")
    for name, values in figures.items():
        print(
            f"| {name} | {statistics.median(values):,.0f} | {min(values):,.0f} / {max(values):,.0f} |"
        )
    print("\n| asset (web/dist/assets) | size | gzip |\n|---|---|---|")
    print("\n".join(asset_sizes()))


if __name__ == "__main__":
    main()
