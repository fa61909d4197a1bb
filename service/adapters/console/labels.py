"""The words the console shows for the domain's codes (`crime_scene`, `info_requested`),
in the reader's language. The codes themselves stay in forms and URLs."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Final

from service.adapters.console.i18n import N_, reading
from service.adapters.console.i18n import gettext_ as _
from service.domain.geography import COUNTRY_CODES

LABELS: Final[dict[str, str]] = {
    # Circumstances of a recovery
    "crime_scene": N_("Crime scene"),
    "seizure": N_("Seizure"),
    "border_seizure": N_("Border seizure"),
    "conflict_zone": N_("Conflict zone"),
    "found_property": N_("Found property"),
    "surrender": N_("Surrender"),
    "other": N_("Other"),
    # Kinds of item and of firearm
    "firearm": N_("Firearm"),
    "ammunition": N_("Ammunition"),
    "component": N_("UAS or IED component"),
    "pistol": N_("Pistol"),
    "revolver": N_("Revolver"),
    "rifle": N_("Rifle"),
    "carbine": N_("Carbine"),
    "shotgun": N_("Shotgun"),
    "submachine_gun": N_("Submachine gun"),
    "machine_gun": N_("Machine gun"),
    "grenade_launcher": N_("Grenade launcher"),
    "light_weapon": N_("Light weapon"),
    "uas": N_("Unmanned aircraft system (UAS)"),
    "ied": N_("Improvised explosive device (IED)"),
    # Serial states
    "legible": N_("Legible"),
    "partly_legible": N_("Partly legible"),
    "obliterated": N_("Obliterated"),
    "unmarked": N_("Unmarked"),
    # How a serial matches
    "exact": N_("Exact"),
    "normalized": N_("Same characters"),
    "padding": N_("Leading zeros differ"),
    "skeleton": N_("Look-alike characters"),
    "transliterated": N_("Transliterated"),
    "edit": N_("One character different"),
    "pattern": N_("Partial serial"),
    # Trace request states, priorities and steps
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "acknowledged": N_("Acknowledged"),
    "info_requested": N_("Information requested"),
    "responded": N_("Responded"),
    "declined": N_("Declined"),
    "withdrawn": N_("Withdrawn"),
    "closed": N_("Closed"),
    "urgent": N_("Urgent"),
    "routine": N_("Routine"),
    "create": N_("Create"),
    "submit": N_("Submit"),
    "acknowledge": N_("Acknowledge"),
    "request-info": N_("Ask for information"),
    "provide-info": N_("Provide information"),
    "respond": N_("Respond"),
    "decline": N_("Decline"),
    "withdraw": N_("Withdraw"),
    "close": N_("Close"),
    "traced": N_("Traced"),
    "partially_traced": N_("Partly traced"),
    "not_traced": N_("Not traced"),
    "unanswered": N_("Not answered yet"),
    "month": N_("Month"),
    "quarter": N_("Quarter"),
    "year": N_("Year"),
    # Time-to-crime bands, as tracing centres publish them
    "under 3 months": N_("under 3 months"),
    "3 to 7 months": N_("3 to 7 months"),
    "7 months to 1 year": N_("7 months to 1 year"),
    "1 to 2 years": N_("1 to 2 years"),
    "2 to 3 years": N_("2 to 3 years"),
    "3 to 5 years": N_("3 to 5 years"),
    "5 to 10 years": N_("5 to 10 years"),
    "over 10 years": N_("over 10 years"),
    # Links of case networks
    "same_weapon": N_("Same weapon"),
    "registry_hit": N_("Registry hit"),
    "same_source": N_("Same source"),
    "same_person": N_("Same person"),
    "same_case": N_("Same case"),
    "same_place": N_("Same place"),
    "ballistic": N_("Ballistic match"),
    "manual": N_("Linked by hand"),
    "proposed": N_("Proposed"),
    "confirmed": N_("Confirmed"),
    "rejected": N_("Rejected"),
    "retracted": N_("Retracted"),
    "recovery": N_("Recovery"),
    "registry_record": N_("Registry record"),
    "party": N_("Party"),
    "case": N_("Case"),
    "place": N_("Place"),
    "person": N_("Person"),
    # Roles
    "investigator": N_("Investigator"),
    "tracing_officer": N_("Tracing officer"),
    "supervisor": N_("Supervisor"),
    "auditor": N_("Auditor"),
    "system_auditor": N_("System auditor"),
    "admin": N_("Administrator"),
    "system_admin": N_("Administrator of the whole instance"),
    # Registry statuses
    "lost": N_("Lost"),
    "stolen": N_("Stolen"),
    "smuggled": N_("Smuggled"),
    "trafficked": N_("Trafficked"),
    "registered": N_("Registered"),
    "destroyed": N_("Destroyed"),
    "pending": N_("Waiting to be checked"),
    "checked": N_("Checked"),
    "retrying": N_("Registry not answering; will try again"),
    "failed": N_("Check failed; an operator has been told"),
    "not_checked": N_("Not checked"),
    # Agencies
    "police": N_("Police"),
    "customs": N_("Customs"),
    "gendarmerie": N_("Gendarmerie"),
    "national_tracing_centre": N_("National tracing centre"),
    "prosecution": N_("Prosecution"),
    "military": N_("Military"),
    "registry": N_("Registry"),
    # Chains of custody
    "manufacture": N_("Manufacture"),
    "export": N_("Export"),
    "import": N_("Import"),
    "sale": N_("Sale"),
    "transfer": N_("Transfer"),
    "reported_lost": N_("Reported lost"),
    "reported_stolen": N_("Reported stolen"),
    "government_custody": N_("Government custody"),
    "manufacturer": N_("Manufacturer"),
    "exporter": N_("Exporter"),
    "importer": N_("Importer"),
    "wholesaler": N_("Wholesaler"),
    "dealer": N_("Dealer"),
    "retail_purchaser": N_("Retail purchaser"),
    "government_holder": N_("Government holder"),
    # What the audit trail records about a recovery
    "recovery.recorded": N_("Recorded"),
    "recovery.corrected": N_("Corrected"),
    "recovery.photo_attached": N_("Photo attached"),
    "registry_hits.changed": N_("Registry hits changed"),
    "network.linked": N_("Linked into a case network"),
    "network_link.made": N_("Linked by hand"),
}


def label(code: str | StrEnum | None) -> str:
    """What the reader sees for a code; an unknown code is shown as it is."""
    if code is None:
        return ""
    text = str(code.value if isinstance(code, StrEnum) else code)
    return _(LABELS[text]) if text in LABELS else text


def choices(codes: Iterable[str | StrEnum]) -> list[tuple[str, str]]:
    """(code, label) pairs for a select or radios."""
    return [(str(c.value if isinstance(c, StrEnum) else c), label(c)) for c in codes]


def countries() -> list[tuple[str, str]]:
    """Every country a record may name, by its name in the reader's language."""
    names = reading().locale.territories
    return sorted(
        ((code, names.get(code, code)) for code in COUNTRY_CODES),
        key=lambda pair: pair[1].casefold(),
    )


def country(code: str | None) -> str:
    if not code:
        return ""
    return f"{reading().locale.territories.get(code, code)} ({code})"


FIELD_LABELS: Final[dict[str, str]] = {
    "make": N_("Make"),
    "make_canonical": N_("Make (reference name)"),
    "model": N_("Model"),
    "calibre": N_("Calibre"),
    "calibre_canonical": N_("Calibre (reference name)"),
    "serial": N_("Serial number"),
    "serial_normalized": N_("Serial (normalized)"),
    "serial_state": N_("State of the serial"),
    "type": N_("Type"),
    "country_of_manufacture": N_("Country of manufacture"),
    "other_markings": N_("Other markings"),
    "headstamp": N_("Headstamp"),
    "lot": N_("Lot"),
    "lot_normalized": N_("Lot (normalized)"),
    "quantity": N_("Quantity"),
    "category": N_("Category"),
    "manufacturer": N_("Manufacturer"),
    "manufacturer_canonical": N_("Manufacturer (reference name)"),
    "part_number": N_("Part number"),
    "description": N_("Description"),
}
IDENTIFIER_FIELDS: Final = frozenset({"serial", "serial_normalized", "lot", "lot_normalized"})


def field_label(name: str) -> str:
    return _(FIELD_LABELS[name]) if name in FIELD_LABELS else name.replace("_", " ")
