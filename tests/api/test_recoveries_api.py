"""Recording, reading, correcting and listing recoveries over HTTP."""

from __future__ import annotations

from tests.api.conftest import Api, recovery_body


async def test_recording_returns_the_derived_fields_an_etag_and_a_location(api: Api) -> None:
    token = await api.user("investigator")
    response = await api.record(token)
    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 1 and body["created_at"].endswith("Z")
    (item,) = body["items"]
    assert item["make"] == "GLOCK GmbH" and item["make_canonical"] == "Glock"
    assert item["calibre_canonical"] == "9x19mm Parabellum"
    assert (item["serial"], item["serial_normalized"], item["serial_skeleton"]) == (
        "ABC 123",
        "ABC123",
        "A8C123",
    )
    assert response.headers["etag"] == '"v1"'
    assert response.headers["location"] == f"/api/v1/recoveries/{body['id']}"
    read = await api.client.get(response.headers["location"], headers={"Authorization": token})
    assert read.status_code == 200 and read.json() == body
    assert read.headers["etag"] == '"v1"'


async def test_corrections_need_the_etag_and_keep_the_raw_history(api: Api) -> None:
    token = await api.user("investigator")
    created = (await api.record(token)).json()
    url = f"/api/v1/recoveries/{created['id']}"
    item_id = created["items"][0]["id"]
    change = {
        "reason": "serial re-read under magnification",
        "items": [{"id": item_id, "serial": "ABC 128"}],
    }

    missing = await api.client.patch(url, json=change, headers={"Authorization": token})
    assert missing.status_code == 428
    assert missing.json()["type"] == "/problems/precondition-required"

    corrected = await api.client.patch(
        url, json=change, headers={"Authorization": token, "If-Match": '"v1"'}
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.headers["etag"] == '"v2"'
    body = corrected.json()
    assert body["items"][0]["serial"] == "ABC 128"
    (correction,) = body["corrections"]
    assert correction["reason"] == "serial re-read under magnification"
    assert correction["changes"] == [
        {"field": f"items.{item_id}.serial", "before": "ABC 123", "after": "ABC 128"}
    ]

    stale = await api.client.patch(
        url,
        json={"reason": "late", "case_reference": "X"},
        headers={"Authorization": token, "If-Match": '"v1"'},
    )
    assert stale.status_code == 412
    assert stale.json()["type"] == "/problems/precondition-failed"
    after = await api.client.get(url, headers={"Authorization": token})
    assert after.json()["case_reference"] == "CASE-2026-0042" and after.json()["version"] == 2


async def test_weak_or_wildcard_if_match_is_refused(api: Api) -> None:
    token = await api.user("investigator")
    created = (await api.record(token)).json()
    url = f"/api/v1/recoveries/{created['id']}"
    for header in ('W/"v1"', "*", "v1", '"v1", "v2"'):
        response = await api.client.patch(
            url,
            json={"reason": "r", "case_reference": "X"},
            headers={"Authorization": token, "If-Match": header},
        )
        assert response.status_code == 428, header
        assert [e["header"] for e in response.json()["errors"]] == ["If-Match"], header


async def test_correction_errors_point_into_the_request(api: Api) -> None:
    token = await api.user("investigator")
    created = (await api.record(token, items=[recovery_body()["items"][0]] * 2)).json()
    second = created["items"][1]["id"]
    response = await api.client.patch(
        f"/api/v1/recoveries/{created['id']}",
        json={"reason": "fix", "items": [{"id": second, "country_of_manufacture": "QQ"}]},
        headers={"Authorization": token, "If-Match": '"v1"'},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "pointer": "#/items/0/country_of_manufacture",
            "detail": "'QQ' is not an ISO 3166-1 alpha-2 country code",
        }
    ]
    unchanged = await api.client.get(
        f"/api/v1/recoveries/{created['id']}", headers={"Authorization": token}
    )
    assert unchanged.json()["version"] == 1


async def test_a_correction_changing_one_item_twice_is_refused(api: Api) -> None:
    """Two changes of one item in one correction: which is meant? The history would
    have kept only the last, as if the first had never been asked for."""
    token = await api.user("investigator")
    created = (await api.record(token)).json()
    item = created["items"][0]["id"]
    response = await api.client.patch(
        f"/api/v1/recoveries/{created['id']}",
        json={
            "reason": "re-read",
            "items": [{"id": item, "serial": "PAT 1002"}, {"id": item, "serial": "PAT 1003"}],
        },
        headers={"Authorization": token, "If-Match": '"v1"'},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {
            "pointer": "#/items/1/id",
            "detail": "names the item of items.0 again: give an item's changes once",
        }
    ]
    unchanged = await api.client.get(
        f"/api/v1/recoveries/{created['id']}", headers={"Authorization": token}
    )
    assert unchanged.json()["version"] == 1
    assert unchanged.json()["items"][0]["serial"] == created["items"][0]["serial"]


async def test_required_fields_cannot_be_removed_by_a_correction(api: Api) -> None:
    token = await api.user("investigator")
    created = (await api.record(token)).json()
    response = await api.client.patch(
        f"/api/v1/recoveries/{created['id']}",
        json={"reason": "oops", "case_reference": None},
        headers={"Authorization": token, "If-Match": '"v1"'},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/case_reference"


async def test_the_list_filters_and_pages_with_a_cursor(api: Api) -> None:
    token = await api.user("investigator")
    ids = []
    for day in range(1, 8):
        item = {**recovery_body()["items"][0], "make": "Beretta" if day % 2 else "Glock"}
        created = await api.record(
            token, recovered_at=f"2026-10-0{day}T12:00:00+02:00", items=[item]
        )
        ids.append(created.json()["id"])
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (
            await api.client.get(
                "/api/v1/recoveries", params=params, headers={"Authorization": token}
            )
        ).json()
        seen += [r["id"] for r in page["recoveries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    berettas = await api.client.get(
        "/api/v1/recoveries",
        params={
            "make": "P. Beretta",
            "recovered_from": "2026-10-02T00:00:00Z",
            "item_kind": "firearm",
        },
        headers={"Authorization": token},
    )
    assert [r["recovered_at"][:10] for r in berettas.json()["recoveries"]] == [
        "2026-10-07",
        "2026-10-05",
        "2026-10-03",
    ]


async def test_a_forged_cursor_is_a_parameter_problem(api: Api) -> None:
    token = await api.user("investigator")
    response = await api.client.get(
        "/api/v1/recoveries",
        params={"cursor": "bm90LWEtY3Vyc29y"},
        headers={"Authorization": token},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"parameter": "cursor", "detail": "not a cursor this service issued"}
    ]


async def test_another_agency_sees_neither_the_recovery_nor_its_serial(api: Api) -> None:
    own = await api.user("investigator", "a")
    other = await api.user("supervisor", "b")
    created = (await api.record(own)).json()
    url = f"/api/v1/recoveries/{created['id']}"
    read = await api.client.get(url, headers={"Authorization": other})
    assert read.status_code == 404 and read.json()["type"] == "/problems/not-found"
    patch = await api.client.patch(
        url,
        json={"reason": "x", "case_reference": "Y"},
        headers={"Authorization": other, "If-Match": '"v1"'},
    )
    assert patch.status_code == 404
    listed = await api.client.get("/api/v1/recoveries", headers={"Authorization": other})
    assert listed.json()["recoveries"] == []
    search = await api.client.get(
        "/api/v1/search/serials", params={"serial": "ABC123"}, headers={"Authorization": other}
    )
    assert search.json()["matches"] == []


async def test_roles_without_case_access_are_forbidden(api: Api) -> None:
    recorder = await api.user("investigator")
    created = (await api.record(recorder)).json()
    for role in ("auditor", "admin", "tracing_officer"):
        token = await api.user(role)
        assert (await api.record(token)).status_code == 403
        read = await api.client.get(
            f"/api/v1/recoveries/{created['id']}", headers={"Authorization": token}
        )
        assert read.status_code == 403 and read.json()["type"] == "/problems/forbidden"


async def test_a_possessor_is_recorded_corrected_and_removed_with_its_history(api: Api) -> None:
    token = await api.user("investigator")
    person = {
        "name": "Иван Петров",
        "born_on": "1979-02-28",
        "nationality": "RS",
        "document_number": "008 123 456",
        "document_country": "RS",
    }
    created = await api.record(token, possessor=person)
    assert created.status_code == 201, created.text
    assert created.json()["possessor"] == person
    url = f"/api/v1/recoveries/{created.json()['id']}"
    # A correction without `possessor` leaves the possessor as it is.
    other = await api.client.patch(
        url,
        json={"reason": "case renumbered", "case_reference": "CASE-9"},
        headers={"Authorization": token, "If-Match": '"v1"'},
    )
    assert other.status_code == 200 and other.json()["possessor"] == person
    removed = await api.client.patch(
        url,
        json={"reason": "recorded on the wrong seizure", "possessor": None},
        headers={"Authorization": token, "If-Match": '"v2"'},
    )
    assert removed.status_code == 200, removed.text
    body = removed.json()
    assert body["possessor"] is None
    assert body["corrections"][-1]["changes"] == [
        {"field": "possessor", "before": person, "after": None}
    ]
    listed = await api.client.get("/api/v1/recoveries", headers={"Authorization": token})
    assert listed.json()["recoveries"][0]["possessor"] is None


async def test_every_problem_of_a_possessor_points_into_the_request(api: Api) -> None:
    token = await api.user("investigator")
    response = await api.record(
        token,
        possessor={
            "name": "Jean Dupont",
            "born_on": "2999-01-01",
            "nationality": "QQ",
            "document_number": "12AB34567",
        },
    )
    assert response.status_code == 422
    assert sorted(e["pointer"] for e in response.json()["errors"]) == [
        "#/possessor/born_on",
        "#/possessor/document_country",
        "#/possessor/nationality",
    ]
    listed = await api.client.get("/api/v1/recoveries", headers={"Authorization": token})
    assert listed.json()["recoveries"] == []
