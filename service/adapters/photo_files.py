"""Photos kept as files named by their SHA-256, in a directory of their own.

`ab/cd/abcd…` (two levels of 256 directories, so that no directory grows huge). A file is
written under a temporary name in its final directory, flushed to the disk, then renamed
into place: the rename is atomic, so a reader, another server process writing the same
photo, or a crash half-way never sees part of a file under a digest's name. Writing what
is there already does nothing. Files are read-only and never executable; nothing here
deletes or rewrites one.

The directory is made on the first write, not when the store is built.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Final

import anyio

from service.adapters.availability import file_store
from service.domain.photos import is_sha256

FILE_MODE: Final = 0o440
DIRECTORY_MODE: Final = 0o750


class FileSystemPhotoStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        """Where the file of a digest is kept; only a well-formed digest names one."""
        if not is_sha256(sha256):
            raise ValueError("not a SHA-256 digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def put(self, content: bytes) -> str:
        return await anyio.to_thread.run_sync(self._put, content)

    async def get(self, sha256: str) -> bytes | None:
        if not is_sha256(sha256):
            return None
        return await anyio.to_thread.run_sync(self._read, self.path_of(sha256))

    async def exists(self, sha256: str) -> bool:
        return is_sha256(sha256) and await anyio.Path(self.path_of(sha256)).is_file()

    def _put(self, content: bytes) -> str:
        with file_store():
            return self._put_in_place(content)

    def _put_in_place(self, content: bytes) -> str:
        sha256 = hashlib.sha256(content).hexdigest()
        target = self.path_of(sha256)
        if target.is_file():
            return sha256
        target.parent.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, FILE_MODE)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _sync_directory(target.parent)
        return sha256

    @staticmethod
    def _read(path: Path) -> bytes | None:
        try:
            with file_store():
                return path.read_bytes()
        except FileNotFoundError:
            return None


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX: the directory's entry is flushed apart)."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
