"""Browser tests: the service runs as a subprocess on its embedded sandbox (or on a standalone
sandbox for fault injection), and Debian's Chromium is driven through Playwright.

Chromium is the system one (/usr/bin/chromium, installed by `make test`); Playwright's own
browser downloads are never used. Every fixture here is module-scoped: Playwright's sync API
keeps an event loop running in the main thread while it is open, which would break the
asyncio tests that run after these, and the services should not keep using the CPU then.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    WebSocket,
    sync_playwright,
)

from tests.fixtures.redis import free_port
from tests.fixtures.settings import SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("PORTFOLIO_RT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_USERS = ("maya", "jordan", "sam", "alex", "pat")
TIMEOUT_MS = 30_000
SECTIONS = (
    "summary",
    "history",
    "scores",
    "add-funds",
    "allocation",
    "what-if",
    "holdings",
    "transactions",
)
# Sections whose "empty" depends on the year or on dividends: waited for, not in SECTIONS.
RETURNS_SECTIONS = ("income", "realized")


def wait_http(url: str, process: subprocess.Popen[str], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {timeout_s}s")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTFOLIO_RT", "ALPACA_"))}
    env |= {"PORTFOLIO_RT__LOG__LEVEL": "warning", "PORTFOLIO_RT__LOG__FORMAT": "json"}
    return env | extra


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@dataclass
class Service:
    base_url: str
    process: subprocess.Popen[str]
    log: IO[str]

    def stop(self) -> None:
        stop(self.process)
        self.log.close()


def start_service(env: dict[str, str], log_path: Path) -> Service:
    port = free_port()
    log = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "portfolio_rt", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    running = Service(base, process, log)
    try:
        wait_http(f"{base}/health", process)
    except BaseException:
        running.stop()
        raise
    return running


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on its embedded sandbox, as `make run` starts it (demo logins on)."""
    env = clean_env(
        PORTFOLIO_RT__SANDBOX__TRANSFER_DELAY_S="1",
        PORTFOLIO_RT__SANDBOX__TRADES_PER_SECOND="200",
    )
    running = start_service(env, tmp_path_factory.mktemp("service") / "service.log")
    yield running
    running.stop()


@dataclass
class StandaloneSandbox:
    base_url: str
    key: str
    secret: str
    personas: dict[str, str]
    process: subprocess.Popen[str]

    def add_fault(self, rule: dict[str, Any]) -> str:
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{self.base_url}/sandbox/faults",
            data=json.dumps(rule).encode(),
            headers={"Content-Type": "application/json", "Authorization": self._auth()},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return str(json.load(response)["id"])

    def clear_faults(self) -> None:
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{self.base_url}/sandbox/faults",
            headers={"Authorization": self._auth()},
            method="DELETE",
        )
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass

    def _auth(self) -> str:
        return "Basic " + base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()


@pytest.fixture(scope="module")
def standalone_sandbox() -> Iterator[StandaloneSandbox]:
    """`python -m portfolio_rt.sandbox` on its own port, for injecting faults over HTTP."""
    port = free_port()
    key, secret = "E2EKEY0123456789", "e2e-secret-" + "s" * 24
    command = [sys.executable, "-m", "portfolio_rt.sandbox", "--port", str(port)]
    command += ["--key", key, "--secret", secret, "--transfer-delay", "1"]
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        command,
        cwd=ROOT,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    personas: dict[str, str] = {}
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            match = re.match(r"\s+(maya|jordan|sam|alex|pat)\s+([0-9a-f-]{36})\s*$", line)
            if match:
                personas[match.group(1)] = match.group(2)
                if len(personas) == len(DEMO_USERS):
                    ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def close() -> None:
        stop(process)
        reader.join(10)
        assert process.stdout is not None
        process.stdout.close()

    if not ready.wait(120):
        close()
        raise RuntimeError("standalone sandbox did not print its persona accounts")
    yield StandaloneSandbox(f"http://127.0.0.1:{port}", key, secret, personas, process)
    close()


@pytest.fixture(scope="module")
def alpaca_service(
    standalone_sandbox: StandaloneSandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """The service pointed at the standalone sandbox exactly as it would be at Alpaca.

    No retries and a high circuit threshold, so an injected fault reaches the page at once
    and only on its own route.
    """
    base = standalone_sandbox.base_url
    env = clean_env(
        PORTFOLIO_RT__ALPACA__MODE="alpaca",
        PORTFOLIO_RT__ALPACA__BROKER_URL=base,
        PORTFOLIO_RT__ALPACA__DATA_URL=base,
        PORTFOLIO_RT__ALPACA__STREAM_URL=base.replace("http://", "ws://"),
        PORTFOLIO_RT__BROKER__RETRY_ATTEMPTS="0",
        PORTFOLIO_RT__BROKER__CIRCUIT_FAILURE_THRESHOLD="1000",
        ALPACA_BROKER_API_KEY=standalone_sandbox.key,
        ALPACA_BROKER_SECRET_KEY=standalone_sandbox.secret,
        PORTFOLIO_RT_SECRET=SIGNING_SECRET,
    )
    running = start_service(env, tmp_path_factory.mktemp("alpaca") / "service.log")
    yield running
    running.stop()


def mint_token(account_id: str) -> str:
    """A token as the host app's identity provider would hand over (the CLI's own command)."""
    result = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "portfolio_rt", "token", "--account", account_id, "--ttl", "1h"],
        cwd=ROOT,
        env=clean_env(PORTFOLIO_RT_SECRET=SIGNING_SECRET),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@dataclass
class Console:
    """Console errors and uncaught exceptions seen by a page."""

    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} @ {message.location.get('url', '')}")

    def on_error(self, error: Exception) -> None:
        self.errors.append(f"uncaught: {error}")

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


@dataclass
class PageKit:
    page: Page
    console: Console
    base_url: str


def open_page(browser: Browser, base_url: str, width: int = 1440, height: int = 900) -> PageKit:
    context = browser.new_context(
        viewport={"width": width, "height": height},
        base_url=base_url,
        reduced_motion="reduce",
        locale="en-US",
        timezone_id="America/New_York",
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    console = Console()
    page.on("console", console.on_console)
    page.on("pageerror", console.on_error)
    return PageKit(page, console, base_url)


@pytest.fixture
def desktop(browser: Browser, service: Service) -> Iterator[PageKit]:
    kit = open_page(browser, service.base_url)
    yield kit
    unexpected = kit.console.unexpected()
    kit.page.context.close()
    assert not unexpected, f"console errors: {unexpected}"


def log_in(kit: PageKit, username: str) -> None:
    page = kit.page
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    wait_sections(page)


def wait_sections(page: Page, states: tuple[str, ...] = ("ready", "empty")) -> None:
    """Every section has left its loading state."""
    ids = SECTIONS + RETURNS_SECTIONS
    selector = ", ".join(f"#{s}[data-state={state}]" for s in ids for state in states)
    page.wait_for_function(
        """([ids, states]) => ids.every((id) => states.includes(
               document.getElementById(id)?.dataset.state))""",
        arg=[list(ids), list(states)],
    )
    assert page.locator(selector).count() == len(ids)


class Pushed:
    """The positions messages the page's socket received, folded into the latest rows."""

    def __init__(self, page: Page) -> None:
        self.latest: dict[str, dict[str, Any]] = {}
        self.seen: dict[str, list[dict[str, Any]]] = {}
        """Every pushed row of each symbol, in order."""
        self.partial = 0
        page.on("websocket", self._watch)

    def _watch(self, ws: WebSocket) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload: str | bytes) -> None:
        message = json.loads(payload)
        if message.get("type") != "positions":
            return
        if message["complete"]:
            self.latest = {}
        else:
            self.partial += 1
        for row in message["positions"]:
            self.latest[row["symbol"]] = row
            self.seen.setdefault(row["symbol"], []).append(row)

    def values(self, symbol: str, field: str, loaded: dict[str, Any] | None = None) -> set[Any]:
        """Every value of a row's field the page may show: as loaded, or as pushed since."""
        shown = {r[field] for r in self.seen.get(symbol, ())}
        return shown | ({loaded[field]} if loaded is not None else set())


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
