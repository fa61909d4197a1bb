"""The demo's agencies, weapons, repeated sightings and possessors: plausible data shaped
like real recoveries, made reproducible by a fixed random seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Final

from service.domain.items import (
    FirearmType,
    SerialState,
)
from service.domain.persons import PersonReport
from service.domain.recovery import Circumstances

DEMO_PASSWORD: Final = "tracedesk-demo-2370"  # noqa: S105 - documented demo credential


@dataclass(frozen=True, slots=True)
class DemoAgency:
    name: str
    country: str
    kind: str
    places: tuple[tuple[str, float, float], ...]
    users: tuple[tuple[str, str, str], ...]  # username, display name, role


AGENCIES: Final = (
    DemoAgency(
        "Paris Judicial Police (demo)",
        "FR",
        "police",
        (
            ("Rue de la Goutte d'Or, Paris 18e", 48.884, 2.354),
            ("Gare du Nord, Paris 10e", 48.881, 2.355),
            ("Cité des Bosquets, Montfermeil", 48.896, 2.571),
            ("Port de Gennevilliers", 48.936, 2.294),
        ),
        (
            ("inv.paris", "Camille Laurent", "investigator"),
            ("trace.paris", "Hugo Bernard", "tracing_officer"),
            ("sup.paris", "Inès Moreau", "supervisor"),
            ("audit.paris", "Paul Girard", "auditor"),
            ("admin.paris", "Lucie Petit", "admin"),
            ("admin", "Instance administrator", "system_admin"),
            ("inspector", "Instance inspectorate", "system_auditor"),
        ),
    ),
    DemoAgency(
        "Hamburg State Criminal Police (demo)",
        "DE",
        "police",
        (("Hafen, Hamburg-Steinwerder", 53.538, 9.965), ("St. Georg, Hamburg", 53.555, 10.012)),
        (
            ("inv.hamburg", "Jonas Becker", "investigator"),
            ("trace.hamburg", "Lea Wagner", "tracing_officer"),
        ),
    ),
    DemoAgency(
        "Belgrade Organised Crime Unit (demo)",
        "RS",
        "police",
        (("Zemun, Belgrade", 44.843, 20.401), ("Batajnica, Belgrade", 44.902, 20.281)),
        (("inv.belgrade", "Marko Jovanović", "investigator"),),
    ),
    DemoAgency(
        "National Firearms Tracing Centre (demo)",
        "GB",
        "national_tracing_centre",
        (("Port of Dover", 51.126, 1.331),),
        (("trace.london", "Amelia Clarke", "tracing_officer"),),
    ),
    DemoAgency(
        "Niamey Border Customs (demo)",
        "NE",
        "customs",
        (("Border post of Makalondi", 12.831, 1.677), ("Niamey airport cargo", 13.481, 2.183)),
        (("inv.niamey", "Aïchatou Issoufou", "investigator"),),
    ),
    DemoAgency(
        "Kyiv Weapons Control Unit (demo)",
        "UA",
        "police",
        (("Podil, Kyiv", 50.465, 30.518), ("Boryspil cargo terminal", 50.345, 30.894)),
        (("inv.kyiv", "Olena Shevchenko", "investigator"),),
    ),
)


@dataclass(frozen=True, slots=True)
class WeaponModel:
    makes: tuple[str, ...]  # spellings seen in reports, including unresolvable ones
    model: str
    calibres: tuple[str, ...]
    type: FirearmType
    country: str
    serial_shape: str  # L letter, D digit, C Cyrillic look-alike letter, anything else literal


WEAPONS: Final = (
    WeaponModel(
        ("GLOCK GmbH", "Glock", "Glock Ges.m.b.H.", "Glok"),
        "17",
        ("9mm", "9x19", "9mm Luger"),
        FirearmType.PISTOL,
        "AT",
        "LLL DDD",
    ),
    WeaponModel(
        ("Zastava", "Crvena Zastava", "Zastava Arms", "ZASTAVA ORUŽJE"),
        "M70AB2",
        ("7.62x39", "7,62 x 39", "7.62 Short"),
        FirearmType.RIFLE,
        "RS",
        "DDD DDD",
    ),
    WeaponModel(
        ("Izhmash", "Kalashnikov", "Ижмаш"),
        "AKM",
        ("7.62x39mm", "7.62x39"),
        FirearmType.RIFLE,
        "RU",
        "CC DDDD",
    ),
    WeaponModel(
        ("Beretta", "P. Beretta", "Pietro Beretta"),
        "92FS",
        ("9mm Parabellum", "9 mm Para"),
        FirearmType.PISTOL,
        "IT",
        "LLDDDDDL",
    ),
    WeaponModel(
        ("CZ", "Ceska Zbrojovka", "Česká zbrojovka"),
        "75 B",
        ("9x19", "9mm"),
        FirearmType.PISTOL,
        "CZ",
        "L DDDDDD",
    ),
    WeaponModel(
        ("Baikal", "Izhmekh", "IZHMEKH"),
        "PM",
        ("9x18", "9mm Makarov"),
        FirearmType.PISTOL,
        "RU",
        "CC DDDD",
    ),
    WeaponModel(
        ("Norinco", "Norinko"),
        "Type 54",
        ("7.62x25", "7.62 Tokarev"),
        FirearmType.PISTOL,
        "CN",
        "DDDDDDD",
    ),
    WeaponModel(
        ("Zoraki", "Atak Arms"),
        "914 (converted)",
        ("9mm P.A.K.", "9mm PA"),
        FirearmType.PISTOL,
        "TR",
        "LDDDDDDD",
    ),
    WeaponModel(
        ("Ekol", "Ekol Voltran"),
        "Firat Compact (converted)",
        ("9mm P.A.K.",),
        FirearmType.PISTOL,
        "TR",
        "DDDDDDDD",
    ),
    WeaponModel(
        ("Heckler & Koch", "H&K", "HK"),
        "G3",
        ("7.62x51", "7.62 NATO"),
        FirearmType.RIFLE,
        "DE",
        "DDDDDDD",
    ),
    WeaponModel(
        ("Colt", "Colt's Mfg"), "M16A1", ("5.56x45", ".223 Rem"), FirearmType.RIFLE, "US", "DDDDDDD"
    ),
    WeaponModel(
        ("FN", "FN Herstal", "Fabrique Nationale"),
        "FAL",
        ("7.62 NATO",),
        FirearmType.RIFLE,
        "BE",
        "DDDDDD",
    ),
    WeaponModel(
        ("Smith & Wesson", "S&W"),
        "Model 10",
        (".38 Special", ".38 Spl"),
        FirearmType.REVOLVER,
        "US",
        "LDDDDDD",
    ),
    WeaponModel(("Remington",), "870", ("12 ga", "12/70"), FirearmType.SHOTGUN, "US", "LDDDDDDL"),
    WeaponModel(
        ("Fabrica de Armas X", "Unknown workshop"),
        "craft pistol",
        ("7.65mm", ".32"),
        FirearmType.PISTOL,
        "PK",
        "DDDD",
    ),
)

CYRILLIC_LOOKALIKES: Final = "АВЕКМНОРСТХ"
LATIN_LETTERS: Final = "ABCDEFGHJKLMNPRSTUVWXYZ"


def serial_of_shape(shape: str, rng: random.Random) -> str:
    out = []
    for symbol in shape:
        if symbol == "L":
            out.append(rng.choice(LATIN_LETTERS))
        elif symbol == "D":
            out.append(rng.choice("0123456789"))
        elif symbol == "C":
            out.append(rng.choice(CYRILLIC_LOOKALIKES))
        else:
            out.append(symbol)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Sighting:
    """One recovery of a weapon seen more than once: which agency, how it was read."""

    agency: int
    serial: str
    make: str
    days_ago: int
    circumstances: Circumstances
    serial_state: SerialState | None = None


@dataclass(frozen=True, slots=True)
class RepeatedWeapon:
    weapon: int
    sightings: tuple[Sighting, ...]


# The same weapons, read differently each time they surface: the heart of the demo.
REPEATED: Final = (
    RepeatedWeapon(
        0,
        (
            Sighting(0, "BXK 482", "GLOCK GmbH", 640, Circumstances.CRIME_SCENE),
            Sighting(0, "ВХК-482", "Glock", 420, Circumstances.SEIZURE),  # Cyrillic keyboard
            Sighting(0, "8XK482", "Glock", 95, Circumstances.CRIME_SCENE),  # 8 read for B
            Sighting(0, "BXK4?2", "Glock", 30, Circumstances.FOUND_PROPERTY),  # worn digit
            Sighting(1, "BXK482", "Glock Ges.m.b.H.", 210, Circumstances.BORDER_SEIZURE),
        ),
    ),
    RepeatedWeapon(
        1,
        (
            Sighting(2, "731 204", "Zastava", 900, Circumstances.SEIZURE),
            Sighting(0, "731 2O4", "Crvena Zastava", 300, Circumstances.CRIME_SCENE),
            Sighting(4, "7312?4", "Zastava Arms", 120, Circumstances.BORDER_SEIZURE),
        ),
    ),
    RepeatedWeapon(
        2,
        (
            Sighting(5, "ЕА 3751", "Ижмаш", 500, Circumstances.CONFLICT_ZONE),
            Sighting(4, "EA3751", "Izhmash", 150, Circumstances.BORDER_SEIZURE),
        ),
    ),
    RepeatedWeapon(
        7,
        (
            Sighting(0, "Z0412?7", "Zoraki", 80, Circumstances.CRIME_SCENE),
            Sighting(1, "Z041237", "Atak Arms", 260, Circumstances.SEIZURE),
        ),
    ),
    RepeatedWeapon(
        4,
        (
            Sighting(0, "C 558021", "CZ", 700, Circumstances.SEIZURE),
            Sighting(0, "C 558012", "Ceska Zbrojovka", 15, Circumstances.CRIME_SCENE),  # swap
        ),
    ),
    RepeatedWeapon(
        2,
        (
            Sighting(4, "AK ٤٥٦٧٨", "Kalashnikov", 380, Circumstances.BORDER_SEIZURE),
            Sighting(5, "AK-45678", "Izhmash", 60, Circumstances.CONFLICT_ZONE),
        ),
    ),
    RepeatedWeapon(
        13,
        (Sighting(0, "", "Remington", 45, Circumstances.SEIZURE, SerialState.OBLITERATED),),
    ),
)


# Possessors met by more than one agency. The names are each language's placeholder for
# "any person" (Max Mustermann, Jean Dupont...), so they cannot be mistaken for anyone.
# Max Mustermann is also the retail purchaser of the Hamburg trace answer (demo_tracing).
RECURRING_POSSESSORS: Final = (
    PersonReport("Max Mustermann", date(1984, 5, 12), "DE", "L01X00T47", "DE"),
    PersonReport("Jean Dupont", date(1979, 2, 3), "FR", "19AB12345", "FR"),
    PersonReport("Иван Петров", date(1975, 8, 8), "RS", "008123456", "RS"),
    PersonReport("Mario Rossi", date(1990, 11, 30), "IT"),
)
# Placeholder given and family names for possessors met once.
GIVEN_NAMES: Final = ("Alex", "Sam", "Noor", "Ilya", "Amadou", "Olena", "Marko", "Chris")
FAMILY_NAMES: Final = ("Doe", "Mustermann", "Dupont", "Petrović", "Moussa", "Shevchenko")


def possessor(rng: random.Random, country: str) -> PersonReport | None:
    """A third of recoveries record a possessor; one in five of those is someone met by
    other agencies too."""
    roll = rng.random()
    if roll >= 0.33:
        return None
    if roll < 0.066:
        return rng.choice(RECURRING_POSSESSORS)
    name = f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}"
    born = date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28))
    return PersonReport(name, born if rng.random() < 0.7 else None, country)
