"""With JavaScript turned off, recording a recovery, attaching a photo to it and answering
a trace request still work: every button is a plain form post, and htmx only improves
them when it runs."""

from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import Session


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 110, 100)).save(out, "PNG")
    return out.getvalue()


def test_recording_and_answering_with_javascript_turned_off(people: dict[str, Session]) -> None:
    paris = people.open("paris-no-script", java_script_enabled=False)
    paris.sign_in("inv.paris")
    page = paris.go("/recoveries/new")
    page.fill("#case_reference", "FR-2026-NOJS")
    page.fill("#recovered_at", "2026-11-26T08:15")
    page.select_option("#circumstances", "seizure")
    page.fill("#location-description", "Porte de la Chapelle")
    page.select_option("#location-country", "FR")
    page.fill("#items-0-make", "Glock")
    page.fill("#items-0-serial", "NJS 404")
    page.click("button:text('Add: Ammunition')")  # a full page comes back, values kept
    expect(page.locator("#items-0-serial")).to_have_value("NJS 404")
    page.fill("#items-1-calibre", "9mm Luger")
    page.fill("#items-1-quantity", "many")
    page.click("button:text('Record the recovery')")
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#items-1-quantity-error")).to_be_visible()
    page.fill("#items-1-quantity", "15")
    page.click("button:text('Record the recovery')")
    expect(page.locator("h1")).to_contain_text("FR-2026-NOJS")
    # A photo of the markings: first a file that is not one, then one that is.
    photo = page.locator("input[type=file]").first
    photo.set_input_files(
        files=[{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"Serial NJS 404"}]
    )
    page.click("button:text('Attach the photo')")
    expect(page.locator(".error-summary")).to_contain_text("must be a JPEG or PNG image")
    expect(page.locator("p.field-error").first).to_contain_text("must be a JPEG or PNG image")
    page.locator("input[type=file]").first.set_input_files(
        files=[{"name": "frame.png", "mimeType": "image/png", "buffer": _png()}]
    )
    page.click("button:text('Attach the photo')")
    expect(page.locator(".thumbnails img")).to_have_count(1)
    page.click("text=Ask for a trace of this firearm")
    labels = page.locator("#addressee-agency_id option").all_inner_texts()
    page.select_option(
        "#addressee-agency_id", label=next(a for a in labels if "Tracing Centre" in a)
    )
    page.fill("#legal_justification", "Seized at a checkpoint; no papers.")
    page.fill("#intended_use", "Criminal investigation")
    page.click("button:text('Send the request')")
    expect(page.locator(".tag").first).to_have_text("Submitted")
    request = page.url.removeprefix(paris.base)

    london = people.open("london-no-script", java_script_enabled=False)
    london.sign_in("trace.london")
    page = london.go(request)
    page.click("button:text('Acknowledge')")
    page.click("text=Respond with the chain of custody")
    page.select_option("#outcome", "partially_traced")
    page.select_option("#events-0-kind", "import")
    page.fill("#events-0-date", "2020-05-04")
    page.fill("#events-0-party-name", "Arms Import Ltd")
    page.select_option("#events-0-party-role", "importer")
    page.select_option("#events-0-party-country", "GB")
    page.click("button:text('Add an event')")
    expect(page.locator("#events-0-party-name")).to_have_value("Arms Import Ltd")
    page.select_option("#events-1-kind", "manufacture")
    page.fill("#events-1-date", "2019-01-10")
    page.fill("#events-1-party-name", "Glock GmbH")
    page.select_option("#events-1-party-role", "manufacturer")
    page.select_option("#events-1-party-country", "AT")
    # Entered in the wrong order: the manufacture is moved first.
    page.locator("#events-1 button", has_text="Move up").click()
    expect(page.locator("#events-0-party-name")).to_have_value("Glock GmbH")
    page.click("button:text('Send the response')")
    expect(page.locator("ol.chain li").first).to_contain_text("Glock GmbH")
    expect(page.locator(".tag").first).to_have_text("Responded")
