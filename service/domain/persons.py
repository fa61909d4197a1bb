"""Persons as a recovery records them: the possessor of what was recovered.

A person is personal data: it is recorded as entered, shown only to the agency that
recorded it, never written to logs, and never sent in a trace request (ITI paragraph 17
asks for the item's markings, not for who held it). What identifies a person, for
linking, is decided in `service.domain.networks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from service.domain.errors import InvalidValue, ValidationCollector
from service.domain.geography import check_country
from service.domain.text import check_text

MAX_NAME: Final = 200
MAX_DOCUMENT_NUMBER: Final = 64
EARLIEST_BIRTH: Final = date(1880, 1, 1)


@dataclass(frozen=True, slots=True)
class PersonReport:
    """A person as entered, before its rules are applied."""

    name: str
    born_on: date | None = None
    nationality: str | None = None
    document_number: str | None = None
    document_country: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """A possessor: name as written, and what identifies them when known (date of birth,
    nationality, an identity document and the country that issued it).

    Built unchecked from storage (evidence loads even if rules tighten later); new values
    go through `read`, which applies every rule."""

    name: str
    born_on: date | None = None
    nationality: str | None = None
    document_number: str | None = None
    document_country: str | None = None

    @classmethod
    def read(cls, report: PersonReport, *, today: date) -> Person:
        problems = ValidationCollector()
        try:
            check_text(report.name, "name", max_length=MAX_NAME)
        except InvalidValue as error:
            problems.add(error)
        if report.born_on is not None and not EARLIEST_BIRTH <= report.born_on <= today:
            problems.add(InvalidValue("born_on", f"must lie between {EARLIEST_BIRTH} and today"))
        for field, code in (
            ("nationality", report.nationality),
            ("document_country", report.document_country),
        ):
            if code is not None:
                try:
                    check_country(code, field)
                except InvalidValue as error:
                    problems.add(error)
        if report.document_number is not None:
            try:
                check_text(
                    report.document_number, "document_number", max_length=MAX_DOCUMENT_NUMBER
                )
            except InvalidValue as error:
                problems.add(error)
        # A document number means something only with the country that issued it.
        if (report.document_number is None) != (report.document_country is None):
            problems.add(
                InvalidValue("document_country", "document_number and document_country go together")
            )
        problems.raise_if_any()
        return cls(
            name=report.name,
            born_on=report.born_on,
            nationality=report.nationality,
            document_number=report.document_number,
            document_country=report.document_country,
        )

    def report(self) -> PersonReport:
        return PersonReport(
            self.name, self.born_on, self.nationality, self.document_number, self.document_country
        )
