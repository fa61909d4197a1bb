"""Administration in the console: an agency's administrator adds people and gives them
the agency's roles, disables them, adds integrations and issues keys whose secret is
shown once; another agency's accounts are the 404 page; the instance's administrator
registers agencies."""

from __future__ import annotations

import re

from tests.console.conftest import PASSWORD, Console
from tests.databases import AGENCIES


async def test_an_admin_adds_a_person_who_can_then_sign_in(console: Console) -> None:
    admin = await console.signed_in("admin")
    assert (await admin.client.get("/admin")).headers["location"] == (
        f"/admin/agencies/{AGENCIES['a'][0]}"
    )
    page = await admin.get(f"/admin/agencies/{AGENCIES['a'][0]}")
    assert 'value="system_auditor"' not in page.text and 'value="investigator"' in page.text
    path = f"/admin/agencies/{AGENCIES['a'][0]}/people"
    refused = await admin.post(
        path,
        {
            "person-username": "x",
            "person-display_name": "",
            "person-password": "short",
            "person-roles": ["system_auditor"],
        },
    )
    assert refused.status_code == 422
    for field in ("person-username", "person-display_name", "person-password", "person-roles"):
        assert f'href="#{field}"' in refused.text, field
    added = await admin.post(
        path,
        {
            "person-username": "new.investigator",
            "person-display_name": "New Investigator",
            "person-password": PASSWORD,
            "person-roles": ["investigator"],
        },
    )
    assert added.status_code == 303
    newcomer = console.browser()
    await newcomer.get("/sign-in")
    signed = await newcomer.post("/sign-in", {"username": "new.investigator", "password": PASSWORD})
    assert signed.status_code == 303


async def test_roles_are_changed_and_a_disabled_person_is_signed_out(console: Console) -> None:
    admin = await console.signed_in("admin")
    investigator = await console.signed_in("investigator")
    async with console.deps.unit_of_work() as uow:
        person = await uow.users.by_username("investigator.a")
    assert person is not None
    await admin.get(f"/admin/agencies/{AGENCIES['a'][0]}")
    changed = await admin.post(
        f"/admin/people/{person.id}/roles",
        {"agency_id": str(AGENCIES["a"][0]), f"roles-{person.id}": ["investigator", "supervisor"]},
    )
    assert changed.status_code == 303
    assert 'href="/statistics"' in (await investigator.get("/")).text  # at the next request
    await admin.get(f"/admin/agencies/{AGENCIES['a'][0]}")
    disabled = await admin.post(f"/admin/people/{person.id}/disable", {"reason": "left"})
    assert disabled.status_code == 303
    assert (await investigator.client.get("/recoveries")).status_code == 303
    assert "Disabled" in (await admin.get(f"/admin/agencies/{AGENCIES['a'][0]}")).text


async def test_an_integrations_new_key_is_shown_once_and_can_be_revoked(
    console: Console,
) -> None:
    admin = await console.signed_in("admin")
    await admin.get(f"/admin/agencies/{AGENCIES['a'][0]}")
    added = await admin.post(
        f"/admin/agencies/{AGENCIES['a'][0]}/integrations",
        {"integration-name": "Lab system", "integration-scopes": ["recoveries:read"]},
    )
    assert added.status_code == 303
    page = await admin.get(f"/admin/agencies/{AGENCIES['a'][0]}")
    account_path = re.search(r'action="(/admin/integrations/[0-9a-f-]+/keys)"', page.text)
    assert account_path
    issued = await admin.post(account_path.group(1))
    assert issued.status_code == 200 and "copy its secret now" in issued.text
    client_id = re.search(r"Client id</dt><dd><code>(tdk_[^<]+)</code>", issued.text)
    secret = re.search(r"Client secret</dt><dd><code>([^<]+)</code>", issued.text)
    assert client_id and secret
    token = await admin.client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id.group(1),
            "client_secret": secret.group(1),
        },
    )
    assert token.status_code == 200
    again = await admin.get(f"/admin/agencies/{AGENCIES['a'][0]}")
    assert secret.group(1) not in again.text
    revoked = await admin.post(f"/admin/keys/{client_id.group(1)}/revoke", {"reason": "rotation"})
    assert revoked.status_code == 303
    refused = await admin.client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id.group(1),
            "client_secret": secret.group(1),
        },
    )
    assert refused.status_code == 401


async def test_another_agencys_administration_is_the_404_page(console: Console) -> None:
    admin = await console.signed_in("admin")
    await console.person("investigator", "b")
    async with console.deps.unit_of_work() as uow:
        stranger = await uow.users.by_username("investigator.b")
    assert stranger is not None
    assert (await admin.client.get(f"/admin/agencies/{AGENCIES['b'][0]}")).status_code == 404
    await admin.get(f"/admin/agencies/{AGENCIES['a'][0]}")
    disabled = await admin.post(f"/admin/people/{stranger.id}/disable", {"reason": "x"})
    assert disabled.status_code == 404
    roles = await admin.post(
        f"/admin/people/{stranger.id}/roles",
        {"agency_id": str(AGENCIES["a"][0]), f"roles-{stranger.id}": ["admin"]},
    )
    assert roles.status_code == 404
    investigator = await console.signed_in("investigator")
    assert (await investigator.client.get("/admin")).status_code == 403


async def test_the_instance_admin_registers_an_agency(console: Console) -> None:
    root = await console.signed_in("system_admin")
    listing = await root.get("/admin/agencies")
    assert "Register an agency" in listing.text and "Agency B" in listing.text
    refused = await root.post("/admin/agencies", {"name": "", "country": "ZZ", "kind": "police"})
    assert refused.status_code == 422
    assert 'href="#name"' in refused.text and 'href="#country"' in refused.text
    created = await root.post(
        "/admin/agencies", {"name": "Kyiv Weapons Unit", "country": "UA", "kind": "police"}
    )
    assert created.status_code == 303
    assert "Kyiv Weapons Unit" in (await root.get(created.headers["location"])).text
