"""Photos of items' markings: attaching one from the recovery's page (a plain multipart
form post), and the photos and their thumbnails themselves, sent as the API sends them
(`image_response`): of the type their record holds, never sniffed, and kept by the
browser only to be asked for again, so that each use is checked against the person's
rights ("not modified" when the browser holds the same digest).
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from service.adapters.api.schemas.photos import held_digest, image_response
from service.adapters.console.dependencies import ConsoleDeps, Holder, PostedForm
from service.adapters.console.forms import form_text, problems_by_field
from service.adapters.console.i18n import N_
from service.adapters.console.routes.recoveries import recovery_page
from service.domain.errors import InvalidValue, ValidationFailed
from service.item_photos import AttachPhoto, PhotoVariant, attach_photo, photo_content

router = APIRouter()
# The path the body-size limit gives the photo limit to (see the application factory).
UPLOAD: Final = "/recoveries/{recovery_id}/items/{item_id}/photos"
# What a form that repeats one of its fields is told, beside the field.
_ONE_EACH: Final = {
    "photo": N_("attach one photo at a time"),
    "caption": N_("a photo has one caption"),
}


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
    content = b""
    if isinstance(upload, UploadFile):
        # One byte over the limit is enough to know it is over (the body limit bounds it).
        content = await upload.read(deps.photo_rules.max_bytes + 1)
        await upload.close()
    try:
        # A second photo (or caption) in one form would be dropped without a word.
        if repeated := [n for n in _ONE_EACH if len(form.getlist(f"{prefix}{n}")) > 1]:
            raise ValidationFailed.of(*(InvalidValue(n, _ONE_EACH[n]) for n in repeated))
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
        held=held_digest(request.headers.get("if-none-match")),
    )
    return image_response(found)  # the console adds nosniff to every answer
