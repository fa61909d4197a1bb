"""What another agency's nodes and links show is decided field by field.

Every response model that can carry a node or link of an agency the caller may not see
is listed here with each of its fields either shown or withheld. A field added to one
of these models fails the first test until someone decides which it is.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

from service.adapters.api.schemas.networks import (
    SHOWN_OF_HIDDEN_LINK,
    SHOWN_OF_HIDDEN_PATH_NODE,
    AgencyShare,
    HiddenOut,
    LinkOut,
    NetworkSummaryOut,
    PathNodeOut,
    link_out,
    path_node_out,
)
from service.case_networks import HiddenNode
from service.domain.networks.links import Link, LinkKind, LinkStatus
from tests.api.conftest import Api, drain
from tests.builders import AGENCY_B, new_id

# model -> (fields shown of another agency's node or link, fields withheld from it)
DECISIONS: dict[type[BaseModel], tuple[frozenset[str], frozenset[str]]] = {
    LinkOut: (
        SHOWN_OF_HIDDEN_LINK,
        frozenset(
            {
                "rule",
                "rule_version",
                "created_by",
                "created_at",
                "evidence",
                "decided_by",
                "decided_at",
                "decision_reason",
            }
        ),
    ),
    PathNodeOut: (SHOWN_OF_HIDDEN_PATH_NODE, frozenset({"kind", "label"})),
    # Counts of hidden nodes per agency, so the investigator knows whom to ask.
    HiddenOut: (frozenset({"agency_id", "agency_name", "nodes"}), frozenset()),
    AgencyShare: (frozenset({"agency_id", "name", "nodes"}), frozenset()),
    # A network's span (its size, countries and time span) includes other agencies'
    # nodes by design: it tells an agency how far its case reaches, not what is there.
    NetworkSummaryOut: (
        frozenset(
            {
                "id",
                "size",
                "created_at",
                "grown_at",
                "agencies",
                "shared_nodes",
                "countries",
                "first_recovered_at",
                "last_recovered_at",
            }
        ),
        frozenset(),
    ),
}


@pytest.mark.parametrize("model", list(DECISIONS), ids=lambda m: m.__name__)
def test_every_field_that_may_show_another_agencys_record_is_decided(
    model: type[BaseModel],
) -> None:
    shown, withheld = DECISIONS[model]
    assert not shown & withheld
    undecided = set(model.model_fields) - shown - withheld
    assert not undecided, f"{model.__name__}: shown or withheld from other agencies? {undecided}"
    assert shown | withheld == set(model.model_fields)


def _present(model: BaseModel) -> set[str]:
    return {name for name, value in model.model_dump().items() if value not in (None, {}, [])}


def test_a_link_to_a_hidden_node_shows_only_its_allowed_fields() -> None:
    mine, theirs = new_id(), new_id()
    now = datetime(2026, 11, 20, tzinfo=UTC)
    link = Link(
        id=new_id(),
        kind=LinkKind.SAME_WEAPON,
        source_id=mine,
        target_id=theirs,
        confidence=0.97,
        status=LinkStatus.CONFIRMED,
        created_at=now,
        created_by=new_id(),
        evidence={"serial": "BXK 482", "their_case": "HH-1"},
        rule="same_weapon",
        rule_version=1,
        decided_by=new_id(),
        decided_at=now,
        decision_reason="Their case file says so",
    )
    hidden = link_out(link, {theirs: AGENCY_B})
    assert _present(hidden) <= SHOWN_OF_HIDDEN_LINK
    assert (hidden.source_id, hidden.target_id, hidden.hidden_agency_id) == (mine, None, AGENCY_B)
    assert _present(link_out(link, {})) == set(LinkOut.model_fields) - {"hidden_agency_id"}

    node = path_node_out(HiddenNode(theirs, AGENCY_B, "Agency B"))
    assert _present(node) <= SHOWN_OF_HIDDEN_PATH_NODE


async def test_the_other_agencys_decision_on_a_shared_link_stays_with_it(api: Api) -> None:
    paris = await api.user("investigator", "a")
    hamburg = await api.user("investigator", "b")
    here = await api.record_firearm(paris, "BXK 482", "CASE-P-1")
    there = await api.record_firearm(hamburg, "BXK482", "HH-2023-118342")
    await drain(api)

    view = await api.client.get(
        f"/api/v1/recoveries/{there['id']}/network", headers={"Authorization": hamburg}
    )
    (shared,) = [link for link in view.json()["links"] if link["kind"] == "same_weapon"]
    reason = "Informant HH-77 says the pistol came from Paris"
    confirmed = await api.client.post(
        f"/api/v1/network-links/{shared['id']}/confirm",
        json={"reason": reason},
        headers={"Authorization": hamburg},
    )
    assert confirmed.status_code == 200, confirmed.text
    # Even to the decider, a link to another agency's node shows only what is allowed.
    assert set(confirmed.json()) >= SHOWN_OF_HIDDEN_LINK
    assert confirmed.json()["decision_reason"] is None
    async with api.deps.unit_of_work() as uow:
        decider = await uow.users.by_username("investigator.b")
    assert decider is not None
    decided_by = str(decider.id)
    await drain(api)

    urls = [f"/api/v1/recoveries/{here['id']}/network?depth={depth}" for depth in (1, 2, 3)]
    urls += [
        f"/api/v1/recoveries/{here['id']}/network/export?format={kind}"
        for kind in ("json", "csv", "graphml")
    ]
    for url in urls:
        answer = await api.client.get(url, headers={"Authorization": paris})
        assert answer.status_code == 200, (url, answer.text)
        assert reason not in answer.text and decided_by not in answer.text, url
    view = await api.client.get(urls[0], headers={"Authorization": paris})
    (seen,) = [link for link in view.json()["links"] if link["kind"] == "same_weapon"]
    assert seen["status"] == "confirmed" and seen["hidden_agency_id"] == str(api.agency_b)
