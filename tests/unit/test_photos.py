"""Photos of markings: what a photo may be (read from its bytes, never from its name),
what decoding it checks and what its thumbnail keeps of it, and attaching and reading
one through the use cases on the in-memory adapters."""

from __future__ import annotations

import dataclasses
import io

import pytest
from PIL import Image

from service.adapters.images import DAMAGED, inspect_image
from service.domain.errors import InvalidValue, ValidationFailed
from service.domain.events import PhotoAttached
from service.domain.photos import (
    NOT_A_PHOTO,
    InspectedImage,
    ItemPhoto,
    PhotoMediaType,
    PhotoRules,
    media_type_of,
    thumbnail_size,
)
from tests.builders import actor
from tests.fakes import NOW, new_id
from tests.pictures import GPS_IFD, claiming, jpeg, png

GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
# What a file named marking.jpg may hold: a page with a script, an SVG with one.
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


# --- what a photo may be ------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [(png(), PhotoMediaType.PNG), (jpeg(), PhotoMediaType.JPEG)],
    ids=["png", "jpeg"],
)
def test_jpeg_and_png_are_known_by_their_first_bytes(
    content: bytes, expected: PhotoMediaType
) -> None:
    assert media_type_of(content) is expected
    assert PhotoRules().check_upload(content, None) is expected


@pytest.mark.parametrize(
    "content",
    [GIF, PDF, HTML, SVG, b"\xff\xd8", b"\x89PNG\r\n", b" " + png()],
    ids=["gif", "pdf", "html-named-jpg", "svg", "half-a-jpeg-signature", "half-png", "shifted"],
)
def test_anything_else_is_refused_whatever_it_is_called(content: bytes) -> None:
    assert media_type_of(content) is None
    with pytest.raises(ValidationFailed) as refused:
        PhotoRules().check_upload(content, None)
    assert [(p.field, p.detail) for p in refused.value.problems] == [("photo", NOT_A_PHOTO)]


def test_an_empty_file_asks_for_a_photo() -> None:
    with pytest.raises(ValidationFailed) as refused:
        PhotoRules().check_upload(b"", None)
    assert [(p.field, p.detail) for p in refused.value.problems] == [
        ("photo", "choose a photo to attach")
    ]


def test_a_photo_over_the_limit_is_refused_and_one_at_the_limit_taken() -> None:
    content = png(200, 200)
    assert PhotoRules(max_bytes=len(content)).check_upload(content, None) is PhotoMediaType.PNG
    with pytest.raises(ValidationFailed) as refused:
        PhotoRules(max_bytes=len(content) - 1).check_upload(content, None)
    assert [p.field for p in refused.value.problems] == ["photo"]
    assert refused.value.problems[0].detail == f"must be at most {len(content) - 1} bytes"
    with pytest.raises(ValidationFailed) as megabytes:
        PhotoRules(max_bytes=1024 * 1024).check_upload(b"\xff\xd8\xff" + bytes(1024 * 1024), None)
    assert megabytes.value.problems[0].detail == "must be at most 1 MB"


def test_the_file_and_the_caption_are_judged_together() -> None:
    with pytest.raises(ValidationFailed) as refused:
        PhotoRules().check_upload(GIF, "x" * 201)
    assert [(p.field, p.detail) for p in refused.value.problems] == [
        ("photo", NOT_A_PHOTO),
        ("caption", "must be at most 200 characters"),
    ]
    with pytest.raises(ValidationFailed) as invisible:
        PhotoRules().check_upload(png(), "slide\u200bleft")
    assert [p.field for p in invisible.value.problems] == ["caption"]


def test_an_item_has_a_limited_number_of_photos() -> None:
    PhotoRules(max_per_item=2).check_room(1)
    with pytest.raises(InvalidValue) as refused:
        PhotoRules(max_per_item=2).check_room(2)
    assert refused.value.field == "photo"


def test_thumbnails_fit_in_the_edge_and_keep_their_proportions() -> None:
    assert thumbnail_size(4000, 3000) == (320, 240)
    assert thumbnail_size(1000, 4000) == (80, 320)
    assert thumbnail_size(5000, 1) == (320, 1)
    assert thumbnail_size(200, 100) == (200, 100)


def test_attaching_records_the_digests_of_both_files() -> None:
    by = actor()
    photo = ItemPhoto.attach(
        photo_id=new_id(),
        recovery_id=new_id(),
        item_id=new_id(),
        sha256="a" * 64,
        media_type=PhotoMediaType.JPEG,
        byte_size=1234,
        image=InspectedImage(4000, 3000, b"thumbnail"),
        thumbnail_sha256="b" * 64,
        caption="  ",
        now=NOW,
        by=by,
    )
    assert photo.caption is None and photo.thumbnail_size == (320, 240)
    (event,) = photo.events
    assert event == PhotoAttached(
        recovery_id=photo.recovery_id,
        item_id=photo.item_id,
        photo_id=photo.id,
        sha256="a" * 64,
        thumbnail_sha256="b" * 64,
        media_type="image/jpeg",
        byte_size=1234,
        width=4000,
        height=3000,
        caption=None,
        actor=by,
    )
    with pytest.raises(ValueError, match="SHA-256"):
        dataclasses.replace(photo, sha256="../../etc/passwd")


# --- decoding and the thumbnail -----------------------------------------------------------


def test_the_thumbnail_keeps_no_metadata_of_the_photo() -> None:
    original = jpeg(1600, 1200, gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # it has a position
    found = inspect_image(original, PhotoMediaType.JPEG, PhotoRules())
    assert (found.width, found.height) == (1600, 1200)
    thumbnail = Image.open(io.BytesIO(found.thumbnail))
    assert thumbnail.format == "JPEG" and thumbnail.size == (320, 240)
    assert not thumbnail.getexif() and "exif" not in thumbnail.info
    assert "icc_profile" not in thumbnail.info


def test_the_cameras_orientation_is_applied_to_size_and_thumbnail() -> None:
    found = inspect_image(jpeg(800, 400, orientation=6), PhotoMediaType.JPEG, PhotoRules())
    assert (found.width, found.height) == (400, 800)
    assert Image.open(io.BytesIO(found.thumbnail)).size == (160, 320)


@pytest.mark.parametrize("mode", ["RGBA", "L", "I;16", "P"])
def test_png_thumbnails_stay_png_whatever_their_pixels(mode: str) -> None:
    found = inspect_image(png(400, 100, mode=mode), PhotoMediaType.PNG, PhotoRules())
    thumbnail = Image.open(io.BytesIO(found.thumbnail))
    assert thumbnail.format == "PNG" and thumbnail.size == (320, 80)
    assert (thumbnail.mode == "RGBA") is (mode == "RGBA")


def test_a_photo_cut_short_or_damaged_is_refused() -> None:
    whole, picture = jpeg(300, 200), png(300, 200)
    flipped = bytearray(picture)
    flipped[40] ^= 0xFF  # inside the pixel data: its checksum no longer holds
    for content, media_type in [
        (whole[: len(whole) // 2], PhotoMediaType.JPEG),
        (picture[:-20], PhotoMediaType.PNG),
        (bytes(flipped), PhotoMediaType.PNG),
        (b"\xff\xd8\xff" + bytes(500), PhotoMediaType.JPEG),
        (picture, PhotoMediaType.JPEG),  # only the decoder its first bytes name is tried
    ]:
        with pytest.raises(InvalidValue) as refused:
            inspect_image(content, media_type, PhotoRules())
        assert (refused.value.field, refused.value.detail) == ("photo", DAMAGED)


@pytest.mark.parametrize("side", [8_000, 100_000], ids=["over-our-limit", "over-pillows"])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(side: int) -> None:
    bomb = claiming(png(), side, side)
    with pytest.raises(InvalidValue) as refused:
        inspect_image(bomb, PhotoMediaType.PNG, PhotoRules())
    assert refused.value.field == "photo" and "more pixels" in refused.value.detail
