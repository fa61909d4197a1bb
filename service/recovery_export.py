"""Use case: the agency's recoveries out to a file, page by page, with the list's filters.

An export is audited when it starts (who, which filters, which format): it carries every
value of every recovery it holds, personal data included.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Final

from service.dependencies import Dependencies
from service.domain.access import Action, Actor, authorize
from service.domain.events import RecoveriesExported
from service.domain.ports.recoveries import RecoveryCursor, RecoveryFilter
from service.domain.recovery import Recovery

PAGE: Final = 200


async def export_recoveries(
    *, deps: Dependencies, actor: Actor, recovery_filter: RecoveryFilter, format: str
) -> AsyncIterator[list[Recovery]]:
    """The actor's agency's recoveries passing the filter, newest first, a page at a time
    (memory holds one page, whatever the number of recoveries)."""
    authorize(actor, Action.RECOVERY_EXPORT)
    recovery_filter.check()  # a filter that can find nothing is refused, not an empty file
    async with deps.unit_of_work() as uow:
        filters = {k: v for k, v in dataclasses.asdict(recovery_filter).items() if v is not None}
        uow.record(RecoveriesExported(filters, format, actor))
        await uow.commit()
    return _pages(deps, actor, recovery_filter)


async def _pages(
    deps: Dependencies, actor: Actor, recovery_filter: RecoveryFilter
) -> AsyncIterator[list[Recovery]]:
    after: RecoveryCursor | None = None
    while True:
        async with deps.unit_of_work() as uow:
            page = await uow.recoveries.page(
                agency_id=actor.agency_id, recovery_filter=recovery_filter, after=after, limit=PAGE
            )
        if page.recoveries:
            yield page.recoveries
        if page.next_cursor is None:
            return
        after = page.next_cursor
