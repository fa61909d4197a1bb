"""Query: what needs a person's attention now, for the console's first page. Each part is
asked of the use case or the repository that owns it, under the person's permissions;
a part their roles do not open is absent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from service.case_networks import NetworkListing, agency_networks
from service.dependencies import Dependencies
from service.domain.access import Action, Actor
from service.domain.identity import User
from service.domain.ports.tracing import Box
from service.domain.registry_hits import RegistryHit
from service.domain.trace_request import TraceRequest
from service.domain.trace_workflow import Side
from service.trace_requests import owed_trace_requests

SHOWN: Final = 10
# Registry hits are "new" for this long, whatever the person did meanwhile.
NEW_HITS: Final = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class Dashboard:
    now: datetime
    owed_to_us: list[TraceRequest] | None = None  # inbox: what the agency must do next
    owed_by_others: list[TraceRequest] | None = None  # outbox: what it waits for
    new_hits: list[RegistryHit] | None = None
    grown_networks: list[NetworkListing] | None = None


async def dashboard(*, deps: Dependencies, actor: Actor, user: User) -> Dashboard:
    now = deps.clock.now()
    tracing = actor.may(Action.TRACE_READ)
    owed_to_us = owed_by_others = new_hits = grown_networks = None
    if tracing and actor.acts_for(Side.RESPONDER):
        owed_to_us = await owed_trace_requests(deps=deps, actor=actor, box=Box.INBOX, limit=SHOWN)
    if tracing and actor.acts_for(Side.REQUESTER):
        owed_by_others = await owed_trace_requests(
            deps=deps, actor=actor, box=Box.OUTBOX, limit=SHOWN
        )
    if actor.may(Action.RECOVERY_READ):
        async with deps.unit_of_work() as uow:
            hits = await uow.registry_hits.recent_of_agency(
                actor.agency_id, since=now - NEW_HITS, limit=SHOWN * 5
            )
        new_hits = [hit for hit in hits if hit.alerting][:SHOWN]
    if actor.may(Action.NETWORK_READ):
        seen = user.networks_seen_at
        grown = await agency_networks(deps=deps, actor=actor, order="grown", limit=SHOWN)
        grown_networks = [n for n in grown if seen is None or n.grown_at > seen]
    return Dashboard(now, owed_to_us, owed_by_others, new_hits, grown_networks)
