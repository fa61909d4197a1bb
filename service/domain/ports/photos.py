"""Photos of items' markings: their records, the files themselves, and reading images."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from service.domain.photos import InspectedImage, ItemPhoto, PhotoMediaType, PhotoRules


class PhotoRepository(Protocol):
    """The records of attached photos; photos are attached, never changed or removed."""

    def add(self, photo: ItemPhoto) -> None:
        """Stage a new photo's record; written when the unit of work commits."""

    async def of_recovery(self, recovery_id: UUID) -> list[ItemPhoto]:
        """The photos of the recovery's items, in the order they were attached."""
        ...

    async def get(self, photo_id: UUID) -> ItemPhoto | None: ...


class PhotoStore(Protocol):
    """Files kept by their content: the SHA-256 of the bytes is their only name, so the
    same photo sent twice is kept once, and a file can be checked against its name."""

    async def put(self, content: bytes) -> str:
        """Keep the bytes, if they are not kept already; their SHA-256. Once it returns,
        the bytes are there whole (never a part of them under that name)."""
        ...

    async def get(self, sha256: str) -> bytes | None:
        """The bytes kept under the digest, or None."""
        ...

    async def exists(self, sha256: str) -> bool: ...


class ImageInspector(Protocol):
    """Decodes images, off the event loop: the CPU work of reading a photo."""

    async def inspect(
        self, content: bytes, media_type: PhotoMediaType, *, rules: PhotoRules
    ) -> InspectedImage:
        """Decode the whole image as `media_type` and make its thumbnail; raise
        InvalidValue (field `photo`) when it is not one, is damaged or cut short, or
        has more pixels than the rules allow (checked before decoding)."""
        ...
