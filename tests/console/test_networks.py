"""Case networks in the console: the agency's networks and what grew since the person
last looked, a recovery's graph with its evidence and exports, decisions on links, the
shortest chain; another agency's records only as counts with the agency's name."""

from __future__ import annotations

import json
import re

from service.domain.recovery import Recovery
from tests.console.conftest import Browser, Console


async def test_the_graph_data_shows_other_agencies_records_only_as_counts(
    console: Console,
) -> None:
    await console.person("investigator", "b")
    investigator = await console.signed_in("investigator")
    mine = await console.recorded("investigator.a", "WXY 5521", case="CASE-MINE")
    await console.recorded("investigator.b", "WXY 5521", case="CASE-THEIRS")
    await console.drain()
    page = await investigator.get(f"/recoveries/{mine.id}/network")
    assert page.status_code == 200 and 'id="graph"' in page.text
    assert "CASE-THEIRS" not in page.text and "ask them" in page.text
    data = (await investigator.client.get(f"/recoveries/{mine.id}/network.json")).json()
    labels = [node["label"] for node in data["nodes"]]
    assert "CASE-MINE" in labels and not any("CASE-THEIRS" in label for label in labels)
    (hidden,) = [node for node in data["nodes"] if node["kind"] == "hidden"]
    assert re.fullmatch(r"\d+ records? of Agency B", hidden["label"]), hidden["label"]
    assert any(
        link["target"] == hidden["id"] or link["source"] == hidden["id"] for link in data["links"]
    )
    text = json.dumps(data)
    assert "CASE-THEIRS" not in text and "decision_reason" not in text


async def same_weapon_link(console: Console, browser: Browser) -> tuple[Recovery, str]:
    """Two recoveries of one weapon, linked: the first, and the path of their link's page."""
    first = await console.recorded("investigator.a", "QRS 1100", case="CASE-ONE")
    await console.recorded("investigator.a", "QRS 1100", case="CASE-TWO")
    await console.drain()
    page = await browser.get(f"/recoveries/{first.id}/network")
    link_path = re.search(rf'href="(/recoveries/{first.id}/network/links/[0-9a-f-]+)"', page.text)
    assert link_path
    return first, link_path.group(1)


async def test_a_links_evidence_opens_and_a_rejection_needs_a_reason(console: Console) -> None:
    investigator = await console.signed_in("investigator")
    first, link_path = await same_weapon_link(console, investigator)
    evidence = await investigator.get(link_path)
    assert "Same weapon" in evidence.text and "Confirm the link" in evidence.text
    link_id = link_path.rsplit("/", 1)[1]
    no_reason = await investigator.post(
        f"/network-links/{link_id}/decision",
        {"decision": "rejected", "recovery_id": str(first.id)},
    )
    assert no_reason.status_code == 303 and "reason_needed" in no_reason.headers["location"]
    rejected = await investigator.post(
        f"/network-links/{link_id}/decision",
        {"decision": "rejected", "reason": "Two different pistols", "recovery_id": str(first.id)},
    )
    assert rejected.status_code == 303
    # A rejected link no longer holds the network together: it is not drawn.
    after = await investigator.get(f"/recoveries/{first.id}/network")
    assert link_id not in after.text


async def test_exports_and_the_shortest_chain(console: Console) -> None:
    investigator = await console.signed_in("investigator")
    first = await console.recorded("investigator.a", "LMN 7000", case="CASE-ONE")
    await console.recorded("investigator.a", "LMN 7000", case="CASE-TWO")
    await console.drain()
    await investigator.get(f"/recoveries/{first.id}/network")
    graphml = await investigator.client.get(f"/recoveries/{first.id}/network/export?format=graphml")
    assert graphml.headers["content-type"].startswith("application/graphml+xml")
    assert "attachment" in graphml.headers["content-disposition"]
    csv = await investigator.client.get(f"/recoveries/{first.id}/network/export?format=csv")
    assert "CASE-TWO" in csv.text
    chain = await investigator.get(f"/recoveries/{first.id}/network/path?to=CASE-TWO")
    assert chain.text.count("<li>") >= 2 and "CASE-TWO" in chain.text
    unknown = await investigator.get(f"/recoveries/{first.id}/network/path?to=CASE-NONE")
    assert "None of your agency" in unknown.text


async def test_networks_that_grew_since_the_person_last_looked_are_marked(
    console: Console,
) -> None:
    investigator = await console.signed_in("investigator")
    await console.recorded("investigator.a", "GHJ 3000", case="CASE-ONE")
    await console.recorded("investigator.a", "GHJ 3000", case="CASE-TWO")
    await console.drain()
    first = await investigator.get("/networks")
    assert "New since you last looked" in first.text
    again = await investigator.get("/networks")
    assert "New since you last looked" not in again.text
    await console.recorded("investigator.a", "GHJ 3000", case="CASE-THREE")
    await console.drain()
    assert "New since you last looked" in (await investigator.get("/networks")).text


async def test_another_agencys_recovery_network_is_not_found(console: Console) -> None:
    await console.person("investigator", "b")
    theirs = await console.recorded("investigator.b", "KLM 1", case="CASE-B")
    await console.drain()
    investigator = await console.signed_in("investigator")
    for suffix in ("network", "network.json", "network/export?format=csv", "network/path?to=x"):
        response = await investigator.client.get(f"/recoveries/{theirs.id}/{suffix}")
        assert response.status_code == 404, suffix
    officer = await console.signed_in("tracing_officer")
    assert (await officer.client.get("/networks")).status_code == 403
