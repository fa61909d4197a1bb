"""The console's story, in one test and across two agencies, as people would live it:
an investigator in Paris records a recovery typing its serial in Cyrillic look-alike
letters and sees at once the recovery already recorded under the Latin serial, sends a
trace request to Hamburg; Hamburg's tracing officer finds it in the inbox, asks for a
photograph, and answers after the investigator attached one to the recovery and replied,
with a two-event chain of custody; back in Paris, the investigator reads the answer and
sees the dealer in the case network."""

from __future__ import annotations

import io
import re

from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.browser.conftest import Session


def photograph(text: str) -> bytes:
    """A photo of a marking, as a camera would not make it but a browser sends it."""
    image = Image.new("RGB", (1200, 800), (92, 96, 102))
    ImageDraw.Draw(image).text((420, 380), text, fill=(230, 230, 225), font_size=72)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_recovery_traced_across_two_agencies(people: dict[str, Session]) -> None:
    paris = people["investigator"]
    paris.sign_in("inv.paris")
    paris.shot("01-dashboard")

    # Recording: С, the Cyrillic letter, looks like C; the match shows while typing.
    page = paris.go("/recoveries/new")
    page.fill("#case_reference", "FR-2026-5001")
    page.fill("#recovered_at", "2026-11-27T21:40")
    page.select_option("#circumstances", "crime_scene")
    page.fill("#location-description", "Canal Saint-Martin, Paris 10e")
    page.select_option("#location-country", "FR")
    page.fill("#items-0-make", "CZ")
    page.fill("#items-0-model", "75 B")
    page.locator("#items-0-serial").press_sequentially("С 558012", delay=40)
    matches = page.locator("#items-0-serial-matches")
    expect(matches).to_contain_text("FR-2026-4026", timeout=5000)
    expect(matches).to_contain_text("Same characters")
    page.locator("#items-0-serial").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 200)")
    paris.shot("02-live-match", docs="console-live-match")
    page.select_option("#items-0-type", "pistol")
    page.click("button:text('Record the recovery')")
    expect(page.locator("h1")).to_contain_text("FR-2026-5001")
    expect(page.locator(".serial").first).to_have_text("С 558012")  # kept as typed
    recovery_url = page.url.split("?")[0]
    paris.shot("03-recorded")

    # The trace request, to Hamburg.
    page.click("text=Ask for a trace of this firearm")
    addressees = page.locator("#addressee-agency_id option").all_inner_texts()
    page.select_option("#addressee-agency_id", label=next(a for a in addressees if "Hamburg" in a))
    page.fill("#legal_justification", "Used in a shooting on 27 November; no licence exists.")
    page.fill("#intended_use", "Criminal investigation and prosecution")
    page.select_option("#priority", "urgent")
    page.click("button:text('Send the request')")
    expect(page.locator(".tag").first).to_have_text("Submitted")
    request_url = page.url
    paris.shot("04-request-sent")

    # Hamburg: the inbox, earliest deadline first; acknowledge, then ask.
    hamburg = people["tracing-officer"]
    hamburg.sign_in("trace.hamburg")
    inbox = hamburg.go("/traces")
    owed = inbox.locator("table").first
    expect(owed).to_contain_text("С 558012")
    hamburg.shot("05-inbox", docs="console-inbox")
    owed.locator("a", has_text="С 558012").first.click()
    expect(inbox.locator("h1")).to_contain_text("Trace request")
    inbox.click("button:text('Acknowledge')")
    inbox.fill("#request-info-question", "Please send a photograph of the slide's left side.")
    inbox.click("button:text('Ask for information')")
    expect(inbox.locator(".thread")).to_contain_text("photograph of the slide")
    hamburg.shot("06-information-asked")

    # Paris photographs the slide, attaches the photo to the item, sees its thumbnail.
    page = paris.go(recovery_url.removeprefix(paris.base))
    page.locator("input[type=file]").first.set_input_files(
        files=[{"name": "IMG_2040.PNG", "mimeType": "image/png", "buffer": photograph("C 558012")}]
    )
    page.locator("input[id$='-caption']").first.fill("Left side of the slide")
    page.click("button:text('Attach the photo')")
    expect(page.locator(".notice--success")).to_contain_text("The photo is attached")
    thumbnail = page.locator(".thumbnails img").first
    expect(thumbnail).to_have_attribute("alt", "Photo 1 of item 1, at full size")
    expect(thumbnail).to_have_attribute("width", "320")
    expect(thumbnail).to_have_attribute("height", "213")
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth") == 320
    expect(page.locator(".thumbnails figcaption")).to_contain_text("Left side of the slide")
    expect(page.locator("ol.history")).to_contain_text("Photo attached")
    assert paris.axe() == []
    paris.shot("06b-photo-attached")
    # The thumbnail links to the photo exactly as it was sent. (Fetched rather than opened:
    # Chromium's own viewer of a lone image styles it inline, which the CSP refuses.)
    full = page.request.get(
        paris.base + (page.locator(".thumbnails a").first.get_attribute("href") or "")
    )
    assert full.status == 200 and full.headers["content-type"] == "image/png"
    assert full.body() == photograph("C 558012")

    # Paris answers the question.
    page = paris.go(request_url.removeprefix(paris.base))
    page.fill(
        "#provide-info-answer", "Photograph attached to the recovery; the frame reads С 558012."
    )
    page.click("button:text('Provide information')")
    expect(page.locator(".thread")).to_contain_text("frame reads")

    # Hamburg answers with a two-event chain of custody.
    page = hamburg.go(request_url.removeprefix(hamburg.base))
    page.click("text=Respond with the chain of custody")
    page.select_option("#outcome", "traced")
    page.select_option("#events-0-kind", "manufacture")
    page.fill("#events-0-date", "2018-04-12")
    page.fill("#events-0-party-name", "Česká zbrojovka a.s.")
    page.select_option("#events-0-party-role", "manufacturer")
    page.select_option("#events-0-party-country", "CZ")
    page.click("button:text('Add an event')")
    page.select_option("#events-1-kind", "sale")
    page.fill("#events-1-date", "2019-02-03")
    page.fill("#events-1-party-name", "Waffen Nord GmbH")
    page.select_option("#events-1-party-role", "dealer")
    page.select_option("#events-1-party-country", "DE")
    page.fill("#events-1-party-licence", "HH-WH-0231")
    hamburg.shot("07-chain-of-custody")
    page.click("button:text('Send the response')")
    expect(page.locator("ol.chain")).to_contain_text("Waffen Nord GmbH")

    # Back in Paris: the answer, and the dealer in the recovery's network.
    page = paris.go(request_url.removeprefix(paris.base))
    expect(page.locator(".tag").first).to_have_text("Responded")
    expect(page.locator("ol.chain li")).to_have_count(2)
    paris.shot("08-answer")
    network = recovery_url.removeprefix(paris.base) + "/network"
    for _attempt in range(40):  # the linking runs in the background worker
        page = paris.go(network)
        if page.locator("table", has_text="Waffen Nord").count():
            break
        page.wait_for_timeout(250)
    expect(page.locator("main table")).to_contain_text("Waffen Nord GmbH")
    expect(page.locator("#graph")).to_have_attribute("data-drawn", re.compile(r"\d+"))
    page.locator("#graph").scroll_into_view_if_needed()
    paris.shot("09-network", docs="console-network")
    assert paris.problems == [] and hamburg.problems == []
