"""Sessions, integrations and guessing: refresh tokens, API keys, throttling."""

from __future__ import annotations

import asyncio
from collections import Counter

from service import accounts
from tests.api.conftest import PASSWORD, Api


async def sign_in(api: Api, username: str, password: str = PASSWORD) -> dict:  # type: ignore[type-arg]
    response = await api.client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_refresh_token_is_used_once_and_replaced(api: Api) -> None:
    await api.user("investigator", username="refreshing")
    first = await sign_in(api, "refreshing")
    renewed = await api.client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    )
    assert renewed.status_code == 200
    second = renewed.json()
    assert second["refresh_token"] != first["refresh_token"]
    recovered = await api.client.get(
        "/api/v1/recoveries", headers={"Authorization": f"Bearer {second['access_token']}"}
    )
    assert recovered.status_code == 200


async def test_a_reused_refresh_token_revokes_its_whole_family(api: Api) -> None:
    await api.user("investigator", username="copied")
    first = await sign_in(api, "copied")
    second = (
        await api.client.post(
            "/api/v1/auth/token",
            data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        )
    ).json()
    replayed = await api.client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
    )
    assert replayed.status_code == 401 and replayed.json()["error"] == "invalid_grant"
    legitimate = await api.client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
    )
    assert legitimate.status_code == 401  # the family is revoked: sign in again
    # ...and so are the access tokens issued from that sign-in, the thief's and the owner's.
    for access in (first["access_token"], second["access_token"]):
        listed = await api.client.get(
            "/api/v1/recoveries", headers={"Authorization": f"Bearer {access}"}
        )
        assert listed.status_code == 401


async def test_signing_out_ends_the_access_tokens_of_that_sign_in_only(api: Api) -> None:
    await api.user("investigator", username="two.tabs")
    leaving, staying = await sign_in(api, "two.tabs"), await sign_in(api, "two.tabs")

    async def listed(session: dict) -> int:  # type: ignore[type-arg]
        headers = {"Authorization": f"Bearer {session['access_token']}"}
        return (await api.client.get("/api/v1/recoveries", headers=headers)).status_code

    assert (await listed(leaving), await listed(staying)) == (200, 200)
    await api.client.post("/api/v1/auth/revoke", data={"token": leaving["refresh_token"]})
    assert (await listed(leaving), await listed(staying)) == (401, 200)


async def test_signing_out_revokes_the_refresh_token(api: Api) -> None:
    await api.user("investigator", username="leaving.now")
    session = await sign_in(api, "leaving.now")
    assert (
        await api.client.post("/api/v1/auth/revoke", data={"token": session["refresh_token"]})
    ).status_code == 200
    refused = await api.client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": session["refresh_token"]},
    )
    assert refused.status_code == 401
    unknown = await api.client.post("/api/v1/auth/revoke", data={"token": "never-issued"})
    assert unknown.status_code == 200
    # An access token given instead is answered alike (RFC 7009), not refused for its length.
    access = await api.client.post("/api/v1/auth/revoke", data={"token": session["access_token"]})
    assert access.status_code == 200


async def integration(api: Api, *scopes: str) -> tuple[str, str]:
    account = await accounts.register_service_account(
        deps=api.deps,
        agency_id=api.agency_a,
        name=f"registry-{'-'.join(scopes)}",
        scopes=list(scopes),
    )
    issued = await accounts.issue_api_key(deps=api.deps, service_account_id=account.id)
    return issued.client_id, issued.secret


async def client_token(api: Api, client_id: str, secret: str) -> str:
    response = await api.client.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert response.status_code == 200, response.text
    assert response.json()["refresh_token"] is None
    return f"Bearer {response.json()['access_token']}"


async def test_an_integration_acts_within_its_scopes(api: Api) -> None:
    client_id, secret = await integration(api, "recoveries:write")
    assert client_id.startswith("tdk_")
    writer = await client_token(api, client_id, secret)
    assert (await api.record(writer)).status_code == 201
    search = await api.client.get(
        "/api/v1/search/serials", params={"serial": "ABC123"}, headers={"Authorization": writer}
    )
    assert search.status_code == 403
    reader_id, reader_secret = await integration(api, "recoveries:read")
    reader = await client_token(api, reader_id, reader_secret)
    assert (await api.record(reader)).status_code == 403
    assert (
        await api.client.get("/api/v1/recoveries", headers={"Authorization": reader})
    ).status_code == 200


async def test_a_wrong_secret_or_unknown_key_is_refused_alike(api: Api) -> None:
    client_id, _ = await integration(api, "recoveries:read")
    wrong = await api.client.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": "x"},
    )
    unknown = await api.client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "tdk_0000000000",
            "client_secret": "x",
        },
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"] == unknown.json()["error"] == "invalid_client"


async def test_revoking_a_key_takes_effect_at_the_next_request(api: Api) -> None:
    client_id, secret = await integration(api, "recoveries:read")
    token = await client_token(api, client_id, secret)
    assert (
        await api.client.get("/api/v1/recoveries", headers={"Authorization": token})
    ).status_code == 200
    await accounts.revoke_api_key(deps=api.deps, public_id=client_id, reason="leaked in a ticket")
    assert (
        await api.client.get("/api/v1/recoveries", headers={"Authorization": token})
    ).status_code == 401
    again = await api.client.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert again.status_code == 401


async def test_repeated_failures_pause_sign_in_even_with_the_right_password(api: Api) -> None:
    await api.user("investigator", username="guessed")
    for _ in range(api.deps.security.throttle.account_limit):
        wrong = await api.client.post(
            "/api/v1/auth/token", data={"username": "guessed", "password": "not-the-password"}
        )
        assert wrong.status_code == 401
    paused = await api.client.post(
        "/api/v1/auth/token", data={"username": "guessed", "password": PASSWORD}
    )
    assert paused.status_code == 429
    assert paused.json()["type"] == "/problems/too-many-attempts"
    assert int(paused.headers["retry-after"]) > 0
    # The pause is per account: someone else signs in as usual.
    await api.user("investigator", username="bystander")
    assert (
        await api.client.post(
            "/api/v1/auth/token", data={"username": "bystander", "password": PASSWORD}
        )
    ).status_code == 200


async def test_concurrent_wrong_passwords_cannot_pass_the_limit_together(api: Api) -> None:
    await api.user("investigator", username="raced")
    limit = api.deps.security.throttle.account_limit
    attempts = await asyncio.gather(
        *(
            api.client.post(
                "/api/v1/auth/token", data={"username": "raced", "password": f"guess-{n:04}"}
            )
            for n in range(3 * limit)
        )
    )
    # Only `limit` passwords were checked; the others were refused before any check.
    assert Counter(a.status_code for a in attempts) == {401: limit, 429: 2 * limit}
    right = await api.client.post(
        "/api/v1/auth/token", data={"username": "raced", "password": PASSWORD}
    )
    assert right.status_code == 429


async def test_a_successful_sign_in_gives_back_its_count(api: Api) -> None:
    """Attempts are counted before the check: those that succeed must not add up to a
    pause, for the account or for an office behind one address."""
    await api.user("investigator", username="daily")
    for _ in range(api.deps.security.throttle.address_limit + 1):
        await sign_in(api, "daily")
    for _ in range(api.deps.security.throttle.account_limit - 1):
        wrong = await api.client.post(
            "/api/v1/auth/token", data={"username": "daily", "password": "not-it-at-all"}
        )
        assert wrong.status_code == 401
    await sign_in(api, "daily")  # the last failure allowed, then the right one: counts cleared
    for _ in range(api.deps.security.throttle.account_limit - 1):
        await api.client.post(
            "/api/v1/auth/token", data={"username": "daily", "password": "not-it-at-all"}
        )
    await sign_in(api, "daily")


async def test_wrong_client_secrets_are_throttled_like_passwords(api: Api) -> None:
    client_id, secret = await integration(api, "recoveries:read")
    limit = api.deps.security.throttle.account_limit
    answers = []
    for n in range(limit + 7):
        answers.append(
            (
                await api.client.post(
                    "/api/v1/auth/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": client_id,
                        "client_secret": f"wrong-secret-{n}",
                    },
                )
            ).status_code
        )
    assert answers == [401] * limit + [429] * 7
    paused = await api.client.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert paused.status_code == 429 and int(paused.headers["retry-after"]) > 0
    # Concurrent guesses against another key fare no better.
    other_id, _ = await integration(api, "traces:read")
    raced = await asyncio.gather(
        *(
            api.client.post(
                "/api/v1/auth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": other_id,
                    "client_secret": f"wrong-secret-{n}",
                },
            )
            for n in range(3 * limit)
        )
    )
    assert Counter(a.status_code for a in raced) == {401: limit, 429: 2 * limit}


async def test_an_unknown_account_is_paused_the_same_way(api: Api) -> None:
    for _ in range(api.deps.security.throttle.account_limit):
        await api.client.post(
            "/api/v1/auth/token", data={"username": "nobody.here", "password": "whatever-1234"}
        )
    paused = await api.client.post(
        "/api/v1/auth/token", data={"username": "nobody.here", "password": "whatever-1234"}
    )
    assert paused.status_code == 429


async def test_pauses_and_key_events_are_recorded(api: Api) -> None:
    client_id, _ = await integration(api, "recoveries:read")
    await accounts.revoke_api_key(deps=api.deps, public_id=client_id, reason="rotation")
    for _ in range(api.deps.security.throttle.account_limit):
        await api.client.post(
            "/api/v1/auth/token", data={"username": "target", "password": "guess-guess-1"}
        )
    auditor = await api.user("system_auditor")
    actions = {
        e["action"]
        for e in (
            await api.client.get(
                "/api/v1/audit/events", params={"limit": 500}, headers={"Authorization": auditor}
            )
        ).json()["events"]
    }
    assert {
        "service_account.created",
        "api_key.created",
        "api_key.revoked",
        "auth.login_failed",
        "auth.sign_in_paused",
    } <= actions


async def test_guessed_refresh_tokens_are_throttled_per_address(api: Api) -> None:
    """A refresh token is a secret: guessing one is paused like guessing a password, and
    refreshing often with the right one never adds up to a pause."""
    await api.user("investigator", username="renewing")
    session = await sign_in(api, "renewing")
    limit = api.deps.security.throttle.address_limit
    for _ in range(limit + 1):
        renewed = await api.client.post(
            "/api/v1/auth/token",
            data={"grant_type": "refresh_token", "refresh_token": session["refresh_token"]},
        )
        assert renewed.status_code == 200, renewed.text
        session = renewed.json()
    answers = [
        (
            await api.client.post(
                "/api/v1/auth/token",
                data={"grant_type": "refresh_token", "refresh_token": f"guessed-{n:04}"},
            )
        ).status_code
        for n in range(limit + 3)
    ]
    assert answers == [401] * limit + [429] * 3
    paused = await api.client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": session["refresh_token"]},
    )
    assert paused.status_code == 429 and int(paused.headers["retry-after"]) > 0


async def test_real_refresh_tokens_refused_for_other_reasons_cost_the_address_nothing(
    api: Api,
) -> None:
    """Tokens that exist were not guessed: used ones (two tabs racing), or a family
    revoked, must never pause sign-in for everyone behind the address."""
    await api.user("investigator", username="tabs")
    limit = api.deps.security.throttle.address_limit
    for _ in range(limit + 2):
        session = await sign_in(api, "tabs")
        grant = {"grant_type": "refresh_token", "refresh_token": session["refresh_token"]}
        assert (await api.client.post("/api/v1/auth/token", data=grant)).status_code == 200
        replayed = await api.client.post("/api/v1/auth/token", data=grant)
        assert replayed.status_code == 401
    await sign_in(api, "tabs")


async def test_a_token_request_this_server_does_not_take_is_an_oauth_error(api: Api) -> None:
    """RFC 6749, 5.2: 400 with an `error` an OAuth client library understands."""
    unsupported = await api.client.post("/api/v1/auth/token", data={"grant_type": "implicit"})
    assert unsupported.status_code == 400
    assert unsupported.json()["error"] == "unsupported_grant_type"
    assert unsupported.json()["type"] == "/problems/invalid-token-request"
    incomplete = await api.client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": "someone"}
    )
    assert incomplete.status_code == 400
    assert incomplete.json()["error"] == "invalid_request"
    assert incomplete.json()["errors"] == [
        {"parameter": "password", "detail": "required for password"}
    ]
