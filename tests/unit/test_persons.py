"""Possessors: recorded as entered, checked as a whole, corrected with their history."""

from __future__ import annotations

from datetime import date

import pytest

from service.domain.errors import ValidationFailed
from service.domain.persons import PersonReport
from service.domain.recovery import RecoveryCorrection
from service.domain.reference import ReferenceCatalogue
from tests.builders import NOW, actor, new_id, recovery


def test_a_possessor_is_kept_exactly_as_entered() -> None:
    report = PersonReport("  Jean DUPONT ", date(1980, 1, 2), "FR", "12ab 34567", "FR")
    recorded = recovery(possessor=report)
    assert recorded.possessor is not None and recorded.possessor.report() == report


def test_every_problem_of_a_possessor_is_reported_with_its_path() -> None:
    with pytest.raises(ValidationFailed) as failed:
        recovery(
            possessor=PersonReport(
                name=" ",
                born_on=date(NOW.year + 1, 1, 1),
                nationality="FRA",
                document_number="X\u200b1",
            )
        )
    assert sorted(p.field for p in failed.value.problems) == [
        "possessor.born_on",
        "possessor.document_country",
        "possessor.document_number",
        "possessor.name",
        "possessor.nationality",
    ]


def test_a_document_number_needs_the_country_that_issued_it() -> None:
    with pytest.raises(ValidationFailed, match="go together"):
        recovery(possessor=PersonReport("Jean Dupont", document_country="FR"))


def test_a_possessor_is_replaced_or_removed_and_the_history_keeps_who_it_was(
    catalogue: ReferenceCatalogue,
) -> None:
    recorded = recovery(possessor=PersonReport("Jean Dupont", date(1980, 1, 2)))

    def correct(correction: RecoveryCorrection, version: int) -> dict[str, object]:
        made = recorded.correct(
            correction,
            reason="Identity confirmed",
            expected_version=version,
            now=NOW,
            by=actor(),
            new_id=new_id,
            catalogue=catalogue,
        )
        assert made is not None
        return {c.field: (c.before, c.after) for c in made.changes}

    replaced = correct(RecoveryCorrection(possessor=PersonReport("Jean Dupond")), 1)
    assert replaced == {
        "possessor": (
            {
                "name": "Jean Dupont",
                "born_on": "1980-01-02",
                "nationality": None,
                "document_number": None,
                "document_country": None,
            },
            {
                "name": "Jean Dupond",
                "born_on": None,
                "nationality": None,
                "document_number": None,
                "document_country": None,
            },
        )
    }
    removed = correct(RecoveryCorrection(remove_possessor=True), 2)
    assert removed["possessor"][1] is None  # type: ignore[index]
    assert recorded.possessor is None and recorded.version == 3
