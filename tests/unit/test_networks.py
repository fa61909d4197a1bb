"""The case-network rules: node identities, what a rule's findings change, decisions,
and how networks merge and split."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from service.domain.custody import CustodyEvent, CustodyEventKind, Party, PartyRole
from service.domain.errors import ValidationFailed
from service.domain.networks.links import (
    Link,
    LinkKind,
    LinkStatus,
    ProposedLink,
    link_by_person,
    link_key,
    reconcile,
)
from service.domain.networks.membership import surviving_network
from service.domain.networks.nodes import (
    NodeFacts,
    NodeKind,
    PersonIdentity,
    case_ref,
    party_ref,
    person_label,
    person_ref,
    place_ref,
)
from service.domain.networks.rules import same_person_links, same_source_links
from service.domain.persons import PersonReport
from tests.builders import AGENCY_A, AGENCY_B, new_id, recovery

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


def test_a_rule_that_did_not_see_all_its_evidence_retracts_nothing() -> None:
    """A serial search cut at its cap may miss the recovery a link was made from: the
    link stays, while what the rule did find is still linked."""
    me, b, c = new_id(), new_id(), new_id()
    unreviewed = made(LinkStatus.PROPOSED, me, b)
    outcome = reconcile(dict([proposed(me, c)]), [unreviewed], rule="same-weapon", complete=False)
    assert outcome.retracted == [] and len(outcome.new) == 1
    complete = reconcile(dict([proposed(me, c)]), [unreviewed], rule="same-weapon")
    assert [link.id for link in complete.retracted] == [unreviewed.id]


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


def test_a_person_is_known_by_the_strongest_identifier_recorded() -> None:
    by_document, how = person_ref(
        "Jean Dupont", born_on=date(1980, 1, 2), document=("FR", "12ab 34567"), country="FR"
    )
    assert how is PersonIdentity.DOCUMENT
    assert by_document == person_ref("J. DUPONT", document=("FR", "12AB-34567"))[0]
    assert by_document != person_ref("Jean Dupont", document=("BE", "12AB34567"))[0]
    by_birth, how = person_ref("Jean  DUPONT", born_on=date(1980, 1, 2), country="FR")
    assert how is PersonIdentity.NAME_AND_BIRTH_DATE
    assert by_birth == person_ref("jean dupont", born_on=date(1980, 1, 2), country="BE")[0]
    by_name, how = person_ref("Jean Dupont", country="FR")
    assert how is PersonIdentity.NAME
    assert by_name != person_ref("Jean Dupont", country="BE")[0]
    # Scripts are not transliterated: that is a person's call, not a rule's.
    assert by_name != person_ref("Жан Дюпон", country="FR")[0]


def test_a_person_nodes_label_says_only_what_its_key_says() -> None:
    labels = [
        person_label(person_ref("Jean Dupont", document=("FR", "12ab 34567"))[0]),
        person_label(person_ref("Jean DUPONT", born_on=date(1980, 1, 2))[0]),
        person_label(person_ref("Jean DUPONT", country="FR")[0]),
    ]
    assert labels == [
        "person with document FR 12AB34567",
        "jean dupont (born 1980-01-02)",
        "jean dupont (FR)",
    ]


def sale_to(name: str, role: PartyRole, licence: str | None = None) -> CustodyEvent:
    return CustodyEvent(
        CustodyEventKind.SALE, date(2024, 3, 1), Party(name, role, "FR", licence=licence)
    )


def test_a_possessor_and_a_purchaser_with_the_same_document_are_one_person() -> None:
    seized = recovery(
        possessor=PersonReport("Jean Dupont", document_number="12AB34567", document_country="FR")
    )
    traced = recovery(agency=AGENCY_B)
    request_id = new_id()
    bought = sale_to("DUPONT Jean", PartyRole.RETAIL_PURCHASER, licence="12ab-34567")
    [possessor] = same_person_links(seized)
    dealer = sale_to("Armurerie Centrale", PartyRole.DEALER, licence="FR-ARM-1")
    [purchaser] = same_person_links(traced, [(request_id, [dealer, dealer, dealer, bought])])
    assert possessor.target.ref == purchaser.target.ref
    assert possessor.kind is purchaser.kind is LinkKind.SAME_PERSON
    assert possessor.confidence == purchaser.confidence == 1.0
    assert possessor.evidence == {"role": "possessor", "identified_by": "document"}
    assert purchaser.evidence["trace_request_id"] == str(request_id)
    assert purchaser.evidence["position"] == 3
    # Persons are shared nodes: each agency meets them through its own records only.
    assert possessor.target.agency_id is None


def test_a_possessor_known_only_by_name_is_a_weak_lead_in_their_country() -> None:
    abroad = recovery(possessor=PersonReport("Jean Dupont", nationality="BE"))
    at_home = recovery(possessor=PersonReport("Jean Dupont"))
    [a] = same_person_links(abroad)
    [b] = same_person_links(at_home)
    assert a.confidence == b.confidence == 0.5
    assert a.target.ref.key == "name:BE:jean dupont"
    assert b.target.ref.key == "name:FR:jean dupont"  # where the recovery was made
    assert same_person_links(recovery()) == []


def test_retail_purchasers_are_persons_not_parties() -> None:
    chain = [
        sale_to("Armurerie Centrale", PartyRole.DEALER, licence="FR-ARM-1"),
        sale_to("Jean Dupont", PartyRole.RETAIL_PURCHASER),
    ]
    sources = same_source_links(recovery(), [(new_id(), chain)])
    assert [link.target.ref.kind for link in sources] == [NodeKind.PARTY]


def test_a_party_named_with_and_without_its_licence_in_one_chain_is_one_node() -> None:
    made = CustodyEvent(
        CustodyEventKind.MANUFACTURE,
        date(2015, 1, 5),
        Party("Glock GmbH", PartyRole.MANUFACTURER, "AT", licence="AT-WG-1963"),
    )
    sold = CustodyEvent(
        CustodyEventKind.EXPORT, date(2015, 2, 1), Party("GLOCK  GmbH", PartyRole.EXPORTER, "AT")
    )
    bought = sale_to("Jean Dupont", PartyRole.RETAIL_PURCHASER, licence="12AB34567")
    again = sale_to("Jean DUPONT", PartyRole.RETAIL_PURCHASER)
    chain = [made, sold, bought, again]
    sources = same_source_links(recovery(), [(new_id(), chain)])
    assert {link.target.ref for link in sources} == {party_ref("Glock GmbH", "AT", "AT-WG-1963")}
    assert [link.confidence for link in sources] == [1.0, 1.0]
    assert sources[1].evidence["licence_named_elsewhere_in_chain"] is True
    persons = same_person_links(recovery(), [(new_id(), chain)])
    assert len({link.target.ref for link in persons}) == 1

    # A name that stands for two licences in the chain cannot be told apart: it stays a
    # name, and so does a name in another chain (another request, another answer).
    branch = replace(made, party=replace(made.party, licence="AT-WG-2001"))
    ambiguous = same_source_links(recovery(), [(new_id(), [made, branch, sold])])
    assert len({link.target.ref for link in ambiguous}) == 3
    apart = same_source_links(recovery(), [(new_id(), [made]), (new_id(), [sold])])
    assert len({link.target.ref for link in apart}) == 2


def test_an_unreviewed_link_found_again_takes_the_rules_new_finding() -> None:
    me, weaker, older, decided = (new_id() for _ in range(4))
    weak = made(LinkStatus.PROPOSED, me, weaker)  # confidence 0.9, version 1
    old_version = made(LinkStatus.PROPOSED, me, older)
    confirmed = made(LinkStatus.CONFIRMED, me, decided)

    def found(a: UUID, b: UUID, confidence: float, version: int) -> tuple[Any, ProposedLink]:
        key, link = proposed(a, b)
        return key, replace(
            link, confidence=confidence, rule=("same-weapon", version), evidence={"k": "v"}
        )

    outcome = reconcile(
        dict(
            [
                found(me, weaker, 0.97, 1),  # a serial re-read closer
                found(me, older, 0.9, 2),  # the rule changed
                found(me, decided, 0.5, 2),  # a person decided: it stays as they saw it
            ]
        ),
        [weak, old_version, confirmed],
        rule="same-weapon",
    )
    assert sorted((link.id, link.confidence, link.rule_version) for link in outcome.refreshed) == (
        sorted([(weak.id, 0.97, 1), (old_version.id, 0.9, 2)])
    )
    assert all(link.evidence == {"k": "v"} for link in outcome.refreshed)
    # Found again exactly as stored: nothing to change, whichever side found it.
    same = reconcile(dict([found(me, weaker, 0.9, 1)]), [weak], rule="same-weapon")
    assert not same.changed
