"""Slowing down guessing: every attempt to prove a secret (a password, an API key's
secret) is counted before the secret is checked.

Counting first, atomically in the database, is what makes the limit hold when attempts
arrive together, in one process or several: the attempt that reaches a key's limit holds
the key locked while it is checked, and the attempts beside it are refused without
checking anything. A failed attempt at or past the limit locks the key for a time that
doubles with each failure (ThrottlePolicy); one that succeeds takes its count back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType

from service.dependencies import Dependencies
from service.domain.errors import TooManyAttempts
from service.domain.events import SignInPaused


class ThrottledAttempt:
    """One attempt, counted against its keys (each with its limit) on entry. Unless
    `succeeded` is called before the block ends, it is a failure."""

    def __init__(self, deps: Dependencies, limits: Mapping[str, int]) -> None:
        self._deps = deps
        self._limits = dict(limits)
        self._numbers: dict[str, int] = {}
        self._settled = False

    async def __aenter__(self) -> ThrottledAttempt:
        deps, policy = self._deps, self._deps.security.throttle
        now = deps.clock.now()
        async with deps.unit_of_work() as uow:
            for key, limit in self._limits.items():
                number = await uow.sign_in_attempts.begin(
                    key,
                    now=now,
                    window_start=now - policy.window,
                    limit=limit,
                    hold_until=now + policy.first_lock,
                )
                if number is None:
                    # Counted nothing there: what was counted on the other keys goes back.
                    for counted in self._numbers:
                        await uow.sign_in_attempts.release(counted, unlock=self._held(counted))
                    self._settled = True
                    until = await uow.sign_in_attempts.locked_until([key], now=now)
                    raise TooManyAttempts(_seconds_until(until, now))
                self._numbers[key] = number
        return self

    async def succeeded(self, *, forget: str | None = None) -> None:
        """The secret was right: each key takes its count back; `forget` (the account
        that signed in) forgets its failures altogether."""
        self._settled = True
        async with self._deps.unit_of_work() as uow:
            for key in self._numbers:
                if key == forget:
                    await uow.sign_in_attempts.clear(key)
                else:
                    await uow.sign_in_attempts.release(key, unlock=self._held(key))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._settled:
            await self._failed()

    def _held(self, key: str) -> bool:
        return self._numbers[key] >= self._limits[key]

    async def _failed(self) -> None:
        deps, policy = self._deps, self._deps.security.throttle
        now = deps.clock.now()
        async with deps.unit_of_work() as uow:
            for key, number in self._numbers.items():
                lock = policy.lock_for(number, self._limits[key])
                if lock is None:
                    continue
                await uow.sign_in_attempts.lock(key, until=now + lock)
                uow.record(SignInPaused(key_reference(key), number, int(lock.total_seconds())))
            await uow.commit()


def _seconds_until(until: datetime | None, now: datetime) -> int:
    if until is None:  # the lock ended between the two statements: try again at once
        return 1
    return max(1, int((until - now).total_seconds()) + 1)


def key_reference(key: str) -> str:
    """A key as the audit trail names it: its kind, and a fingerprint of its value (a
    name typed in the wrong field may be a password)."""
    kind, _, value = key.partition(":")
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:16]}"
