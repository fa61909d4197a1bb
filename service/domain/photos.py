"""Photos of an item's markings.

A photo is evidence: the file is kept exactly as it was sent, known by its SHA-256, and
never changed; what tracedesk shows in lists is a small copy made from it (without its
metadata, which may hold where and when it was taken). Only JPEG and PNG are taken, and
what a file is comes from its first bytes, never from its name or from what the sending
program claims: a page or a script renamed `.jpg` is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final
from uuid import UUID

from service.domain.access import Actor
from service.domain.errors import InvalidValue, ValidationCollector, ValidationFailed
from service.domain.events import DomainEvent, PhotoAttached
from service.domain.moments import as_utc
from service.domain.text import check_text

MAX_CAPTION: Final = 200
DEFAULT_MAX_BYTES: Final = 10 * 1024 * 1024
MAX_PHOTOS_PER_ITEM: Final = 20
# More pixels than any camera used on a marking makes (50 megapixels), and far fewer than
# a small file that unpacks into gigabytes of memory (a "decompression bomb") claims.
MAX_PIXELS: Final = 50_000_000
# The longer side of the copy shown in lists, in pixels.
THUMBNAIL_EDGE: Final = 320

_SHA256: Final = re.compile(r"^[0-9a-f]{64}$")
NOT_A_PHOTO: Final = "must be a JPEG or PNG image (this file is neither, whatever its name)"


class PhotoMediaType(StrEnum):
    JPEG = "image/jpeg"
    PNG = "image/png"

    @property
    def extension(self) -> str:
        return "jpg" if self is PhotoMediaType.JPEG else "png"


# The signatures the formats begin with: JPEG's start-of-image marker followed by the
# marker of its next segment; PNG's eight bytes.
_SIGNATURES: Final = (
    (b"\xff\xd8\xff", PhotoMediaType.JPEG),
    (b"\x89PNG\r\n\x1a\n", PhotoMediaType.PNG),
)


def media_type_of(content: bytes) -> PhotoMediaType | None:
    """What the content's first bytes say it is (JPEG or PNG), or None for anything else."""
    for signature, media_type in _SIGNATURES:
        if content.startswith(signature):
            return media_type
    return None


def is_sha256(value: str) -> bool:
    """A SHA-256 as tracedesk writes it: 64 lower-case hexadecimal digits."""
    return bool(_SHA256.match(value))


def thumbnail_size(width: int, height: int, edge: int = THUMBNAIL_EDGE) -> tuple[int, int]:
    """The size of the copy shown in lists: the image scaled so that its longer side is
    at most `edge`, keeping its proportions; a smaller image keeps its size."""
    longer = max(width, height)
    if longer <= edge:
        return width, height
    return max(1, round(width * edge / longer)), max(1, round(height * edge / longer))


def _size(byte_count: int) -> str:
    mebibyte = 1024 * 1024
    if byte_count >= mebibyte and byte_count % mebibyte == 0:
        return f"{byte_count // mebibyte} MB"
    return f"{byte_count} bytes"


@dataclass(frozen=True, slots=True)
class PhotoRules:
    """What a photo may be: its size in bytes and in pixels, and how many an item has."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_per_item: int = MAX_PHOTOS_PER_ITEM
    max_pixels: int = MAX_PIXELS

    def __post_init__(self) -> None:
        if self.max_bytes < 1 or self.max_per_item < 1 or self.max_pixels < 1:
            raise ValueError("photo limits must be positive")

    def check_upload(self, content: bytes, caption: str | None) -> PhotoMediaType:
        """The photo's type, read from its content, if the file and the caption may be
        attached; every problem of the two at once otherwise."""
        problems = ValidationCollector()
        found = self._content(content)
        if isinstance(found, InvalidValue):
            problems.add(found)
        try:
            caption_of(caption)
        except InvalidValue as error:
            problems.add(error)
        if problems.problems or isinstance(found, InvalidValue):
            raise ValidationFailed(problems.problems)
        return found

    def _content(self, content: bytes) -> PhotoMediaType | InvalidValue:
        if not content:
            return InvalidValue("photo", "choose a photo to attach")
        if len(content) > self.max_bytes:
            return InvalidValue("photo", f"must be at most {_size(self.max_bytes)}")
        media_type = media_type_of(content)
        if media_type is None:
            return InvalidValue("photo", NOT_A_PHOTO)
        return media_type

    def check_pixels(self, width: int, height: int) -> None:
        """Refuse an image whose header announces more pixels than a photo has."""
        if width * height > self.max_pixels:
            raise self.too_many_pixels()

    def too_many_pixels(self) -> InvalidValue:
        return InvalidValue("photo", f"has more pixels than a photo may have ({self.max_pixels:,})")

    def check_room(self, attached_to_item: int) -> None:
        """Refuse a photo beyond the number an item may have."""
        if attached_to_item >= self.max_per_item:
            raise InvalidValue("photo", f"an item has at most {self.max_per_item} photos")


def caption_of(caption: str | None) -> str | None:
    """The caption as it will be kept: None when there is none."""
    if caption is None or not caption.strip():
        return None
    return check_text(caption, "caption", max_length=MAX_CAPTION)


@dataclass(frozen=True, slots=True)
class InspectedImage:
    """What decoding a photo found: its size as it is shown (the camera's orientation
    applied), and the copy shown in lists, in the photo's format, without metadata."""

    width: int
    height: int
    thumbnail: bytes


@dataclass(frozen=True, slots=True)
class ItemPhoto:
    """A photo attached to an item of a recovery. The image and its thumbnail are kept by
    the photo store under their SHA-256; this record says what they are."""

    id: UUID
    recovery_id: UUID
    item_id: UUID
    sha256: str
    media_type: PhotoMediaType
    byte_size: int
    width: int
    height: int
    thumbnail_sha256: str
    caption: str | None
    attached_at: datetime
    attached_by: UUID
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not (is_sha256(self.sha256) and is_sha256(self.thumbnail_sha256)):
            raise ValueError("a photo is known by SHA-256 digests")
        if self.byte_size < 1 or self.width < 1 or self.height < 1:
            raise ValueError("a photo has bytes and pixels")
        object.__setattr__(self, "media_type", PhotoMediaType(self.media_type))
        object.__setattr__(self, "caption", caption_of(self.caption))
        object.__setattr__(self, "attached_at", as_utc(self.attached_at, "attached_at"))

    @property
    def thumbnail_size(self) -> tuple[int, int]:
        return thumbnail_size(self.width, self.height)

    @classmethod
    def attach(
        cls,
        *,
        photo_id: UUID,
        recovery_id: UUID,
        item_id: UUID,
        sha256: str,
        media_type: PhotoMediaType,
        byte_size: int,
        image: InspectedImage,
        thumbnail_sha256: str,
        caption: str | None,
        now: datetime,
        by: Actor,
    ) -> ItemPhoto:
        """A photo attached now by `by`; it records that it was."""
        photo = cls(
            id=photo_id,
            recovery_id=recovery_id,
            item_id=item_id,
            sha256=sha256,
            media_type=media_type,
            byte_size=byte_size,
            width=image.width,
            height=image.height,
            thumbnail_sha256=thumbnail_sha256,
            caption=caption,
            attached_at=now,
            attached_by=by.id,
        )
        photo.events.append(
            PhotoAttached(
                recovery_id=recovery_id,
                item_id=item_id,
                photo_id=photo_id,
                sha256=sha256,
                thumbnail_sha256=thumbnail_sha256,
                media_type=photo.media_type.value,
                byte_size=byte_size,
                width=photo.width,
                height=photo.height,
                caption=photo.caption,
                actor=by,
            )
        )
        return photo
