"""Use cases for photos of items' markings: attach one to an item, list a recovery's,
and read one (the photo as sent, or its thumbnail).

Attaching is a change to the recovery's evidence, allowed to those who may correct the
recovery; reading, to those who may read it. Another agency's recovery, its items and
its photos are not found, exactly as those that do not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from service.dependencies import Dependencies
from service.domain.access import Action, Actor, authorize
from service.domain.errors import NotFound
from service.domain.photos import ItemPhoto, PhotoMediaType, caption_of
from service.recovery_access import recovery_for


@dataclass(frozen=True, slots=True)
class AttachPhoto:
    recovery_id: UUID
    item_id: UUID
    content: bytes
    caption: str | None = None


class PhotoVariant(StrEnum):
    ORIGINAL = "original"
    THUMBNAIL = "thumbnail"


@dataclass(frozen=True, slots=True)
class PhotoContent:
    """A photo's bytes to send, with what to send them as."""

    photo: ItemPhoto
    variant: PhotoVariant
    sha256: str
    media_type: PhotoMediaType
    content: bytes | None  # None: the reader holds these bytes already


async def attach_photo(*, deps: Dependencies, actor: Actor, command: AttachPhoto) -> ItemPhoto:
    """Attach a JPEG or PNG photo to an item of a recovery of the actor's agency. The file
    is kept as sent; its SHA-256, and its thumbnail's, go into the audit trail."""
    authorize(actor, Action.RECOVERY_CORRECT)
    rules = deps.photo_rules
    media_type = rules.check_upload(command.content, command.caption)
    # Decoded before a connection is taken: the CPU work holds none.
    image = await deps.images.inspect(command.content, media_type, rules=rules)
    async with deps.unit_of_work() as uow:
        recovery = await recovery_for(uow, actor, Action.RECOVERY_CORRECT, command.recovery_id)
        if all(item.id != command.item_id for item in recovery.items):
            raise NotFound("item", str(command.item_id))
        attached = await uow.photos.of_recovery(recovery.id)
        rules.check_room(sum(1 for p in attached if p.item_id == command.item_id))
        # The files first: a record is never written for a file that is not kept. A file
        # kept for a change that then fails is harmless (it is named by its content).
        sha256 = await deps.photo_store.put(command.content)
        thumbnail_sha256 = await deps.photo_store.put(image.thumbnail)
        photo = ItemPhoto.attach(
            photo_id=deps.ids.new_id(),
            recovery_id=recovery.id,
            item_id=command.item_id,
            sha256=sha256,
            media_type=media_type,
            byte_size=len(command.content),
            image=image,
            thumbnail_sha256=thumbnail_sha256,
            caption=caption_of(command.caption),
            now=deps.clock.now(),
            by=actor,
        )
        uow.photos.add(photo)
        await uow.commit()
    return photo


async def recovery_photos(
    *, deps: Dependencies, actor: Actor, recovery_id: UUID
) -> list[ItemPhoto]:
    """The photos of a recovery's items, in the order they were attached."""
    authorize(actor, Action.RECOVERY_READ)
    async with deps.unit_of_work() as uow:
        recovery = await recovery_for(uow, actor, Action.RECOVERY_READ, recovery_id)
        return await uow.photos.of_recovery(recovery.id)


async def photo_content(
    *,
    deps: Dependencies,
    actor: Actor,
    recovery_id: UUID,
    photo_id: UUID,
    variant: PhotoVariant = PhotoVariant.ORIGINAL,
    held: str | None = None,
) -> PhotoContent:
    """A photo of a recovery the actor may read: as it was sent, or its thumbnail (which
    has the photo's format). When the reader holds the bytes of digest `held` already
    and they are the ones asked for, they are not read again."""
    authorize(actor, Action.RECOVERY_READ)
    async with deps.unit_of_work() as uow:
        recovery = await recovery_for(uow, actor, Action.RECOVERY_READ, recovery_id)
        photo = await uow.photos.get(photo_id)
    if photo is None or photo.recovery_id != recovery.id:
        raise NotFound("photo", str(photo_id))
    sha256 = photo.sha256 if variant is PhotoVariant.ORIGINAL else photo.thumbnail_sha256
    if held == sha256:
        return PhotoContent(photo, variant, sha256, photo.media_type, None)
    content = await deps.photo_store.get(sha256)
    if content is None:
        # The record exists and its file does not: storage lost evidence. Not a 404.
        raise LookupError(f"the file of photo {photo.id} ({sha256}) is missing from the store")
    return PhotoContent(photo, variant, sha256, photo.media_type, content)
