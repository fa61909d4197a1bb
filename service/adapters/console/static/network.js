// Draws a recovery's case network with Cytoscape.js. The page works without it: the
// same links are listed in a table whose rows open their evidence. No data is put into
// the page as HTML here; labels are given to Cytoscape as text.
(function () {
  "use strict";

  var COLOURS = {
    recovery: "#1d70b8",
    registry_record: "#d4351c",
    party: "#00703c",
    "case": "#6f72af",
    place: "#912b88",
    person: "#f47738",
    hidden: "#b1b4b6"
  };

  function draw(container, elements) {
    var cy = cytoscape({
      container: container,
      elements: {
        nodes: elements.nodes.map(function (node) { return { data: node }; }),
        edges: elements.links.map(function (link) { return { data: link }; })
      },
      style: [
        {
          selector: "node",
          style: {
            "background-color": function (node) { return COLOURS[node.data("kind")] || "#505a5f"; },
            "label": "data(label)",
            "font-size": 11,
            "text-wrap": "wrap",
            "text-max-width": 140,
            "text-valign": "bottom",
            "text-margin-y": 4,
            "color": "#0b0c0c",
            "width": 22,
            "height": 22
          }
        },
        { selector: "node[?start]", style: { "width": 34, "height": 34, "border-width": 4, "border-color": "#0b0c0c" } },
        { selector: "node[kind = 'hidden']", style: { "shape": "round-rectangle", "width": 30, "height": 30 } },
        {
          selector: "edge",
          style: {
            "width": function (edge) { return 1 + 4 * edge.data("confidence"); },
            "line-color": "#505a5f",
            "curve-style": "bezier",
            "label": "data(kind_label)",
            "font-size": 9,
            "text-rotation": "autorotate",
            "text-background-color": "#ffffff",
            "text-background-opacity": 0.8
          }
        },
        { selector: "edge[status = 'proposed']", style: { "line-style": "dashed" } },
        { selector: "edge[status = 'rejected']", style: { "line-color": "#d4351c", "line-style": "dotted" } },
        { selector: ":selected", style: { "overlay-color": "#ffdd00", "overlay-opacity": 0.5 } }
      ],
      layout: { name: "cose", animate: false, padding: 40, nodeRepulsion: 400000, idealEdgeLength: 120 }
    });
    // Labels keep a readable size whatever zoom the layout chose to fit the network.
    var scale = 1 / Math.min(1, cy.zoom());
    cy.style()
      .selector("node").style("font-size", 12 * scale)
      .selector("edge").style("font-size", 10 * scale)
      .update();
    var evidence = document.getElementById("evidence");
    var base = container.getAttribute("data-evidence");
    cy.on("tap", "edge", function (event) {
      htmx.ajax("GET", base + event.target.id(), { target: evidence, swap: "innerHTML" });
    });
    cy.on("tap", "node", function (event) {
      var node = event.target;
      evidence.replaceChildren();
      var title = document.createElement("h2");
      title.textContent = node.data("kind_label");
      var text = document.createElement("p");
      text.textContent = node.data("label");
      evidence.append(title, text);
      if (node.data("kind") === "recovery") {
        var link = document.createElement("a");
        link.href = "/recoveries/" + node.data("id");
        link.textContent = container.getAttribute("data-open-label") || "Open";
        evidence.append(link);
      }
    });
    container.setAttribute("data-drawn", String(elements.nodes.length));
  }

  function start() {
    var container = document.getElementById("graph");
    if (!container || typeof cytoscape === "undefined") {
      return;
    }
    fetch(container.getAttribute("data-elements"), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (elements) { draw(container, elements); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
