"""Case networks: recoveries, cases, persons, parties of chains of custody, places and
registry records as nodes; links between them, each with its kind, confidence, provenance and time.

INTERPOL's advice is that a recovered gun is part of a larger scheme: the same weapon
recovered twice, two guns sold by the same dealer, a serial that hits a theft report.
Machine rules propose links; investigators confirm or reject them (a rejected link stays
rejected when its rule fires again) and add their own. Every node belongs to exactly one
network: the connected component of the links that are not rejected or retracted.

Everything here is pure: the rules turn facts into proposed links, `reconcile` decides
what a rule's new proposals change among the links already made, and the membership
functions decide how networks merge and split.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final
from uuid import UUID

from service.domain.custody import CustodyEvent, Party, PartyRole
from service.domain.errors import InvalidValue, ValidationCollector
from service.domain.matching import MatchKind, SerialMatch
from service.domain.recovery import Recovery
from service.domain.registry_hits import RegistryHit
from service.domain.text import check_text


class NodeKind(StrEnum):
    RECOVERY = "recovery"
    CASE = "case"
    PARTY = "party"
    REGISTRY_RECORD = "registry_record"
    PLACE = "place"
    PERSON = "person"


class LinkKind(StrEnum):
    SAME_WEAPON = "same_weapon"
    REGISTRY_HIT = "registry_hit"
    SAME_SOURCE = "same_source"
    SAME_PERSON = "same_person"
    SAME_CASE = "same_case"
    SAME_PLACE = "same_place"
    BALLISTIC = "ballistic"
    MANUAL = "manual"


class LinkStatus(StrEnum):
    PROPOSED = "proposed"  # made by a rule, not reviewed
    CONFIRMED = "confirmed"  # a person agreed (or made it)
    REJECTED = "rejected"  # a person disagreed: stays so whatever the rules say
    RETRACTED = "retracted"  # its rule no longer finds it (a serial was corrected)


# Links that hold networks together.
STANDING: Final = frozenset({LinkStatus.PROPOSED, LinkStatus.CONFIRMED})
# Kinds a person may make. A person's link names no rule, so no rule ever retracts it
# (rules make same_person links too, from a recovery to a person node).
BY_PEOPLE: Final = frozenset({LinkKind.MANUAL, LinkKind.BALLISTIC, LinkKind.SAME_PERSON})

# Rules and their versions: a link records the version that made it, and
# `tracedesk networks rebuild` runs them all again after a change.
# Version 2: the serial matcher also finds transliterated readings, and partial readings
# whose legible characters form no run of three.
SAME_WEAPON_RULE: Final = ("same-weapon", 2)
SAME_CASE_RULE: Final = ("same-case", 1)
REGISTRY_HIT_RULE: Final = ("registry-hit", 1)
# Version 2: retail purchasers are persons (same-person), no longer parties.
# Version 3 (same-source) and 2 (same-person): a party named with its licence or document
# in one event of a chain and by name only in another is one node.
SAME_SOURCE_RULE: Final = ("same-source", 3)
SAME_PERSON_RULE: Final = ("same-person", 2)
SAME_PLACE_RULE: Final = ("same-place", 1)
# Every rule, as `rules_in_force` names them to tell when they changed.
RULES: Final = (
    SAME_WEAPON_RULE,
    SAME_CASE_RULE,
    REGISTRY_HIT_RULE,
    SAME_SOURCE_RULE,
    SAME_PERSON_RULE,
    SAME_PLACE_RULE,
)


def rules_in_force() -> str:
    """The rules and their versions, as one text: stored with the links, it tells a
    worker starting on a newer release that every recovery must be linked again."""
    return " ".join(f"{name}/{version}" for name, version in sorted(RULES))


# Recoveries whose coordinates fall in the same cell of this many decimal degrees
# (about 110 m north-south) meet at that place. Only coordinates make a place: free-text
# descriptions ("the port") are too loose to link on. A place is a cell, not a distance:
# two points a few metres apart across a cell's edge are two places.
PLACE_DECIMALS: Final = 3
# Below this a serial match is too weak to link weapons (a pattern against a common
# prefix, a skeleton match on another make).
SAME_WEAPON_THRESHOLD: Final = 0.6
LINKED_MATCH_KINDS: Final = frozenset(
    {
        MatchKind.EXACT,
        MatchKind.NORMALIZED,
        MatchKind.SKELETON,
        MatchKind.TRANSLITERATED,
        MatchKind.EDIT,
        MatchKind.PATTERN,
    }
)
MAX_RATIONALE: Final = 4000


@dataclass(frozen=True, slots=True, order=True)
class NodeRef:
    """What a node stands for, as every rule names it: a kind and a stable key."""

    kind: NodeKind
    key: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.key}"


@dataclass(frozen=True, slots=True)
class Node:
    id: UUID
    ref: NodeRef
    # The agency whose evidence the node is; None for shared reference data (a registry
    # record is the registry's, seen by every agency whose recovery hit it).
    agency_id: UUID | None
    label: str
    network_id: UUID
    created_at: datetime
    # When the fact happened (a recovery's date), for a network's time span.
    occurred_at: datetime | None = None
    country: str | None = None


def recovery_ref(recovery_id: UUID) -> NodeRef:
    return NodeRef(NodeKind.RECOVERY, str(recovery_id))


def case_ref(agency_id: UUID, case_reference: str) -> NodeRef:
    """Case references are an agency's own: the same text in two agencies is two cases."""
    return NodeRef(NodeKind.CASE, f"{agency_id}:{_folded(case_reference)}")


def party_ref(name: str, country: str, licence: str | None) -> NodeRef:
    """A dealer, importer or exporter is known by its licence or registration number when
    it has one, else by its name as written (folded) and its country."""
    if licence:
        return NodeRef(NodeKind.PARTY, f"licence:{country}:{_folded(licence, compact=True)}")
    return NodeRef(NodeKind.PARTY, f"name:{country}:{_folded(name)}")


class PersonIdentity(StrEnum):
    """What makes two records one person, strongest first."""

    DOCUMENT = "document"  # an identity document (or purchase licence) and its country
    NAME_AND_BIRTH_DATE = "name_and_birth_date"
    NAME = "name"  # a name in a country: a lead to check, not an identity


PERSON_CONFIDENCE: Final = {
    PersonIdentity.DOCUMENT: 1.0,
    PersonIdentity.NAME_AND_BIRTH_DATE: 0.9,
    PersonIdentity.NAME: 0.5,
}


def person_ref(
    name: str,
    *,
    born_on: date | None = None,
    document: tuple[str, str] | None = None,
    country: str | None = None,
) -> tuple[NodeRef, PersonIdentity]:
    """A person is known by the strongest identifier recorded: an identity document
    (issuing country, number), else name and date of birth, else name and country
    (`country`: nationality, or where they were met). Names are folded (case, spacing,
    Unicode forms); letters are never transliterated, so "Jean Dupont" and "Жан Дюпон" stay
    two persons until a person links them."""
    if document is not None:
        issuer, number = document
        key = f"document:{issuer}:{_folded(number, compact=True)}"
        return NodeRef(NodeKind.PERSON, key), PersonIdentity.DOCUMENT
    if born_on is not None:
        key = f"born:{born_on.isoformat()}:{_folded(name)}"
        return NodeRef(NodeKind.PERSON, key), PersonIdentity.NAME_AND_BIRTH_DATE
    return NodeRef(NodeKind.PERSON, f"name:{country or ''}:{_folded(name)}"), PersonIdentity.NAME


def person_label(ref: NodeRef) -> str:
    """A person node's label says only what its key says: an agency sees a person node
    only when its own record names the same key, so the label tells it nothing another
    agency recorded (no other spelling, no date of birth it did not enter)."""
    how, first, rest = ref.key.split(":", 2)
    if how == "document":
        return f"person with document {first} {rest.upper()}"
    if how == "born":
        return f"{rest} (born {first})"
    return f"{rest} ({first})" if first else rest


def place_ref(country: str, lat: float, lon: float) -> NodeRef:
    return NodeRef(
        NodeKind.PLACE,
        f"{country}:{lat:.{PLACE_DECIMALS}f}:{lon:.{PLACE_DECIMALS}f}",
    )


def registry_record_ref(registry: str, reference: str) -> NodeRef:
    return NodeRef(NodeKind.REGISTRY_RECORD, f"{registry}:{reference}")


def _folded(text: str, *, compact: bool = False) -> str:
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return folded.replace(" ", "").replace("-", "").replace("/", "") if compact else folded


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """What a rule knows of a node it names, to create it when it is new."""

    ref: NodeRef
    agency_id: UUID | None
    label: str
    occurred_at: datetime | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class ProposedLink:
    """A link as a rule finds it."""

    kind: LinkKind
    source: NodeFacts
    target: NodeFacts
    confidence: float
    rule: tuple[str, int]
    evidence: Mapping[str, Any] = field(default_factory=dict)


LinkKey = tuple[LinkKind, UUID, UUID]


def link_key(kind: LinkKind, a: UUID, b: UUID) -> LinkKey:
    """Links are undirected: one key whichever end a rule starts from."""
    first, second = sorted((a, b))
    return (kind, first, second)


@dataclass(frozen=True, slots=True)
class Link:
    id: UUID
    kind: LinkKind
    source_id: UUID
    target_id: UUID
    confidence: float
    status: LinkStatus
    created_at: datetime
    # Provenance: the rule and its version, or the person who made it.
    rule: str | None = None
    rule_version: int | None = None
    created_by: UUID | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    decided_by: UUID | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None

    @property
    def key(self) -> LinkKey:
        return link_key(self.kind, self.source_id, self.target_id)

    def other_end(self, node_id: UUID) -> UUID:
        return self.target_id if node_id == self.source_id else self.source_id

    @property
    def standing(self) -> bool:
        return self.status in STANDING

    def decided(self, status: LinkStatus, *, by: UUID, at: datetime, reason: str | None) -> Link:
        """Confirmed or rejected by a person, with why (a rejection needs a reason)."""
        if status not in (LinkStatus.CONFIRMED, LinkStatus.REJECTED):
            raise InvalidValue("decision", "confirm or reject")
        problems = ValidationCollector()
        if status is LinkStatus.REJECTED or reason is not None:
            try:
                check_text(
                    reason or "",
                    "reason",
                    max_length=MAX_RATIONALE,
                    multiline=True,
                    required=status is LinkStatus.REJECTED,
                )
            except InvalidValue as error:
                problems.add(error)
        problems.raise_if_any()
        return replace(self, status=status, decided_by=by, decided_at=at, decision_reason=reason)


# --- rules ---------------------------------------------------------------------------


def recovery_facts(recovery: Recovery) -> NodeFacts:
    return NodeFacts(
        ref=recovery_ref(recovery.id),
        agency_id=recovery.agency_id,
        label=recovery.case_reference,
        occurred_at=recovery.recovered_at,
        country=recovery.location.country,
    )


def same_weapon_links(
    recovery: Recovery, matches: Iterable[tuple[UUID, SerialMatch]]
) -> list[ProposedLink]:
    """A serial of this recovery (item id, match) that matches an item of another
    recovery, of any agency, strongly enough: probably the same weapon, recovered twice.
    The strongest match between two recoveries is the link's evidence."""
    best: dict[UUID, tuple[UUID, SerialMatch]] = {}
    for item_id, match in matches:
        other = match.candidate.recovery_id
        if other == recovery.id or match.kind not in LINKED_MATCH_KINDS:
            continue
        if match.confidence < SAME_WEAPON_THRESHOLD:
            continue
        if other not in best or _stronger(match, best[other][1]):
            best[other] = (item_id, match)
    own = recovery_facts(recovery)
    links = []
    for other, (item_id, match) in sorted(best.items()):
        candidate = match.candidate
        links.append(
            ProposedLink(
                kind=LinkKind.SAME_WEAPON,
                source=own,
                target=NodeFacts(
                    ref=recovery_ref(other),
                    agency_id=candidate.agency_id,
                    label=candidate.case_reference,
                    occurred_at=candidate.recovered_at,
                ),
                confidence=round(match.confidence, 3),
                rule=SAME_WEAPON_RULE,
                evidence={
                    "match_kind": match.kind.value,
                    "item_id": str(item_id),
                    "other_item_id": str(candidate.item_id),
                    "other_serial": candidate.identifier.raw,
                },
            )
        )
    return links


def _stronger(match: SerialMatch, than: SerialMatch) -> bool:
    # Ties broken by the item, so the evidence does not depend on the order of matches.
    return (match.confidence, str(match.candidate.item_id)) > (
        than.confidence,
        str(than.candidate.item_id),
    )


def same_case_links(recovery: Recovery) -> list[ProposedLink]:
    """Recoveries filed under the same case reference of an agency belong together: each
    is linked to the case."""
    return [
        ProposedLink(
            kind=LinkKind.SAME_CASE,
            source=recovery_facts(recovery),
            target=NodeFacts(
                ref=case_ref(recovery.agency_id, recovery.case_reference),
                agency_id=recovery.agency_id,
                label=recovery.case_reference,
            ),
            confidence=1.0,
            rule=SAME_CASE_RULE,
        )
    ]


def same_place_links(recovery: Recovery) -> list[ProposedLink]:
    """A recovery with coordinates is linked to its place (a cell of about 100 m): two
    recoveries there, of any agencies, meet at it. The place is shared, as registry
    records are; each agency sees it only through its own recoveries."""
    location = recovery.location
    if location.lat is None or location.lon is None:
        return []
    ref = place_ref(location.country, location.lat, location.lon)
    return [
        ProposedLink(
            kind=LinkKind.SAME_PLACE,
            source=recovery_facts(recovery),
            target=NodeFacts(
                ref=ref,
                agency_id=None,
                label=f"{ref.key.replace(':', ' ', 1)}",
                country=location.country,
            ),
            # The same cell, not necessarily the same spot.
            confidence=0.7,
            rule=SAME_PLACE_RULE,
            evidence={"lat": str(location.lat), "lon": str(location.lon)},
        )
    ]


def same_person_links(
    recovery: Recovery, chains: Iterable[tuple[UUID, Sequence[CustodyEvent]]] = ()
) -> list[ProposedLink]:
    """The recovery's possessor, and the retail purchasers named in the chains of custody
    answered to its trace requests (request id, chain), each linked to the recovery as a
    person: a possessor of one seizure who bought the gun of another meets it there, as
    does a person found with guns in several agencies' recoveries."""
    links = []
    possessor = recovery.possessor
    if possessor is not None:
        document = (
            (possessor.document_country, possessor.document_number)
            if possessor.document_country and possessor.document_number
            else None
        )
        ref, identity = person_ref(
            possessor.name,
            born_on=possessor.born_on,
            document=document,
            country=possessor.nationality or recovery.location.country,
        )
        links.append(_person_link(recovery, ref, identity, {"role": "possessor"}))
    for party, evidence in _named_in(chains, persons=True):
        ref, identity = person_ref(
            party.name,
            document=(party.country, party.licence) if party.licence else None,
            country=party.country,
        )
        links.append(_person_link(recovery, ref, identity, evidence))
    return links


def _person_link(
    recovery: Recovery, ref: NodeRef, identity: PersonIdentity, evidence: Mapping[str, Any]
) -> ProposedLink:
    return ProposedLink(
        kind=LinkKind.SAME_PERSON,
        source=recovery_facts(recovery),
        # Shared, as parties are: each agency whose records name the person meets it there
        # and sees it only through its own.
        target=NodeFacts(ref=ref, agency_id=None, label=person_label(ref)),
        confidence=PERSON_CONFIDENCE[identity],
        rule=SAME_PERSON_RULE,
        evidence={**evidence, "identified_by": identity.value},
    )


def _named_in(
    chains: Iterable[tuple[UUID, Sequence[CustodyEvent]]], *, persons: bool
) -> Iterator[tuple[Party, dict[str, Any]]]:
    """The parties of answered chains (request id, chain) that are persons (retail
    purchasers), or are not (businesses, government holders), each with the evidence of
    where it was named.

    A party named with its licence (or a person with their document) in one event and by
    name only in another event of the same chain is one party: the name-only mention
    takes the licence, unless the name stands for several licences there."""
    for request_id, chain in chains:
        licences: dict[tuple[str, str], set[str]] = {}
        for event in chain:
            if event.party.licence:
                named = (event.party.country, _folded(event.party.name))
                licences.setdefault(named, set()).add(event.party.licence)
        for position, event in enumerate(chain):
            party = event.party
            if (party.role is PartyRole.RETAIL_PURCHASER) is not persons:
                continue
            evidence = {
                "trace_request_id": str(request_id),
                "event": event.kind.value,
                "date": event.date.isoformat(),
                "role": party.role.value,
                "position": position,
            }
            known = licences.get((party.country, _folded(party.name)), set())
            if not party.licence and len(known) == 1:
                party = replace(party, licence=next(iter(known)))
                evidence["licence_named_elsewhere_in_chain"] = True
            yield party, evidence


def registry_hit_links(recovery: Recovery, hits: Iterable[RegistryHit]) -> list[ProposedLink]:
    """A standing registry hit links the recovery to the registry's record: every other
    recovery hitting that record is then in the same network."""
    links = []
    for hit in hits:
        if hit.cleared_at is not None:
            continue
        links.append(
            ProposedLink(
                kind=LinkKind.REGISTRY_HIT,
                source=recovery_facts(recovery),
                target=NodeFacts(
                    ref=registry_record_ref(hit.registry, hit.reference),
                    agency_id=None,
                    label=f"{hit.registry} {hit.reference} ({hit.status.value})",
                ),
                confidence=round(hit.confidence, 3),
                rule=REGISTRY_HIT_RULE,
                evidence={
                    "registry": hit.registry,
                    "reference": hit.reference,
                    "status": hit.status.value,
                    "match_kind": hit.match_kind.value,
                    "item_id": str(hit.item_id),
                },
            )
        )
    return links


def same_source_links(
    recovery: Recovery, chains: Iterable[tuple[UUID, Sequence[CustodyEvent]]]
) -> list[ProposedLink]:
    """Each party of the chains of custody answered to the recovery's trace requests
    (request id, chain), linked to the recovery: two recoveries whose chains name the
    same dealer or importer meet at that party. Retail purchasers are persons
    (`same_person_links`)."""
    links = []
    for party, evidence in _named_in(chains, persons=False):
        links.append(
            ProposedLink(
                kind=LinkKind.SAME_SOURCE,
                source=recovery_facts(recovery),
                # Shared, as registry records are: each agency whose answers name the
                # party meets it there (what a caller sees of it is decided on reading).
                target=NodeFacts(
                    ref=party_ref(party.name, party.country, party.licence),
                    agency_id=None,
                    label=f"{party.name} ({party.role.value}, {party.country})",
                    country=party.country,
                ),
                # Known by licence: the same party. By name only: probably.
                confidence=1.0 if party.licence else 0.8,
                rule=SAME_SOURCE_RULE,
                evidence=evidence,
            )
        )
    return links


# --- what a rule's new proposals change -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Reconciled:
    new: list[ProposedLink]
    revived: list[Link]  # retracted links the rule finds again
    retracted: list[Link]  # proposed links the rule no longer finds
    # Unreviewed links the rule finds again on other evidence (a serial re-read closer),
    # with another confidence, or by a newer version of itself.
    refreshed: list[Link] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.new or self.revived or self.retracted or self.refreshed)


def reconcile(
    proposed: Mapping[LinkKey, ProposedLink], made: Iterable[Link], *, rule: str
) -> Reconciled:
    """`made` are the links around the same facts (the same recovery) that exist already;
    `proposed` what `rule` finds now, by the key its ends' nodes give. Rejected links stay
    rejected, confirmed ones stay confirmed (a person decided); the rule's unreviewed
    links that it no longer finds are retracted, and retracted ones it finds again come
    back. A link found again carries what the rule found this time (confidence, evidence,
    the rule's version) unless a person decided on it: their decision was on the evidence
    they saw, and stays with it."""
    existing = {link.key: link for link in made}
    wanted = dict(proposed)
    new = [wanted[key] for key in sorted(wanted, key=_sortable) if key not in existing]
    revived = [
        replace(_as_found(link, wanted[key]), status=LinkStatus.PROPOSED)
        for key, link in existing.items()
        if key in wanted and link.status is LinkStatus.RETRACTED
    ]
    retracted = [
        replace(link, status=LinkStatus.RETRACTED)
        for key, link in existing.items()
        if key not in wanted and link.rule == rule and link.status is LinkStatus.PROPOSED
    ]
    # Evidence alone does not refresh a link: a same_weapon link is found from either of
    # its recoveries and its evidence is written from the finder's side; refreshing on it
    # would turn the link round at every linking of the other end.
    refreshed = [
        _as_found(link, wanted[key])
        for key, link in existing.items()
        if key in wanted
        and link.status is LinkStatus.PROPOSED
        and link.rule == rule
        and (link.confidence, link.rule_version) != (wanted[key].confidence, wanted[key].rule[1])
    ]
    return Reconciled(new, revived, retracted, refreshed)


def _as_found(link: Link, proposal: ProposedLink) -> Link:
    rule, version = proposal.rule
    return replace(
        link,
        confidence=proposal.confidence,
        evidence=dict(proposal.evidence),
        rule=rule,
        rule_version=version,
    )


def _sortable(key: LinkKey) -> tuple[str, str, str]:
    kind, a, b = key
    return (kind.value, str(a), str(b))


# --- network membership ----------------------------------------------------------------


def surviving_network(sizes: Mapping[UUID, int]) -> UUID:
    """When a link joins networks, the largest keeps its id (fewest nodes relabelled);
    ties go to the smallest id, so the outcome does not depend on the order of writes."""
    return min(sizes, key=lambda network_id: (-sizes[network_id], network_id))


MAX_REFERENCE: Final = 200


def link_by_person(
    kind: str, *, rationale: str, reference: str | None, confidence: float
) -> tuple[LinkKind, dict[str, Any]]:
    """What a person's link says: the kind (manual, ballistic, same_person), why, and
    for a ballistic hit the reference of the hit in its network (an IBIN-style system).
    Every problem is reported at once."""
    problems = ValidationCollector()
    chosen: LinkKind | None = None
    try:
        chosen = LinkKind(kind)
        if chosen not in BY_PEOPLE:
            raise ValueError(kind)
    except ValueError:
        problems.add(
            InvalidValue("kind", f"one of {', '.join(sorted(k.value for k in BY_PEOPLE))}")
        )
    try:
        check_text(rationale, "rationale", max_length=MAX_RATIONALE, multiline=True)
    except InvalidValue as error:
        problems.add(error)
    if chosen is LinkKind.BALLISTIC and not reference:
        problems.add(InvalidValue("reference", "a ballistic link names the hit's reference"))
    if reference is not None:
        try:
            check_text(reference, "reference", max_length=MAX_REFERENCE)
        except InvalidValue as error:
            problems.add(error)
    if not 0 < confidence <= 1:
        problems.add(InvalidValue("confidence", "between 0 (excluded) and 1"))
    problems.raise_if_any()
    evidence: dict[str, Any] = {"rationale": rationale}
    if reference:
        evidence["reference"] = reference
    return chosen or LinkKind.MANUAL, evidence


@dataclass(frozen=True, slots=True)
class NetworkState:
    """What a network is made of, kept current as links merge and split networks, so
    that listing networks never walks or counts them: its size, its nodes per agency
    (None: shared nodes), the countries and the time span of its recoveries."""

    id: UUID
    size: int
    nodes_by_agency: Mapping[UUID | None, int] = field(default_factory=dict)
    countries: frozenset[str] = frozenset()
    first_at: datetime | None = None
    last_at: datetime | None = None

    @classmethod
    def of(cls, network_id: UUID, nodes: Iterable[Node]) -> NetworkState:
        counts: dict[UUID | None, int] = defaultdict(int)
        countries: set[str] = set()
        times: list[datetime] = []
        size = 0
        for node in nodes:
            size += 1
            counts[node.agency_id] += 1
            if node.country:
                countries.add(node.country)
            if node.occurred_at is not None:
                times.append(node.occurred_at)
        return cls(
            network_id,
            size,
            dict(counts),
            frozenset(countries),
            min(times, default=None),
            max(times, default=None),
        )

    def joined(self, other: NetworkState) -> NetworkState:
        """This network with another merged into it (it keeps this one's id)."""
        counts = dict(self.nodes_by_agency)
        for agency, count in other.nodes_by_agency.items():
            counts[agency] = counts.get(agency, 0) + count
        return NetworkState(
            self.id,
            self.size + other.size,
            counts,
            self.countries | other.countries,
            _earliest(self.first_at, other.first_at),
            _latest(self.last_at, other.last_at),
        )

    def without(self, part: NetworkState) -> NetworkState:
        """This network once `part` split off: size and counts exact; countries and time
        span as before until recounted (they can only have narrowed)."""
        counts = {
            agency: count - part.nodes_by_agency.get(agency, 0)
            for agency, count in self.nodes_by_agency.items()
        }
        return replace(
            self,
            size=self.size - part.size,
            nodes_by_agency={agency: count for agency, count in counts.items() if count > 0},
        )

    def emptied(self) -> NetworkState:
        return NetworkState(self.id, 0)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((t for t in (a, b) if t is not None), default=None)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((t for t in (a, b) if t is not None), default=None)
