"""Exploring case networks, and deciding on the links rules made.

What a caller sees is bounded twice: by depth and a node cap (with an honest count of
what was left out), and by visibility: a node of an agency the caller may not see shows
only as a count of hidden nodes with that agency's name, so the investigator knows whom
to ask; a link to it shows only that it exists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

from service.dependencies import Dependencies
from service.domain.access import Action, Actor, authorize
from service.domain.errors import Conflict, InvalidValue, NotFound, ValidationFailed
from service.domain.events import LinkDecided, LinkMade
from service.domain.networks.links import Link, LinkKind, LinkStatus, link_by_person, link_key
from service.domain.networks.nodes import Node, recovery_ref
from service.domain.ports.unit_of_work import UnitOfWork
from service.recovery_access import recovery_for

MAX_DEPTH: Final = 3
MAX_NODES: Final = 200


@dataclass(frozen=True, slots=True)
class HiddenNodes:
    agency_id: UUID
    agency_name: str
    nodes: int


@dataclass(frozen=True, slots=True)
class NetworkView:
    network_id: UUID
    network_size: int
    nodes: list[Node]  # the ones the caller may see
    links: list[Link]  # with both ends seen, or one seen and one hidden
    hidden: list[HiddenNodes]
    hidden_of: dict[UUID, UUID | None]  # hidden node -> its agency, for links to it
    hidden_shared: int  # shared nodes (registry records, parties) reached only through others
    more: int  # nodes reached beyond the cap, not shown


@dataclass(frozen=True, slots=True)
class NetworkListing:
    id: UUID
    size: int
    created_at: datetime
    grown_at: datetime
    agencies: list[tuple[UUID, str, int]]
    shared_nodes: int
    countries: tuple[str, ...]
    first_at: datetime | None
    last_at: datetime | None


def visible_nodes(actor: Actor, nodes: Mapping[UUID, Node], links: Iterable[Link]) -> set[UUID]:
    """The agency's own nodes, and the shared ones (registry records, parties of chains
    of custody) linked directly to one of them: a shared node reached only through
    another agency's evidence would tell about that evidence."""
    own = {
        node_id
        for node_id, node in nodes.items()
        if actor.reaches(Action.NETWORK_READ, node.agency_id)
    }
    shared = {
        end
        for link in links
        for end, other in ((link.source_id, link.target_id), (link.target_id, link.source_id))
        if other in own and end in nodes and nodes[end].agency_id is None
    }
    return own | shared


async def recovery_network(
    *,
    deps: Dependencies,
    actor: Actor,
    recovery_id: UUID,
    depth: int = 2,
    min_confidence: float = 0.0,
    kinds: Collection[LinkKind] | None = None,
    max_nodes: int = MAX_NODES,
) -> NetworkView:
    """The neighbourhood of one of the agency's recoveries, `depth` links deep."""
    authorize(actor, Action.NETWORK_READ)
    async with deps.unit_of_work() as uow:
        await recovery_for(uow, actor, Action.NETWORK_READ, recovery_id)
        return await network_around(
            uow, actor, recovery_id, depth, min_confidence, kinds, max_nodes
        )


async def network_around(
    uow: UnitOfWork,
    actor: Actor,
    recovery_id: UUID,
    depth: int = 2,
    min_confidence: float = 0.0,
    kinds: Collection[LinkKind] | None = None,
    max_nodes: int = MAX_NODES,
) -> NetworkView:
    """The neighbourhood of a recovery the caller was allowed to read (recovery_for)."""
    start = (await uow.networks.nodes([recovery_ref(recovery_id)])).get(recovery_ref(recovery_id))
    if start is None:  # not linked yet: a network of its own
        raise NotFound("network of recovery", str(recovery_id))
    reached, links, more = await neighbourhood(
        uow, start, min(max(depth, 1), MAX_DEPTH), min_confidence, kinds, max_nodes
    )
    states = await uow.networks.network_states([start.network_id])
    size = states[start.network_id].size if start.network_id in states else len(reached)
    agencies = {a.id: a.name for a in await uow.agencies.all()}
    visible = visible_nodes(actor, reached, links)
    seen = [n for n in reached.values() if n.id in visible]
    hidden = [n for n in reached.values() if n.id not in visible]
    hidden_of = {n.id: n.agency_id for n in hidden}
    counts = Counter(n.agency_id for n in hidden if n.agency_id is not None)
    shown = [
        link
        for link in links
        if link.source_id in reached
        and link.target_id in reached
        and (link.source_id in visible or link.target_id in visible)
    ]
    return NetworkView(
        network_id=start.network_id,
        network_size=size,
        nodes=sorted(seen, key=lambda n: (n.ref.kind.value, n.label, str(n.id))),
        links=shown,
        hidden=[
            HiddenNodes(agency, agencies.get(agency, "unknown agency"), count)
            for agency, count in sorted(counts.items(), key=lambda item: str(item[0]))
        ],
        hidden_of=hidden_of,
        hidden_shared=sum(1 for n in hidden if n.agency_id is None),
        more=more,
    )


async def neighbourhood(
    uow: UnitOfWork,
    start: Node,
    depth: int,
    min_confidence: float,
    kinds: Collection[LinkKind] | None,
    max_nodes: int,
) -> tuple[dict[UUID, Node], list[Link], int]:
    """Breadth first, one query per level; stops adding nodes at the cap and counts
    those it had to leave out."""
    reached: dict[UUID, Node] = {start.id: start}
    ends: dict[UUID, tuple[UUID, UUID]] = {}
    frontier = {start.id}
    left_out: set[UUID] = set()
    for _ in range(depth):
        found = await uow.networks.adjacent(frontier, min_confidence=min_confidence, kinds=kinds)
        following: set[UUID] = set()
        for link_id, source, target in found:
            for end in (source, target):
                if end in reached or end in following:
                    continue
                if len(reached) + len(following) >= max_nodes:
                    left_out.add(end)
                    continue
                following.add(end)
            ends[link_id] = (source, target)
        reached |= await uow.networks.nodes_by_id(following)
        frontier = following
        if not frontier:
            break
    # The walk reads only ends; the links kept are read whole, evidence and all, once.
    kept = [i for i, (a, b) in ends.items() if a in reached and b in reached]
    left_out -= set(reached)
    return reached, await uow.networks.links_by_id(kept), len(left_out)


async def agency_networks(
    *, deps: Dependencies, actor: Actor, order: str = "size", limit: int = 20
) -> list[NetworkListing]:
    """The networks the agency's nodes are part of, largest or most recently grown
    first, with the agencies (by name) and countries they span and their time span."""
    authorize(actor, Action.NETWORK_READ)
    listings = []
    async with deps.unit_of_work() as uow:
        agencies = {a.id: a.name for a in await uow.agencies.all()}
        for summary in await uow.networks.networks_of_agency(
            actor.agency_id, order=order, limit=min(max(limit, 1), 100)
        ):
            profile = summary.state
            listings.append(
                NetworkListing(
                    id=profile.id,
                    size=profile.size,
                    created_at=summary.created_at,
                    grown_at=summary.grown_at,
                    agencies=[
                        (agency, agencies.get(agency, "unknown agency"), count)
                        for agency, count in sorted(
                            profile.nodes_by_agency.items(), key=lambda item: str(item[0])
                        )
                        if agency is not None
                    ],
                    shared_nodes=profile.nodes_by_agency.get(None, 0),
                    countries=tuple(sorted(profile.countries)),
                    first_at=profile.first_at,
                    last_at=profile.last_at,
                )
            )
    return listings


async def decide_on_link(
    *,
    deps: Dependencies,
    actor: Actor,
    link_id: UUID,
    decision: LinkStatus,
    reason: str | None,
) -> DecidedLink:
    """Confirm or reject a link that touches the agency's evidence. A rejected link stays
    rejected whatever its rule finds later; the networks follow (through the outbox). A
    person's decision on a link to another agency's evidence is theirs: another agency
    cannot overrule it (it asks them)."""
    authorize(actor, Action.NETWORK_DECIDE)
    async with deps.unit_of_work() as uow:
        link = await uow.networks.link(link_id)
        if link is None:
            raise NotFound("link", str(link_id))
        ends = await uow.networks.nodes_by_id([link.source_id, link.target_id])
        if not any(actor.reaches(Action.NETWORK_DECIDE, n.agency_id) for n in ends.values()):
            raise NotFound("link", str(link_id))  # not theirs to judge, nor to know of
        if link.decided_by is not None:
            decider = await uow.users.get(link.decided_by)
            if decider is None or not actor.reaches(Action.NETWORK_DECIDE, decider.agency_id):
                raise Conflict("another agency decided on this link; ask them to change it")
        decided = link.decided(decision, by=actor.id, at=deps.clock.now(), reason=reason)
        uow.networks.update_link(decided)
        uow.record(LinkDecided(link, decided, actor, reason))
        await uow.commit()
    visible = visible_nodes(actor, ends, [decided])
    return DecidedLink(
        decided, {node_id: n.agency_id for node_id, n in ends.items() if node_id not in visible}
    )


@dataclass(frozen=True, slots=True)
class DecidedLink:
    """A link as decided, and its ends the decider may not see (with their agency)."""

    link: Link
    hidden_of: dict[UUID, UUID | None]


# A chain longer than this says little to an investigator; the bounds keep the walk of
# a network of a million nodes to a few thousand nodes visited (bench/case_networks.py):
# two recoveries further apart are reported as such, not searched for seconds.
MAX_PATH_LINKS: Final = 16
MAX_PATH_NODES: Final = 6_000


@dataclass(frozen=True, slots=True)
class PathView:
    """A shortest chain of links between two recoveries, each link with its evidence;
    nodes and evidence the caller may not see are hidden as in a neighbourhood."""

    nodes: list[Node | HiddenNode]
    links: list[Link]
    hidden_of: dict[UUID, UUID | None]
    # Why there is no chain: "different_networks", or "beyond_bounds" (same network,
    # further apart than MAX_PATH_LINKS links or MAX_PATH_NODES nodes walked).
    missing: str | None = None


@dataclass(frozen=True, slots=True)
class HiddenNode:
    id: UUID
    agency_id: UUID | None
    agency_name: str | None


async def network_path(
    *, deps: Dependencies, actor: Actor, from_recovery: UUID, to_recovery: UUID
) -> PathView:
    """The chain, or why there is none (`missing`)."""
    authorize(actor, Action.NETWORK_READ)
    async with deps.unit_of_work() as uow:
        for recovery_id in (from_recovery, to_recovery):
            await recovery_for(uow, actor, Action.NETWORK_READ, recovery_id)
        refs = [recovery_ref(from_recovery), recovery_ref(to_recovery)]
        found = await uow.networks.nodes(refs)
        start, goal = (found.get(ref) for ref in refs)
        if start is None or goal is None or start.network_id != goal.network_id:
            return PathView([], [], {}, missing="different_networks")
        chain = await shortest_chain(uow, start.id, goal.id)
        if chain is None:
            return PathView([], [], {}, missing="beyond_bounds")
        node_ids, links = chain
        nodes = await uow.networks.nodes_by_id(node_ids)
        agencies = {a.id: a.name for a in await uow.agencies.all()}
    visible = visible_nodes(actor, nodes, links)
    shown: list[Node | HiddenNode] = [
        nodes[n] if n in visible else _hidden(nodes[n], agencies) for n in node_ids
    ]
    return PathView(
        nodes=shown,
        links=links,
        hidden_of={n: nodes[n].agency_id for n in node_ids if n not in visible},
    )


def _hidden(node: Node, agencies: Mapping[UUID, str]) -> HiddenNode:
    owner = node.agency_id
    return HiddenNode(node.id, owner, agencies.get(owner) if owner is not None else None)


async def shortest_chain(
    uow: UnitOfWork, start: UUID, goal: UUID
) -> tuple[list[UUID], list[Link]] | None:
    """Breadth first from both ends, the smaller frontier first, one query per level
    that reads only the links' ends; the links of the chain found are read whole."""
    if start == goal:
        return [start], []
    # node -> (link, the node it was reached from), per side
    parents: list[dict[UUID, tuple[UUID, UUID] | None]] = [{start: None}, {goal: None}]
    frontiers: list[set[UUID]] = [{start}, {goal}]
    for _ in range(MAX_PATH_LINKS):
        side = 0 if len(frontiers[0]) <= len(frontiers[1]) else 1
        found = await uow.networks.adjacent(frontiers[side])
        following: set[UUID] = set()
        for link_id, source, target in found:
            for near, far in ((source, target), (target, source)):
                if near not in frontiers[side] or far in parents[side]:
                    continue
                parents[side][far] = (link_id, near)
                following.add(far)
                if far in parents[1 - side]:
                    nodes, link_ids = _chain(far, parents[0], parents[1])
                    links = {link.id: link for link in await uow.networks.links_by_id(link_ids)}
                    return nodes, [links[i] for i in link_ids]
        frontiers[side] = following
        # Stop before a level whose walk alone would pass the bound.
        walked = len(parents[0]) + len(parents[1])
        if not following or walked + 3 * min(map(len, frontiers)) > MAX_PATH_NODES:
            return None
    return None


def _chain(
    meeting: UUID,
    forward: Mapping[UUID, tuple[UUID, UUID] | None],
    backward: Mapping[UUID, tuple[UUID, UUID] | None],
) -> tuple[list[UUID], list[UUID]]:
    nodes: list[UUID] = [meeting]
    links: list[UUID] = []
    node = meeting
    while (step := forward[node]) is not None:
        link_id, node = step
        nodes.insert(0, node)
        links.insert(0, link_id)
    node = meeting
    while (step := backward[node]) is not None:
        link_id, node = step
        nodes.append(node)
        links.append(link_id)
    return nodes, links


@dataclass(frozen=True, slots=True)
class MakeLink:
    kind: str
    from_recovery: UUID
    to_recovery: UUID
    rationale: str
    reference: str | None = None
    confidence: float = 1.0


async def make_link(*, deps: Dependencies, actor: Actor, command: MakeLink) -> Link:
    """A link an investigator makes between two of the agency's recoveries (an analyst's
    judgement, a ballistic hit, the same person): confirmed from the start, audited."""
    authorize(actor, Action.NETWORK_DECIDE)
    kind, evidence = link_by_person(
        command.kind,
        rationale=command.rationale,
        reference=command.reference,
        confidence=command.confidence,
    )
    if command.from_recovery == command.to_recovery:
        raise ValidationFailed.of(InvalidValue("to_recovery_id", "is the same recovery"))
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        recovery_ids = (command.from_recovery, command.to_recovery)
        for field_name, recovery_id in zip(
            ("from_recovery_id", "to_recovery_id"), recovery_ids, strict=True
        ):
            recovery = await uow.recoveries.get(recovery_id)
            if recovery is None or not actor.reaches(Action.NETWORK_DECIDE, recovery.agency_id):
                raise ValidationFailed.of(
                    InvalidValue(field_name, "is not a recovery of your agency")
                )
        found = await uow.networks.nodes([recovery_ref(r) for r in recovery_ids])
        ends = []
        for recovery_id in recovery_ids:
            node = found.get(recovery_ref(recovery_id))
            if node is None:  # linking runs in the background; it will have in a moment
                raise Conflict(f"recovery {recovery_id} is not linked into a network yet")
            ends.append(node)
        _, source_id, target_id = link_key(kind, ends[0].id, ends[1].id)
        if any(
            link.key == (kind, source_id, target_id)
            for link in await uow.networks.links_touching([source_id], kinds=[kind])
        ):
            raise Conflict(f"a {kind.value} link between these recoveries exists already")
        link = Link(
            id=deps.ids.new_id(),
            kind=kind,
            source_id=source_id,
            target_id=target_id,
            confidence=command.confidence,
            status=LinkStatus.CONFIRMED,
            created_at=now,
            created_by=actor.id,
            evidence=evidence,
            decided_by=actor.id,
            decided_at=now,
        )
        uow.networks.add_link(link)
        uow.record(LinkMade(link, command.from_recovery, command.to_recovery, actor))
        await uow.commit()
    return link
