"""The API's documentation page works on a closed network: everything it loads comes
from tracedesk, and it shows the API's operations."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Request

from tests.browser.conftest import Session


def test_the_api_documentation_renders_from_tracedesk_alone(people: dict[str, Session]) -> None:
    reader = people["integrator"]
    asked: list[str] = []

    def note(request: Request) -> None:
        asked.append(request.url)

    reader.page.on("request", note)
    page = reader.go("/docs")
    page.wait_for_selector(".opblock", timeout=15_000)
    assert page.locator(".opblock").count() > 20
    assert page.get_by_text("/api/v1/recoveries", exact=True).first.is_visible()
    own = urlsplit(reader.base).netloc
    elsewhere = [url for url in asked if urlsplit(url).netloc not in (own, "")]
    assert elsewhere == [], elsewhere
    assert not reader.problems, reader.problems
