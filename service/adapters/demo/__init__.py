"""A realistic demo data set: agencies in several countries, one user per role, a few
hundred recoveries, and weapons recovered more than once under different readings.

Deterministic (seeded), so the README's tour finds the records it names. Recorded through
the same use cases as the API, so every rule applies to it too.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from service.accounts import register_agency, register_user
from service.adapters.demo.catalogue import (
    AGENCIES,
    DEMO_PASSWORD,
    REPEATED,
    WEAPONS,
    DemoAgency,
    possessor,
    serial_of_shape,
)
from service.adapters.demo.tracing import seed_trace_requests
from service.dependencies import Dependencies
from service.domain.access import Actor
from service.domain.geography import LocationReport
from service.domain.identity import Agency
from service.domain.items import (
    AmmunitionReport,
    ComponentCategory,
    ComponentReport,
    FirearmReport,
    ImportMarking,
    ItemReport,
    SerialState,
)
from service.domain.persons import PersonReport
from service.domain.recovery import Circumstances, Recovery
from service.recoveries import RecordRecovery, record_recovery


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
                possessor(rng, demo.country),
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
            serial=serial_of_shape("LLDDDDLDDD", rng) if rng.random() < 0.7 else None,
            lot=f"B-{rng.randint(10, 99)}" if rng.random() < 0.5 else None,
            description="flight controller" if category is ComponentCategory.UAS else "detonator",
        )
    weapon = rng.choice(WEAPONS)
    serial: str | None = serial_of_shape(weapon.serial_shape, rng)
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
