"""A recovery as the console's form holds it, and as the API's request models read it.

The form's fields are the API's field paths (`items-0-serial` is `items.0.serial`), so
the form is turned into the document the API would have been sent, validated by the
API's own models and the domain, and every problem comes back to the field it names.
Form values stay text until then; numbers and the recovery's local time are read here
the way a person types them (a decimal comma, the time in their own zone).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Final

from service.adapters.console.i18n import N_
from service.domain.errors import InvalidValue
from service.domain.items import ItemKind
from service.domain.moments import RepeatedTime, SkippedTime, in_zone
from service.domain.recovery import Recovery

ITEM_KINDS: Final = tuple(kind.value for kind in ItemKind)
UNION_TAGS: Final = frozenset(ITEM_KINDS)

# The fields of each kind of item, in the order the form shows them.
ITEM_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "firearm": (
        "make",
        "model",
        "calibre",
        "serial",
        "serial_state",
        "type",
        "country_of_manufacture",
        "import_marking-text",
        "import_marking-country",
        "import_marking-year",
        "other_markings",
    ),
    "ammunition": ("calibre", "headstamp", "lot", "quantity"),
    "component": ("category", "manufacturer", "part_number", "serial", "lot", "description"),
}
_WHOLE_NUMBERS: Final = frozenset({"quantity", "import_marking-year"})
_POSSESSOR: Final = ("name", "born_on", "nationality", "document_number", "document_country")
_INDEX: Final = re.compile(r"^(items|new_items)-([0-9]{1,4})-(.*)$")
_UUID: Final = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_CORRECTED: Final = re.compile(rf"^(items|new_items)-({_UUID}|[0-9]{{1,4}})(-.*)?$")


@dataclass
class ItemRow:
    """One item's fields as the form shows them; `item_id` for an item already stored."""

    index: int
    kind: str
    values: dict[str, str] = field(default_factory=dict)
    item_id: str | None = None

    @property
    def prefix(self) -> str:
        return f"items-{self.index}"

    def named(self) -> dict[str, str]:
        """Its values under the form's field names."""
        return {f"{self.prefix}-{name}": value for name, value in self.values.items()}


@dataclass
class RecoveryForm:
    """What the form shows: its flat values, and its items in order."""

    values: dict[str, str]
    items: list[ItemRow]

    def item(self, kind: str) -> None:
        index = max((row.index for row in self.items), default=-1) + 1
        self.items.append(ItemRow(index=index, kind=kind if kind in ITEM_KINDS else "firearm"))

    def without_item(self, index: int) -> None:
        self.items = [row for row in self.items if row.index != index or row.item_id]


def blank_form() -> RecoveryForm:
    return RecoveryForm(values={}, items=[ItemRow(index=0, kind="firearm")])


def read_form(form: Mapping[str, Any]) -> RecoveryForm:
    values = {k: v for k, v in form.items() if isinstance(v, str) and not _INDEX.match(k)}
    items = []
    for row in _rows(form, "items"):
        index = int(row.pop("_index"))
        kind = row.pop("kind", "firearm")
        item_id = row.pop("id", None) or None
        items.append(ItemRow(index, kind if kind in ITEM_KINDS else "firearm", row, item_id))
    return RecoveryForm(values=values, items=items)


def _rows(form: Mapping[str, Any], prefix: str) -> list[dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for name, value in form.items():
        found = _INDEX.match(name)
        if found and found.group(1) == prefix and isinstance(value, str):
            index = int(found.group(2))
            if index < 10_000:
                rows.setdefault(index, {"_index": str(index)})[found.group(3)] = value
    return [rows[index] for index in sorted(rows)]


def _text(value: str | None) -> str | None:
    """An empty field is an absent value; anything else is kept exactly as typed."""
    return value if value is not None and value.strip() else None


def _decimal(value: str | None) -> float | str | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return text  # the model says what is wrong with it


def _whole(value: str | None) -> int | str | None:
    text = _text(value)
    if text is None:
        return None
    stripped = text.strip()
    return int(stripped) if re.fullmatch(r"-?[0-9]{1,9}", stripped) else text


def local_moment(value: str | None, zone: tzinfo) -> str | None:
    """`2026-11-28T14:30`, as typed in the person's zone, as an ISO time with its offset;
    InvalidValue for a time the zone skipped or went through twice."""
    text = _text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    if moment.tzinfo is None:
        try:
            moment = in_zone(moment, zone, "recovered_at")
        except SkippedTime:
            raise InvalidValue(
                "recovered_at",
                N_("this time never happened in your time zone (the clocks were put forward)"),
            ) from None
        except RepeatedTime:
            # A date and time field holds no offset to say which of the two it was.
            raise InvalidValue(
                "recovered_at",
                N_(
                    "this time happened twice in your time zone (the clocks were put back): "
                    "choose UTC as your time zone in your account and type it in UTC"
                ),
            ) from None
    return moment.isoformat()


def item_document(row: ItemRow) -> dict[str, Any]:
    document: dict[str, Any] = {"kind": row.kind}
    marking: dict[str, Any] = {}
    for name in ITEM_FIELDS[row.kind]:
        raw = row.values.get(name)
        value = _whole(raw) if name in _WHOLE_NUMBERS else _text(raw)
        if value is None:
            continue
        if name.startswith("import_marking-"):
            marking[name.removeprefix("import_marking-")] = value
        else:
            document[name] = value
    if marking:
        document["import_marking"] = marking
    return document


def has_content(row: ItemRow) -> bool:
    return any(_text(row.values.get(name)) for name in ITEM_FIELDS[row.kind])


def _location(values: Mapping[str, str]) -> dict[str, Any]:
    location: dict[str, Any] = {
        "description": values.get("location-description", ""),
        "country": values.get("location-country", ""),
    }
    for name in ("lat", "lon"):
        if (number := _decimal(values.get(f"location-{name}"))) is not None:
            location[name] = number
    return location


def _possessor(values: Mapping[str, str]) -> dict[str, Any] | None:
    possessor = {
        name: text for name in _POSSESSOR if (text := _text(values.get(f"possessor-{name}")))
    }
    return possessor | {"name": values.get("possessor-name", "")} if possessor else None


def recovery_document(form: RecoveryForm, zone: tzinfo) -> tuple[dict[str, Any], list[int]]:
    """The API's RecoveryCreate document, and for each of its items the form's index.
    Items left empty are left out (an officer added one too many)."""
    values = form.values
    document: dict[str, Any] = {
        "case_reference": values.get("case_reference", ""),
        "recovered_at": local_moment(values.get("recovered_at"), zone),
        "location": _location(values),
        "circumstances": values.get("circumstances", ""),
    }
    if (possessor := _possessor(values)) is not None:
        document["possessor"] = possessor
    kept = [row for row in form.items if has_content(row)]
    document["items"] = [item_document(row) for row in kept]
    return document, [row.index for row in kept]


def to_form_fields(errors: Mapping[str, str], positions: Sequence[int]) -> dict[str, str]:
    """Problems named by the document's item positions, named by the form's fields."""
    moved: dict[str, str] = {}
    for name, message in errors.items():
        found = re.match(r"^items-([0-9]{1,4})(-.*)?$", name)
        if found and int(found.group(1)) < len(positions):
            name = f"items-{positions[int(found.group(1))]}{found.group(2) or ''}"
        moved.setdefault(name, message)
    return moved


def recovery_as_form(recovery: Recovery, document: Mapping[str, Any], zone: tzinfo) -> RecoveryForm:
    """A stored recovery as the correction form shows it (`document`: its API shape)."""
    location = document["location"]
    values = {
        "case_reference": document["case_reference"],
        "recovered_at": recovery.recovered_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        "location-description": location["description"],
        "location-country": location["country"],
        "location-lat": "" if location["lat"] is None else str(location["lat"]),
        "location-lon": "" if location["lon"] is None else str(location["lon"]),
        "circumstances": str(document["circumstances"]),
        "version": str(recovery.version),
    }
    possessor = document.get("possessor") or {}
    for name in _POSSESSOR:
        value = possessor.get(name)
        values[f"possessor-{name}"] = "" if value is None else str(value)
    items = []
    for index, item in enumerate(document["items"]):
        row = ItemRow(index=index, kind=item["kind"], item_id=str(item["id"]))
        for name in ITEM_FIELDS[row.kind]:
            if name.startswith("import_marking-"):
                marking = item.get("import_marking") or {}
                value = marking.get(name.removeprefix("import_marking-"))
            else:
                value = item.get(name)
            row.values[name] = "" if value is None else str(value)
        items.append(row)
    return RecoveryForm(values=values, items=items)


@dataclass(frozen=True, slots=True)
class CorrectionDocument:
    """The API's RecoveryUpdate document made of what the person changed, and where in
    the form each corrected and each new item is."""

    document: dict[str, Any]
    corrected: list[int]  # form index of each entry of `items`
    added: list[int]  # form index of each entry of `new_items`
    by_item_id: dict[str, int]


def correction_document(
    stored: RecoveryForm, submitted: RecoveryForm, zone: tzinfo, reason: str
) -> CorrectionDocument:
    before, after = stored.values, submitted.values
    document: dict[str, Any] = {"reason": reason}

    def changed(*names: str) -> bool:
        return any((before.get(n) or "").strip() != (after.get(n) or "").strip() for n in names)

    if changed("case_reference"):
        document["case_reference"] = after.get("case_reference", "")
    if changed("recovered_at"):
        document["recovered_at"] = local_moment(after.get("recovered_at"), zone)
    if changed("circumstances"):
        document["circumstances"] = after.get("circumstances", "")
    # Only what changed is read: the time as shown may be one the zone lived twice,
    # which a correction of the place must not have to settle.
    if changed(*(f"location-{n}" for n in ("description", "country", "lat", "lon"))):
        document["location"] = _location(after)
    if changed(*(f"possessor-{n}" for n in _POSSESSOR)):
        document["possessor"] = _possessor(after)
    originals = {row.item_id: row for row in stored.items if row.item_id}
    corrections, corrected, added, new_items = [], [], [], []
    for row in submitted.items:
        original = originals.get(row.item_id) if row.item_id else None
        if original is None:
            if not row.item_id and has_content(row):
                new_items.append(item_document(row))
                added.append(row.index)
            continue
        correction = _item_changes(original, row)
        if correction:
            corrections.append({"id": row.item_id, **correction})
            corrected.append(row.index)
    if corrections:
        document["items"] = corrections
    if new_items:
        document["new_items"] = new_items
    by_item_id = {row.item_id: row.index for row in submitted.items if row.item_id}
    return CorrectionDocument(document, corrected, added, by_item_id)


def _item_changes(original: ItemRow, row: ItemRow) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    whole = item_document(row)
    marking_changed = False
    for name in ITEM_FIELDS[row.kind]:
        if (original.values.get(name) or "").strip() == (row.values.get(name) or "").strip():
            continue
        if name.startswith("import_marking-"):
            marking_changed = True
        else:
            changes[name] = whole.get(name)  # None clears the field
    if marking_changed:
        changes["import_marking"] = whole.get("import_marking")
    return changes


def correction_fields(errors: Mapping[str, str], correction: CorrectionDocument) -> dict[str, str]:
    """Problems of a correction (by position in `items` or `new_items`, or by item id),
    named by the form's fields."""
    moved: dict[str, str] = {}
    for name, message in errors.items():
        found = _CORRECTED.match(name)
        if found:
            group, key, rest = found.group(1), found.group(2), found.group(3) or ""
            if key in correction.by_item_id:
                name = f"items-{correction.by_item_id[key]}{rest}"
            elif key.isdigit():
                positions = correction.corrected if group == "items" else correction.added
                if int(key) < len(positions):
                    name = f"items-{positions[int(key)]}{rest}"
        moved.setdefault(name, message)
    return moved
