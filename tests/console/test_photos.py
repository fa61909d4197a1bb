"""Photos of markings in the console: attached with a plain multipart form post from the
recovery's page, shown there as thumbnails, served as images with headers that keep
them what they are, refused beside the field when they are not photos, and another
agency's answered as nothing at all."""

from __future__ import annotations

import hashlib
import io
import re
from uuid import UUID

import httpx
from PIL import Image

from service.audit_trail import verify_audit_trail
from service.domain.access import Actor
from service.domain.photos import NOT_A_PHOTO
from service.domain.recovery import Recovery
from service.item_photos import recovery_photos
from tests.console.conftest import Browser, Console
from tests.pictures import jpeg, png

CSP = "default-src 'self'"


async def _attach(
    browser: Browser,
    recovery: Recovery,
    content: bytes,
    *,
    name: str = "marking.png",
    media_type: str = "image/png",
    caption: str = "",
    item: int = 0,
) -> httpx.Response:
    prefix = f"item-{recovery.items[item].id}-"
    return await browser.post(
        f"/recoveries/{recovery.id}/items/{recovery.items[item].id}/photos",
        {f"{prefix}caption": caption},
        files={f"{prefix}photo": (name, content, media_type)},
    )


async def test_a_photo_attached_with_the_form_is_shown_as_a_thumbnail_linking_to_it(
    console: Console,
) -> None:
    browser = await console.signed_in("investigator")
    recovery = await console.recorded("investigator.a", "PH 1001", "PH 1002")
    item = recovery.items[1]
    page = await browser.get(f"/recoveries/{recovery.id}")
    form = re.search(
        rf'<form method="post" action="/recoveries/{recovery.id}/items/{item.id}/photos"'
        r' enctype="multipart/form-data"[^>]*>(.*?)</form>',
        page.text,
        re.S,
    )
    assert form, "each item has its form"
    assert f'<label for="item-{item.id}-photo">' in form.group(1)
    assert f'<label for="item-{item.id}-caption">' in form.group(1)
    assert 'accept="image/jpeg,image/png"' in form.group(1)
    assert "10 MB" in form.group(1)

    original = jpeg(1600, 1200, gps=True)
    sent = await _attach(
        browser,
        recovery,
        original,
        name="IMG_0042.JPG",
        media_type="image/jpeg",
        caption="Serial on the left of the frame",
        item=1,
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == (
        f"/recoveries/{recovery.id}?photo_attached=true#item-{item.id}-photos"
    )
    shown = await browser.get(sent.headers["location"])
    assert "The photo is attached" in shown.text
    (photo,) = await recovery_photos(
        deps=console.deps, actor=await _actor(console), recovery_id=recovery.id
    )
    assert photo.item_id == item.id and photo.sha256 == hashlib.sha256(original).hexdigest()
    thumbnail = re.search(
        rf'<a href="/recoveries/{recovery.id}/photos/{photo.id}"><img '
        rf'src="/recoveries/{recovery.id}/photos/{photo.id}/thumbnail" '
        r'width="(\d+)" height="(\d+)" alt="([^"]+)"></a>',
        shown.text,
    )
    assert thumbnail, "the thumbnail links to the photo"
    assert thumbnail.groups() == ("320", "240", "Photo 1 of item 2, at full size")
    assert "Serial on the left of the frame" in shown.text
    # The history says so.
    assert "Photo attached" in shown.text

    small = await browser.get(f"/recoveries/{recovery.id}/photos/{photo.id}/thumbnail")
    assert small.status_code == 200
    assert Image.open(io.BytesIO(small.content)).size == (320, 240)
    assert not Image.open(io.BytesIO(small.content)).getexif()  # no position in it
    full = await browser.get(f"/recoveries/{recovery.id}/photos/{photo.id}")
    assert full.content == original  # exactly as sent, its metadata included


async def test_images_are_sent_as_what_they_are_and_asked_for_again_before_use(
    console: Console,
) -> None:
    browser = await console.signed_in("investigator")
    recovery = await console.recorded("investigator.a", "PH 2001")
    original = png(500, 250)
    assert (await _attach(browser, recovery, original, name="x.jpg")).status_code == 303
    (photo,) = await recovery_photos(
        deps=console.deps, actor=await _actor(console), recovery_id=recovery.id
    )
    path = f"/recoveries/{recovery.id}/photos/{photo.id}"
    full = await browser.get(path)
    assert full.status_code == 200 and full.content == original
    headers = full.headers
    # The type read from the content, whatever the file was called or said it was.
    assert headers["content-type"] == "image/png"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "private, no-cache"
    assert headers["content-disposition"] == f'inline; filename="photo-{photo.id}.png"'
    assert headers["content-security-policy"].startswith(CSP)
    assert headers["etag"] == f'"{photo.sha256}"'
    again = await browser.get(path, headers={"If-None-Match": headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    small = await browser.get(path + "/thumbnail", headers={"If-None-Match": headers["etag"]})
    assert small.status_code == 200  # another digest: the thumbnail's
    assert small.headers["etag"] == f'"{photo.thumbnail_sha256}"'
    assert small.headers["content-disposition"].endswith('-thumbnail.png"')
    # Pages themselves are still never kept.
    assert (await browser.get(f"/recoveries/{recovery.id}")).headers["cache-control"] == "no-store"


async def test_another_agencys_photo_is_the_page_not_found(console: Console) -> None:
    owner = await console.signed_in("investigator")
    recovery = await console.recorded("investigator.a", "PH 3001", case="CASE-SECRET-P")
    assert (await _attach(owner, recovery, png())).status_code == 303
    (photo,) = await recovery_photos(
        deps=console.deps, actor=await _actor(console), recovery_id=recovery.id
    )
    outsider = await console.signed_in("supervisor", "b")
    for path in (
        f"/recoveries/{recovery.id}/photos/{photo.id}",
        f"/recoveries/{recovery.id}/photos/{photo.id}/thumbnail",
        f"/recoveries/{UUID(int=7)}/photos/{photo.id}",
    ):
        answer = await outsider.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html")
        assert "Page not found" in answer.text and "CASE-SECRET-P" not in answer.text
    await outsider.get("/recoveries")
    attached = await _attach(outsider, recovery, png())
    assert attached.status_code == 404 and "Page not found" in attached.text


async def test_what_is_not_a_photo_is_refused_beside_its_field(console: Console) -> None:
    browser = await console.signed_in("investigator")
    recovery = await console.recorded("investigator.a", "PH 4001")
    item = recovery.items[0]
    field = f"item-{item.id}-photo"
    whole = jpeg(400, 300)
    for content, name, media_type, message in [
        (whole[: len(whole) // 2], "cut.jpg", "image/jpeg", "could not be read as an image"),
        (b"<html><script>alert(1)</script></html>", "marking.jpg", "image/jpeg", NOT_A_PHOTO),
        (b"GIF89a\x01\x00\x01\x00", "marking.gif", "image/gif", NOT_A_PHOTO),
        (b"", "", "application/octet-stream", "choose a photo to attach"),
    ]:
        refused = await _attach(
            browser, recovery, content, name=name, media_type=media_type, caption="Kept"
        )
        assert refused.status_code == 422, (name, refused.text)
        summary = re.search(r'<div class="error-summary".*?</div>', refused.text, re.S)
        assert summary and f'href="#{field}"' in summary.group(0)
        beside = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', refused.text)
        assert beside and message in beside.group(1), name
        assert f'aria-describedby="{field}-hint {field}-error"' in refused.text
        assert (
            f'id="item-{item.id}-caption" name="item-{item.id}-caption" type="text" value="Kept"'
            in (refused.text)
        )
    long = await _attach(browser, recovery, png(), caption="x" * 201)
    assert long.status_code == 422
    assert f'id="item-{item.id}-caption-error"' in long.text
    assert (
        await recovery_photos(
            deps=console.deps, actor=await _actor(console), recovery_id=recovery.id
        )
        == []
    )


async def test_no_photo_is_taken_without_the_forms_token(console: Console) -> None:
    browser = await console.signed_in("investigator")
    recovery = await console.recorded("investigator.a", "PH 5001")
    item = recovery.items[0]
    forged = await browser.client.post(
        f"/recoveries/{recovery.id}/items/{item.id}/photos",
        files={f"item-{item.id}-photo": ("m.png", png(), "image/png")},
    )
    assert forged.status_code == 403 and "This form could not be accepted" in forged.text
    elsewhere = await browser.client.post(
        f"/recoveries/{recovery.id}/items/{item.id}/photos",
        data={"csrf_token": browser.token or ""},
        files={f"item-{item.id}-photo": ("m.png", png(), "image/png")},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert elsewhere.status_code == 403
    assert (
        await recovery_photos(
            deps=console.deps, actor=await _actor(console), recovery_id=recovery.id
        )
        == []
    )


async def test_a_photo_over_the_limit_is_refused_and_a_body_far_over_it_is_not_read(
    console: Console,
) -> None:
    browser = await console.signed_in("investigator")
    recovery = await console.recorded("investigator.a", "PH 6001")
    limit = console.deps.photo_rules.max_bytes
    # Just over: the rules say so, beside the field.
    over = await _attach(browser, recovery, b"\x89PNG\r\n\x1a\n" + bytes(limit))
    assert over.status_code == 422
    assert "must be at most 10 MB" in over.text
    # Far over: refused before the application reads it.
    far = await _attach(browser, recovery, b"\x89PNG\r\n\x1a\n" + bytes(limit + 100_000))
    assert far.status_code == 413
    assert far.headers["content-type"] == "text/html; charset=utf-8"  # the console's page
    assert "What you sent is too large" in far.text
    # Other console forms keep the ordinary limit.
    await browser.get("/recoveries/new")
    big_form = await browser.post("/recoveries/new", {"case_reference": "x" * 2_000_000})
    assert big_form.status_code == 413


async def test_the_audit_chain_still_verifies_with_photos_in_it(console: Console) -> None:
    browser = await console.signed_in("supervisor")
    recovery = await console.recorded("supervisor.a", "PH 7001")
    for colour in ("red", "blue"):
        assert (await _attach(browser, recovery, png(colour=colour))).status_code == 303
    verified = await verify_audit_trail(deps=console.deps, actor=None)
    assert verified.ok, verified.detail


async def _actor(console: Console, username: str = "investigator.a") -> Actor:
    async with console.deps.unit_of_work() as uow:
        user = await uow.users.by_username(username)
    assert user is not None
    return user.as_actor()
