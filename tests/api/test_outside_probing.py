"""What probing the service from outside found, and the class each finding stands for:
a hidden record shown through another route, text or moments no database stores,
identifiers a peer chose, and credentials used twice at once."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from uuid import UUID

from tests.api import exchanges
from tests.api.conftest import PASSWORD, Api, drain

PEER_PATH = "/api/v1/federation/trace-exchanges"


async def test_deciding_on_a_shared_link_shows_no_more_than_the_network_does(api: Api) -> None:
    paris = await api.user("investigator", "a")
    hamburg = await api.user("investigator", "b")
    here = await api.record_firearm(paris, "BXK 482", "CASE-P-1")
    there = await api.record_firearm(hamburg, "BXK482", "HH-2023-118342")
    await drain(api)
    view = await api.client.get(
        f"/api/v1/recoveries/{here['id']}/network", headers={"Authorization": paris}
    )
    (shared,) = [link for link in view.json()["links"] if link["kind"] == "same_weapon"]

    confirmed = await api.client.post(
        f"/api/v1/network-links/{shared['id']}/confirm", headers={"Authorization": paris}
    )
    assert confirmed.status_code == 200, confirmed.text
    shown = {name for name, value in confirmed.json().items() if value not in (None, {})}
    assert shown == {"id", "kind", "source_id", "hidden_agency_id", "confidence", "status"} or (
        shown == {"id", "kind", "target_id", "hidden_agency_id", "confidence", "status"}
    )
    assert there["id"] not in confirmed.text and "HH-2023" not in confirmed.text

    # Paris decided: Hamburg cannot overrule it, only ask.
    overruled = await api.client.post(
        f"/api/v1/network-links/{shared['id']}/reject",
        json={"reason": "not ours"},
        headers={"Authorization": hamburg},
    )
    assert overruled.status_code == 409 and overruled.json()["type"] == "/problems/conflict"


async def test_a_draft_never_sent_stays_invisible_to_its_addressee_once_withdrawn(
    api: Api,
) -> None:
    investigator = await api.user("investigator", "a")
    officer = await api.user("tracing_officer", "b")
    recorded = await api.record_firearm(investigator, "AB 1", "C-1")
    drafted = await api.client.post(
        "/api/v1/trace-requests",
        json={
            "recovery_id": recorded["id"],
            "item_id": recorded["items"][0]["id"],
            "addressee": {"agency_id": str(api.agency_b)},
            "legal_justification": "Draft only: an informant's tip",
            "intended_use": "y",
        },
        headers={"Authorization": investigator},
    )
    request_id = drafted.json()["id"]
    withdrawn = await api.client.post(
        f"/api/v1/trace-requests/{request_id}/withdraw",
        json={"reason": "not sent"},
        headers={"Authorization": investigator, "If-Match": '"v1"'},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    seen = await api.client.get(
        f"/api/v1/trace-requests/{request_id}", headers={"Authorization": officer}
    )
    assert seen.status_code == 404
    inbox = await api.client.get(
        "/api/v1/trace-requests", params={"box": "inbox"}, headers={"Authorization": officer}
    )
    assert inbox.json()["requests"] == []


async def test_moments_outside_the_kept_years_are_refused_where_they_come_in(api: Api) -> None:
    token = await api.user("supervisor", "a")
    auditor = await api.user("auditor", "a")
    early, late = "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-12:00"
    for url, token_, name in [
        ("/api/v1/recoveries", token, "recovered_from"),
        ("/api/v1/recoveries", token, "recovered_to"),
        ("/api/v1/audit/events", auditor, "occurred_from"),
        ("/api/v1/audit/events", auditor, "occurred_to"),
        ("/api/v1/stats/tracing", token, "from"),
        ("/api/v1/stats/tracing", token, "to"),
    ]:
        for moment in (early, late, "1850-01-01T00:00:00Z"):
            answer = await api.client.get(
                url, params={name: moment}, headers={"Authorization": token_}
            )
            assert answer.status_code == 422, (url, name, moment, answer.text)
            assert answer.json()["errors"][0]["parameter"] == name
    for moment in (early, late):
        recorded = await api.record(token, recovered_at=moment)
        assert recorded.status_code == 422, recorded.text
        assert recorded.json()["errors"][0]["pointer"] == "#/recovered_at"
    import base64

    for moment in (early, late):
        cursor = base64.urlsafe_b64encode(
            json.dumps([moment, "01900000-0000-7000-8000-000000000001"]).encode()
        ).decode()
        for url, params in [
            ("/api/v1/recoveries", {}),
            ("/api/v1/trace-requests", {"box": "outbox"}),
        ]:
            answer = await api.client.get(
                url, params={**params, "cursor": cursor}, headers={"Authorization": token}
            )
            assert answer.status_code == 422, (url, answer.text)


async def _peer(
    api: Api, name: str = "Politie NL", peer: str = "peer-nl"
) -> tuple[UUID, dict[str, str]]:
    agency = await api.peer_agency(name, peer)
    return agency, await api.integration(agency, peer)


async def test_a_peer_cannot_store_what_no_database_holds(api: Api) -> None:
    agency, peer = await _peer(api)
    early = exchanges.submission(agency, at="0001-01-01T00:00:00+05:00")
    refused = await api.client.post(PEER_PATH, json=early, headers=peer)
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "#/at"

    controlled = exchanges.submission(agency)
    controlled["request"]["item"]["description"]["serial"] = "NL\u001b4411"
    controlled["request"]["item"]["circumstances"] = "found on mars"
    refused = await api.client.post(PEER_PATH, json=controlled, headers=peer)
    assert refused.status_code == 422, refused.text
    pointers = {e["pointer"] for e in refused.json()["errors"]}
    assert pointers == {
        "#/request/item/description/serial",
        "#/request/item/circumstances",
    }

    # JSON between systems is UTF-8: other encodings, and halves of surrogate pairs
    # written as raw bytes, are refused whole.
    text = json.dumps(exchanges.submission(agency, reason="NUL \u0000"))
    for body in (
        text.encode("utf-16"),
        text.replace("NUL", "\udca0").encode("utf-8", "surrogatepass"),
    ):
        answer = await api.client.post(
            PEER_PATH, content=body, headers={**peer, "Content-Type": "application/json"}
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["pointer"] == "#"
    officer = await api.user("tracing_officer", "a")
    inbox = await api.client.get(
        "/api/v1/trace-requests", params={"box": "inbox"}, headers={"Authorization": officer}
    )
    assert inbox.status_code == 200 and inbox.json()["requests"] == []


async def test_identifiers_a_peer_chose_that_are_taken_get_one_answer(api: Api) -> None:
    agency, peer = await _peer(api)
    mine = exchanges.submission(agency)
    assert (await api.client.post(PEER_PATH, json=mine, headers=peer)).status_code == 201
    investigator = await api.user("investigator", "a")
    recorded = await api.record_firearm(investigator, "ZZ 7", "C-7")
    local = await api.client.post(
        "/api/v1/trace-requests",
        json={
            "recovery_id": recorded["id"],
            "item_id": recorded["items"][0]["id"],
            "addressee": {"agency_id": str(api.agency_b)},
            "legal_justification": "x",
            "intended_use": "y",
            "submit": True,
        },
        headers={"Authorization": investigator},
    )
    details = set()
    for taken in (
        exchanges.submission(agency, request_id=local.json()["id"]),
        exchanges.submission(agency, request_id=mine["request_id"]),
    ):
        answer = await api.client.post(PEER_PATH, json=taken, headers=peer)
        assert answer.status_code == 409, answer.text
        details.add(answer.json()["detail"])
    other, other_peer = await _peer(api, "Policja PL", "peer-pl")
    borrowed = {**exchanges.submission(other), "message_id": mine["message_id"]}
    answer = await api.client.post(PEER_PATH, json=borrowed, headers=other_peer)
    details.add(answer.json()["detail"])
    assert details == {"an identifier in the request is already in use"}


async def test_a_sign_in_form_sent_as_multipart_is_checked_as_any_other(api: Api) -> None:
    await api.user("investigator", username="multi.part")
    for field in ("username", "password"):
        form = {"username": "multi.part", "password": PASSWORD} | {field: "multi\x00part"}
        answer = await api.client.post(
            "/api/v1/auth/token", files={k: (None, v) for k, v in form.items()}
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["pointer"] == f"#/{field}"
    fine = await api.client.post(
        "/api/v1/auth/token",
        files={"username": (None, "multi.part"), "password": (None, PASSWORD)},
    )
    assert fine.status_code == 200


async def test_a_refresh_token_redeemed_many_times_at_once_is_redeemed_once(api: Api) -> None:
    await api.user("investigator", username="twice.over")
    signed = await api.client.post(
        "/api/v1/auth/token", data={"username": "twice.over", "password": PASSWORD}
    )
    refresh = signed.json()["refresh_token"]
    answers = await asyncio.gather(
        *(
            api.client.post(
                "/api/v1/auth/token",
                data={"grant_type": "refresh_token", "refresh_token": refresh},
            )
            for _ in range(12)
        )
    )
    assert Counter(a.status_code for a in answers)[200] == 1
    # Presenting it again revoked the family: the token issued with the one success is
    # refused too, whenever it was issued.
    (won,) = [a for a in answers if a.status_code == 200]
    later = await api.client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": won.json()["refresh_token"]},
    )
    assert later.status_code == 401


async def test_a_json_body_sent_without_its_type_is_checked_as_json(api: Api) -> None:
    token = await api.user("investigator")
    body = json.dumps({"case_reference": "A\u0000B"}).encode()
    answer = await api.client.post(
        "/api/v1/recoveries", content=body, headers={"Authorization": token}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["pointer"] == "#/case_reference"


async def test_a_recovery_far_in_the_future_is_named_with_its_other_problems(api: Api) -> None:
    token = await api.user("investigator")
    answer = await api.record(
        token,
        recovered_at="2999-01-01T00:00:00Z",
        location={"description": "x", "country": "XX"},
    )
    assert answer.status_code == 422
    pointers = {e["pointer"]: e["detail"] for e in answer.json()["errors"]}
    assert pointers.keys() == {"#/recovered_at", "#/location/country"}
    assert pointers["#/recovered_at"] == "lies outside the years 1900 to 2199"
