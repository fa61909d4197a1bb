"""Argon2id password hashing (argon2-cffi), off the event loop."""

from __future__ import annotations

import secrets

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2PasswordHasher:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        # argon2-cffi's defaults follow RFC 9106's second recommendation (Argon2id,
        # 64 MiB, 3 passes); tests pass cheaper parameters.
        self._hasher = hasher or PasswordHasher()
        self._decoy: str | None = None

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        if password_hash is None:
            if self._decoy is None:
                self._decoy = await self.hash(secrets.token_urlsafe(32))
            password_hash = self._decoy
            await anyio.to_thread.run_sync(self._check, password_hash, password)
            return False
        return await anyio.to_thread.run_sync(self._check, password_hash, password)

    def _check(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
