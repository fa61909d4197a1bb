"""Case networks over HTTP: a recovery's neighbourhood, what another agency's nodes look
like from here, the agency's networks, and decisions on links."""

from __future__ import annotations

import csv
import io
from typing import Any

import networkx

from tests.api.conftest import Api, drain


async def test_the_same_weapon_seen_by_two_agencies_shows_only_what_each_may_see(
    api: Api,
) -> None:
    paris = await api.user("investigator", "a")
    hamburg = await api.user("investigator", "b")
    here = await api.record_firearm(paris, "BXK 482", "CASE-P-1")
    await api.record_firearm(paris, "BXK482", "CASE-P-2")
    await api.record_firearm(hamburg, "ВХК-482", "HH-2023-118342")
    await drain(api)

    network = await api.client.get(
        f"/api/v1/recoveries/{here['id']}/network",
        params={"depth": 2},
        headers={"Authorization": paris},
    )
    assert network.status_code == 200, network.text
    view = network.json()
    assert view["network_size"] == 6  # three recoveries, three cases
    labels = sorted((n["kind"], n["label"]) for n in view["nodes"])
    assert labels == [
        ("case", "CASE-P-1"),
        ("case", "CASE-P-2"),
        ("recovery", "CASE-P-1"),
        ("recovery", "CASE-P-2"),
    ]
    (hidden,) = view["hidden"]
    assert (hidden["agency_name"], hidden["nodes"]) == ("Agency B", 2)  # recovery, case
    to_hamburg = [link for link in view["links"] if link["hidden_agency_id"]]
    assert to_hamburg and all(
        link["evidence"] == {} and link["kind"] == "same_weapon" for link in to_hamburg
    )
    assert "HH-2023-118342" not in network.text  # nothing of Hamburg's case leaks

    networks = await api.client.get("/api/v1/networks", headers={"Authorization": hamburg})
    (listed,) = networks.json()["networks"]
    assert listed["size"] == 6 and listed["countries"] == ["FR"]
    assert sorted((a["name"], a["nodes"]) for a in listed["agencies"]) == [
        ("Agency A", 4),
        ("Agency B", 2),
    ]


async def test_a_rejected_link_splits_the_network_and_stays_rejected(api: Api) -> None:
    paris = await api.user("investigator", "a")
    first = await api.record_firearm(paris, "QX 1001", "CASE-1")
    await api.record_firearm(paris, "QX 1001", "CASE-2")
    await drain(api)

    def same_weapon(view: dict[str, Any]) -> dict[str, Any]:
        return next(link for link in view["links"] if link["kind"] == "same_weapon")

    path = f"/api/v1/recoveries/{first['id']}/network"
    link = same_weapon((await api.client.get(path, headers={"Authorization": paris})).json())
    refused = await api.client.post(
        f"/api/v1/network-links/{link['id']}/reject", json={}, headers={"Authorization": paris}
    )
    assert refused.status_code == 422  # a rejection says why
    rejected = await api.client.post(
        f"/api/v1/network-links/{link['id']}/reject",
        json={"reason": "Two different pistols: the frames differ."},
        headers={"Authorization": paris},
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    await drain(api)
    after = (await api.client.get(path, headers={"Authorization": paris})).json()
    assert after["network_size"] == 2 and all(
        link["kind"] != "same_weapon" for link in after["links"]
    )

    # The rule fires again on a correction: the rejection holds.
    corrected = await api.client.patch(
        f"/api/v1/recoveries/{first['id']}",
        json={"reason": "typo", "case_reference": "CASE-1b"},
        headers={"Authorization": paris, "If-Match": '"v1"'},
    )
    assert corrected.status_code == 200
    await drain(api)
    again = (await api.client.get(path, headers={"Authorization": paris})).json()
    assert again["network_size"] == 2

    outsider = await api.user("investigator", "b")
    assert (
        await api.client.post(
            f"/api/v1/network-links/{link['id']}/confirm", headers={"Authorization": outsider}
        )
    ).status_code == 404
    assert (await api.client.get(path, headers={"Authorization": outsider})).status_code == 404


async def test_a_path_between_two_recoveries_shows_each_link_and_hides_the_other_agency(
    api: Api,
) -> None:
    paris = await api.user("investigator", "a")
    hamburg = await api.user("investigator", "b")
    first = await api.record_firearm(paris, "BXK 482", "CASE-P-1")
    await api.record_firearm(hamburg, "BXK482", "HH-1")  # the same pistol, then in Hamburg
    await api.record_firearm(hamburg, "RT 5521", "HH-1")  # a second weapon in Hamburg's case
    last = await api.record_firearm(paris, "RT-5521", "CASE-P-9")  # ... found later in Paris
    await drain(api)

    path = await api.client.get(
        "/api/v1/networks/path",
        params={"from": first["id"], "to": last["id"]},
        headers={"Authorization": paris},
    )
    assert path.status_code == 200, path.text
    found = path.json()
    assert found["found"] is True
    kinds = [link["kind"] for link in found["links"]]
    assert kinds == ["same_weapon", "same_case", "same_case", "same_weapon"]
    hidden = [n for n in found["nodes"] if n["hidden"]]
    assert [n["agency_name"] for n in hidden] == ["Agency B"] * 3
    assert all(n["label"] is None for n in hidden)
    assert "HH-1" not in path.text

    apart = await api.record_firearm(paris, "ZZ 1", "CASE-P-10")
    await drain(api)
    none = await api.client.get(
        "/api/v1/networks/path",
        params={"from": first["id"], "to": apart["id"]},
        headers={"Authorization": paris},
    )
    assert none.json() == {
        "found": False,
        "missing": "different_networks",
        "nodes": [],
        "links": [],
    }


async def test_a_neighbourhood_exports_to_graphml_csv_and_json(api: Api) -> None:
    paris = await api.user("investigator", "a")
    hamburg = await api.user("investigator", "b")
    first = await api.record_firearm(paris, "BXK 482", "CASE-P-1")
    await api.record_firearm(paris, "BXK482", "CASE-P-2")
    await api.record_firearm(hamburg, "BXK-482", "HH-1")
    await drain(api)
    url = f"/api/v1/recoveries/{first['id']}/network/export"

    graphml = await api.client.get(
        url, params={"format": "graphml"}, headers={"Authorization": paris}
    )
    assert graphml.status_code == 200
    assert graphml.headers["content-type"].startswith("application/graphml+xml")
    graph = networkx.read_graphml(io.BytesIO(graphml.content))
    kinds = sorted(data["kind"] for _, data in graph.nodes(data=True))
    assert kinds == ["case", "case", "hidden", "recovery", "recovery"]
    placeholder = next(n for n, data in graph.nodes(data=True) if data["hidden"])
    assert graph.nodes[placeholder]["label"] == "nodes of Agency B"
    assert graph.number_of_edges() == 5 and "HH-1" not in graphml.text

    edges = await api.client.get(url, params={"format": "csv"}, headers={"Authorization": paris})
    rows = list(csv.DictReader(io.StringIO(edges.text)))
    assert len(rows) == 5 and {r["kind"] for r in rows} == {"same_case", "same_weapon"}
    # A sheet of links says what each end is, hidden ones as whose they are.
    ends = {(r["source_kind"], r["source_label"]) for r in rows}
    ends |= {(r["target_kind"], r["target_label"]) for r in rows}
    assert ends == {
        ("recovery", "CASE-P-1"),
        ("recovery", "CASE-P-2"),
        ("case", "CASE-P-1"),
        ("case", "CASE-P-2"),
        ("hidden", "nodes of Agency B"),
    }
    nodes = await api.client.get(
        url, params={"format": "nodes_csv"}, headers={"Authorization": paris}
    )
    listed = list(csv.DictReader(io.StringIO(nodes.text)))
    assert sorted(n["kind"] for n in listed) == kinds
    assert {n["id"] for n in listed} >= {r["source"] for r in rows} | {r["target"] for r in rows}

    as_json = await api.client.get(url, params={"format": "json"}, headers={"Authorization": paris})
    assert as_json.json()["network_size"] == 6


async def test_a_corrected_case_reference_relabels_the_recovery_everywhere(api: Api) -> None:
    paris = await api.user("investigator", "a")
    first = await api.record_firearm(paris, "LB 1", "LBL-OLD")
    await api.record_firearm(paris, "LB 2", "LBL-OLD")
    await drain(api)
    corrected = await api.client.patch(
        f"/api/v1/recoveries/{first['id']}",
        json={"reason": "typo", "case_reference": "LBL-NEW"},
        headers={"Authorization": paris, "If-Match": '"v1"'},
    )
    assert corrected.status_code == 200, corrected.text
    await drain(api)
    url = f"/api/v1/recoveries/{first['id']}/network"
    view = (await api.client.get(url, headers={"Authorization": paris})).json()
    assert sorted((n["kind"], n["label"]) for n in view["nodes"]) == [
        ("case", "LBL-NEW"),
        ("recovery", "LBL-NEW"),
    ]
    edges = await api.client.get(
        f"{url}/export", params={"format": "csv"}, headers={"Authorization": paris}
    )
    (row,) = list(csv.DictReader(io.StringIO(edges.text)))
    assert {row["source_label"], row["target_label"]} == {"LBL-NEW"}
    graphml = await api.client.get(
        f"{url}/export", params={"format": "graphml"}, headers={"Authorization": paris}
    )
    graph = networkx.read_graphml(io.BytesIO(graphml.content))
    assert sorted(data["label"] for _, data in graph.nodes(data=True)) == ["LBL-NEW"] * 2


async def test_an_investigator_links_two_recoveries_with_a_ballistic_hit(api: Api) -> None:
    paris = await api.user("investigator", "a")
    first = await api.record_firearm(paris, "AA 1", "CASE-1")
    second = await api.record_firearm(paris, "BB 2", "CASE-2")
    hamburg = await api.record_firearm(await api.user("investigator", "b"), "CC 3", "HH-1")
    await drain(api)

    def body(**changes: Any) -> dict[str, Any]:
        return {
            "kind": "ballistic",
            "from_recovery_id": first["id"],
            "to_recovery_id": second["id"],
            "rationale": "Cartridge cases from both scenes match.",
            "reference": "IBIN-2026-FR-0042",
        } | changes

    refused = await api.client.post(
        "/api/v1/network-links",
        json=body(reference=None, rationale=""),
        headers={"Authorization": paris},
    )
    assert refused.status_code == 422
    pointers = sorted(e["pointer"] for e in refused.json()["errors"])
    assert pointers == ["#/rationale", "#/reference"]
    other_agency = await api.client.post(
        "/api/v1/network-links",
        json=body(to_recovery_id=hamburg["id"]),
        headers={"Authorization": paris},
    )
    assert other_agency.status_code == 422  # the same answer as for no recovery at all

    made = await api.client.post(
        "/api/v1/network-links", json=body(), headers={"Authorization": paris}
    )
    assert made.status_code == 201, made.text
    link = made.json()
    assert (link["status"], link["evidence"]["reference"]) == ("confirmed", "IBIN-2026-FR-0042")
    twice = await api.client.post(
        "/api/v1/network-links", json=body(), headers={"Authorization": paris}
    )
    assert twice.status_code == 409
    await drain(api)
    view = (
        await api.client.get(
            f"/api/v1/recoveries/{first['id']}/network", headers={"Authorization": paris}
        )
    ).json()
    assert view["network_size"] == 4  # two recoveries, their two cases


async def test_recoveries_at_the_same_place_meet_there_whoever_made_them(api: Api) -> None:
    paris = await api.user("investigator", "a")
    hamburg = await api.user("investigator", "b")
    here = {"description": "Quai de la Gare", "country": "FR", "lat": 48.8337, "lon": 2.3731}
    near = {"description": "Gare d'Austerlitz", "country": "FR", "lat": 48.8341, "lon": 2.3728}
    elsewhere = {"description": "Lyon", "country": "FR", "lat": 45.76, "lon": 4.83}

    def pistol(serial: str) -> list[dict[str, str]]:
        return [{"kind": "firearm", "make": "Glock", "serial": serial}]

    mine = (
        await api.record(paris, case_reference="P-1", location=here, items=pistol("A 1"))
    ).json()
    await api.record(hamburg, case_reference="HH-9", location=near, items=pistol("B 2"))
    await api.record(paris, case_reference="P-2", location=elsewhere, items=pistol("C 3"))
    await drain(api)
    view = (
        await api.client.get(
            f"/api/v1/recoveries/{mine['id']}/network", headers={"Authorization": paris}
        )
    ).json()
    place = next(n for n in view["nodes"] if n["kind"] == "place")
    assert place["key"] == "FR:48.834:2.373" and place["agency_id"] is None
    assert [h["nodes"] for h in view["hidden"]] == [1]  # Hamburg's recovery, there too
    assert all(n["label"] != "P-2" for n in view["nodes"])


async def test_a_person_two_agencies_met_is_seen_by_each_only_through_its_own_record(
    api: Api,
) -> None:
    paris = await api.user("investigator", "a")
    hamburg = await api.user("investigator", "b")
    brussels = await api.user("investigator", "c")
    place = {"description": "Paris", "country": "FR"}

    async def seized(token: str, case: str, person: dict[str, str]) -> dict[str, Any]:
        items = [{"kind": "firearm", "make": "Glock", "serial": f"{case} 1"}]
        response = await api.record(
            token, case_reference=case, location=place, items=items, possessor=person
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    mine = await seized(
        paris,
        "P-1",
        {"name": "Jean Dupont", "document_number": "12AB34567", "document_country": "FR"},
    )
    await seized(
        hamburg,
        "HH-1",
        {
            "name": "DUPONT, Jean-Marie",
            "born_on": "1980-01-02",
            "document_number": "12ab 34567",
            "document_country": "FR",
        },
    )
    await seized(brussels, "BX-1", {"name": "Jean Dupont", "nationality": "FR"})
    await drain(api)

    view = await api.client.get(
        f"/api/v1/recoveries/{mine['id']}/network",
        params={"depth": 3},
        headers={"Authorization": paris},
    )
    assert view.status_code == 200, view.text
    nodes = {(n["kind"], n["label"]) for n in view.json()["nodes"]}
    assert ("person", "person with document FR 12AB34567") in nodes
    # Hamburg's recovery and case, as counts; its spelling and date of birth never show.
    assert [(h["agency_name"], h["nodes"]) for h in view.json()["hidden"]] == [("Agency B", 2)]
    assert "Jean-Marie" not in view.text and "1980" not in view.text
    person_link = next(link for link in view.json()["links"] if link["kind"] == "same_person")
    assert person_link["confidence"] == 1.0
    assert person_link["evidence"] == {"role": "possessor", "identified_by": "document"}
    # Brussels knows a name only: a different node, not in this network.
    assert all(h["agency_name"] != "Agency C" for h in view.json()["hidden"])


async def test_text_that_a_spreadsheet_would_run_is_exported_inert(api: Api) -> None:
    paris = await api.user("investigator", "a")
    first = await api.record_firearm(paris, "QX 77", '=HYPERLINK("http://x.example","open")')
    await api.record_firearm(paris, "QX 77", "@SUM(A1)")
    await drain(api)
    url = f"/api/v1/recoveries/{first['id']}/network/export"
    for kind in ("csv", "nodes_csv"):
        text = (
            await api.client.get(url, params={"format": kind}, headers={"Authorization": paris})
        ).text
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        assert '\'=HYPERLINK("http://x.example","open")' in cells, kind
        assert "'@SUM(A1)" in cells, kind
        assert not any(cell.startswith(("=", "+", "@")) for cell in cells), kind
