"""The public shape of photos of markings: a photo's record, with where to get the photo
as sent and its thumbnail; and the image itself as it is sent (by the API and the
console alike): of the type its record holds, inline, kept by the client only to be
asked for again (each use is checked), its SHA-256 as ETag."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field
from starlette.responses import Response

from service.domain.photos import ItemPhoto, is_sha256
from service.item_photos import PhotoContent, PhotoVariant


class PhotoPublic(BaseModel):
    id: UUID
    recovery_id: UUID
    item_id: UUID
    sha256: str = Field(description="SHA-256 of the photo as sent; the audit trail has it too")
    media_type: str = Field(description="Read from the file's content: image/jpeg or image/png")
    byte_size: int
    width: int = Field(description="In pixels, as shown (the camera's orientation applied)")
    height: int
    thumbnail_sha256: str = Field(description="SHA-256 of the thumbnail (no metadata)")
    thumbnail_width: int
    thumbnail_height: int
    caption: str | None
    attached_at: datetime
    attached_by: UUID
    url: str = Field(description="The photo exactly as it was sent")
    thumbnail_url: str


class PhotoList(BaseModel):
    photos: list[PhotoPublic] = Field(description="In the order they were attached")


def photo_public(photo: ItemPhoto) -> PhotoPublic:
    url = f"/api/v1/recoveries/{photo.recovery_id}/photos/{photo.id}"
    width, height = photo.thumbnail_size
    return PhotoPublic(
        id=photo.id,
        recovery_id=photo.recovery_id,
        item_id=photo.item_id,
        sha256=photo.sha256,
        media_type=photo.media_type.value,
        byte_size=photo.byte_size,
        width=photo.width,
        height=photo.height,
        thumbnail_sha256=photo.thumbnail_sha256,
        thumbnail_width=width,
        thumbnail_height=height,
        caption=photo.caption,
        attached_at=photo.attached_at,
        attached_by=photo.attached_by,
        url=url,
        thumbnail_url=f"{url}/thumbnail",
    )


def image_response(found: PhotoContent, **headers: str) -> Response:
    """The image, or 304 when the client holds it already (`content` is None)."""
    suffix = "" if found.variant is PhotoVariant.ORIGINAL else "-thumbnail"
    name = f"photo-{found.photo.id}{suffix}.{found.media_type.extension}"
    headers |= {
        "ETag": f'"{found.sha256}"',
        "Cache-Control": "private, no-cache",
        "Content-Disposition": f'inline; filename="{name}"',
    }
    if found.content is None:
        return Response(status_code=304, headers=headers)
    return Response(found.content, media_type=found.media_type.value, headers=headers)


def held_digest(if_none_match: str | None) -> str | None:
    """The digest of the copy the client holds, from its If-None-Match."""
    for tag in (if_none_match or "").split(","):
        digest = tag.strip().removeprefix("W/").strip('"')
        if is_sha256(digest):
            return digest
    return None
