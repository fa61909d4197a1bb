"""Photos, the same on every storage: their records on memory, SQLite and PostgreSQL, and
their files, kept by content in a directory (or a dictionary, for the unit tests)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from service.adapters.memory.photos import InMemoryPhotoStore
from service.adapters.photo_files import FileSystemPhotoStore
from service.domain.photos import InspectedImage, ItemPhoto, PhotoMediaType
from service.domain.ports.photos import PhotoStore
from service.domain.ports.unit_of_work import UnitOfWork
from service.domain.recovery import Recovery
from tests.builders import actor, firearm, recovery
from tests.fakes import NOW, new_id

# --- records ----------------------------------------------------------------------------


def _photo(
    of: Recovery, *, item: int = 0, minutes: int = 0, caption: str | None = None
) -> ItemPhoto:
    digest = hashlib.sha256(new_id().bytes).hexdigest()
    return ItemPhoto.attach(
        photo_id=new_id(),
        recovery_id=of.id,
        item_id=of.items[item].id,
        sha256=digest,
        media_type=PhotoMediaType.PNG,
        byte_size=2048,
        image=InspectedImage(640, 480, b""),
        thumbnail_sha256=digest[::-1],
        caption=caption,
        now=NOW + timedelta(minutes=minutes),
        by=actor(),
    )


async def _recorded(unit_of_work: Callable[[], UnitOfWork], *items: int) -> Recovery:
    recorded = recovery(*(firearm(serial=f"PH {n}") for n in items or (1,)))
    async with unit_of_work() as uow:
        uow.recoveries.add(recorded)
        await uow.commit()
    return recorded


async def test_a_photo_record_is_kept_once_committed_and_read_back_whole(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    recorded = await _recorded(unit_of_work)
    photo = _photo(recorded, caption="Serial under the trigger guard, read with a lamp")
    async with unit_of_work() as uow:
        uow.photos.add(photo)  # not committed: rolled back
    async with unit_of_work() as uow:
        assert await uow.photos.get(photo.id) is None
        assert await uow.photos.of_recovery(recorded.id) == []
        uow.photos.add(photo)
        await uow.commit()
    async with unit_of_work() as uow:
        found = await uow.photos.get(photo.id)
        assert found == photo
        assert found is not None and found.media_type is PhotoMediaType.PNG
        assert found.attached_at == NOW and found.attached_at.tzinfo is not None


async def test_a_recoverys_photos_come_in_the_order_they_were_attached(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    recorded = await _recorded(unit_of_work, 1, 2)
    other = await _recorded(unit_of_work, 3)
    later = _photo(recorded, item=1, minutes=5)
    first = _photo(recorded, item=0, minutes=1)
    theirs = _photo(other)
    async with unit_of_work() as uow:
        for photo in (later, theirs, first):
            uow.photos.add(photo)
        await uow.commit()
    async with unit_of_work() as uow:
        assert await uow.photos.of_recovery(recorded.id) == [first, later]
        assert await uow.photos.of_recovery(other.id) == [theirs]
        assert await uow.photos.of_recovery(new_id()) == []
        assert await uow.photos.get(new_id()) is None


# --- files ----------------------------------------------------------------------------------


@pytest.fixture(params=["files", "memory"])
def photo_store(request: pytest.FixtureRequest, tmp_path: Path) -> PhotoStore:
    if request.param == "memory":
        return InMemoryPhotoStore()
    return FileSystemPhotoStore(tmp_path / "photos")


async def test_a_file_is_kept_under_the_sha256_of_its_bytes(photo_store: PhotoStore) -> None:
    content = b"\x89PNG\r\n\x1a\n the bytes of a photo"
    digest = hashlib.sha256(content).hexdigest()
    assert not await photo_store.exists(digest)
    assert await photo_store.get(digest) is None
    assert await photo_store.put(content) == digest
    assert await photo_store.exists(digest)
    assert await photo_store.get(digest) == content
    # The same bytes again are the same file; other bytes, another one.
    assert await photo_store.put(content) == digest
    assert await photo_store.put(content + b"!") != digest
    assert await photo_store.get("0" * 64) is None
    for malformed in ("../../etc/passwd", "A" * 64, digest[:-1], ""):
        assert await photo_store.get(malformed) is None
        assert not await photo_store.exists(malformed)


async def test_files_are_sharded_read_only_and_made_only_when_first_written(
    tmp_path: Path,
) -> None:
    root = tmp_path / "evidence" / "photos"
    store = FileSystemPhotoStore(root)
    assert not root.exists()
    digest = await store.put(b"photo")
    path = root / digest[:2] / digest[2:4] / digest
    assert store.path_of(digest) == path and path.read_bytes() == b"photo"
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode & 0o111 == 0 and mode & 0o222 == 0  # never executable, never rewritten
    assert mode & 0o007 == 0  # nobody else's to read
    inode = path.stat().st_ino
    assert await store.put(b"photo") == digest
    assert path.stat().st_ino == inode  # not written again
    assert sorted(p.name for p in path.parent.iterdir()) == [digest]  # no temporary left
    with pytest.raises(ValueError, match="SHA-256"):
        store.path_of("../" + digest[3:])


async def test_a_write_that_fails_half_way_leaves_no_file_under_the_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileSystemPhotoStore(tmp_path)
    content = b"a photo that will not arrive"
    digest = hashlib.sha256(content).hexdigest()

    def crash(source: str, target: str) -> None:
        raise OSError("disk unplugged")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="unplugged"):
        await store.put(content)
    monkeypatch.undo()
    assert not await store.exists(digest)
    assert list(store.path_of(digest).parent.iterdir()) == []  # the temporary is gone
    assert await store.put(content) == digest
    assert await store.get(digest) == content


async def test_processes_writing_the_same_photo_at_once_all_succeed(tmp_path: Path) -> None:
    stores = [FileSystemPhotoStore(tmp_path) for _ in range(8)]
    content = os.urandom(256 * 1024)
    digests = await asyncio.gather(*(store.put(content) for store in stores))
    assert set(digests) == {hashlib.sha256(content).hexdigest()}
    assert await stores[0].get(digests[0]) == content
    assert [p.name for p in stores[0].path_of(digests[0]).parent.iterdir()] == [digests[0]]
