"""What the nodes of case networks stand for, and how each is known (its key)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Final
from uuid import UUID


class NodeKind(StrEnum):
    RECOVERY = "recovery"
    CASE = "case"
    PARTY = "party"
    REGISTRY_RECORD = "registry_record"
    PLACE = "place"
    PERSON = "person"


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
    return NodeRef(NodeKind.CASE, f"{agency_id}:{folded(case_reference)}")


def party_ref(name: str, country: str, licence: str | None) -> NodeRef:
    """A dealer, importer or exporter is known by its licence or registration number when
    it has one, else by its name as written (folded) and its country."""
    if licence:
        return NodeRef(NodeKind.PARTY, f"licence:{country}:{folded(licence, compact=True)}")
    return NodeRef(NodeKind.PARTY, f"name:{country}:{folded(name)}")


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
        key = f"document:{issuer}:{folded(number, compact=True)}"
        return NodeRef(NodeKind.PERSON, key), PersonIdentity.DOCUMENT
    if born_on is not None:
        key = f"born:{born_on.isoformat()}:{folded(name)}"
        return NodeRef(NodeKind.PERSON, key), PersonIdentity.NAME_AND_BIRTH_DATE
    return NodeRef(NodeKind.PERSON, f"name:{country or ''}:{folded(name)}"), PersonIdentity.NAME


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


# Recoveries whose coordinates fall in the same cell of this many decimal degrees
# (about 110 m north-south) meet at that place. Only coordinates make a place: free-text
# descriptions ("the port") are too loose to link on. A place is a cell, not a distance:
# two points a few metres apart across a cell's edge are two places.
PLACE_DECIMALS: Final = 3


def place_ref(country: str, lat: float, lon: float) -> NodeRef:
    return NodeRef(
        NodeKind.PLACE,
        f"{country}:{lat:.{PLACE_DECIMALS}f}:{lon:.{PLACE_DECIMALS}f}",
    )


def registry_record_ref(registry: str, reference: str) -> NodeRef:
    return NodeRef(NodeKind.REGISTRY_RECORD, f"{registry}:{reference}")


def folded(text: str, *, compact: bool = False) -> str:
    """Text as keys compare it: Unicode forms, case and spacing folded (`compact`: and
    separators dropped, as licence numbers are written many ways)."""
    spaced = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return spaced.replace(" ", "").replace("-", "").replace("/", "") if compact else spaced


# What a node's label keeps of its facts' text.
MAX_LABEL: Final = 400


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """What a rule knows of a node it names: to create it when it is new, and to
    describe it as its facts stand now when it exists (a recovery's case reference
    corrected, a party's name as the latest answer writes it)."""

    ref: NodeRef
    agency_id: UUID | None
    label: str
    occurred_at: datetime | None = None
    country: str | None = None
    # False: the node as another recovery's evidence knows it (a serial match knows the
    # other recovery's case and date, not its country). Such facts make a node that does
    # not exist yet, and never change one that does: its own linking describes it.
    complete: bool = True


def described(node: Node, facts: NodeFacts) -> Node | None:
    """The node as its facts describe it now (label, time, country), or None when it is
    described so already or the facts are not the whole of it. The kind, key, agency and
    network are what the node is and where it stands, never changed here."""
    if not facts.complete:
        return None
    now = (facts.label[:MAX_LABEL], facts.occurred_at, facts.country)
    if (node.label, node.occurred_at, node.country) == now:
        return None
    label, occurred_at, country = now
    return replace(node, label=label, occurred_at=occurred_at, country=country)


def preferred(facts: Iterable[NodeFacts]) -> dict[NodeRef, NodeFacts]:
    """The facts of each node to make or describe it by: the last complete ones given,
    else the last given (a recovery's own facts over what another's serial match knows
    of it)."""
    chosen: dict[NodeRef, NodeFacts] = {}
    for fact in facts:
        if fact.complete or fact.ref not in chosen or not chosen[fact.ref].complete:
            chosen[fact.ref] = fact
    return chosen
