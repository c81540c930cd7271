"""The Studio in a real browser: Debian's Chromium driven by Playwright, against the real
service started as ``make run`` starts it (``automator dev`` on a free port, its own data
directory and a known bootstrap key).

No ``playwright install``: the browser is the system's /usr/bin/chromium, and these tests fail
(never skip) without it, so a green run always means they ran.
"""

import os
import secrets
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect, sync_playwright
from pytest_httpserver import HTTPServer

from app.api.studio import SOURCE_BUILD
from bench import chromium
from tests.ports import on_a_free_port
from tests.stand_in_models import StandInOpenAI
from tests.test_dev import AUTOMATOR, wait_for_health
from tests.waiting import DEADLINE

# The service and the browser live as long as this package's tests, not the session: while
# Playwright's sync API is open it holds the main thread's event loop, and the async tests
# collected after these ones could not run theirs.
# Playwright waits this long for what the page should show (its actions and expect()'s
# assertions); generous for 2 busy cores.
TIMEOUT_MS = 20_000
# The service's AUTOMATOR_OPERATOR_TOKEN: a test makes a tenant of its own with it.
OPERATOR_TOKEN = "browser-operator-" + "0" * 32


@dataclass(frozen=True)
class Service:
    """The running ``automator dev``: its address and the admin key it was started with."""

    base: str
    key: str

    def api(self, method: str, path: str, json: Any = None) -> httpx.Response:
        """Call the API with the admin key, as a script would."""
        headers = {"Authorization": f"Bearer {self.key}"}
        return httpx.request(method, self.base + path, headers=headers, json=json, timeout=10)

    def publish(self, document: dict[str, Any]) -> None:
        """Save ``document`` as its workflow's active version, creating the workflow the first
        time (the service lives as long as the package's tests)."""
        saved = self.api("PUT", f"/api/workflows/{document['workflow_id']}", json=document)
        if saved.status_code == 404:
            saved = self.api("POST", "/api/workflows", json=document)
        assert saved.status_code in (200, 201), saved.text

    def new_key(self, role: str, name: str) -> str:
        """A new API key with ``role``, to sign in with."""
        created = self.api("POST", "/api/keys", json={"role": role, "name": name})
        assert created.status_code == 201, created.text
        return str(created.json()["key"])

    def settled_run(self, event: dict[str, Any], status: str) -> str:
        """Send ``event`` and wait for the run it starts to become ``status``."""
        sent = self.api("POST", "/api/events", json=event)
        assert sent.status_code == 202, sent.text
        run_id: str = sent.json()["run_ids"][0]
        self.settled(run_id, status)
        return run_id

    def settled(self, run_id: str, status: str) -> None:
        """Wait for the run to become ``status`` (the suite's deadline for a state: a loaded
        machine stretches a walk of the service's worker to seconds)."""
        deadline = time.monotonic() + DEADLINE
        while self.api("GET", f"/api/runs/{run_id}").json()["status"] != status:
            assert time.monotonic() < deadline, f"run {run_id} never became {status}"
            time.sleep(0.2)


@dataclass
class Traffic:
    """Every request the page made."""

    urls: list[str] = field(default_factory=list)

    def record(self, request: Request) -> None:
        self.urls.append(request.url)

    def foreign(self) -> list[str]:
        """Requests that left 127.0.0.1 (``data:`` and ``blob:`` URLs stay in the page)."""
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(url).hostname != "127.0.0.1"
        ]


@pytest.fixture(scope="package")
def model() -> Iterator[StandInOpenAI]:
    """A stand-in model server (tests/stand_in_models.py) the service's copilot asks; a test
    sets the replies it gives."""
    server = HTTPServer(host="127.0.0.1", port=0)
    stand_in = StandInOpenAI(server, ["no reply scripted"])
    server.start()
    try:
        yield stand_in
    finally:
        server.stop()


@pytest.fixture(scope="package")
def service(model: StandInOpenAI) -> Iterator[Service]:
    if not (SOURCE_BUILD / "index.html").is_file():
        pytest.fail(f"The Studio is not built ({SOURCE_BUILD}): run `make web` (make test does).")
    key = "atm_" + secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="automator-browser-") as directory:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOMATOR_")}
        env |= {
            "AUTOMATOR_DATA_DIR": f"{directory}/var",
            "AUTOMATOR_BOOTSTRAP_API_KEY": key,
            "AUTOMATOR_LOG_FORMAT": "json",
            "AUTOMATOR_AI_BASE_URL": model.base_url,
            "AUTOMATOR_AI_MODEL": "stand-in",
            "AUTOMATOR_HTTP_ALLOWED_HOSTS": "127.0.0.1",
            "AUTOMATOR_OPERATOR_TOKEN": OPERATOR_TOKEN,
        }
        log = Path(directory) / "automator.log"

        def launch(port: int) -> subprocess.Popen[str]:
            with log.open("w") as output:
                return subprocess.Popen(
                    [AUTOMATOR, "dev"],
                    env=env | {"AUTOMATOR_PORT": str(port)},
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    text=True,
                )

        port, process = on_a_free_port(launch)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for_health(f"{base}/health", process, seconds=60)
            yield Service(base, key)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            text = log.read_text()
            assert key not in text, "the API key appeared in the service's log"


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not chromium.CHROMIUM.exists():
        pytest.fail(
            f"{chromium.CHROMIUM} is missing: the browser tests need Debian's Chromium "
            "(`apt-get install chromium`; .ci/run installs it)."
        )
    # A context's default timeout is its actions' (goto, click, fill); expect() has its own,
    # 5 s unless set here, which a loaded machine's page does not always meet.
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = chromium.launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture
def context(browser: Browser, traffic: Traffic) -> Iterator[BrowserContext]:
    """A fresh profile per test (no cookies, no storage), every request recorded."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    context.on("request", traffic.record)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


WORKFLOW: dict[str, Any] = {
    "workflow_id": "browser_welcome",
    "name": "Browser welcome",
    "trigger": {"type": "user_signup"},
    "actions": [{"id": "hello", "type": "log", "data": {"message": "hi"}}],
}


@pytest.fixture(scope="package")
def workflow(service: Service) -> dict[str, Any]:
    """One published workflow in the service's default tenant."""
    created = service.api("POST", "/api/workflows", json=WORKFLOW)
    assert created.status_code == 201, created.text
    return WORKFLOW


def submit_key(page: Page, service: Service, key: str) -> None:
    """Open the Studio and submit ``key`` on the sign-in form as a person would."""
    page.goto(service.base + "/studio/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def sign_in(page: Page, service: Service, key: str) -> None:
    """Sign in with ``key`` and wait for the console: a ``goto`` right after the click
    would abort the sign-in request and land on the form again."""
    submit_key(page, service, key)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def open_on_canvas(page: Page, workflow_id: str, name: str, event_type: str) -> None:
    """Fill the new-workflow wizard (open already) and open the workflow on the canvas,
    unsaved: a trigger on ``event_type`` and no action yet."""
    page.get_by_label("Workflow id").fill(workflow_id)
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Event type").fill(event_type)
    page.get_by_role("button", name="Open on the canvas").click()
