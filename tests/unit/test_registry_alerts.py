"""A registry hit alerts only when it says "this weapon": one character away from a stolen
weapon's serial is most often its neighbour in the maker's run."""

from __future__ import annotations

from service.domain.matching import MatchKind, SerialQuery
from service.domain.reference import ReferenceCatalogue
from service.domain.registry import RegistryRecord, RegistryRecordReport, registry_matches


def test_only_a_strong_hit_on_a_listed_weapon_alerts(catalogue: ReferenceCatalogue) -> None:
    report = RegistryRecordReport("IA-1", "stolen", "BXK 482", make="Glock", country="DE")
    stolen = RegistryRecord.read(report, registry="iarms", catalogue=catalogue)
    found = {
        serial: registry_matches(
            SerialQuery.parse(serial, catalogue=catalogue, make="Glock"), [stolen], catalogue
        )[0]
        for serial in ("bxk-482", "BXK483", "BXK4?2")
    }
    assert (found["bxk-482"].kind, found["bxk-482"].alerting) == (MatchKind.NORMALIZED, True)
    assert (found["BXK483"].kind, found["BXK483"].alerting) == (MatchKind.EDIT, False)
    assert (found["BXK4?2"].kind, found["BXK4?2"].alerting) == (MatchKind.PATTERN, False)
