"""Administration from the console: agencies, users, service accounts and API keys."""

from __future__ import annotations

import argparse
import sys
from typing import Any
from uuid import UUID

from service import accounts
from service.adapters.cli.common import (
    CommandFailed,
    agency_id,
    print_json,
    read_password,
    with_database,
)
from service.adapters.settings import Settings
from service.dependencies import Dependencies
from service.domain.identity import Agency


def create_agency(arguments: argparse.Namespace, settings: Settings) -> int:
    agency = with_database(
        settings,
        lambda deps: accounts.register_agency(
            deps=deps,
            name=arguments.name,
            country=arguments.country,
            kind=arguments.kind,
            agency_id=arguments.id,
            peer=arguments.peer,
        ),
    )
    print_json(agency_line(agency))
    return 0


def list_agencies(_: argparse.Namespace, settings: Settings) -> int:
    async def listing(deps: Dependencies) -> None:
        async with deps.unit_of_work() as uow:
            for agency in await uow.agencies.all():
                print_json(agency_line(agency))

    with_database(settings, listing)
    return 0


def agency_line(agency: Agency) -> dict[str, Any]:
    line: dict[str, Any] = {"agency_id": agency.id, "name": agency.name, "country": agency.country}
    if agency.peer:
        line["peer"] = agency.peer
    return line


def create_user(arguments: argparse.Namespace, settings: Settings) -> int:
    password = read_password(arguments.password_stdin)

    async def create(deps: Dependencies) -> Any:
        return await accounts.register_user(
            deps=deps,
            agency_id=await agency_id(deps, arguments.agency),
            username=arguments.username,
            display_name=arguments.display_name,
            roles=arguments.roles,
            password=password,
        )

    user = with_database(settings, create)
    print_json({"user_id": user.id, "username": user.username, "roles": sorted(user.roles)})
    return 0


def disable_user(arguments: argparse.Namespace, settings: Settings) -> int:
    async def disable(deps: Dependencies) -> Any:
        async with deps.unit_of_work() as uow:
            user = await uow.users.by_username(arguments.username.strip().lower())
        if user is None:
            raise CommandFailed(f"no user {arguments.username!r}")
        return await accounts.disable_user(deps=deps, user_id=user.id, reason=arguments.reason)

    user = with_database(settings, disable)
    print_json({"user_id": user.id, "username": user.username, "disabled": True})
    return 0


def create_service_account(arguments: argparse.Namespace, settings: Settings) -> int:
    async def create(deps: Dependencies) -> Any:
        return await accounts.register_service_account(
            deps=deps,
            agency_id=await agency_id(deps, arguments.agency),
            name=arguments.name,
            scopes=arguments.scopes,
        )

    account = with_database(settings, create)
    print_json(
        {"service_account_id": account.id, "name": account.name, "scopes": sorted(account.scopes)}
    )
    return 0


def create_api_key(arguments: argparse.Namespace, settings: Settings) -> int:
    try:
        service_account = UUID(arguments.service_account)
    except ValueError:
        raise CommandFailed(
            "--service-account takes the id printed by create-service-account"
        ) from None
    issued = with_database(
        settings,
        lambda deps: accounts.issue_api_key(deps=deps, service_account_id=service_account),
    )
    print_json({"client_id": issued.client_id, "client_secret": issued.secret})
    print(
        "The client_secret is shown once; store it now. It cannot be shown again.", file=sys.stderr
    )
    return 0


def revoke_key(arguments: argparse.Namespace, settings: Settings) -> int:
    key = with_database(
        settings,
        lambda deps: accounts.revoke_api_key(
            deps=deps, public_id=arguments.client_id, reason=arguments.reason
        ),
    )
    print_json({"client_id": key.public_id, "revoked_at": key.revoked_at})
    return 0
