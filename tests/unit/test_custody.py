"""Chains of custody and time-to-crime."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.custody import (
    ROLES_FOR_EVENT,
    CustodyEventKind,
    CustodyEventReport,
    PartyReport,
    PartyRole,
    read_chain,
    time_to_crime,
)
from service.domain.errors import ValidationFailed

RECOVERED = date(2026, 11, 1)


def event(
    kind: str, day: date, role: str, *, country: str = "BE", licence: str | None = None
) -> CustodyEventReport:
    return CustodyEventReport(kind, day, PartyReport(f"{role} s.a.", role, country, licence))


def problems(reports: list[CustodyEventReport]) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as failed:
        read_chain(reports, recovered_on=RECOVERED)
    return {p.field: p.detail for p in failed.value.problems}


def test_a_plausible_chain_is_read_as_given() -> None:
    chain = read_chain(
        [
            event("manufacture", date(2015, 6, 1), "manufacturer", licence="FN-0001"),
            event("sale", date(2016, 2, 1), "dealer", country="FR"),
            event("reported_stolen", date(2020, 7, 14), "retail_purchaser", country="FR"),
        ],
        recovered_on=RECOVERED,
    )
    assert [e.kind for e in chain] == [
        CustodyEventKind.MANUFACTURE,
        CustodyEventKind.SALE,
        CustodyEventKind.REPORTED_STOLEN,
    ]
    assert chain[0].party.licence == "FN-0001" and chain[1].party.country == "FR"


def test_every_problem_of_a_chain_is_named_with_its_path() -> None:
    found = problems(
        [
            event("manufacture", date(2016, 1, 1), "dealer"),
            event("export", date(2015, 1, 1), "exporter", country="XX"),
            event("sale", date(2027, 1, 1), "retail_purchaser"),
            event("smuggling", date(2027, 2, 1), "smuggler"),
        ]
    )
    assert "does not act in a manufacture event" in found["chain_of_custody.0.party.role"]
    assert "earlier than the event before it" in found["chain_of_custody.1.date"]
    assert "ISO 3166-1" in found["chain_of_custody.1.party.country"]
    assert found["chain_of_custody.2.date"] == "lies after the recovery of the item"
    assert "must be one of" in found["chain_of_custody.3.kind"]
    assert "must be one of" in found["chain_of_custody.3.party.role"]


def test_a_party_needs_a_name() -> None:
    report = CustodyEventReport("sale", date(2020, 1, 1), PartyReport(" ", "dealer", "FR"))
    assert "chain_of_custody.0.party.name" in problems([report])


@pytest.mark.parametrize("kind", list(CustodyEventKind))
def test_every_event_kind_has_a_role_that_fits(kind: CustodyEventKind) -> None:
    assert ROLES_FOR_EVENT[kind]
    role = sorted(ROLES_FOR_EVENT[kind])[0]
    assert read_chain([event(kind.value, date(2020, 1, 1), role.value)], recovered_on=RECOVERED)


def test_time_to_crime_counts_from_the_first_retail_sale() -> None:
    chain = read_chain(
        [
            event("manufacture", date(2010, 1, 1), "manufacturer"),
            event("sale", date(2012, 1, 1), "dealer"),
            event("sale", date(2012, 3, 1), "retail_purchaser"),
            event("transfer", date(2025, 1, 1), "retail_purchaser"),
        ],
        recovered_on=RECOVERED,
    )
    assert time_to_crime(chain, recovered_on=RECOVERED) == (RECOVERED - date(2012, 3, 1)).days


def test_without_a_retail_sale_time_to_crime_counts_from_the_last_legal_transfer() -> None:
    chain = read_chain(
        [
            event("manufacture", date(2010, 1, 1), "manufacturer"),
            event("export", date(2010, 5, 1), "exporter"),
            event("government_custody", date(2011, 1, 1), "government_holder"),
            event("reported_lost", date(2014, 1, 1), "government_holder"),
        ],
        recovered_on=RECOVERED,
    )
    assert time_to_crime(chain, recovered_on=RECOVERED) == (RECOVERED - date(2011, 1, 1)).days
    manufacture_only = read_chain(
        [event("manufacture", date(2010, 1, 1), "manufacturer")], recovered_on=RECOVERED
    )
    assert time_to_crime(manufacture_only, recovered_on=RECOVERED) is None


@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(CustodyEventKind)),
            st.dates(min_value=date(1900, 1, 1), max_value=RECOVERED),
        ),
        max_size=12,
    )
)
def test_any_ordered_chain_of_fitting_roles_is_accepted_and_time_to_crime_is_never_negative(
    events: list[tuple[CustodyEventKind, date]],
) -> None:
    events.sort(key=lambda e: e[1])
    reports = [
        event(kind.value, day, sorted(ROLES_FOR_EVENT[kind])[-1].value) for kind, day in events
    ]
    chain = read_chain(reports, recovered_on=RECOVERED)
    assert len(chain) == len(reports)
    days = time_to_crime(chain, recovered_on=RECOVERED)
    assert days is None or days >= 0
    if any(
        e.party.role is PartyRole.RETAIL_PURCHASER and e.kind is CustodyEventKind.SALE
        for e in chain
    ):
        assert days is not None
