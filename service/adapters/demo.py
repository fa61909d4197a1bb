"""A realistic demo data set: agencies in several countries, one user per role, a few
hundred recoveries, and weapons recovered more than once under different readings.

Deterministic (seeded), so the README's tour finds the records it names. Recorded through
the same use cases as the API, so every rule applies to it too.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from service.accounts import register_agency, register_user
from service.adapters.demo_tracing import seed_trace_requests
from service.dependencies import Dependencies
from service.domain.access import Actor
from service.domain.geography import LocationReport
from service.domain.identity import Agency
from service.domain.items import (
    AmmunitionReport,
    ComponentCategory,
    ComponentReport,
    FirearmReport,
    FirearmType,
    ImportMarking,
    ItemReport,
    SerialState,
)
from service.domain.persons import PersonReport
from service.domain.recovery import Circumstances, Recovery
from service.recoveries import RecordRecovery, record_recovery

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
            ("admin", "Instance administrator", "admin"),
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


def _serial(shape: str, rng: random.Random) -> str:
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


def _possessor(rng: random.Random, country: str) -> PersonReport | None:
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


async def seed_demo(deps: Dependencies) -> str:
    """Load the demo data set unless it is there already (running it twice is harmless)."""
    async with deps.unit_of_work() as uow:
        if await uow.agencies.by_name(AGENCIES[0].name) is not None:
            return "demo data already present"
    agencies = [
        await register_agency(deps=deps, name=a.name, country=a.country, kind=a.kind)
        for a in AGENCIES
    ]
    investigators: list[Actor] = []
    people: dict[str, Actor] = {}
    for demo, agency in zip(AGENCIES, agencies, strict=True):
        recorder: Actor | None = None
        for username, display_name, role in demo.users:
            user = await register_user(
                deps=deps,
                agency_id=agency.id,
                username=username,
                display_name=display_name,
                roles=[role],
                password=DEMO_PASSWORD,
            )
            people[username] = user.as_actor()
            if role == "investigator" and recorder is None:
                recorder = user.as_actor()
        if recorder is None:  # agencies without an investigator record through a supervisor
            recorder = (
                await register_user(
                    deps=deps,
                    agency_id=agency.id,
                    username=f"sup.{demo.country.lower()}",
                    display_name="Duty supervisor",
                    roles=["supervisor"],
                    password=DEMO_PASSWORD,
                )
            ).as_actor()
        investigators.append(recorder)

    # Seeded for a reproducible demo, not for secrecy. 2370: the UNSC resolution (2017).
    rng = random.Random(2370)  # noqa: S311
    now = deps.clock.now()
    recorded = 0
    seen: dict[tuple[int, int], Recovery] = {}
    for weapon_number, repeated in enumerate(REPEATED):
        weapon = WEAPONS[repeated.weapon]
        for sighting_number, sighting in enumerate(repeated.sightings):
            item = FirearmReport(
                make=sighting.make,
                model=weapon.model,
                calibre=weapon.calibres[0],
                serial=sighting.serial or None,
                serial_state=sighting.serial_state,
                type=weapon.type,
                country_of_manufacture=weapon.country,
            )
            seen[(weapon_number, sighting_number)] = await _record(
                deps,
                investigators[sighting.agency],
                AGENCIES[sighting.agency],
                agencies[sighting.agency],
                rng,
                now - timedelta(days=sighting.days_ago),
                sighting.circumstances,
                [item],
            )
            recorded += 1
    for index, (demo, agency) in enumerate(zip(AGENCIES, agencies, strict=True)):
        for _ in range(48):
            days_ago = rng.randint(1, 1000)
            items = [_random_item(rng) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
            await _record(
                deps,
                investigators[index],
                demo,
                agency,
                rng,
                now - timedelta(days=days_ago, minutes=rng.randint(0, 1440)),
                rng.choice(list(Circumstances)),
                items,
                _possessor(rng, demo.country),
            )
            recorded += 1
    traced = await seed_trace_requests(deps, people, seen)
    return (
        f"demo data loaded: {len(agencies)} agencies, {recorded} recoveries, "
        f"{traced} trace requests; "
        f"password of every demo user: {DEMO_PASSWORD}"
    )


async def _record(
    deps: Dependencies,
    actor: Actor,
    demo: DemoAgency,
    agency: Agency,
    rng: random.Random,
    when: datetime,
    circumstances: Circumstances,
    items: Sequence[ItemReport],
    possessor: PersonReport | None = None,
) -> Recovery:
    place, lat, lon = rng.choice(demo.places)
    # Somewhere around the named place (a few hundred metres), as real recoveries are:
    # only some fall in the same ~100 m cell and meet there in the case networks.
    lat, lon = (
        round(lat + rng.uniform(-0.004, 0.004), 5),
        round(lon + rng.uniform(-0.004, 0.004), 5),
    )
    return await record_recovery(
        deps=deps,
        actor=actor,
        command=RecordRecovery(
            case_reference=f"{agency.country}-{when.year}-{rng.randint(1, 9999):04d}",
            recovered_at=when,
            location=LocationReport(place, agency.country, lat, lon),
            circumstances=circumstances,
            items=items,
            possessor=possessor,
        ),
    )


def _random_item(rng: random.Random) -> ItemReport:
    roll = rng.random()
    if roll < 0.12:
        return AmmunitionReport(
            calibre=rng.choice(("9x19", "7.62x39", "5.56 NATO", "12 ga", ".38 Spl")),
            headstamp=rng.choice(("PPU", "S&B", "711 79", "WIN", "FC", None)),
            lot=f"{rng.choice(('L', 'LOT ', 'PPU-'))}{rng.randint(1000, 99999)}",
            quantity=rng.choice((6, 12, 20, 50, 120, 500)),
        )
    if roll < 0.18:
        category = rng.choice((ComponentCategory.UAS, ComponentCategory.IED))
        return ComponentReport(
            category=category,
            manufacturer=rng.choice(("DJI", "Autel Robotics", "unknown"))
            if category is ComponentCategory.UAS
            else rng.choice(("Orica", "unknown", None)),
            part_number=f"PN-{rng.randint(100, 999)}",
            serial=_serial("LLDDDDLDDD", rng) if rng.random() < 0.7 else None,
            lot=f"B-{rng.randint(10, 99)}" if rng.random() < 0.5 else None,
            description="flight controller" if category is ComponentCategory.UAS else "detonator",
        )
    weapon = rng.choice(WEAPONS)
    serial: str | None = _serial(weapon.serial_shape, rng)
    state: SerialState | None = None
    if rng.random() < 0.06 and serial:
        # Part of the number ground off: keep the legible run, mark the rest.
        cut = rng.randint(3, max(3, len(serial) - 1))
        serial = serial[:cut] + "*"
    elif rng.random() < 0.03:
        serial, state = None, SerialState.OBLITERATED
    return FirearmReport(
        make=rng.choice(weapon.makes),
        model=weapon.model,
        calibre=rng.choice(weapon.calibres),
        serial=serial,
        serial_state=state,
        type=weapon.type,
        country_of_manufacture=weapon.country,
        import_marking=ImportMarking("CAI GEORGIA VT", "US", rng.randint(1990, 2015))
        if weapon.country in ("RS", "RU") and rng.random() < 0.2
        else None,
    )
