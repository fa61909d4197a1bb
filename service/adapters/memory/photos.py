"""Photos in memory: their records, and their files in a dictionary by SHA-256."""

from __future__ import annotations

import hashlib
from uuid import UUID

from service.adapters.memory.staging import Staging
from service.adapters.memory.store import InMemoryStore, kept
from service.domain.photos import ItemPhoto


class InMemoryPhotoRepository:
    def __init__(self, store: InMemoryStore, staging: Staging) -> None:
        self._store = store
        self._staging = staging

    def add(self, photo: ItemPhoto) -> None:
        self._staging.saw(photo)
        self._staging.write(lambda: self._store.item_photos.__setitem__(photo.id, kept(photo)))

    async def of_recovery(self, recovery_id: UUID) -> list[ItemPhoto]:
        found = [p for p in self._store.item_photos.values() if p.recovery_id == recovery_id]
        return sorted(found, key=lambda p: (p.attached_at, p.id))

    async def get(self, photo_id: UUID) -> ItemPhoto | None:
        return self._store.item_photos.get(photo_id)


class InMemoryPhotoStore:
    """The photo store of the unit tests: the same contract as the files, in a dict."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    async def put(self, content: bytes) -> str:
        sha256 = hashlib.sha256(content).hexdigest()
        self.files.setdefault(sha256, bytes(content))
        return sha256

    async def get(self, sha256: str) -> bytes | None:
        return self.files.get(sha256)

    async def exists(self, sha256: str) -> bool:
        return sha256 in self.files
