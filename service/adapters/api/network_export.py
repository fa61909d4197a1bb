"""A network view written for graph tools: GraphML (Gephi, Cytoscape, networkx), CSV
for spreadsheets (links with what their ends are, and the nodes), JSON. Hidden nodes are
exported as one placeholder per owning agency, so the shape stays true without telling
what is hidden."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from xml.sax.saxutils import quoteattr

from service.adapters.api.schemas.networks import LinkOut, NetworkOut
from service.adapters.tabular.formulas import spreadsheet_safe

NODE_ATTRIBUTES = ("kind", "label", "key", "agency_id", "country", "occurred_at", "hidden")
EDGE_ATTRIBUTES = ("kind", "confidence", "status", "rule", "rule_version", "evidence")


def _placeholder(link: LinkOut) -> str:
    return f"hidden:{link.hidden_agency_id or 'shared'}"


def _ends(link: LinkOut) -> tuple[str, str]:
    return (
        str(link.source_id) if link.source_id else _placeholder(link),
        str(link.target_id) if link.target_id else _placeholder(link),
    )


def _nodes(view: NetworkOut) -> list[dict[str, Any]]:
    nodes = [
        {
            "id": str(n.id),
            "kind": n.kind,
            "label": n.label,
            "key": n.key,
            "agency_id": str(n.agency_id) if n.agency_id else "",
            "country": n.country or "",
            "occurred_at": n.occurred_at.isoformat() if n.occurred_at else "",
            "hidden": False,
        }
        for n in view.nodes
    ]
    names = {str(h.agency_id): h.agency_name for h in view.hidden}
    placeholders = sorted(
        {
            _placeholder(link)
            for link in view.links
            if link.hidden_agency_id or not (link.source_id and link.target_id)
        }
    )
    for placeholder in placeholders:
        agency = placeholder.removeprefix("hidden:")
        nodes.append(
            {
                "id": placeholder,
                "kind": "hidden",
                "label": f"nodes of {names.get(agency, 'shared records')}",
                "key": "",
                "agency_id": "" if agency == "shared" else agency,
                "country": "",
                "occurred_at": "",
                "hidden": True,
            }
        )
    return nodes


def to_json(view: NetworkOut) -> str:
    return view.model_dump_json(indent=2)


def to_csv(view: NetworkOut) -> str:
    """One line per link: its ends, what each end is (kind and label), and the link's
    attributes (evidence as JSON), readable in a spreadsheet without the node list."""
    nodes = {node["id"]: node for node in _nodes(view)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        (
            "id",
            "source",
            "source_kind",
            "source_label",
            "target",
            "target_kind",
            "target_label",
            *EDGE_ATTRIBUTES,
        )
    )
    for link in view.links:
        source, target = _ends(link)
        row = (
            str(link.id),
            source,
            nodes[source]["kind"],
            nodes[source]["label"],
            target,
            nodes[target]["kind"],
            nodes[target]["label"],
            *_edge_values(link),
        )
        writer.writerow([spreadsheet_safe(value) for value in row])
    return out.getvalue()


def nodes_to_csv(view: NetworkOut) -> str:
    """One line per node, hidden placeholders included: what the link list refers to."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("id", *NODE_ATTRIBUTES))
    for node in _nodes(view):
        writer.writerow([spreadsheet_safe(node[name]) for name in ("id", *NODE_ATTRIBUTES)])
    return out.getvalue()


def _edge_values(link: LinkOut) -> tuple[Any, ...]:
    return (
        link.kind.value,
        link.confidence,
        link.status.value,
        link.rule or "",
        link.rule_version or "",
        json.dumps(link.evidence, sort_keys=True, ensure_ascii=False),
    )


def to_graphml(view: NetworkOut) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
    ]
    types = {"confidence": "double", "rule_version": "string", "hidden": "boolean"}
    for name in NODE_ATTRIBUTES:
        lines.append(
            f'  <key id="n_{name}" for="node" attr.name="{name}" '
            f'attr.type="{types.get(name, "string")}"/>'
        )
    for name in EDGE_ATTRIBUTES:
        lines.append(
            f'  <key id="e_{name}" for="edge" attr.name="{name}" '
            f'attr.type="{types.get(name, "string")}"/>'
        )
    lines.append('  <graph id="network" edgedefault="undirected">')
    for node in _nodes(view):
        lines.append(f"    <node id={quoteattr(node['id'])}>")
        for name in NODE_ATTRIBUTES:
            value = node[name]
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            lines.append(f'      <data key="n_{name}">{_text(text)}</data>')
        lines.append("    </node>")
    for link in view.links:
        source, target = _ends(link)
        lines.append(
            f"    <edge id={quoteattr(str(link.id))} source={quoteattr(source)} "
            f"target={quoteattr(target)}>"
        )
        for name, value in zip(EDGE_ATTRIBUTES, _edge_values(link), strict=True):
            lines.append(f'      <data key="e_{name}">{_text(str(value))}</data>')
        lines.append("    </edge>")
    lines += ["  </graph>", "</graphml>", ""]
    return "\n".join(lines)


def _text(value: str) -> str:
    return quoteattr(value)[1:-1]
