"""Linking many recoveries at once: the same rules and the same outcome as linking them
one after the other, with each kind of read done once per batch (recoveries, their hits,
their trace requests, every serial's candidates, the nodes, the links already made) and
the networks merged once at the end.

Serves imports (a message per batch), and the rebuild of every network. A recovery whose
rules withdraw a link it had (a serial corrected) is left to the incremental path: a
split must walk the graph as stored, which this batch's links are not yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from service.dependencies import Dependencies
from service.domain.custody import CustodyEvent
from service.domain.events import RecoveryLinked
from service.domain.matching import SerialMatch, SerialQuery, rank
from service.domain.networks.links import Link, LinkKey, ProposedLink, link_key, reconcile
from service.domain.networks.nodes import Node, NodeFacts, NodeRef, recovery_ref
from service.domain.networks.rules import (
    REGISTRY_HIT_RULE,
    SAME_CASE_RULE,
    SAME_PERSON_RULE,
    SAME_PLACE_RULE,
    SAME_SOURCE_RULE,
    SAME_WEAPON_RULE,
    recovery_facts,
    registry_hit_links,
    same_case_links,
    same_person_links,
    same_place_links,
    same_source_links,
    same_weapon_links,
)
from service.domain.ports.networks import NetworkGraph
from service.domain.ports.unit_of_work import UnitOfWork
from service.domain.recovery import Recovery
from service.domain.registry_hits import RegistryHit
from service.network_linking import (
    CANDIDATE_CAP,
    Linker,
    describe_link,
    network_link_message,
    recount_later,
)

Found = dict[str, list[ProposedLink]]


async def link_recoveries(
    deps: Dependencies, uow: UnitOfWork, recovery_ids: Sequence[UUID]
) -> None:
    """Run every rule for these recoveries and stage what changes, in `uow`. Idempotent,
    as linking one recovery is."""
    recoveries = await uow.recoveries.get_many(sorted(set(recovery_ids)))
    if not recoveries:
        return
    ids = [r.id for r in recoveries]
    hits: dict[UUID, list[RegistryHit]] = defaultdict(list)
    for hit in await uow.registry_hits.for_recoveries(ids):
        hits[hit.recovery_id].append(hit)
    chains = await _answered_chains(uow, recoveries)
    matches, cut_short = await _serial_matches(deps, uow, recoveries)
    found: dict[UUID, Found] = {
        r.id: {
            SAME_WEAPON_RULE[0]: same_weapon_links(r, matches[r.id]),
            SAME_CASE_RULE[0]: same_case_links(r),
            REGISTRY_HIT_RULE[0]: registry_hit_links(r, hits[r.id]),
            SAME_SOURCE_RULE[0]: same_source_links(r, chains[r.id]),
            SAME_PERSON_RULE[0]: same_person_links(r, chains[r.id]),
            SAME_PLACE_RULE[0]: same_place_links(r),
        }
        for r in recoveries
    }
    linker = BatchLinker(deps, uow.networks)
    await linker.prepare(recoveries, found)
    for recovery in recoveries:
        incomplete = {SAME_WEAPON_RULE[0]} if recovery.id in cut_short else set()
        changes = linker.reconcile(recovery, found[recovery.id], incomplete=incomplete)
        if changes is None:
            uow.outbox.add(network_link_message(deps, recovery.id))
        elif changes:
            uow.record(RecoveryLinked(recovery.id, changes))
    linker.finish()
    recount_later(deps, uow, linker)


async def _answered_chains(
    uow: UnitOfWork, recoveries: Sequence[Recovery]
) -> dict[UUID, list[tuple[UUID, Sequence[CustodyEvent]]]]:
    """As `network_linking` reads them, the requests of the whole batch found at once."""
    chains: dict[UUID, list[tuple[UUID, Sequence[CustodyEvent]]]] = defaultdict(list)
    agencies = {r.id: r.agency_id for r in recoveries}
    asked = await uow.trace_requests.ids_for_recoveries(list(agencies))
    for recovery_id, request_ids in asked.items():
        for request_id in request_ids:
            request = await uow.trace_requests.get(request_id)
            if request is None or request.requester_agency_id != agencies[recovery_id]:
                continue
            if request.responses:
                chains[recovery_id].append((request.id, request.responses[-1].chain_of_custody))
    return chains


async def _serial_matches(
    deps: Dependencies, uow: UnitOfWork, recoveries: Sequence[Recovery]
) -> tuple[dict[UUID, list[tuple[UUID, SerialMatch]]], set[UUID]]:
    """Each recovery's serial matches, and the recoveries a search of which was cut at
    the cap (their matches are not all there are)."""
    asked: list[tuple[UUID, UUID, SerialQuery]] = []
    for recovery in recoveries:
        for item in recovery.items:
            for _, identifier in item.identifiers():
                query = SerialQuery(identifier, item.make, item.model, item.calibre)
                asked.append((recovery.id, item.id, query))
    found = await uow.serials.candidates_many([q for _, _, q in asked], cap=CANDIDATE_CAP)
    matches: dict[UUID, list[tuple[UUID, SerialMatch]]] = defaultdict(list)
    cut_short: set[UUID] = set()
    for (recovery_id, item_id, query), batch in zip(asked, found, strict=True):
        matches[recovery_id] += [
            (item_id, m) for m in rank(query, batch.candidates, deps.catalogue)
        ]
        if batch.truncated:
            cut_short.add(recovery_id)
    return matches, cut_short


class BatchLinker(Linker):
    """A Linker for many recoveries in one unit of work: nodes are found or made once
    per batch, the links made so far are kept by node (those made in this batch too,
    which the graph does not show until commit), and merges, new nodes, links and
    network states are staged once, at `finish`."""

    def __init__(self, deps: Dependencies, graph: NetworkGraph) -> None:
        super().__init__(deps, graph)
        self._by_ref: dict[NodeRef, Node] = {}
        self._made: dict[UUID, dict[LinkKey, Link]] = defaultdict(dict)
        self._added: list[Link] = []
        self._revived: list[Link] = []
        self._refreshed: list[Link] = []

    async def prepare(self, recoveries: Sequence[Recovery], found: Mapping[UUID, Found]) -> None:
        ends = [
            end
            for rules in found.values()
            for links in rules.values()
            for p in links
            for end in (p.source, p.target)
        ]
        # A recovery's own facts last: they describe its node best (a link's far end
        # knows no country).
        facts: list[NodeFacts] = [*ends, *(recovery_facts(r) for r in recoveries)]
        self._by_ref = await self._nodes(facts)
        own = [self._by_ref[recovery_ref(r.id)].id for r in recoveries]
        for link in await self._graph.links_touching(own):
            self._remember(link)

    def _remember(self, link: Link) -> None:
        self._made[link.source_id][link.key] = link
        self._made[link.target_id][link.key] = link

    def reconcile(
        self, recovery: Recovery, found: Found, *, incomplete: Collection[str] = ()
    ) -> dict[str, list[str]] | None:
        """Stage nothing yet; what changes for the recovery, or None when it must be
        linked on its own (its rules withdraw a link). `incomplete` names the rules that
        did not see all their evidence (they retract nothing)."""
        nodes = self._by_ref
        own = nodes[recovery_ref(recovery.id)]
        made = list(self._made[own.id].values())
        outcomes = []
        for rule, links in found.items():
            keyed: dict[LinkKey, ProposedLink] = {}
            for p in links:
                keyed.setdefault(
                    link_key(p.kind, nodes[p.source.ref].id, nodes[p.target.ref].id), p
                )
            outcomes.append(reconcile(keyed, made, rule=rule, complete=rule not in incomplete))
        if any(outcome.retracted for outcome in outcomes):
            return None
        new = [self._link(p, nodes) for outcome in outcomes for p in outcome.new]
        revived = [link for outcome in outcomes for link in outcome.revived]
        refreshed = [link for outcome in outcomes for link in outcome.refreshed]
        for link in (*new, *revived, *refreshed):
            self._remember(link)
        self._added += new
        self._revived += revived
        self._refreshed += refreshed
        if not (new or revived or refreshed):
            return {}
        changes: dict[str, Any] = {
            "linked": [describe_link(link) for link in new + revived],
            "retracted": [],
            "refreshed": [describe_link(link) for link in refreshed],
        }
        return changes

    def finish(self) -> None:
        self.merge_across(self._added + self._revived)
        self._stage_new_nodes()
        for link in self._added:
            self._graph.add_link(link)
        for link in _last_of_each(self._revived + self._refreshed):
            self._graph.update_link(link)
        self.save_states()


def _last_of_each(links: Iterable[Link]) -> list[Link]:
    """A link revived by one recovery and refreshed by another is written once, as the
    last left it."""
    last: dict[UUID, Link] = {}
    for link in links:
        last[link.id] = link
    return list(last.values())
