"""The case-network rules: node identities, what a rule's findings change, decisions,
and how networks merge and split."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from service.domain.errors import ValidationFailed
from service.domain.networks import (
    Link,
    LinkKind,
    LinkStatus,
    NodeFacts,
    ProposedLink,
    case_ref,
    link_by_person,
    link_key,
    party_ref,
    place_ref,
    reconcile,
    surviving_network,
)
from tests.builders import AGENCY_A, AGENCY_B, new_id

AT = datetime(2026, 11, 28, tzinfo=UTC)


def test_a_party_is_known_by_its_licence_else_by_its_name_and_country() -> None:
    by_licence = party_ref("Armurerie Centrale SARL", "FR", "FR-ARM 0042")
    assert by_licence == party_ref("ARMURERIE CENTRALE", "FR", "fr-arm-0042")
    by_name = party_ref("Waffen  Nord", "DE", None)
    assert by_name == party_ref("waffen nord", "DE", None)
    assert by_name != party_ref("Waffen Nord", "AT", None)


def test_case_references_are_an_agencys_own() -> None:
    assert case_ref(AGENCY_A, "CASE-1") == case_ref(AGENCY_A, "case-1")
    assert case_ref(AGENCY_A, "CASE-1") != case_ref(AGENCY_B, "CASE-1")


def made(status: LinkStatus, a: UUID, b: UUID, rule: str = "same-weapon") -> Link:
    kind, source, target = link_key(LinkKind.SAME_WEAPON, a, b)
    return Link(new_id(), kind, source, target, 0.9, status, AT, rule=rule, rule_version=1)


def proposed(a: UUID, b: UUID) -> tuple[tuple[LinkKind, UUID, UUID], ProposedLink]:
    facts = NodeFacts(case_ref(AGENCY_A, "X"), AGENCY_A, "X")
    link = ProposedLink(LinkKind.SAME_WEAPON, facts, facts, 0.9, ("same-weapon", 1))
    return link_key(LinkKind.SAME_WEAPON, a, b), link


def test_people_decide_and_rules_only_take_back_what_nobody_reviewed() -> None:
    me, b, c, d, e = (new_id() for _ in range(5))
    rejected = made(LinkStatus.REJECTED, me, b)
    confirmed = made(LinkStatus.CONFIRMED, me, c)
    unreviewed = made(LinkStatus.PROPOSED, me, d)
    retracted = made(LinkStatus.RETRACTED, me, e)
    other_rule = made(LinkStatus.PROPOSED, me, new_id(), rule="same-case")
    # The rule now finds the rejected and the retracted links, and nothing else.
    outcome = reconcile(
        dict([proposed(me, b), proposed(me, e)]),
        [rejected, confirmed, unreviewed, retracted, other_rule],
        rule="same-weapon",
    )
    assert outcome.new == []
    assert [link.id for link in outcome.revived] == [retracted.id]
    assert [(link.id, link.status) for link in outcome.retracted] == [
        (unreviewed.id, LinkStatus.RETRACTED)
    ]


def test_a_rejection_says_why() -> None:
    link = made(LinkStatus.PROPOSED, new_id(), new_id())
    with pytest.raises(ValidationFailed, match="reason"):
        link.decided(LinkStatus.REJECTED, by=new_id(), at=AT, reason=None)
    confirmed = link.decided(LinkStatus.CONFIRMED, by=new_id(), at=AT, reason=None)
    assert confirmed.status is LinkStatus.CONFIRMED and confirmed.standing


def test_a_persons_link_is_validated_as_a_whole() -> None:
    with pytest.raises(ValidationFailed) as failed:
        link_by_person("registry_hit", rationale=" ", reference=None, confidence=2)
    assert sorted(p.field for p in failed.value.problems) == ["confidence", "kind", "rationale"]
    with pytest.raises(ValidationFailed, match="reference"):
        link_by_person("ballistic", rationale="Same firing pin", reference=None, confidence=1)
    kind, evidence = link_by_person(
        "ballistic", rationale="Same firing pin", reference="IBIN-1", confidence=0.8
    )
    assert kind is LinkKind.BALLISTIC and evidence == {
        "rationale": "Same firing pin",
        "reference": "IBIN-1",
    }


def test_the_larger_network_survives_a_merge_and_ties_do_not_depend_on_order() -> None:
    small, large = new_id(), new_id()
    assert surviving_network({small: 2, large: 9}) == large
    tie = {large: 3, small: 3}
    assert surviving_network(tie) == surviving_network(dict(reversed(tie.items()))) == min(tie)


def test_a_place_is_a_cell_of_about_a_hundred_metres() -> None:
    assert place_ref("FR", 48.83372, 2.37311) == place_ref("FR", 48.83401, 2.37279)
    assert place_ref("FR", 48.8337, 2.3731) != place_ref("FR", 48.8357, 2.3731)
    assert place_ref("FR", 48.8337, 2.3731).key == "FR:48.834:2.373"
