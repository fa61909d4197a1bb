"""What probing the service from outside found, and the class each finding stands for:
a hidden record shown through another route, text or moments no database stores,
identifiers a peer chose, and credentials used twice at once."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections import Counter
from pathlib import Path
from uuid import UUID

import pytest

from service import accounts
from service.domain.errors import InvalidValue
from tests.api import exchanges
from tests.api.conftest import PASSWORD, Api, drain
from tests.api.test_credentials_api import integration
from tests.pictures import png

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


async def test_a_file_store_that_cannot_be_written_is_a_503_with_retry_after(
    api: Api, tmp_path: Path
) -> None:
    """A photo directory or an upload directory that is a file, full or read-only is the
    operator's to mend: 503 with Retry-After, nothing stored, and service once mended."""
    token = await api.user("investigator")
    recovery = await api.record_firearm(token, "FS 100", "CASE-FS-1")
    path = f"/api/v1/recoveries/{recovery['id']}/items/{recovery['items'][0]['id']}/photos"
    photos, imports = tmp_path / "photos", tmp_path / "imports"
    for directory in (photos, imports):
        if directory.exists():
            shutil.rmtree(directory)
        directory.write_bytes(b"not a directory")
    attached = await api.client.post(
        path, files={"photo": ("p.png", png(), "image/png")}, headers={"Authorization": token}
    )
    uploaded = await api.client.post(
        "/api/v1/imports",
        files={"file": ("lab.csv", "recovery_key\n", "text/csv")},
        headers={"Authorization": token},
    )
    for answer in (attached, uploaded):
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert int(answer.headers["retry-after"]) > 0
        assert answer.json()["detail"].startswith("the file store is not writable")
    listed = await api.client.get(
        f"/api/v1/recoveries/{recovery['id']}/photos", headers={"Authorization": token}
    )
    assert listed.json() == {"photos": []}
    imported = await api.client.get("/api/v1/imports", headers={"Authorization": token})
    assert imported.json() == {"imports": []}
    for directory in (photos, imports):
        directory.unlink()
    again = await api.client.post(
        path, files={"photo": ("p.png", png(), "image/png")}, headers={"Authorization": token}
    )
    assert again.status_code == 201, again.text


async def test_a_peer_cannot_send_times_its_step_could_not_have(api: Api) -> None:
    agency, peer = await _peer(api)
    # A clock running ahead is the sender's to fix; its step is taken once ours catches
    # up, so the answer is one a sender tries again after (never a refusal for good).
    future = exchanges.submission(agency, at="2100-01-01T00:00:00Z")
    future["request"]["acknowledge_by"] = "2100-01-02T00:00:00Z"
    future["request"]["respond_by"] = "2100-01-03T00:00:00Z"
    later = await api.client.post(PEER_PATH, json=future, headers=peer)
    assert later.status_code == 503 and later.json()["type"] == "/problems/clock-ahead"
    assert 0 < int(later.headers["retry-after"]) <= 3600
    backwards = exchanges.submission(agency)
    backwards["request"]["acknowledge_by"] = "2000-01-01T00:00:00Z"
    backwards["request"]["respond_by"] = "1999-01-01T00:00:00Z"
    refused = await api.client.post(PEER_PATH, json=backwards, headers=peer)
    assert refused.status_code == 422
    assert {e["pointer"] for e in refused.json()["errors"]} == {
        "#/request/acknowledge_by",
        "#/request/respond_by",
    }
    assert (
        await api.client.post(PEER_PATH, json=exchanges.submission(agency), headers=peer)
    ).status_code == 201


async def test_api_answers_are_not_cached_nor_sniffed(api: Api) -> None:
    await api.user("investigator", username="cached")
    token = await api.client.post(
        "/api/v1/auth/token", data={"username": "cached", "password": PASSWORD}
    )
    listed = await api.client.get(
        "/api/v1/recoveries", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    refused = await api.client.get("/api/v1/recoveries")
    for answer in (token, listed, refused):
        assert answer.headers["cache-control"] == "no-store", answer.request.url
        assert answer.headers["pragma"] == "no-cache"
        assert answer.headers["x-content-type-options"] == "nosniff"


async def test_if_match_names_exactly_one_strong_tag_and_nothing_else(api: Api) -> None:
    token = await api.user("investigator")
    recovery = await api.record_firearm(token, "IM 100", "CASE-IM-1")
    for header in ('"v1", W/"v9", *, garbage', '"v1", "v1"', 'W/"v1"', "*", '"v1" x'):
        answer = await api.client.patch(
            f"/api/v1/recoveries/{recovery['id']}",
            json={"reason": "typo", "case_reference": "CASE-IM-2"},
            headers={"Authorization": token, "If-Match": header},
        )
        assert answer.status_code == 428, (header, answer.status_code)


async def test_a_reason_stored_for_good_is_bounded(api: Api) -> None:
    """Why an account or a key was stopped stays in the audit trail forever."""
    client_id, _secret = await integration(api, "recoveries:read")
    with pytest.raises(InvalidValue):
        await accounts.revoke_api_key(deps=api.deps, public_id=client_id, reason="x" * 5000)
    user = await api.user("investigator", username="staying")
    async with api.deps.unit_of_work() as uow:
        person = await uow.users.by_username("staying")
    assert person is not None and user
    with pytest.raises(InvalidValue):
        await accounts.disable_user(deps=api.deps, user_id=person.id, reason="x" * 5000)
    async with api.deps.unit_of_work() as uow:
        kept = await uow.users.by_username("staying")
        key = await uow.api_keys.by_public_id(client_id)
    assert kept is not None and not kept.disabled and key is not None and key.active
