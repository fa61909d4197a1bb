"""Photos of items' markings: attaching one from the recovery's page (a plain multipart
form post), and the photos and their thumbnails themselves.

Images are sent as what their record says they are (the type read from their content
when they were attached), never sniffed, inline, and cached by the browser only to be
asked again: each use is checked against the person's rights, and answered "not
modified" when the browser holds the same digest.
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from service.adapters.console.dependencies import ConsoleDeps, Holder, PostedForm
from service.adapters.console.forms import form_text, problems_by_field
from service.adapters.console.routes.recoveries import recovery_page
from service.domain.errors import InvalidValue, ValidationFailed
from service.domain.photos import is_sha256
from service.item_photos import AttachPhoto, PhotoVariant, attach_photo, photo_content

router = APIRouter()
# The path the body-size limit gives the photo limit to (see the application factory).
UPLOAD: Final = "/recoveries/{recovery_id}/items/{item_id}/photos"


def field_prefix(item_id: UUID) -> str:
    """Each item has its form on the recovery's page: its fields are named after it."""
    return f"item-{item_id}-"


@router.post(UPLOAD)
async def attach(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    form: PostedForm,
    recovery_id: UUID,
    item_id: UUID,
) -> Response:
    prefix = field_prefix(item_id)
    caption = form_text(form, f"{prefix}caption")
    upload = form.get(f"{prefix}photo")
    # One byte over the limit is enough to know it is over (the body limit bounds it).
    content = (
        await upload.read(deps.photo_rules.max_bytes + 1) if isinstance(upload, UploadFile) else b""
    )
    try:
        await attach_photo(
            deps=deps,
            actor=holder.actor,
            command=AttachPhoto(recovery_id, item_id, content, caption or None),
        )
    except ValidationFailed as refused:
        errors = problems_by_field(refused.problems)
    except InvalidValue as refused:
        errors = problems_by_field([refused])
    else:
        return RedirectResponse(
            f"/recoveries/{recovery_id}?photo_attached=true#{prefix}photos", status_code=303
        )
    return await recovery_page(
        request,
        deps,
        holder,
        recovery_id,
        errors={f"{prefix}{name}": message for name, message in errors.items()},
        values={f"{prefix}caption": caption},
        status_code=422,
    )


@router.get("/recoveries/{recovery_id}/photos/{photo_id}")
async def photo(
    request: Request, deps: ConsoleDeps, holder: Holder, recovery_id: UUID, photo_id: UUID
) -> Response:
    """The photo exactly as it was sent."""
    return await _image(request, deps, holder, recovery_id, photo_id, PhotoVariant.ORIGINAL)


@router.get("/recoveries/{recovery_id}/photos/{photo_id}/thumbnail")
async def thumbnail(
    request: Request, deps: ConsoleDeps, holder: Holder, recovery_id: UUID, photo_id: UUID
) -> Response:
    return await _image(request, deps, holder, recovery_id, photo_id, PhotoVariant.THUMBNAIL)


async def _image(
    request: Request,
    deps: ConsoleDeps,
    holder: Holder,
    recovery_id: UUID,
    photo_id: UUID,
    variant: PhotoVariant,
) -> Response:
    found = await photo_content(
        deps=deps,
        actor=holder.actor,
        recovery_id=recovery_id,
        photo_id=photo_id,
        variant=variant,
        held=_held(request.headers.get("if-none-match")),
    )
    suffix = "" if variant is PhotoVariant.ORIGINAL else "-thumbnail"
    headers = {
        "ETag": f'"{found.sha256}"',
        # Kept by this browser only, and asked for again before each use.
        "Cache-Control": "private, no-cache",
        "Content-Disposition": (
            f'inline; filename="photo-{photo_id}{suffix}.{found.media_type.extension}"'
        ),
    }
    if found.content is None:
        return Response(status_code=304, headers=headers)
    return Response(found.content, media_type=found.media_type.value, headers=headers)


def _held(if_none_match: str | None) -> str | None:
    """The digest of the copy the browser holds, from its If-None-Match."""
    for tag in (if_none_match or "").split(","):
        digest = tag.strip().removeprefix("W/").strip('"')
        if is_sha256(digest):
            return digest
    return None
