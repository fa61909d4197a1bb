"""What a browser must never let happen: a page of another site acting in the console on
a signed-in person's behalf, another agency's record shown, a disabled person still
working, a script or style the console did not ship."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Session
from tests.e2e.servers import free_port


@pytest.fixture
def other_site() -> Iterator[str]:
    """A site on another origin whose page posts a form to the console by itself."""
    port = free_port()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            target = self.path.removeprefix("/?target=")
            body = (
                "<!doctype html><title>Win a prize</title>"
                f'<form id="f" method="post" action="{target}/sign-out"></form>'
                "<script>document.getElementById('f').submit()</script>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", port), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{port}"
    server.shutdown()


def test_a_form_posted_by_another_site_changes_nothing(
    people: dict[str, Session], other_site: str
) -> None:
    person = people["victim"]
    person.sign_in("inv.paris")
    person.page.goto(f"{other_site}/?target={person.base}")
    person.page.wait_for_load_state()
    # Signed out? No: the browser does not send the session cookie with another site's
    # post (SameSite=Lax), so the post arrives as nobody's; a token would be asked next.
    arrived = person.page.url
    assert "next=%2Fsign-out" in arrived or "could not be accepted" in person.page.content()
    expect(person.go("/account").locator("h1")).to_have_text("Your account")


def test_another_agencys_recovery_is_the_not_found_page(people: dict[str, Session]) -> None:
    hamburg = people["hamburg"]
    hamburg.sign_in("inv.hamburg")
    listing = hamburg.go("/recoveries")
    theirs = listing.locator("table a").first.get_attribute("href")
    assert theirs
    paris = people["paris"]
    paris.sign_in("inv.paris")
    page = paris.go(theirs)
    expect(page.locator("h1")).to_have_text("Page not found")
    assert len(page.locator(".request-id code").inner_text()) == 32
    assert page.locator("main").inner_text().count("Hamburg") == 0


def test_a_disabled_persons_session_ends_at_their_next_click(people: dict[str, Session]) -> None:
    leaver = people["leaver"]
    leaver.sign_in("inv.niamey")
    expect(leaver.go("/recoveries").locator("h1")).to_have_text("Recoveries")
    root = people["root"]
    root.sign_in("admin")
    page = root.go("/admin")
    agencies = page.locator("a", has_text="Niamey")
    if agencies.count():
        agencies.first.click()
    row = page.locator("tr", has_text="inv.niamey")
    if row.count() == 0:
        pytest.fail("the demo's administrator does not administer Niamey")
    row.locator("input[name=reason]").fill("Left the service")
    row.locator("button", has_text="Disable").click()
    expect(page.locator("tr", has_text="inv.niamey")).to_contain_text("Disabled")
    after = leaver.go("/recoveries")
    expect(after.locator("h1")).to_have_text("Sign in to tracedesk")
    assert "/sign-in?next=%2Frecoveries" in after.url
