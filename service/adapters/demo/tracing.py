"""Trace requests of the demo data set: one answered with a chain of custody, one
overdue, one waiting in the Paris tracing officers' inbox, one draft.

Each step runs through the real use cases, with the clock set to when it happened.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Final

from service.dependencies import Dependencies
from service.domain.access import Actor
from service.domain.custody import CustodyEventReport, PartyReport
from service.domain.recovery import Recovery
from service.domain.trace_request import TraceRequest
from service.trace_requests import (
    Acknowledge,
    RequestTrace,
    Respond,
    TraceCommand,
    act_on_trace_request,
    post_message,
    request_trace,
)


class _At:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


# The Glock "BXK 482" (recovered in Paris, also seen in Hamburg) came through Germany.
GLOCK_CHAIN: Final = [
    CustodyEventReport(
        "manufacture", date(2015, 3, 10), PartyReport("Glock GmbH", "manufacturer", "AT")
    ),
    CustodyEventReport(
        "export", date(2015, 4, 2), PartyReport("Glock GmbH", "manufacturer", "AT", "AT-AUS-0117")
    ),
    CustodyEventReport(
        "import",
        date(2015, 4, 20),
        PartyReport("Waffen-Import Nord GmbH", "importer", "DE", "DE-WBK-4471"),
    ),
    CustodyEventReport(
        "sale", date(2016, 2, 11), PartyReport("Jagd & Sport Hamburg", "dealer", "DE", "DE-WH-1290")
    ),
    CustodyEventReport(
        "sale",
        date(2016, 2, 11),
        PartyReport("Max Mustermann", "retail_purchaser", "DE", "L01X00T47"),
    ),
    CustodyEventReport(
        "reported_stolen",
        date(2023, 9, 4),
        PartyReport("Max Mustermann", "retail_purchaser", "DE", "L01X00T47"),
    ),
]


async def seed_trace_requests(
    deps: Dependencies, people: Mapping[str, Actor], seen: Mapping[tuple[int, int], Recovery]
) -> int:
    """The demo's trace requests; `seen` holds the recoveries of the repeated weapons by
    (weapon, sighting), `people` the demo users by username."""
    now = deps.clock.now()
    paris, hamburg = people["inv.paris"], people["trace.hamburg"]

    async def ask(
        asker: Actor,
        recovery: Recovery,
        addressee: Actor,
        when: datetime,
        *,
        why: str,
        use: str,
        priority: str = "routine",
        submit: bool = True,
    ) -> TraceRequest:
        return await request_trace(
            deps=_at(deps, when),
            actor=asker,
            command=RequestTrace(
                recovery_id=recovery.id,
                item_id=recovery.items[0].id,
                addressee_agency_id=addressee.agency_id,
                legal_justification=why,
                intended_use=use,
                priority=priority,
                submit=submit,
            ),
        )

    async def step(
        who: Actor, request: TraceRequest, when: datetime, command: TraceCommand
    ) -> TraceRequest:
        return await act_on_trace_request(
            deps=_at(deps, when),
            actor=who,
            request_id=request.id,
            expected_version=request.version,
            command=command,
        )

    glock = await ask(
        paris,
        seen[(0, 0)],
        hamburg,
        now - timedelta(days=20),
        why="Used in an armed robbery in Paris 18e; held without authorisation.",
        use="Investigation and prosecution of the robbery (case FR-2025-0412).",
    )
    glock = await step(hamburg, glock, now - timedelta(days=19), Acknowledge())
    glock = await step(
        hamburg,
        glock,
        now - timedelta(days=5),
        Respond("traced", GLOCK_CHAIN, "Reported stolen in a burglary in Harburg."),
    )
    await post_message(
        deps=_at(deps, now - timedelta(days=5, minutes=-10)),
        actor=hamburg,
        request_id=glock.id,
        body="The theft report is DE-HH-2023-118342; the owner's details on request.",
    )
    await ask(
        paris,
        seen[(3, 0)],
        people["trace.london"],
        now - timedelta(hours=6),
        why="Converted blank-firing pistol recovered after a shooting.",
        use="Identify the conversion workshop; the same batch appears in UK seizures.",
        priority="urgent",
    )
    await ask(
        people["inv.niamey"],
        seen[(1, 2)],
        people["trace.paris"],
        now - timedelta(days=1),
        why="Seized at the Makalondi border post from an unlicensed carrier.",
        use="Customs investigation into trafficking across the Sahel.",
    )
    await ask(
        paris,
        seen[(0, 2)],
        hamburg,
        now,
        why="Serial read as 8XK482: probably the same Glock as BXK 482.",
        use="Link to case FR-2025-0412.",
        submit=False,
    )
    return 4


def _at(deps: Dependencies, moment: datetime) -> Dependencies:
    return dataclasses.replace(deps, clock=_At(moment))
