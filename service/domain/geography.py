"""Places where things are recovered, and the countries they belong to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from service.domain.errors import InvalidValue, ValidationCollector
from service.domain.text import check_text

# ISO 3166-1 alpha-2, officially assigned codes, plus XK (Kosovo), the user-assigned code
# INTERPOL and the European Union use.
COUNTRY_CODES: Final = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
    DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
    GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
    KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
    MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
    PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
    US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK
    """.split()
)


def check_country(code: str, field: str) -> str:
    if code not in COUNTRY_CODES:
        raise InvalidValue(field, f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


@dataclass(frozen=True, slots=True)
class LocationReport:
    """A location as entered, before its rules are applied."""

    description: str
    country: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class Location:
    """Where a recovery happened: free text, its country, and optionally coordinates.

    Built unchecked from storage (evidence loads even if rules tighten later); new values
    go through `read`, which applies every rule.
    """

    description: str
    country: str
    lat: float | None = None
    lon: float | None = None

    @classmethod
    def read(cls, report: LocationReport) -> Location:
        description, country, lat, lon = report.description, report.country, report.lat, report.lon
        problems = ValidationCollector()
        try:
            check_text(description, "description", max_length=500, multiline=True)
        except InvalidValue as error:
            problems.add(error)
        try:
            check_country(country, "country")
        except InvalidValue as error:
            problems.add(error)
        if (lat is None) != (lon is None):
            problems.add(InvalidValue("lat", "lat and lon are given together or not at all"))
        if lat is not None and not -90.0 <= lat <= 90.0:
            problems.add(InvalidValue("lat", "must be between -90 and 90"))
        if lon is not None and not -180.0 <= lon <= 180.0:
            problems.add(InvalidValue("lon", "must be between -180 and 180"))
        problems.raise_if_any()
        return cls(description=description, country=country, lat=lat, lon=lon)
