"""Who is calling: tokens, refusals, disabled accounts."""

from __future__ import annotations

from datetime import timedelta

from service import accounts
from service.domain.access import Actor, ActorKind, Role
from tests.api.conftest import PASSWORD, Api


async def test_requests_without_a_token_are_refused_with_a_challenge(api: Api) -> None:
    response = await api.client.get("/api/v1/recoveries")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"] == "/problems/unauthenticated"


async def test_unknown_user_and_wrong_password_get_the_same_answer(api: Api) -> None:
    await api.user("investigator", username="someone")
    wrong = await api.client.post(
        "/api/v1/auth/token", data={"username": "someone", "password": "nope-nope-nope"}
    )
    unknown = await api.client.post(
        "/api/v1/auth/token", data={"username": "nobody", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert {k: v for k, v in wrong.json().items() if k not in ("request_id",)} == {
        k: v for k, v in unknown.json().items() if k not in ("request_id",)
    }


async def test_usernames_are_case_insensitive(api: Api) -> None:
    await api.user("investigator", username="camille.laurent")
    assert (await api.login("Camille.Laurent")).startswith("Bearer ")


async def test_a_tampered_or_foreign_token_is_refused(api: Api) -> None:
    token = await api.user("investigator")
    header, payload, signature = token.removeprefix("Bearer ").split(".")
    # A character inside the signature: all its bits count (the last one's low bits are
    # padding, so changing it may leave the signature as it was).
    changed = "A" if signature[10] != "A" else "B"
    tampered = f"Bearer {header}.{payload}.{signature[:10]}{changed}{signature[11:]}"
    assert (
        await api.client.get("/api/v1/recoveries", headers={"Authorization": tampered})
    ).status_code == 401
    garbage = "Bearer not.a.token"
    assert (
        await api.client.get("/api/v1/recoveries", headers={"Authorization": garbage})
    ).status_code == 401


async def test_an_expired_token_is_refused(api: Api) -> None:
    await api.user("investigator", username="late")
    async with api.deps.unit_of_work() as uow:
        user = await uow.users.by_username("late")
    assert user is not None
    past = api.deps.clock.now() - timedelta(hours=1)
    old = api.deps.tokens.issue(user.as_actor(), now=past)
    response = await api.client.get(
        "/api/v1/recoveries", headers={"Authorization": f"Bearer {old.token}"}
    )
    assert response.status_code == 401


async def test_a_token_for_an_unknown_actor_is_refused(api: Api) -> None:
    ghost = Actor(
        id=api.agency_a,
        kind=ActorKind.USER,
        agency_id=api.agency_a,
        roles=frozenset({Role.SUPERVISOR}),
    )
    token = api.deps.tokens.issue(ghost, now=api.deps.clock.now()).token
    response = await api.client.get(
        "/api/v1/recoveries", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


async def test_disabling_a_user_takes_effect_at_the_next_request(api: Api) -> None:
    token = await api.user("investigator", username="leaving")
    assert (
        await api.client.get("/api/v1/recoveries", headers={"Authorization": token})
    ).status_code == 200
    async with api.deps.unit_of_work() as uow:
        user = await uow.users.by_username("leaving")
    assert user is not None
    await accounts.disable_user(deps=api.deps, user_id=user.id)
    assert (
        await api.client.get("/api/v1/recoveries", headers={"Authorization": token})
    ).status_code == 401
    refused = await api.client.post(
        "/api/v1/auth/token", data={"username": "leaving", "password": PASSWORD}
    )
    assert refused.status_code == 401
