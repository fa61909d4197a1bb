"""Recovery pages: the list with its filters and pages, a recovery's file, recording
and correcting with plain form posts, errors beside their fields, serial matches while
typing, and another agency's recovery answered as nothing at all."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import UUID

from service.domain.access import Actor
from service.domain.items import FirearmReport
from service.domain.ports.recoveries import RecoveryFilter
from service.recoveries import record_recovery
from tests.builders import location, record_command
from tests.console.conftest import Console

RECORDING = {
    "case_reference": "CASE-2026-0101",
    "recovered_at": "2026-11-20T14:30",
    "circumstances": "crime_scene",
    "location-description": "Quai de Valmy, Paris",
    "location-country": "FR",
    "location-lat": "48,8721",
    "location-lon": "2.3641",
    "items-0-kind": "firearm",
    "items-0-make": "Glock",
    "items-0-model": "17",
    "items-0-serial": "BXK 472",
    "items-0-type": "pistol",
}


async def _actor(console: Console, username: str) -> Actor:
    async with console.deps.unit_of_work() as uow:
        user = await uow.users.by_username(username)
    assert user is not None
    return user.as_actor()


async def _recorded(console: Console, username: str, *serials: str, case: str = "CASE-1") -> UUID:
    actor = await _actor(console, username)
    recovery = await record_recovery(
        deps=console.deps, actor=actor, command=record_command(*serials, case=case)
    )
    return recovery.id


async def test_recording_with_a_plain_form_post_keeps_what_was_typed(console: Console) -> None:
    browser = await console.signed_in("investigator", **{"Accept-Language": "fr"})
    await browser.get("/account")
    await browser.post("/account/preferences", {"language": "", "time_zone": "Europe/Paris"})
    await browser.get("/recoveries/new")
    recorded = await browser.post("/recoveries/new", RECORDING)
    assert recorded.status_code == 303, recorded.text
    location_header = recorded.headers["location"]
    assert re.fullmatch(r"/recoveries/[0-9a-f-]{36}\?recorded=true", location_header)
    detail = await browser.get(location_header)
    assert "CASE-2026-0101" in detail.text and "BXK 472" in detail.text
    recovery_id = UUID(location_header.split("/")[2].split("?")[0])
    async with console.deps.unit_of_work() as uow:
        stored = await uow.recoveries.get(recovery_id)
    assert stored is not None
    # Typed at 14:30 in Paris (UTC+1 in November), a decimal comma read as a point.
    assert stored.recovered_at.isoformat() == "2026-11-20T13:30:00+00:00"
    assert stored.location.lat == 48.8721
    (item,) = stored.items
    assert item.serial is not None and item.serial.raw == "BXK 472"  # type: ignore[attr-defined]


async def test_problems_are_shown_beside_their_fields_and_nothing_is_stored(
    console: Console,
) -> None:
    browser = await console.signed_in("investigator")
    await browser.get("/recoveries/new")
    bad = RECORDING | {
        "case_reference": "",
        "location-lat": "north",
        "items-0-make": "x" * 65,
        "items-1-kind": "ammunition",
        "items-1-calibre": "7.62x39mm",
        "items-1-quantity": "many",
    }
    refused = await browser.post("/recoveries/new", bad)
    assert refused.status_code == 422
    summary = re.findall(r'<li><a href="#([^"]+)">', refused.text)
    assert set(summary) >= {"case_reference", "location-lat", "items-0-make", "items-1-quantity"}
    assert 'id="items-1-quantity-error"' in refused.text
    assert 'value="7.62x39mm"' in refused.text  # what was typed stays
    async with console.deps.unit_of_work() as uow:
        actor = await _actor(console, "investigator.a")
        page = await uow.recoveries.page(
            agency_id=actor.agency_id, recovery_filter=RecoveryFilter(), after=None, limit=5
        )
    assert page.recoveries == []


async def test_a_time_the_readers_zone_skipped_or_lived_twice_is_asked_again(
    console: Console,
) -> None:
    browser = await console.signed_in("investigator")
    await browser.post("/account/preferences", {"language": "", "time_zone": "Europe/Paris"})
    skipped = await browser.post(
        "/recoveries/new", RECORDING | {"recovered_at": "2026-03-29T02:30"}
    )
    assert skipped.status_code == 422 and 'href="#recovered_at"' in skipped.text
    assert "this time never happened in your time zone" in skipped.text
    recorded = await browser.post("/recoveries/new", RECORDING)
    path = recorded.headers["location"].split("?")[0]
    fields = _form_values((await browser.get(f"{path}/correct")).text)
    twice = await browser.post(
        f"{path}/correct",
        fields | {"recovered_at": "2026-10-25T02:30", "reason": "Time read off the log"},
    )
    assert twice.status_code == 422 and "type it in UTC" in twice.text
    # Recorded at the second 02:30 of that night, then corrected in its place alone: the
    # time shown is not read again (it could not say which 02:30 it was).
    repeated = await console.recorded(
        "investigator.a", "RPT 1", recovered_at=datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    )
    form = await browser.get(f"/recoveries/{repeated.id}/correct")
    assert 'value="2026-10-25T02:30"' in form.text
    place = await browser.post(
        f"/recoveries/{repeated.id}/correct",
        _form_values(form.text)
        | {"location-description": "Quai de Jemmapes", "reason": "Place re-read"},
    )
    assert place.status_code == 303, place.text
    async with console.deps.unit_of_work() as uow:
        stored = await uow.recoveries.get(UUID(path.split("/")[2]))
    assert stored is not None and stored.version == 1


async def test_problems_are_written_in_the_readers_language(console: Console) -> None:
    """The validation's own messages are English only ("String should have at least 1
    character", a list of codes for a choice); the console says them in the reader's
    words, with the domain's own messages translated where the catalogue knows them."""
    browser = await console.signed_in("investigator", **{"Accept-Language": "fr"})
    await browser.get("/recoveries/new")
    bad = RECORDING | {
        "case_reference": "",
        "circumstances": "",
        "location-lat": "north",
        "items-0-make": "x" * 65,
    }
    refused = await browser.post("/recoveries/new", bad)
    assert refused.status_code == 422
    problems = dict(re.findall(r'<li><a href="#([^"]+)">([^<]*)</a>', refused.text))
    assert problems["case_reference"] == "Saisissez une valeur"
    assert problems["circumstances"] == "Choisissez l&#39;une des options"
    assert problems["location-lat"] == "Saisissez un nombre"
    assert problems["items-0-make"] == "Saisissez au plus 64 caractères"
    assert "should" not in refused.text and "crime_scene&#39;, &#39;seizure" not in refused.text


async def test_items_are_added_and_removed_without_saving(console: Console) -> None:
    browser = await console.signed_in("investigator")
    await browser.get("/recoveries/new")
    added = await browser.post("/recoveries/new", RECORDING | {"add_item": "component"})
    assert added.status_code == 200
    assert 'name="items-1-kind" value="component"' in added.text
    assert 'name="items-0-serial"' in added.text and 'value="BXK 472"' in added.text
    partial = await browser.client.post(
        "/recoveries/new",
        data={"csrf_token": browser.token, **RECORDING, "add_item": "ammunition"},
        headers={"HX-Request": "true"},
    )
    assert partial.text.lstrip().startswith('<div id="items">')
    assert "<html" not in partial.text
    removed = await browser.post(
        "/recoveries/new", RECORDING | {"items-1-kind": "component", "remove_item": "1"}
    )
    assert 'name="items-1-kind"' not in removed.text


async def test_serial_matches_show_a_cyrillic_reading_of_a_latin_serial(
    console: Console,
) -> None:
    browser = await console.signed_in("investigator")
    await _recorded(console, "investigator.a", "EKX 1234", case="CASE-LATIN")
    # Е, К and Х are Cyrillic letters that look like the Latin ones.
    found = await browser.client.get(
        "/serial-matches",
        params={"field": "items-0", "items-0-serial": "ЕКХ 1234"},
        headers={"HX-Request": "true"},
    )
    assert found.status_code == 200
    assert "CASE-LATIN" in found.text and "Same characters" in found.text
    short = await browser.client.get(
        "/serial-matches", params={"field": "items-0", "items-0-serial": "EK"}
    )
    assert "CASE-LATIN" not in short.text
    bad_field = await browser.client.get("/serial-matches", params={"field": "x"})
    assert bad_field.status_code == 422


async def test_serial_matches_never_show_another_agencys_items(console: Console) -> None:
    await console.person("investigator", "b")
    await _recorded(console, "investigator.b", "ZZT 9911", case="CASE-OF-B")
    browser = await console.signed_in("investigator")
    found = await browser.client.get(
        "/serial-matches", params={"field": "items-0", "items-0-serial": "ZZT 9911"}
    )
    assert "CASE-OF-B" not in found.text


async def test_another_agencys_recovery_is_the_404_page_like_an_unknown_one(
    console: Console,
) -> None:
    await console.person("investigator", "b")
    theirs = await _recorded(console, "investigator.b", "ABC 123")
    browser = await console.signed_in("investigator")
    for path in (f"/recoveries/{theirs}", f"/recoveries/{theirs}/correct"):
        foreign = await browser.client.get(path)
        unknown = await browser.client.get(path.replace(str(theirs), str(UUID(int=7))))
        assert foreign.status_code == unknown.status_code == 404, path
        assert "Page not found" in foreign.text
        assert "ABC 123" not in foreign.text
    malformed = await browser.client.get("/recoveries/not-an-id")
    assert malformed.status_code == 404
    await browser.get("/recoveries/new")
    post = await browser.post(f"/recoveries/{theirs}/correct", {"version": "1", "reason": "x"})
    assert post.status_code == 404


async def test_a_tracing_officer_cannot_open_the_recording_form(console: Console) -> None:
    browser = await console.signed_in("tracing_officer")
    refused = await browser.client.get("/recoveries/new")
    assert refused.status_code == 403 and "Your role does not allow this" in refused.text
    assert 'href="/recoveries/new"' not in (await browser.get("/")).text


async def test_the_list_filters_and_pages_through_the_agencys_recoveries(
    console: Console,
) -> None:
    browser = await console.signed_in("investigator")
    for number in range(30):
        await _recorded(console, "investigator.a", f"SER {number:04d}", case=f"CASE-{number:02d}")
    first = await browser.get("/recoveries")
    assert first.text.count('href="/recoveries/') - first.text.count('href="/recoveries/new') == 25
    (next_link,) = re.findall(r'href="(/recoveries\?cursor=[^"]+)" rel="next"', first.text)
    second = await browser.get(next_link.replace("&amp;", "&"))
    assert second.text.count("CASE-") == 5
    filtered = await browser.get("/recoveries?case_reference=CASE-07")
    assert "CASE-07" in filtered.text and "CASE-08" not in filtered.text
    fragment = await browser.client.get(
        "/recoveries?case_reference=CASE-07", headers={"HX-Request": "true"}
    )
    assert fragment.text.lstrip().startswith('<div id="results"')
    bad_day = await browser.get("/recoveries?recovered_from=yesterday")
    assert bad_day.status_code == 422 and 'href="#recovered_from"' in bad_day.text


async def test_a_correction_changes_only_what_was_changed_and_keeps_the_reason(
    console: Console,
) -> None:
    browser = await console.signed_in("investigator")
    await browser.get("/recoveries/new")
    recorded = await browser.post("/recoveries/new", RECORDING)
    path = recorded.headers["location"].split("?")[0]
    form = await browser.get(f"{path}/correct")
    assert 'value="BXK 472"' in form.text and 'name="version" value="1"' in form.text
    item_id = re.search(r'name="items-0-id" value="([^"]+)"', form.text)
    assert item_id
    fields = _form_values(form.text)
    no_reason = await browser.post(f"{path}/correct", fields | {"items-0-serial": "BXK 4721"})
    assert no_reason.status_code == 422 and 'href="#reason"' in no_reason.text
    corrected = await browser.post(
        f"{path}/correct",
        fields | {"items-0-serial": "BXK 4721", "reason": "Serial re-read in the lab"},
    )
    assert corrected.status_code == 303
    async with console.deps.unit_of_work() as uow:
        stored = await uow.recoveries.get(UUID(path.split("/")[2]))
    assert stored is not None and stored.version == 2
    (correction,) = stored.corrections
    assert correction.reason == "Serial re-read in the lab"
    assert [change.field for change in correction.changes] == [f"items.{item_id.group(1)}.serial"]
    stale = await browser.post(
        f"{path}/correct", fields | {"items-0-serial": "BXK 9", "reason": "again"}
    )
    assert stale.status_code == 409 and "Someone changed this" in stale.text


def _form_values(html: str) -> dict[str, str]:
    """What a browser would send back of a form as shown: inputs, selected options and
    text areas (enough for the recovery form)."""
    values = dict(
        re.findall(r'<input id="[^"]*" name="([^"]+)" type="[^"]*" value="([^"]*)"', html)
    )
    values |= dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    for name, body in re.findall(
        r'<select id="[^"]*" name="([^"]+)"[^>]*>(.*?)</select>', html, re.S
    ):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        values[name] = chosen.group(1) if chosen else ""
    for name, text in re.findall(
        r'<textarea id="[^"]*" name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S
    ):
        values[name] = text
    values.pop("csrf_token", None)
    return {
        k: v.replace("&amp;", "&").replace("&#39;", "'").replace("&#34;", '"')
        for k, v in values.items()
    }


def test_recording_commands_build_firearms() -> None:
    command = record_command("A 1")
    assert isinstance(command.items[0], FirearmReport) and command.location == location()
