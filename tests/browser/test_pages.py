"""Every console page, for the roles that use it: no serious or critical WCAG 2.1 AA
violation found by axe-core, nothing refused by the Content-Security-Policy, nothing
wider than a tablet (768 px), and everything reachable with the keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Session


def _check(session: Session, path: str, *, tablet: bool = True, missing: bool = False) -> None:
    page = session.go(path)
    violations = session.axe()
    assert violations == [], (path, violations)
    if tablet:
        page.set_viewport_size({"width": 768, "height": 1024})
        page.reload()  # as a tablet loads it
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
        page.set_viewport_size({"width": 1280, "height": 800})
    if missing:  # the browser reports the 404 page's own status: that one is expected
        session.problems[:] = [p for p in session.problems if "404 (Not Found)" not in p]
    assert session.problems == [], (path, session.problems)


def _first_link(page: Page, pattern: str) -> str:
    hrefs = page.eval_on_selector_all(
        "main a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return next(h for h in hrefs if re.fullmatch(pattern, h))


def test_every_page_of_an_investigator(people: dict[str, Session]) -> None:
    investigator = people["investigator"]
    _check(investigator, "/sign-in")
    investigator.sign_in("inv.paris")
    for path in ("/", "/recoveries", "/recoveries/new", "/traces", "/networks", "/account"):
        _check(investigator, path)
    listing = investigator.go("/recoveries?case_reference=FR-2026-4026")
    recovery = _first_link(listing, r"/recoveries/[0-9a-f-]{36}")
    _check(investigator, recovery)
    _check(investigator, recovery + "/correct")
    detail = investigator.go(recovery)
    trace = _first_link(detail, r"/recoveries/[0-9a-f-]{36}/items/[0-9a-f-]{36}/trace")
    _check(investigator, trace)
    _check(investigator, recovery + "/network")
    graph = investigator.go(recovery + "/network")
    _check(investigator, _first_link(graph, r".*/network/links/[0-9a-f-]{36}"))
    _check(investigator, recovery + "/network/path?to=FR-2024-7532")
    _check(investigator, "/no-such-page", missing=True)
    refused = investigator.go("/recoveries/new")
    refused.click("button:text('Record the recovery')")  # nothing filled in: the summary
    expect(refused.locator(".error-summary")).to_be_visible()
    assert investigator.axe() == []


def test_every_page_of_the_other_roles(people: dict[str, Session]) -> None:
    supervisor = people["supervisor"]
    supervisor.sign_in("sup.paris")
    _check(supervisor, "/statistics?from=2020-01-01&period=year")
    traces = supervisor.go("/traces?box=outbox")
    _check(supervisor, _first_link(traces, r"/traces/[0-9a-f-]{36}"))
    admin = people["admin"]
    admin.sign_in("admin")
    page = admin.go("/admin")
    _check(admin, page.url.removeprefix(admin.base))
    officer = people["tracing-officer"]
    officer.sign_in("trace.london")
    _check(officer, "/traces")
    _check(officer, "/")


def test_signing_in_and_recording_work_with_the_keyboard_alone(
    people: dict[str, Session],
) -> None:
    person = people["keyboard"]
    page = person.go("/sign-in")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type("inv.paris")
    page.keyboard.press("Tab")
    page.keyboard.type("tracedesk-demo-2370")
    page.keyboard.press("Enter")
    page.wait_for_url(person.base + "/")
    # A visible focus: the focused link gets the focus colour.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    colour = page.evaluate("getComputedStyle(document.activeElement).backgroundColor")
    assert colour == "rgb(255, 221, 0)"


@pytest.mark.parametrize("width", [1280, 768])
def test_the_record_form_fits_the_screen(people: dict[str, Session], width: int) -> None:
    person = people.open(f"w{width}", viewport={"width": width, "height": 900})
    person.sign_in("inv.paris")
    page = person.go("/recoveries/new")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_accessibility_check_finds_a_field_without_a_label(
    people: dict[str, Session],
) -> None:
    """The check above can fail: a field without a label, added to a page, is found."""
    person = people["control"]
    page = person.go("/sign-in")
    page.evaluate(
        "() => { const i = document.createElement('input'); i.type = 'text';"
        " document.querySelector('main').append(i); }"
    )
    assert [v["id"] for v in person.axe()] == ["label"]
