"""What the console refuses where it once answered something else: a list filter that
could find nothing whatever is stored (an unknown country, a period ending before it
starts), a serial longer than the search takes (it was cut, and the cut one searched),
and a second photo in one form (it was dropped without a word)."""

from __future__ import annotations

import re

from service.item_photos import recovery_photos
from tests.console.conftest import Browser, Console
from tests.pictures import jpeg, png


def beside(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S)
    assert found, f"no error beside {field}"
    return re.sub(r'<span class="visually-hidden">[^<]*</span>', "", found.group(1)).strip()


async def test_a_country_recording_refuses_is_refused_as_a_filter(console: Console) -> None:
    browser = await console.signed_in("investigator")
    await console.recorded("investigator.a", "CTY 1", case="CASE-FR")
    for country in ("fr", "XX"):
        listed = await browser.get("/recoveries", params={"country": country})
        assert listed.status_code == 422, country
        assert listed.headers["content-type"].startswith("text/html")
        assert "is not an ISO 3166-1 alpha-2 country code" in beside(listed.text, "country")
        assert "CASE-FR" not in listed.text
    found = await browser.get("/recoveries", params={"country": "FR"})
    assert found.status_code == 200 and "CASE-FR" in found.text


async def test_a_period_ending_before_it_starts_is_refused_beside_its_end(
    console: Console,
) -> None:
    browser = await console.signed_in("investigator")
    for period in (
        {"recovered_from": "2026-11-05", "recovered_to": "2026-11-01"},
        {"recovered_from": "2026-11-01", "recovered_to": "2026-11-01"},
    ):
        listed = await browser.get("/recoveries", params=period)
        assert listed.status_code == 422, period
        assert 'href="#recovered_to"' in listed.text
        assert beside(listed.text, "recovered_to") == "must be after Recovered from"
    french = await console.signed_in("supervisor", **{"Accept-Language": "fr"})
    listed = await french.get(
        "/recoveries", params={"recovered_from": "2026-11-05", "recovered_to": "2026-11-01"}
    )
    assert "doit être postérieur à" in beside(listed.text, "recovered_to")


async def test_a_serial_longer_than_the_search_takes_is_said_so_not_cut(
    console: Console,
) -> None:
    browser = await console.signed_in("investigator")
    kept = "LNG" + "7" * 61  # 64 characters, the most a serial has
    await console.recorded("investigator.a", kept, case="CASE-LONG")
    exact = await browser.client.get(
        "/serial-matches", params={"field": "items-0", "items-0-serial": kept}
    )
    assert "CASE-LONG" in exact.text
    for field, value in [("serial", kept + "8"), ("make", "M" * 65)]:
        params = {"field": "items-0", "items-0-serial": kept, f"items-0-{field}": value}
        longer = await browser.client.get("/serial-matches", params=params)
        assert longer.status_code == 200  # a fragment under the field, shown by htmx
        assert "Enter at most 64 characters" in longer.text, field
        assert "CASE-LONG" not in longer.text


async def _attach_twice(browser: Browser, console: Console, **twice: bool) -> tuple[int, str]:
    recovery = await console.recorded("investigator.a", "PH 5001")
    item = recovery.items[0]
    prefix = f"item-{item.id}-"
    await browser.get(f"/recoveries/{recovery.id}")
    photos = [(f"{prefix}photo", ("a.jpg", jpeg(40, 30), "image/jpeg"))]
    if twice.get("photo"):
        photos.append((f"{prefix}photo", ("b.png", png(), "image/png")))
    captions = ["one", "two"] if twice.get("caption") else "one"
    answer = await browser.post(
        f"/recoveries/{recovery.id}/items/{item.id}/photos",
        {f"{prefix}caption": captions},
        files=photos,
    )
    async with console.deps.unit_of_work() as uow:
        user = await uow.users.by_username("investigator.a")
    assert user is not None
    attached = await recovery_photos(
        deps=console.deps, actor=user.as_actor(), recovery_id=recovery.id
    )
    assert attached == []
    return answer.status_code, beside(answer.text, f"{prefix}{next(iter(twice))}")


async def test_a_second_photo_or_caption_in_one_form_is_refused_beside_it(
    console: Console,
) -> None:
    browser = await console.signed_in("investigator")
    assert await _attach_twice(browser, console, photo=True) == (
        422,
        "attach one photo at a time",
    )
    assert await _attach_twice(browser, console, caption=True) == (422, "a photo has one caption")
