"""Attaching a photo to an item and reading it back, through the use cases on the
in-memory adapters: who may, what is kept, what is audited, and what is refused."""

from __future__ import annotations

import dataclasses
import hashlib
import io

import pytest
from PIL import Image

from service.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from service.adapters.memory.photos import InMemoryPhotoStore
from service.dependencies import Dependencies
from service.domain.access import Role
from service.domain.errors import Forbidden, InvalidValue, NotFound, ValidationFailed
from service.domain.photos import PhotoMediaType, PhotoRules
from service.domain.ports.audit import AuditFilter
from service.domain.reference import ReferenceCatalogue
from service.item_photos import (
    AttachPhoto,
    PhotoVariant,
    attach_photo,
    photo_content,
    recovery_photos,
)
from service.recoveries import record_recovery
from tests.builders import AGENCY_B, actor, dependencies_for_tests, record_command
from tests.fakes import Clock, new_id
from tests.pictures import jpeg, png

HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def deps(store: InMemoryStore, catalogue: ReferenceCatalogue) -> Dependencies:
    return dependencies_for_tests(
        lambda: InMemoryUnitOfWork(store), clock=Clock(), catalogue=catalogue
    )


async def test_an_investigator_attaches_a_photo_kept_exactly_as_sent(deps: Dependencies) -> None:
    investigator = actor(Role.INVESTIGATOR)
    recovery = await record_recovery(deps=deps, actor=investigator, command=record_command())
    item = recovery.items[0]
    original = jpeg(1000, 500, gps=True)
    photo = await attach_photo(
        deps=deps,
        actor=investigator,
        command=AttachPhoto(recovery.id, item.id, original, caption="Left side of the slide"),
    )
    assert photo.sha256 == hashlib.sha256(original).hexdigest()
    assert (photo.media_type, photo.byte_size) == (PhotoMediaType.JPEG, len(original))
    assert (photo.width, photo.height, photo.caption) == (1000, 500, "Left side of the slide")
    files = deps.photo_store
    assert isinstance(files, InMemoryPhotoStore)
    assert files.files[photo.sha256] == original
    assert photo.thumbnail_sha256 in files.files

    listed = await recovery_photos(deps=deps, actor=investigator, recovery_id=recovery.id)
    assert listed == [photo]
    sent = await photo_content(
        deps=deps, actor=investigator, recovery_id=recovery.id, photo_id=photo.id
    )
    assert (sent.content, sent.media_type) == (original, PhotoMediaType.JPEG)
    small = await photo_content(
        deps=deps,
        actor=investigator,
        recovery_id=recovery.id,
        photo_id=photo.id,
        variant=PhotoVariant.THUMBNAIL,
    )
    assert small.sha256 == photo.thumbnail_sha256
    assert Image.open(io.BytesIO(small.content or b"")).size == (320, 160)
    held = await photo_content(
        deps=deps,
        actor=investigator,
        recovery_id=recovery.id,
        photo_id=photo.id,
        held=photo.sha256,
    )
    assert held.content is None

    async with deps.unit_of_work() as uow:
        (event,) = await uow.audit.events(
            AuditFilter(action="recovery.photo_attached"), after_seq=None, limit=10
        )
    assert event.event.entity_type == "recovery" and event.event.entity_id == str(recovery.id)
    assert event.event.changes is not None
    assert event.event.changes["photo"]["sha256"] == photo.sha256
    assert event.event.changes["photo"]["thumbnail_sha256"] == photo.thumbnail_sha256
    # The recovery itself did not change.
    async with deps.unit_of_work() as uow:
        stored = await uow.recoveries.get(recovery.id)
    assert stored is not None and stored.version == recovery.version


async def test_another_agencys_recovery_item_and_photo_are_not_found_as_unknown_ones(
    deps: Dependencies,
) -> None:
    owner = actor(Role.INVESTIGATOR)
    recovery = await record_recovery(deps=deps, actor=owner, command=record_command())
    other = await record_recovery(deps=deps, actor=owner, command=record_command(case="C-2"))
    item = recovery.items[0]
    photo = await attach_photo(
        deps=deps, actor=owner, command=AttachPhoto(recovery.id, item.id, png())
    )
    outsider = actor(Role.SUPERVISOR, agency=AGENCY_B)
    for recovery_id in (recovery.id, new_id()):
        with pytest.raises(NotFound, match="recovery"):
            await attach_photo(
                deps=deps, actor=outsider, command=AttachPhoto(recovery_id, item.id, png())
            )
        with pytest.raises(NotFound, match="recovery"):
            await recovery_photos(deps=deps, actor=outsider, recovery_id=recovery_id)
        with pytest.raises(NotFound, match="recovery"):
            await photo_content(
                deps=deps, actor=outsider, recovery_id=recovery_id, photo_id=photo.id
            )
    # An item or a photo is looked for only in the recovery named with it.
    with pytest.raises(NotFound, match="item"):
        await attach_photo(deps=deps, actor=owner, command=AttachPhoto(other.id, item.id, png()))
    with pytest.raises(NotFound, match="photo"):
        await photo_content(deps=deps, actor=owner, recovery_id=other.id, photo_id=photo.id)


async def test_only_those_who_may_correct_attach_and_those_who_may_read_see(
    deps: Dependencies,
) -> None:
    recovery = await record_recovery(deps=deps, actor=actor(), command=record_command())
    command = AttachPhoto(recovery.id, recovery.items[0].id, png())
    for role in (Role.TRACING_OFFICER, Role.AUDITOR, Role.ADMIN):
        with pytest.raises(Forbidden):
            await attach_photo(deps=deps, actor=actor(role), command=command)
        with pytest.raises(Forbidden):
            await recovery_photos(deps=deps, actor=actor(role), recovery_id=recovery.id)
    await attach_photo(deps=deps, actor=actor(Role.SUPERVISOR), command=command)


async def test_a_refused_photo_leaves_nothing_behind(deps: Dependencies) -> None:
    investigator = actor()
    recovery = await record_recovery(deps=deps, actor=investigator, command=record_command())
    item_id = recovery.items[0].id
    files = deps.photo_store
    assert isinstance(files, InMemoryPhotoStore)
    for content in (HTML, jpeg()[:200]):
        with pytest.raises((ValidationFailed, InvalidValue)):
            await attach_photo(
                deps=deps, actor=investigator, command=AttachPhoto(recovery.id, item_id, content)
            )
    limited = dataclasses.replace(deps, photo_rules=PhotoRules(max_per_item=1))
    await attach_photo(
        deps=limited, actor=investigator, command=AttachPhoto(recovery.id, item_id, png())
    )
    with pytest.raises(InvalidValue, match="at most 1 photos"):
        await attach_photo(
            deps=limited,
            actor=investigator,
            command=AttachPhoto(recovery.id, item_id, png(10, 10)),
        )
    assert len(await recovery_photos(deps=deps, actor=investigator, recovery_id=recovery.id)) == 1
    assert len(files.files) == 2  # the one photo taken, and its thumbnail
