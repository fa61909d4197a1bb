"""Photos of markings through the API: attached as multipart, listed with their digests,
sent back exactly as attached; what is not a photo is a problem with a field path."""

from __future__ import annotations

import hashlib

from service.domain.photos import NOT_A_PHOTO
from tests.api.conftest import Api
from tests.pictures import jpeg, png


async def test_an_investigator_attaches_lists_and_reads_back_a_photo(api: Api) -> None:
    token = await api.user("investigator")
    recovery = await api.record_firearm(token, "PH 100", "CASE-PH-1")
    item = recovery["items"][0]["id"]
    original = jpeg(1200, 900, gps=True)
    attached = await api.client.post(
        f"/api/v1/recoveries/{recovery['id']}/items/{item}/photos",
        files={"photo": ("whatever.gif", original, "image/gif")},
        data={"caption": "Frame, left side"},
        headers={"Authorization": token},
    )
    assert attached.status_code == 201, attached.text
    photo = attached.json()
    assert photo["sha256"] == hashlib.sha256(original).hexdigest()
    assert photo["media_type"] == "image/jpeg"  # from the content, not the name or type
    assert (photo["width"], photo["height"], photo["byte_size"]) == (1200, 900, len(original))
    assert (photo["thumbnail_width"], photo["thumbnail_height"]) == (320, 240)
    assert photo["caption"] == "Frame, left side" and photo["item_id"] == item
    assert attached.headers["location"] == photo["url"]

    listed = await api.client.get(
        f"/api/v1/recoveries/{recovery['id']}/photos", headers={"Authorization": token}
    )
    assert listed.json() == {"photos": [photo]}
    full = await api.client.get(photo["url"], headers={"Authorization": token})
    assert full.status_code == 200 and full.content == original
    assert full.headers["content-type"] == "image/jpeg"
    assert full.headers["x-content-type-options"] == "nosniff"
    assert full.headers["etag"] == f'"{photo["sha256"]}"'
    held = await api.client.get(
        photo["url"], headers={"Authorization": token, "If-None-Match": full.headers["etag"]}
    )
    assert held.status_code == 304
    small = await api.client.get(photo["thumbnail_url"], headers={"Authorization": token})
    assert hashlib.sha256(small.content).hexdigest() == photo["thumbnail_sha256"]

    history = await api.client.get(
        f"/api/v1/recoveries/{recovery['id']}/history", headers={"Authorization": token}
    )
    (event,) = [e for e in history.json()["events"] if e["action"] == "recovery.photo_attached"]
    assert event["changes"]["photo"]["sha256"] == photo["sha256"]
    verified = await api.client.get(
        "/api/v1/audit/verify", headers={"Authorization": await api.user("auditor")}
    )
    assert verified.json()["status"] == "ok"


async def test_what_is_not_a_photo_is_a_problem_at_its_field(api: Api) -> None:
    token = await api.user("investigator")
    recovery = await api.record_firearm(token, "PH 200", "CASE-PH-2")
    path = f"/api/v1/recoveries/{recovery['id']}/items/{recovery['items'][0]['id']}/photos"
    refused = await api.client.post(
        path,
        files={"photo": ("marking.jpg", b"<svg onload='alert(1)'/>", "image/jpeg")},
        data={"caption": "x" * 10},
        headers={"Authorization": token},
    )
    assert refused.status_code == 422
    assert refused.json()["type"] == "/problems/validation-error"
    assert refused.json()["errors"] == [{"pointer": "#/photo", "detail": NOT_A_PHOTO}]
    missing = await api.client.post(
        path, data={"caption": "no file"}, headers={"Authorization": token}
    )
    assert missing.status_code == 422
    assert [e["pointer"] for e in missing.json()["errors"]] == ["#/photo"]


async def test_integrations_attach_with_the_write_scope_and_read_with_the_read_scope(
    api: Api,
) -> None:
    token = await api.user("investigator")
    recovery = await api.record_firearm(token, "PH 300", "CASE-PH-3")
    path = f"/api/v1/recoveries/{recovery['id']}/items/{recovery['items'][0]['id']}/photos"
    writer = await api.integration(api.agency_a, "lab-writer", ("recoveries:write",))
    reader = await api.integration(api.agency_a, "lab-reader", ("recoveries:read",))
    files = {"photo": ("m.png", png(), "image/png")}
    refused = await api.client.post(path, files=files, headers=reader)
    assert refused.status_code == 403
    attached = await api.client.post(path, files=files, headers=writer)
    assert attached.status_code == 201, attached.text
    read = await api.client.get(attached.json()["url"], headers=reader)
    assert read.status_code == 200 and read.content == png()


async def test_a_second_photo_in_one_request_is_refused_and_none_is_attached(api: Api) -> None:
    """One of two photo parts would be dropped without a word, the other attached."""
    token = await api.user("investigator")
    recovery = await api.record_firearm(token, "PH 300", "CASE-PH-3")
    path = f"/api/v1/recoveries/{recovery['id']}/items/{recovery['items'][0]['id']}/photos"
    two = [
        ("photo", ("a.jpg", jpeg(40, 30), "image/jpeg")),
        ("photo", ("b.png", png(), "image/png")),
    ]
    for parts, data, field, what in [
        (two, {"caption": "both"}, "photo", "file"),
        (two[:1], {"caption": ["one", "two"]}, "caption", "value"),
    ]:
        refused = await api.client.post(
            path, files=parts, data=data, headers={"Authorization": token}
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"] == [
            {"pointer": f"#/{field}", "detail": f"one {what} per request: 2 were sent"}
        ]
    listed = await api.client.get(
        f"/api/v1/recoveries/{recovery['id']}/photos", headers={"Authorization": token}
    )
    assert listed.json() == {"photos": []}
