"""Serial search over HTTP."""

from __future__ import annotations

from tests.api.conftest import Api, recovery_body


def firearm(serial: str, **fields: str) -> dict[str, str]:
    return {**recovery_body()["items"][0], "serial": serial, **fields}


async def test_every_reading_of_a_weapon_is_found_and_ranked(api: Api) -> None:
    token = await api.user("investigator")
    for serial in ["BXK 482", "ВХК-482", "8XK482", "BXK4?2", "BXK 483", "QQQ 000"]:
        assert (await api.record(token, items=[firearm(serial)])).status_code == 201
    response = await api.client.get(
        "/api/v1/search/serials",
        params={"serial": "BXK 482", "make": "Glock", "calibre": "9mm"},
        headers={"Authorization": token},
    )
    assert response.status_code == 200
    body = response.json()
    assert [(m["serial"], m["match_kind"]) for m in body["matches"]] == [
        ("BXK 482", "exact"),
        ("ВХК-482", "normalized"),
        ("8XK482", "skeleton"),
        ("BXK 483", "edit"),
        ("BXK4?2", "pattern"),
    ]
    confidences = [m["confidence"] for m in body["matches"]]
    assert confidences == sorted(confidences, reverse=True)
    assert body["matches"][0]["make_canonical"] == "Glock" and body["truncated"] is False


async def test_lots_of_ammunition_are_searchable_too(api: Api) -> None:
    token = await api.user("investigator")
    ammunition = {"kind": "ammunition", "calibre": "7.62x39", "lot": "PPU 21-0447", "quantity": 120}
    assert (await api.record(token, items=[ammunition])).status_code == 201
    response = await api.client.get(
        "/api/v1/search/serials", params={"serial": "ppu210447"}, headers={"Authorization": token}
    )
    (match,) = response.json()["matches"]
    assert (match["identifier_role"], match["item_kind"], match["match_kind"]) == (
        "lot",
        "ammunition",
        "normalized",
    )


async def test_a_limit_cuts_the_list_and_says_so(api: Api) -> None:
    token = await api.user("investigator")
    for _ in range(3):
        await api.record(token, items=[firearm("000 111")])
    response = await api.client.get(
        "/api/v1/search/serials",
        params={"serial": "000111", "limit": 2},
        headers={"Authorization": token},
    )
    assert len(response.json()["matches"]) == 2 and response.json()["truncated"] is True


async def test_a_pattern_with_fewer_than_three_legible_characters_is_a_parameter_problem(
    api: Api,
) -> None:
    token = await api.user("investigator")
    response = await api.client.get(
        "/api/v1/search/serials", params={"serial": "A?B*"}, headers={"Authorization": token}
    )
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/validation-error"
    assert response.json()["errors"] == [
        {"parameter": "serial", "detail": "a pattern needs at least 3 legible characters"}
    ]


async def test_unresolved_spellings_are_listed_for_supervisors(api: Api) -> None:
    investigator = await api.user("investigator")
    for make in ("Glok", "Glok", "Glock"):
        await api.record(investigator, items=[firearm("ABC1", make=make, calibre="9mm Wonder")])
    supervisor = await api.user("supervisor")
    report = await api.client.get(
        "/api/v1/reference/unresolved", headers={"Authorization": supervisor}
    )
    assert report.status_code == 200
    assert report.json()["unresolved"] == [
        {"field": "calibre", "raw": "9mm Wonder", "count": 3},
        {"field": "make", "raw": "Glok", "count": 2},
    ]
    forbidden = await api.client.get(
        "/api/v1/reference/unresolved", headers={"Authorization": investigator}
    )
    assert forbidden.status_code == 403
    catalogue = await api.client.get(
        "/api/v1/reference/catalogue", headers={"Authorization": investigator}
    )
    assert len(catalogue.json()["makes"]) >= 150 and len(catalogue.json()["calibres"]) >= 120


async def test_a_soviet_serial_typed_in_transliteration_is_found(api: Api) -> None:
    token = await api.user("investigator")
    for serial in ["БЖ 9735", "ЧЛ-7079", "BZH 9736"]:
        assert (await api.record(token, items=[firearm(serial)])).status_code == 201
    response = await api.client.get(
        "/api/v1/search/serials", params={"serial": "BZH9735"}, headers={"Authorization": token}
    )
    assert [
        (m["serial"], m["match_kind"], m["confidence"]) for m in response.json()["matches"]
    ] == [
        ("БЖ 9735", "transliterated", 0.62),
        ("BZH 9736", "edit", 0.55),
    ]
    back = await api.client.get(
        "/api/v1/search/serials", params={"serial": "чл7079"}, headers={"Authorization": token}
    )
    assert [(m["serial"], m["match_kind"]) for m in back.json()["matches"]] == [
        ("ЧЛ-7079", "normalized")
    ]


async def test_serials_with_one_character_ground_off_are_found(api: Api) -> None:
    token = await api.user("investigator")
    for serial in ["10746", "ER 4465", "10766-1"]:
        assert (await api.record(token, items=[firearm(serial)])).status_code == 201
    for pattern, found in [("10?46", ["10746"]), ("10*46", ["10746"]), ("ER*65", ["ER 4465"])]:
        response = await api.client.get(
            "/api/v1/search/serials", params={"serial": pattern}, headers={"Authorization": token}
        )
        assert response.status_code == 200, pattern
        assert [(m["serial"], m["match_kind"]) for m in response.json()["matches"]] == [
            (serial, "pattern") for serial in found
        ], pattern
