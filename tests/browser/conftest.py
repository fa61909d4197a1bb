"""Browser tests: Debian's Chromium driven by Playwright against a real tracedesk
process serving the demo data. Each test has its own browser context (its own cookies);
screenshots are written to TRACEDESK_ARTIFACTS (default: tests/browser/artifacts)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from tests.databases import sqlite_url
from tests.e2e.servers import production_environment, serving

DEMO_PASSWORD = "tracedesk-demo-2370"  # noqa: S105 - the demo users' documented password
AXE = Path(__file__).with_name("vendor") / "axe-core-4.14.1" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("TRACEDESK_ARTIFACTS", Path(__file__).with_name("artifacts")))
# The screenshots in the docs are made by the story test: TRACEDESK_DOC_SCREENSHOTS=1.
DOC_IMAGES = Path(__file__).parents[2] / "docs" / "images"


def chromium_path() -> str:
    """Debian's Chromium (never a browser Playwright downloads)."""
    found = os.environ.get("TRACEDESK_CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail("Chromium is missing: apt-get install chromium (.ci/run does)")
    return found


@pytest.fixture(scope="session")
def console_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server with the demo data for the whole session."""
    directory = tmp_path_factory.mktemp("console")
    env = production_environment(TRACEDESK_DATABASE_URL=sqlite_url(directory))
    with serving(env, directory / "server.log", "--demo") as (base, _process):
        yield base


# Package-scoped: Playwright's synchronous API keeps an event loop running in this thread
# while it is open, which the asynchronous tests of other packages must not find.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(),
            # Chromium's sandbox needs user namespaces that containers running as root lack.
            args=["--no-sandbox"] if os.geteuid() == 0 else [],
        )
        yield launched
        launched.close()


@dataclass
class Session:
    """One person's browser: a page, what its console said, and the server's address."""

    page: Page
    base: str
    name: str
    problems: list[str] = field(default_factory=list)

    def go(self, path: str) -> Page:
        self.page.goto(self.base + path)
        return self.page

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.go("/sign-in")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("form[action='/sign-in'] button[type=submit]")
        self.page.wait_for_url(lambda url: "/sign-in" not in url)

    def shot(self, name: str, *, docs: str | None = None) -> Path:
        """A full-page screenshot as a test artifact; with `docs`, also the visible part
        for the documentation, when TRACEDESK_DOC_SCREENSHOTS=1."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        if docs is not None and os.environ.get("TRACEDESK_DOC_SCREENSHOTS") == "1":
            DOC_IMAGES.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(DOC_IMAGES / f"{docs}.png"))
        return path

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical WCAG 2.1 A/AA violations of the page as it is.
        axe is evaluated by the test, not loaded by the page (the CSP allows no such
        script, and users never get it)."""
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        found: list[dict[str, Any]] = self.page.evaluate(
            """async () => {
                const result = await axe.run(document, {
                    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
                });
                return result.violations
                    .filter(v => v.impact === "serious" || v.impact === "critical")
                    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                                nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
            }"""
        )
        return found


@pytest.fixture
def people(
    browser: Browser, console_url: str, request: pytest.FixtureRequest
) -> Iterator[dict[str, Session]]:
    """Browsers by name, made on first use: `people["investigator"]`."""
    contexts: list[BrowserContext] = []

    class Sessions(dict[str, Session]):
        def __missing__(self, name: str) -> Session:
            return self.open(name)

        def open(self, name: str, **options: Any) -> Session:
            options.setdefault("viewport", {"width": 1280, "height": 800})
            context = browser.new_context(**options)
            contexts.append(context)
            page = context.new_page()
            session = Session(page, console_url, f"{request.node.name}-{name}")

            def note(message: ConsoleMessage) -> None:
                if message.type == "error" or "Content Security Policy" in message.text:
                    session.problems.append(message.text)

            page.on("console", note)
            self[name] = session
            return session

    sessions = Sessions()
    yield sessions
    for context in contexts:
        context.close()
