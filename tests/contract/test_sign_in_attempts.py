"""The sign-in attempt counters, the same on every storage: counted before the check,
held at the limit, given back on success, locked after failures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from service.domain.ports.unit_of_work import UnitOfWork
from tests.builders import NOW

WINDOW = timedelta(minutes=15)
HOLD = NOW + timedelta(minutes=1)


async def begin(
    unit_of_work: Callable[[], UnitOfWork], key: str, *, limit: int = 3, at: timedelta = WINDOW
) -> int | None:
    now = NOW + at - WINDOW
    async with unit_of_work() as uow:
        return await uow.sign_in_attempts.begin(
            key, now=now, window_start=now - WINDOW, limit=limit, hold_until=HOLD + at - WINDOW
        )


async def test_attempts_are_numbered_and_the_one_at_the_limit_holds_the_key(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    assert [await begin(unit_of_work, "account:a") for _ in range(3)] == [1, 2, 3]
    assert await begin(unit_of_work, "account:a") is None  # held while the third is checked
    async with unit_of_work() as uow:
        assert await uow.sign_in_attempts.locked_until(["account:a"], now=NOW) == HOLD
        assert await uow.sign_in_attempts.locked_until(["account:b"], now=NOW) is None
    assert await begin(unit_of_work, "account:b") == 1  # keys are counted apart


async def test_a_success_gives_back_its_count_and_its_hold(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    for _ in range(3):
        await begin(unit_of_work, "address:10.0.0.1")
    async with unit_of_work() as uow:
        await uow.sign_in_attempts.release("address:10.0.0.1", unlock=True)
        assert await uow.sign_in_attempts.locked_until(["address:10.0.0.1"], now=NOW) is None
    assert await begin(unit_of_work, "address:10.0.0.1") == 3
    async with unit_of_work() as uow:
        await uow.sign_in_attempts.clear("address:10.0.0.1")
    assert await begin(unit_of_work, "address:10.0.0.1") == 1


async def test_a_lock_refuses_until_it_ends_and_an_old_count_restarts(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    await begin(unit_of_work, "client:tdk_x")
    async with unit_of_work() as uow:
        await uow.sign_in_attempts.lock("client:tdk_x", until=NOW + timedelta(minutes=5))
    assert await begin(unit_of_work, "client:tdk_x") is None
    assert await begin(unit_of_work, "client:tdk_x", at=WINDOW + timedelta(minutes=4)) is None
    # The lock over and the window gone by, counting starts again.
    assert await begin(unit_of_work, "client:tdk_x", at=WINDOW + timedelta(minutes=16)) == 1


async def test_a_limit_of_one_holds_the_key_from_the_first_attempt(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    assert await begin(unit_of_work, "account:once", limit=1) == 1
    assert await begin(unit_of_work, "account:once", limit=1) is None


async def test_concurrent_attempts_get_distinct_numbers_and_none_past_the_hold(
    unit_of_work: Callable[[], UnitOfWork],
) -> None:
    numbers = await asyncio.gather(
        *(begin(unit_of_work, "account:raced", limit=5) for _ in range(12))
    )
    assert sorted(n for n in numbers if n is not None) == [1, 2, 3, 4, 5]
    assert numbers.count(None) == 7
