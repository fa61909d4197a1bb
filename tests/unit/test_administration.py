"""Administration: an agency's administrators keep their own agency's people and
integrations, and give only the agency's roles; the instance's administrators keep every
agency and register new ones. Another agency's accounts are absent, not forbidden."""

from __future__ import annotations

import pytest

from service import accounts, administration
from service.adapters.memory import InMemoryActorDirectory, InMemoryStore, InMemoryUnitOfWork
from service.dependencies import Dependencies
from service.domain.access import Actor
from service.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from service.domain.identity import Agency
from tests.builders import dependencies_for_tests

PASSWORD = "a long enough password"


@pytest.fixture
async def deps() -> Dependencies:
    store = InMemoryStore()
    return dependencies_for_tests(
        lambda: InMemoryUnitOfWork(store), actors=InMemoryActorDirectory(store)
    )


async def _agency(deps: Dependencies, name: str) -> Agency:
    return await accounts.register_agency(deps=deps, name=name, country="FR", kind="police")


async def _person(deps: Dependencies, agency: Agency, name: str, *roles: str) -> Actor:
    user = await accounts.register_user(
        deps=deps,
        agency_id=agency.id,
        username=name,
        display_name=name,
        roles=list(roles),
        password=PASSWORD,
    )
    return user.as_actor()


async def test_an_agency_admin_keeps_their_agency_and_gives_only_its_roles(
    deps: Dependencies,
) -> None:
    paris = await _agency(deps, "Paris")
    admin = await _person(deps, paris, "admin.paris", "admin")
    added = await administration.add_person(
        deps=deps,
        actor=admin,
        agency_id=paris.id,
        username="inv.new",
        display_name="New Investigator",
        roles=["investigator"],
        password=PASSWORD,
    )
    with pytest.raises(ValidationFailed) as refused:
        await administration.add_person(
            deps=deps,
            actor=admin,
            agency_id=paris.id,
            username="watcher",
            display_name="Watcher",
            roles=["investigator", "system_auditor"],
            password=PASSWORD,
        )
    assert [p.field for p in refused.value.problems] == ["roles.1"]
    changed = await administration.change_roles(
        deps=deps, actor=admin, user_id=added.id, roles=["investigator", "supervisor"]
    )
    assert {r.value for r in changed.roles} == {"investigator", "supervisor"}
    listed = await administration.agency_accounts(deps=deps, actor=admin, agency_id=paris.id)
    assert [p.username for p in listed.people] == ["admin.paris", "inv.new"]


async def test_another_agencys_accounts_are_absent_to_an_agency_admin(
    deps: Dependencies,
) -> None:
    paris, berlin = await _agency(deps, "Paris"), await _agency(deps, "Berlin")
    admin = await _person(deps, paris, "admin.paris", "admin")
    stranger = await _person(deps, berlin, "inv.berlin", "investigator")
    lab = await accounts.register_service_account(
        deps=deps, agency_id=berlin.id, name="lab", scopes=["recoveries:read"]
    )
    key = await accounts.issue_api_key(deps=deps, service_account_id=lab.id)
    with pytest.raises(NotFound):
        await administration.agency_accounts(deps=deps, actor=admin, agency_id=berlin.id)
    with pytest.raises(NotFound):
        await administration.disable_person(deps=deps, actor=admin, user_id=stranger.id, reason="x")
    with pytest.raises(NotFound):
        await administration.change_roles(
            deps=deps, actor=admin, user_id=stranger.id, roles=["admin"]
        )
    with pytest.raises(NotFound):
        await administration.issue_key(deps=deps, actor=admin, service_account_id=lab.id)
    with pytest.raises(NotFound):
        await administration.revoke_key(deps=deps, actor=admin, public_id=key.client_id, reason="x")
    with pytest.raises(NotFound):
        await administration.add_integration(
            deps=deps, actor=admin, agency_id=berlin.id, name="mine", scopes=["traces:read"]
        )
    assert [a.name for a in await administration.administered_agencies(deps=deps, actor=admin)] == [
        "Paris"
    ]


async def test_administrators_cannot_lock_themselves_or_their_agency_out(
    deps: Dependencies,
) -> None:
    paris = await _agency(deps, "Paris")
    admin = await _person(deps, paris, "admin.paris", "admin")
    with pytest.raises(Conflict, match="your own administration"):
        await administration.change_roles(
            deps=deps, actor=admin, user_id=admin.id, roles=["investigator"]
        )
    with pytest.raises(Conflict, match="disable yourself"):
        await administration.disable_person(deps=deps, actor=admin, user_id=admin.id, reason="x")


async def test_an_agency_admin_cannot_touch_an_instance_wide_role(deps: Dependencies) -> None:
    paris = await _agency(deps, "Paris")
    admin = await _person(deps, paris, "admin.paris", "admin")
    inspector = await _person(deps, paris, "inspector", "system_auditor")
    with pytest.raises(Forbidden):
        await administration.disable_person(
            deps=deps, actor=admin, user_id=inspector.id, reason="x"
        )
    with pytest.raises(Forbidden):
        await administration.change_roles(
            deps=deps, actor=admin, user_id=inspector.id, roles=["investigator"]
        )


async def test_the_instance_admin_keeps_every_agency_and_registers_new_ones(
    deps: Dependencies,
) -> None:
    centre, berlin = await _agency(deps, "Centre"), await _agency(deps, "Berlin")
    system = await _person(deps, centre, "root", "system_admin")
    agency_admin = await _person(deps, berlin, "admin.berlin", "admin")
    kyiv = await administration.register_new_agency(
        deps=deps, actor=system, name="Kyiv", country="UA", kind="police"
    )
    with pytest.raises(Forbidden):
        await administration.register_new_agency(
            deps=deps, actor=agency_admin, name="Elsewhere", country="DE", kind="police"
        )
    inspector = await administration.add_person(
        deps=deps,
        actor=system,
        agency_id=kyiv.id,
        username="inspector.kyiv",
        display_name="Inspector",
        roles=["system_auditor"],
        password=PASSWORD,
    )
    assert {r.value for r in inspector.roles} == {"system_auditor"}
    lab = await administration.add_integration(
        deps=deps, actor=system, agency_id=berlin.id, name="lab", scopes=["recoveries:read"]
    )
    issued = await administration.issue_key(deps=deps, actor=system, service_account_id=lab.id)
    assert issued.secret is not None and issued.agency_id == berlin.id
    revoked = await administration.revoke_key(
        deps=deps, actor=system, public_id=issued.key.public_id, reason="rotation"
    )
    assert revoked.key.revoked_at is not None and revoked.secret is None
    managed = await administration.administered_agencies(deps=deps, actor=system)
    assert [a.name for a in managed] == ["Berlin", "Centre", "Kyiv"]


async def test_people_without_administration_administer_nothing(deps: Dependencies) -> None:
    paris = await _agency(deps, "Paris")
    investigator = await _person(deps, paris, "inv.paris", "investigator")
    with pytest.raises(Forbidden):
        await administration.agency_accounts(deps=deps, actor=investigator, agency_id=paris.id)
