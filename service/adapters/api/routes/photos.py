"""Photos of items' markings: attach one (multipart), list a recovery's, get one as it was
sent or its thumbnail."""

from __future__ import annotations

from typing import Annotated, Any, Final
from uuid import UUID

from fastapi import Depends, File, Form, Header, Response, UploadFile

from service.adapters.api.dependencies import CurrentActor, Deps, action
from service.adapters.api.form_parts import one_part_each
from service.adapters.api.problems import problem_responses
from service.adapters.api.routers import ApiRouter
from service.adapters.api.schemas.photos import (
    PhotoList,
    PhotoPublic,
    held_digest,
    image_response,
    photo_public,
)
from service.domain.access import Action
from service.domain.photos import MAX_CAPTION
from service.item_photos import (
    AttachPhoto,
    PhotoVariant,
    attach_photo,
    photo_content,
    recovery_photos,
)

router = ApiRouter(prefix="/api/v1/recoveries", tags=["photos"])
# The path the body-size limit gives the photo limit to (see the application factory).
UPLOAD: Final = f"{router.prefix}/{{recovery_id}}/items/{{item_id}}/photos"

_IMAGE: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "content": {"image/jpeg": {}, "image/png": {}},
        "description": "The image, of the type read from its content when it was attached",
    },
    304: {"description": "The image is the one of the digest sent in If-None-Match"},
}


@router.post(
    "/{recovery_id}/items/{item_id}/photos",
    status_code=201,
    responses=problem_responses(401, 403, 404, 413, 422),
    openapi_extra=action(Action.RECOVERY_CORRECT),
    dependencies=[Depends(one_part_each("photo", "caption"))],
)
async def attach(
    recovery_id: UUID,
    item_id: UUID,
    deps: Deps,
    actor: CurrentActor,
    response: Response,
    photo: Annotated[
        UploadFile, File(description="JPEG or PNG, judged by its content, not its name")
    ],
    caption: Annotated[str | None, Form(max_length=MAX_CAPTION)] = None,
) -> PhotoPublic:
    """Attach a photo of its markings to an item of your agency's recovery. The photo is
    kept exactly as sent; its SHA-256 and its thumbnail's are in the audit trail. One
    photo per request: a second `photo` (or `caption`) part is a 422, nothing attached."""
    content = await photo.read(deps.photo_rules.max_bytes + 1)
    attached = await attach_photo(
        deps=deps,
        actor=actor,
        command=AttachPhoto(recovery_id, item_id, content, caption),
    )
    public = photo_public(attached)
    response.headers["Location"] = public.url
    return public


@router.get(
    "/{recovery_id}/photos",
    responses=problem_responses(401, 403, 404),
    openapi_extra=action(Action.RECOVERY_READ),
)
async def list_photos(recovery_id: UUID, deps: Deps, actor: CurrentActor) -> PhotoList:
    """The photos of a recovery's items, in the order they were attached."""
    photos = await recovery_photos(deps=deps, actor=actor, recovery_id=recovery_id)
    return PhotoList(photos=[photo_public(photo) for photo in photos])


IfNoneMatch = Annotated[
    str | None, Header(description="The ETag you hold: 304 if it is still the image's")
]


@router.get(
    "/{recovery_id}/photos/{photo_id}",
    response_class=Response,
    responses={**_IMAGE, **problem_responses(401, 403, 404)},
    openapi_extra=action(Action.RECOVERY_READ),
)
async def read_photo(
    recovery_id: UUID,
    photo_id: UUID,
    deps: Deps,
    actor: CurrentActor,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The photo exactly as it was sent; its ETag is its SHA-256."""
    return await _image(deps, actor, recovery_id, photo_id, PhotoVariant.ORIGINAL, if_none_match)


@router.get(
    "/{recovery_id}/photos/{photo_id}/thumbnail",
    response_class=Response,
    responses={**_IMAGE, **problem_responses(401, 403, 404)},
    openapi_extra=action(Action.RECOVERY_READ),
)
async def read_thumbnail(
    recovery_id: UUID,
    photo_id: UUID,
    deps: Deps,
    actor: CurrentActor,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The photo's thumbnail (at most 320 pixels a side, no metadata), of its type."""
    return await _image(deps, actor, recovery_id, photo_id, PhotoVariant.THUMBNAIL, if_none_match)


async def _image(
    deps: Deps,
    actor: CurrentActor,
    recovery_id: UUID,
    photo_id: UUID,
    variant: PhotoVariant,
    if_none_match: str | None,
) -> Response:
    found = await photo_content(
        deps=deps,
        actor=actor,
        recovery_id=recovery_id,
        photo_id=photo_id,
        variant=variant,
        held=held_digest(if_none_match),
    )
    return image_response(found, **{"X-Content-Type-Options": "nosniff"})
