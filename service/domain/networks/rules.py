"""The rules that propose links from a recovery's facts: the same weapon, case, place,
person, source (a party of a chain of custody) and registry record. Each has a version:
a worker on a release whose rules differ links every recovery again."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, Final
from uuid import UUID

from service.domain.custody import CustodyEvent, Party, PartyRole
from service.domain.matching import MatchKind, SerialMatch
from service.domain.networks.links import LinkKind, ProposedLink
from service.domain.networks.nodes import (
    PERSON_CONFIDENCE,
    NodeFacts,
    NodeRef,
    PersonIdentity,
    case_ref,
    folded,
    party_ref,
    person_label,
    person_ref,
    place_ref,
    recovery_ref,
    registry_record_ref,
)
from service.domain.recovery import Recovery
from service.domain.registry_hits import RegistryHit

# Rules and their versions: a link records the version that made it, and
# `tracedesk networks rebuild` runs them all again after a change.
# Version 2: the serial matcher also finds transliterated readings, and partial readings
# whose legible characters form no run of three. Version 3: a partial reading links only
# where most of the serial is legible. Version 4: readings that differ only by zeros padding
# a run of digits link (`padding`); one-edit and partial readings no longer link at all.
# Version 5: punctuation and symbols are separators (`12,345` is `12345`).
# Version 6: `ẞ` is `SS`, skeletons have no diacritics, and ISO 9's `Č` is `Ч` (0020).
SAME_WEAPON_RULE: Final = ("same-weapon", 6)

SAME_CASE_RULE: Final = ("same-case", 1)

# Version 2: a hit links only as a same-weapon match would (one character away, or a
# partial reading, is a lead, not the listed weapon). Version 3: as same-weapon 5; 4, 6.
REGISTRY_HIT_RULE: Final = ("registry-hit", 4)

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


# Below this a serial match is too weak to link weapons (a skeleton match on another
# make, a transliteration whose calibre differs).
SAME_WEAPON_THRESHOLD: Final = 0.6

# Only readings of the whole serial that agree but for how they were written link two
# recoveries as one weapon. One character away is most often the neighbour in the same
# maker's run (`100246`, `100256`), and a partial reading is never a unique identity
# (`BER*` fits every Beretta of that series): both are leads for a person to weigh in a
# search, and a person links them when they are the same weapon.
LINKED_MATCH_KINDS: Final = frozenset(
    {
        MatchKind.EXACT,
        MatchKind.NORMALIZED,
        MatchKind.PADDING,
        MatchKind.SKELETON,
        MatchKind.TRANSLITERATED,
    }
)


def _says_same_weapon(kind: MatchKind, confidence: float) -> bool:
    return kind in LINKED_MATCH_KINDS and confidence >= SAME_WEAPON_THRESHOLD


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
        if other == recovery.id or not _says_same_weapon(match.kind, match.confidence):
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
                    # What the match knows of the other recovery: its own facts, when
                    # it is linked, describe its node.
                    complete=False,
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
                named = (event.party.country, folded(event.party.name))
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
            known = licences.get((party.country, folded(party.name)), set())
            if not party.licence and len(known) == 1:
                party = replace(party, licence=next(iter(known)))
                evidence["licence_named_elsewhere_in_chain"] = True
            yield party, evidence


def registry_hit_links(recovery: Recovery, hits: Iterable[RegistryHit]) -> list[ProposedLink]:
    """A standing registry hit links the recovery to the registry's record: every other
    recovery hitting that record is then in the same network. Only a hit that says "this
    weapon" does: two neighbours of a listed serial, each one character away from it,
    would otherwise be one network through it."""
    links = []
    for hit in hits:
        if hit.cleared_at is not None or not _says_same_weapon(hit.match_kind, hit.confidence):
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
