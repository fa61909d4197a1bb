"""Linking recoveries into case networks, incrementally, through the outbox.

Recording or correcting a recovery, a change of its registry hits and an answer to one of
its trace requests each write a `network.link` message. The worker runs every rule for
that recovery against what is stored, reconciles the rules' findings with the links made
before, and keeps network membership current: a new link merges two networks (the smaller
is relabelled), a retracted or rejected one may split one (found by a walk of that network
only). Messages are handled one at a time (one ordering key), so two linkings never race
on the same network.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Final
from uuid import UUID

import structlog

from service.dependencies import Dependencies
from service.domain.custody import CustodyEvent
from service.domain.events import RecoveryLinked
from service.domain.matching import SerialMatch, SerialQuery, rank
from service.domain.networks.links import (
    Link,
    LinkKey,
    LinkStatus,
    ProposedLink,
    link_key,
    reconcile,
)
from service.domain.networks.membership import NetworkState, surviving_network
from service.domain.networks.nodes import (
    MAX_LABEL,
    Node,
    NodeFacts,
    NodeRef,
    described,
    preferred,
    recovery_ref,
)
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
from service.domain.outbox import NETWORK_LINK, OutboxMessage
from service.domain.ports.networks import NetworkGraph
from service.domain.ports.unit_of_work import UnitOfWork
from service.domain.recovery import Recovery

log = structlog.get_logger("tracedesk.networks")

# One key for every linking message: they are handled one after the other.
ORDERING_KEY: Final = "case-networks"
# Candidates fetched per reading before ranking, as the serial search does.
CANDIDATE_CAP: Final = 2000


def network_link_message(deps: Dependencies, recovery_id: UUID) -> OutboxMessage:
    """Run the rules for a recovery (recorded, corrected, its hits changed)."""
    return link_message(deps, {"recovery_id": str(recovery_id)})


def batch_link_message(deps: Dependencies, recovery_ids: Sequence[UUID]) -> OutboxMessage:
    """Run the rules for many recoveries at once (an import's batch)."""
    return link_message(deps, {"recovery_ids": [str(i) for i in recovery_ids]})


def relink_message(deps: Dependencies, link_id: UUID) -> OutboxMessage:
    """Bring the networks in line with a link a person decided on."""
    return link_message(deps, {"link_id": str(link_id)})


def link_message(deps: Dependencies, payload: Mapping[str, object]) -> OutboxMessage:
    return OutboxMessage(
        id=deps.ids.new_id(),
        topic=NETWORK_LINK,
        payload=dict(payload),
        created_at=deps.clock.now(),
        ordering_key=ORDERING_KEY,
    )


async def link_recovery(deps: Dependencies, uow: UnitOfWork, recovery_id: UUID) -> None:
    """Run every rule for one recovery and stage what changes. Idempotent: running it
    again on unchanged facts changes nothing."""
    recovery = await uow.recoveries.get(recovery_id)
    if recovery is None:
        return
    chains = await _answered_chains(uow, recovery)
    matches, cut_short = await _serial_matches(deps, uow, recovery)
    found = {
        SAME_WEAPON_RULE[0]: same_weapon_links(recovery, matches),
        SAME_CASE_RULE[0]: same_case_links(recovery),
        REGISTRY_HIT_RULE[0]: registry_hit_links(
            recovery, await uow.registry_hits.for_recoveries([recovery.id])
        ),
        SAME_SOURCE_RULE[0]: same_source_links(recovery, chains),
        SAME_PERSON_RULE[0]: same_person_links(recovery, chains),
        SAME_PLACE_RULE[0]: same_place_links(recovery),
    }
    linker = Linker(deps, uow.networks)
    changes = await linker.apply(
        recovery, found, incomplete={SAME_WEAPON_RULE[0]} if cut_short else set()
    )
    recount_later(deps, uow, linker)
    if changes:
        uow.record(RecoveryLinked(recovery.id, changes))


async def settle_link(deps: Dependencies, uow: UnitOfWork, link_id: UUID) -> None:
    """After a decision: a link that stands joins its ends' networks; one that does not
    may split the network it held together."""
    link = await uow.networks.link(link_id)
    if link is None:
        return
    linker = Linker(deps, uow.networks)
    await linker.know(await uow.networks.nodes_by_id([link.source_id, link.target_id]))
    if link.standing:
        linker.merge_across([link])
    else:
        await linker.split_after([link])
    linker.save_states()
    recount_later(deps, uow, linker)


async def recount(deps: Dependencies, uow: UnitOfWork, network_id: UUID) -> None:
    """Count a network's countries and time span again from its nodes. One that was
    never stored (made and emptied in the same linking) has nothing to count."""
    if network_id not in await uow.networks.network_states([network_id]):
        log.info("recount skipped: no such network", network_id=str(network_id))
        return
    state = await uow.networks.counted_state(network_id)
    uow.networks.save_network(state, at=deps.clock.now(), new=False)


def recount_later(deps: Dependencies, uow: UnitOfWork, linker: Linker) -> None:
    # After this unit of work, once the split is stored.
    for network_id in linker.networks_to_recount():
        uow.outbox.add(link_message(deps, {"network_id": str(network_id)}))


async def _answered_chains(
    uow: UnitOfWork, recovery: Recovery
) -> list[tuple[UUID, Sequence[CustodyEvent]]]:
    """The chain of custody of the latest answer to each of the agency's requests about
    the recovery (a supplementary answer replaces the one before)."""
    chains: list[tuple[UUID, Sequence[CustodyEvent]]] = []
    for request_id in await uow.trace_requests.ids_for_recovery(recovery.id):
        request = await uow.trace_requests.get(request_id)
        if request is None or request.requester_agency_id != recovery.agency_id:
            continue
        if request.responses:
            chains.append((request.id, request.responses[-1].chain_of_custody))
    return chains


async def _serial_matches(
    deps: Dependencies, uow: UnitOfWork, recovery: Recovery
) -> tuple[list[tuple[UUID, SerialMatch]], bool]:
    """The recovery's serial matches (item id, match), and whether a search was cut at
    the cap (then the matches are not all there are)."""
    matches = []
    cut_short = False
    for item in recovery.items:
        for _, identifier in item.identifiers():
            query = SerialQuery(identifier, item.make, item.model, item.calibre)
            batch = await uow.serials.candidates(query, agency_id=None, cap=CANDIDATE_CAP)
            matches += [(item.id, m) for m in rank(query, batch.candidates, deps.catalogue)]
            cut_short |= batch.truncated
    return matches, cut_short


class Linker:
    """Applies one recovery's rule findings to the graph within a unit of work, keeping
    its own view of what it staged (staged writes are not read back)."""

    def __init__(self, deps: Dependencies, graph: NetworkGraph) -> None:
        self._deps = deps
        self._graph = graph
        self._now: datetime = deps.clock.now()
        self._network_of: dict[UUID, UUID] = {}
        self._states: dict[UUID, NetworkState] = {}
        self._touched: set[UUID] = set()
        self._new_networks: set[UUID] = set()
        # Nodes made in this run, staged once their network is known (after merges), and
        # the networks only such nodes belong to: merging one away needs no write at all.
        self._unstaged: dict[UUID, Node] = {}
        self._only_unstaged: set[UUID] = set()
        # Networks a split narrowed: their countries and time span are recounted after.
        self.to_recount: set[UUID] = set()
        # Nodes whose time or country changed: their networks are recounted after too.
        self._redescribed: set[UUID] = set()

    async def apply(
        self,
        recovery: Recovery,
        found: Mapping[str, Sequence[ProposedLink]],
        *,
        incomplete: Collection[str] = (),
    ) -> dict[str, list[str]]:
        """Stage what the rules' findings change; `incomplete` names the rules that did
        not see all their evidence (they retract nothing)."""
        proposals = [p for links in found.values() for p in links]
        nodes = await self._nodes([recovery_facts(recovery), *_ends(proposals)])
        own = nodes[recovery_ref(recovery.id)]
        made = await self._graph.links_touching([own.id])
        new: list[Link] = []
        revived: list[Link] = []
        retracted: list[Link] = []
        refreshed: list[Link] = []
        for rule, links in found.items():
            keyed: dict[LinkKey, ProposedLink] = {}
            for p in links:
                # Two events of a chain naming one party make one link: the first's evidence
                # (a purchaser's sale, not the later theft report) is kept.
                keyed.setdefault(
                    link_key(p.kind, nodes[p.source.ref].id, nodes[p.target.ref].id), p
                )
            outcome = reconcile(keyed, made, rule=rule, complete=rule not in incomplete)
            new += [self._link(p, nodes) for p in outcome.new]
            revived += outcome.revived
            retracted += outcome.retracted
            refreshed += outcome.refreshed
        await self.split_after(retracted)
        self.merge_across(new + revived)
        self._stage_new_nodes()
        for link in new:
            self._graph.add_link(link)
        for link in (*revived, *retracted, *refreshed):
            self._graph.update_link(link)
        self.save_states()
        if not (new or revived or retracted or refreshed):
            return {}
        return {
            "linked": [describe_link(link) for link in new + revived],
            "retracted": [describe_link(link) for link in retracted],
            "refreshed": [describe_link(link) for link in refreshed],
        }

    async def know(self, nodes: Mapping[UUID, Node]) -> None:
        """Nodes read elsewhere, with their networks and those networks' states."""
        for node in nodes.values():
            self._network_of[node.id] = node.network_id
        await self._load_states({n.network_id for n in nodes.values()})

    async def _load_states(self, network_ids: set[UUID]) -> None:
        missing = network_ids - set(self._states)
        found = await self._graph.network_states(missing)
        for network_id in missing:
            # A network a node names but no row describes (loaded by hand): one of size 0
            # that the next merge corrects.
            self._states[network_id] = found.get(network_id, NetworkState(network_id, 0))

    async def _nodes(self, facts: Iterable[NodeFacts]) -> dict[NodeRef, Node]:
        """The nodes these facts name: those stored, described as the facts stand now
        (a corrected case reference relabels its recovery), and new ones for the rest."""
        wanted = preferred(facts)
        nodes = await self._graph.nodes(list(wanted))
        await self.know({node.id: node for node in nodes.values()})
        for ref, fact in sorted(wanted.items()):
            if ref in nodes:
                self._describe(nodes, fact)
                continue
            network_id = self._deps.ids.new_id()
            node = Node(
                id=self._deps.ids.new_id(),
                ref=ref,
                agency_id=fact.agency_id,
                label=fact.label[:MAX_LABEL],
                network_id=network_id,
                created_at=self._now,
                occurred_at=fact.occurred_at,
                country=fact.country,
            )
            nodes[ref] = node
            self._unstaged[node.id] = node
            self._network_of[node.id] = network_id
            self._states[network_id] = NetworkState.of(network_id, [node])
            self._touched.add(network_id)
            self._new_networks.add(network_id)
            self._only_unstaged.add(network_id)
        return nodes

    def _describe(self, nodes: dict[NodeRef, Node], fact: NodeFacts) -> None:
        """Stage a stored node's label, time and country as its facts now say; a changed
        time or country changes what its network spans, recounted after."""
        stored = nodes[fact.ref]
        now = described(stored, fact)
        if now is None:
            return
        self._graph.describe_node(now)
        nodes[fact.ref] = now
        if (now.occurred_at, now.country) != (stored.occurred_at, stored.country):
            self._redescribed.add(now.id)

    def _stage_new_nodes(self) -> None:
        for node in self._unstaged.values():
            self._graph.add_node(replace(node, network_id=self._network_of[node.id]))
        self._unstaged.clear()

    def _link(self, proposal: ProposedLink, nodes: Mapping[NodeRef, Node]) -> Link:
        rule, version = proposal.rule
        # Stored with the ends in key order: one row per link, whichever end found it.
        _, source_id, target_id = link_key(
            proposal.kind, nodes[proposal.source.ref].id, nodes[proposal.target.ref].id
        )
        return Link(
            id=self._deps.ids.new_id(),
            kind=proposal.kind,
            source_id=source_id,
            target_id=target_id,
            confidence=proposal.confidence,
            status=LinkStatus.PROPOSED,
            created_at=self._now,
            rule=rule,
            rule_version=version,
            evidence=dict(proposal.evidence),
        )

    async def split_after(self, removed: Sequence[Link]) -> None:
        """A link gone may have been the only path between its ends: walk from one end
        over the links that stand (as stored, minus those removed now); if the other end
        is not reached, what was reached becomes a network of its own."""
        gone = {link.id for link in removed}
        for link in removed:
            reached = await self._reach(link.source_id, link.target_id, gone)
            if link.target_id in reached:
                continue
            old = (
                self._network_of.get(link.source_id)
                or (await self._graph.nodes_by_id([link.source_id]))[link.source_id].network_id
            )
            await self._load_states({old})
            fresh = self._deps.ids.new_id()
            moved = await self._graph.nodes_by_id(reached)
            self._graph.move(reached, fresh)
            for node_id in reached:
                self._network_of[node_id] = fresh
            part = NetworkState.of(fresh, moved.values())
            self._states[fresh] = part
            self._states[old] = self._states[old].without(part)
            self._touched |= {fresh, old}
            self._new_networks.add(fresh)
            self.to_recount.add(old)

    async def _reach(self, start: UUID, goal: UUID, gone: set[UUID]) -> set[UUID]:
        seen, frontier = {start}, {start}
        while frontier and goal not in seen:
            following = set()
            for link_id, source, target in await self._graph.adjacent(frontier):
                if link_id in gone:
                    continue
                for end in (source, target):
                    if end not in seen:
                        seen.add(end)
                        following.add(end)
            frontier = following
        return seen

    def merge_across(self, links: Iterable[Link]) -> None:
        merged: dict[UUID, UUID] = {}

        def root(network_id: UUID) -> UUID:
            while network_id in merged:
                network_id = merged[network_id]
            return network_id

        for link in links:
            a = root(self._network_of[link.source_id])
            b = root(self._network_of[link.target_id])
            if a == b:
                continue
            survivor = surviving_network({a: self._states[a].size, b: self._states[b].size})
            loser = b if survivor == a else a
            if loser not in self._only_unstaged:
                self._graph.relabel(loser, survivor)
                self._only_unstaged.discard(survivor)
            self._states[survivor] = self._states[survivor].joined(self._states[loser])
            self._states[loser] = self._states[loser].emptied()
            merged[loser] = survivor
            self._touched |= {survivor, loser}
        for node_id, network_id in self._network_of.items():
            self._network_of[node_id] = root(network_id)

    def networks_to_recount(self) -> list[UUID]:
        """The networks a split narrowed, or a node's new time or country changed, that
        this run leaves stored: one it made and emptied again is never written
        (`save_states`), so there is nothing to recount."""
        narrowed = self.to_recount | {self._network_of[n] for n in self._redescribed}
        return sorted(network_id for network_id in narrowed if not self._left_unstored(network_id))

    def _left_unstored(self, network_id: UUID) -> bool:
        return network_id in self._new_networks and self._states[network_id].size == 0

    def save_states(self) -> None:
        for network_id in sorted(self._touched):
            if self._left_unstored(network_id):
                continue  # made and merged away in this run: there is nothing to keep
            new = network_id in self._new_networks
            self._graph.save_network(self._states[network_id], at=self._now, new=new)


def _ends(proposals: Iterable[ProposedLink]) -> list[NodeFacts]:
    return [end for p in proposals for end in (p.source, p.target)]


def describe_link(link: Link) -> str:
    return f"{link.kind.value} {link.source_id}-{link.target_id} ({link.status.value})"
