"""The chain-of-custody editor of the respond form: its rows as the form holds them, the
buttons that add, move and remove a row (they work as plain form posts), and the API's
ResponseIn document made of them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from service.adapters.console.forms import whole_number

EVENT_FIELDS: Final = ("kind", "date", "party-name", "party-role", "party-country", "party-licence")
_EVENT: Final = re.compile(r"^events-([0-9]{1,3})-(.+)$")


@dataclass
class CustodyRow:
    values: dict[str, str] = field(default_factory=dict)

    def named(self, position: int) -> dict[str, str]:
        return {f"events-{position}-{name}": value for name, value in self.values.items()}

    @property
    def blank(self) -> bool:
        return not any(value.strip() for value in self.values.values())


@dataclass
class ResponseForm:
    outcome: str
    notes: str
    rows: list[CustodyRow]

    def edit(self, form: Mapping[str, Any]) -> str | None:
        """Applies an editing button, if one sent the form; the field to focus then."""
        for button in ("add_event", "remove_event", "move_up", "move_down"):
            pressed = form.get(button)
            if not isinstance(pressed, str):
                continue
            if button == "add_event":
                self.rows.append(CustodyRow())
                return f"events-{len(self.rows) - 1}-kind"
            index = whole_number(pressed)
            if index is None or index >= len(self.rows):
                return "add-event"
            if button == "remove_event":
                del self.rows[index]
                return "add-event"
            other = index - 1 if button == "move_up" else index + 1
            if 0 <= other < len(self.rows):
                self.rows[index], self.rows[other] = self.rows[other], self.rows[index]
                return f"events-{other}-kind"
            return f"events-{index}-kind"
        return None

    def document(self) -> dict[str, Any]:
        """The API's ResponseIn document; empty rows are left out."""
        chain = []
        for row in self.rows:
            if row.blank:
                continue
            values = row.values
            party: dict[str, Any] = {
                "name": values.get("party-name", ""),
                "role": values.get("party-role", ""),
                "country": values.get("party-country", ""),
            }
            if (licence := values.get("party-licence", "")).strip():
                party["licence"] = licence
            chain.append(
                {"kind": values.get("kind", ""), "date": values.get("date") or None, "party": party}
            )
        document: dict[str, Any] = {"outcome": self.outcome, "chain_of_custody": chain}
        if self.notes.strip():
            document["notes"] = self.notes
        return document

    def positions(self) -> list[int]:
        """For each event of the document, its row in the form."""
        return [index for index, row in enumerate(self.rows) if not row.blank]


def read_response_form(form: Mapping[str, Any]) -> ResponseForm:
    rows: dict[int, CustodyRow] = {}
    for name, value in form.items():
        found = _EVENT.match(name)
        if found and isinstance(value, str) and found.group(2) in EVENT_FIELDS:
            rows.setdefault(int(found.group(1)), CustodyRow()).values[found.group(2)] = value
    outcome, notes = form.get("outcome"), form.get("notes")
    return ResponseForm(
        outcome=outcome if isinstance(outcome, str) else "",
        notes=notes if isinstance(notes, str) else "",
        rows=[rows[index] for index in sorted(rows)],
    )


def blank_response() -> ResponseForm:
    return ResponseForm(outcome="", notes="", rows=[CustodyRow()])


def event_fields(errors: Mapping[str, str], positions: list[int]) -> dict[str, str]:
    """Problems named by the chain's positions (`chain_of_custody-1-party-role`), named
    by the form's rows (`events-2-party-role`)."""
    moved: dict[str, str] = {}
    for name, message in errors.items():
        found = re.match(r"^chain_of_custody-([0-9]{1,4})(-.*)?$", name)
        if found and int(found.group(1)) < len(positions):
            name = f"events-{positions[int(found.group(1))]}{found.group(2) or ''}"
        moved.setdefault(name, message)
    return moved
