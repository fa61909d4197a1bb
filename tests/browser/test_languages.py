"""The console in its reader's language and direction: an Arabic page is mirrored right to
left (not only its text), French comes from the person's choice or from the browser's
languages, and times are shown in the person's time zone, named as people write it.

Each test uses demo people no other browser test signs in as, and puts their
preferences back, since every browser test shares one server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Session

# Unicode's isolates and marks: invisible, they keep dates and names whole in a line.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069\u200e\u200f\u061c"))
_RECOVERY = r"/recoveries/[0-9a-f-]{36}"


def shown(locator: Locator) -> str:
    """An element's text as a reader sees it, without the invisible direction controls."""
    return locator.inner_text().translate(_BIDI_CONTROLS)


@contextmanager
def reading_as(session: Session, language: str, time_zone: str) -> Iterator[None]:
    """The person's language and time zone chosen on their account page, for a while."""

    def choose(language: str, time_zone: str) -> None:
        page = session.go("/account")
        page.select_option("#language", language)
        page.fill("#time_zone", time_zone)
        page.click("form[action='/account/preferences'] button[type=submit]")
        page.wait_for_url(re.compile(r"/account\?saved=preferences$"))

    choose(language, time_zone)
    try:
        yield
    finally:
        choose("", "")


def first_recovery(page: Page) -> str:
    hrefs = page.eval_on_selector_all(
        "main a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return next(href for href in hrefs if re.fullmatch(_RECOVERY, href))


def assert_times_are_in(page: Page, zone: str, written: str) -> None:
    """Every <time> of the page says its moment in `zone`: `written` is the strftime
    pattern of the day and hour the page's language uses."""
    times = page.locator("main time[datetime]")
    assert times.count() > 0
    for index in range(min(times.count(), 5)):
        element = times.nth(index)
        moment = datetime.fromisoformat(element.get_attribute("datetime") or "")
        local = moment.astimezone(ZoneInfo(zone))
        expected = local.strftime(written).replace("{hour12}", str(local.hour % 12 or 12))
        assert expected in shown(element), (shown(element), expected, moment)


def test_an_arabic_page_is_laid_out_right_to_left(people: dict[str, Session]) -> None:
    reader = people["arabic"]
    reader.sign_in("inv.kyiv")
    with reading_as(reader, "ar", "Asia/Riyadh"):
        page = reader.go("/recoveries")
        html = page.locator("html")
        expect(html).to_have_attribute("lang", "ar")
        expect(html).to_have_attribute("dir", "rtl")
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"

        # The menu starts on the right: its first section is right of its second.
        sections = page.locator("nav.sections a")
        expect(sections.nth(0)).to_have_text("لوحة المتابعة")
        expect(sections.nth(1)).to_have_text("عمليات الاسترداد")
        first, second = sections.nth(0).bounding_box(), sections.nth(1).bounding_box()
        assert first and second and first["x"] >= second["x"] + second["width"], (first, second)
        # The service's name on the right, the person's links on the left.
        name = page.locator(".service-name").bounding_box()
        who = page.locator(".who").bounding_box()
        assert name and who and name["x"] > who["x"] + who["width"]
        # Tables read from the right: the first column is the rightmost.
        headers = page.locator("main thead th")
        first_column, last_column = headers.first.bounding_box(), headers.last.bounding_box()
        assert first_column and last_column and first_column["x"] > last_column["x"]
        # Serials stay left to right inside the Arabic page.
        assert page.locator("main .serial").first.evaluate(
            "e => getComputedStyle(e).direction"
        ) == ("ltr")

        # Times in Riyadh (UTC+3), written the Arabic way: 28/11/2026، 4:30 م.
        assert_times_are_in(page, "Asia/Riyadh", "%-d/%-m/%Y، {hour12}:%M")
        detail = reader.go(first_recovery(page))
        recovered = detail.locator("dl.summary time").first
        assert "UTC+3" in shown(recovered), shown(recovered)  # tzdata has only "+03"
        assert reader.axe() == []
        assert reader.problems == []
    expect(reader.go("/").locator("html")).to_have_attribute("dir", "ltr")


def test_an_arabic_chart_grows_from_the_right(people: dict[str, Session]) -> None:
    reader = people["arabic-supervisor"]
    reader.sign_in("sup.gb")
    with reading_as(reader, "ar", "UTC"):
        page = reader.go("/statistics?box=inbox&from=2020-01-01&period=year")
        chart = page.locator("svg.chart").first
        label, bar = chart.locator("text").first.bounding_box(), chart.locator("rect").first
        box, axis = bar.bounding_box(), chart.locator("line.axis").bounding_box()
        assert label and box and axis
        assert label["x"] >= axis["x"] - 1, "the labels are right of the axis"
        assert box["x"] + box["width"] <= axis["x"] + 1, "the bars grow leftwards from it"


def test_french_by_the_persons_own_choice(people: dict[str, Session]) -> None:
    reader = people["french"]
    reader.sign_in("inv.belgrade")
    with reading_as(reader, "fr", "Indian/Reunion"):
        page = reader.go("/recoveries")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
        expect(page.locator("h1")).to_have_text("Récupérations")
        expect(page.locator("nav.sections a").first).to_have_text("Tableau de bord")
        expect(page.locator("main thead th").first).to_have_text("Référence de l'affaire")
        # Times in La Réunion (UTC+4), written the French way: 28/11/2026 17:30.
        assert_times_are_in(page, "Indian/Reunion", "%d/%m/%Y %H:%M")
        detail = reader.go(first_recovery(page))
        expect(detail.locator("dl.summary dt").first).to_have_text("Récupérée le")
        recovered = shown(detail.locator("dl.summary time").first)
        assert "UTC+4" in recovered and "+04" not in recovered.replace("UTC+4", ""), recovered
        assert reader.problems == []


def test_french_and_spanish_from_the_browsers_languages(people: dict[str, Session]) -> None:
    french = people.open("browser-fr", locale="fr-FR")  # Accept-Language: fr-FR
    page = french.go("/sign-in")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text("Connexion à tracedesk")
    expect(page.locator("label[for=username]")).to_have_text("Nom d'utilisateur")
    french.sign_in("trace.paris")  # who chose no language: the browser's is used
    page = french.go("/traces")
    expect(page.locator("h1")).to_have_text("Demandes de traçage")
    expect(page.locator("nav.sections a").first).to_have_text("Tableau de bord")

    spanish = people.open("browser-es", locale="es-ES")
    page = spanish.go("/sign-in")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("h1")).to_have_text("Iniciar sesión en tracedesk")
    assert french.problems == [] and spanish.problems == []
