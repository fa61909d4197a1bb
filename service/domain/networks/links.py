"""Links between nodes: their kinds, their life (proposed, confirmed, rejected, retracted),
those people make, and what a rule's new proposals change among the links already made."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Final
from uuid import UUID

from service.domain.errors import InvalidValue, ValidationCollector
from service.domain.networks.nodes import NodeFacts
from service.domain.text import check_text


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

MAX_RATIONALE: Final = 4000


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
    proposed: Mapping[LinkKey, ProposedLink],
    made: Iterable[Link],
    *,
    rule: str,
    complete: bool = True,
) -> Reconciled:
    """`made` are the links around the same facts (the same recovery) that exist already;
    `proposed` what `rule` finds now, by the key its ends' nodes give. Rejected links stay
    rejected, confirmed ones stay confirmed (a person decided); the rule's unreviewed
    links that it no longer finds are retracted, and retracted ones it finds again come
    back. A link found again carries what the rule found this time (confidence, evidence,
    the rule's version) unless a person decided on it: their decision was on the evidence
    they saw, and stays with it.

    A rule that did not see all of its evidence (`complete` false: a serial search cut at
    its cap) retracts nothing: a link it did not find again may rest on what it missed,
    as when the other end found this recovery."""
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
        if complete
        and key not in wanted
        and link.rule == rule
        and link.status is LinkStatus.PROPOSED
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
