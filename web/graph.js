// The segment's model as a map, drawn by Cytoscape.js (vendored at a pinned version and served
// by this server: web/vendor/fetch.py). Columns a room reads left to right: the segment; its
// goals, pains and alternatives; the features and claims that act on them. On a phone the
// segment sits on top and the two columns beneath it. Positions are computed here from each
// label's measured size, so no two labels ever overlap; Cytoscape gives zoom, pan and fit.
// Nodes and lines take their look from the evidence's verdict (colour + border + glyph), and
// lines grow thicker, with a purple halo, the more the functions disagree.

import { h, STATUS } from "./dom.js";

const MIDDLE = ["GOAL", "PAIN", "ALTERNATIVE"];
const RIGHT = ["FEATURE", "CLAIM"];
const GROUP_TITLE = {
  GOAL: "Goals they pursue",
  PAIN: "Pains they experience",
  ALTERNATIVE: "What they use instead",
  FEATURE: "Our features",
  CLAIM: "Our messaging claims",
};
const OWN = new Set(["PURSUES", "EXPERIENCES", "USES"]);
// Drawn as lines; TARGETS (claim → this segment) is what puts a claim on this map at all.
const DRAWN = new Set(["PURSUES", "EXPERIENCES", "USES", "HINDERS", "RELIEVES", "ENABLES", "PROMISES", "BEATS", "BACKED_BY"]);
// Each relation as the verb of a sentence: "the segment experiences the pain".
export const RELATION_WORDS = {
  PURSUES: "pursues",
  EXPERIENCES: "experiences",
  USES: "uses instead",
  HINDERS: "gets in the way of",
  RELIEVES: "relieves",
  ENABLES: "helps reach",
  PROMISES: "promises",
  BACKED_BY: "is backed by",
  TARGETS: "is aimed at",
  BEATS: "beats",
};

const FAMILY = '"DejaVu Sans", "Segoe UI", system-ui, -apple-system, "Helvetica Neue", Arial, sans-serif';
const INK = "#1d2430";
const LOOK = {
  VALIDATED: { fill: "#d7e9f6", border: "#0072b2", line: "#0072b2" },
  REFUTED: { fill: "#fbe3d2", border: "#d55e00", line: "#d55e00" },
  CONTESTED: { fill: "#fcefcf", border: "#a86f00", line: "#e69f00" },
  UNKNOWN: { fill: "#f0f1f3", border: "#6f7782", line: "#8a929c" },
  NONE: { fill: "#ffffff", border: "#8a94a3", line: "#8a929c" },
  SEGMENT: { fill: "#1d2430", border: "#1d2430", line: "#1d2430" },
};
const DISAGREE = "#cc79a7";
const FOCUS = "#1a73e8";

let cy = null;
let container = null;
// The library ends a map whose container leaves its parent; the page's re-renders move this
// holder instead, so the container never leaves it and zoom and pan survive.
let holder = null;
let builtKey = null;
let builtStamp = null;
let handlers = { onSelect: () => {} };
let focusMode = null; // the node id whose neighbourhood alone is shown
let searchText = ""; // what is typed in "Find on the map": it outlives re-renders

// --- measuring and placing ------------------------------------------------------------------

let measurer = null;
function textWidth(text, font) {
  if (!measurer) measurer = document.createElement("canvas").getContext("2d");
  measurer.font = font;
  return measurer.measureText(text).width;
}

/** Break a label into lines no wider than `max` pixels; never cut a word short. */
function wrapLines(text, max, font) {
  const lines = [];
  let line = "";
  for (const word of String(text).split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (!line || textWidth(next, font) <= max) line = next;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function sizes(large, narrow) {
  const font = large ? 18 : narrow ? 14 : 14;
  const width = large ? 250 : narrow ? 168 : 210;
  return { font, width, pad: 9, lineHeight: Math.round(font * 1.3), gap: large ? 26 : 22, heading: font + 10 };
}

function tagOf(entity) {
  if (entity.kind === "FEATURE" || entity.kind === "CLAIM") return entity.status || null;
  if (entity.kind === "ALTERNATIVE" && entity.alt_kind) return entity.alt_kind.replace(/_/g, " ");
  return null;
}

/** The elements and their positions: a pure function of the model and the screen. */
export function elementsFor(model, { large = false, narrow = false } = {}) {
  const z = sizes(large, narrow);
  const font = `${z.font}px ${FAMILY}`;
  const segmentId = model.segment.id;
  const own = new Map();
  for (const p of model.propositions) if (p.subject_id === segmentId && OWN.has(p.relation)) own.set(p.object_id, p);
  const shown = new Set();
  for (const p of model.propositions) {
    if (!DRAWN.has(p.relation)) continue;
    shown.add(p.subject_id).add(p.object_id);
  }
  const entities = model.entities.filter((e) => e.kind !== "ACCOUNT" && (shown.has(e.id) || e.kind === "CLAIM" || e.id === segmentId));
  const nodes = [];
  const place = (entity, extra) => {
    const prop = own.get(entity.id) || null;
    const status = entity.kind === "SEGMENT" ? "SEGMENT" : prop ? prop.evidence.status : "NONE";
    const glyph = STATUS[status] ? `${STATUS[status].glyph} ` : "";
    const lines = wrapLines(glyph + entity.name, z.width - 2 * z.pad, font);
    const tag = entity.kind === "SEGMENT" ? "the customer segment" : tagOf(entity);
    if (tag) lines.push(`(${tag})`);
    const height = lines.length * z.lineHeight + 2 * z.pad;
    nodes.push({
      group: "nodes",
      data: {
        id: entity.id,
        label: lines.join("\n"),
        name: entity.name,
        kind: entity.kind,
        prop: prop ? prop.id : null,
        w: z.width,
        h: height,
        fill: LOOK[status].fill,
        border: LOOK[status].border,
        ink: entity.kind === "SEGMENT" ? "#ffffff" : INK,
      },
      classes: [`k-${entity.kind.toLowerCase()}`, `st-${status.toLowerCase()}`, prop && prop.contested_among_functions ? "disagree" : null].filter(Boolean).join(" "),
      ...extra,
    });
    return height;
  };
  const headingNode = (kind, x, y) =>
    nodes.push({
      group: "nodes",
      data: { id: `heading:${kind}`, label: GROUP_TITLE[kind], w: z.width, h: z.heading, kind: "HEADING" },
      classes: "heading",
      position: { x, y: y + z.heading / 2 },
      selectable: false,
      grabbable: false,
    });
  const column = (kinds, x, top, order) => {
    let y = top;
    for (const kind of kinds) {
      const members = entities.filter((e) => e.kind === kind).sort(order);
      if (!members.length) continue;
      headingNode(kind, x, y);
      y += z.heading + 16;
      for (const e of members) {
        const index = nodes.length;
        const height = place(e, {});
        nodes[index].position = { x, y: y + height / 2 };
        y += height + z.gap;
      }
      y += z.gap;
    }
    return y;
  };
  const byName = (a, b) => a.name.localeCompare(b.name);
  const segment = model.entities.find((e) => e.id === segmentId) || { id: segmentId, kind: "SEGMENT", name: model.segment.name };
  const colGap = narrow ? 34 : large ? 200 : 170;
  let xSeg;
  let xMid;
  let xRight;
  let top = 0;
  if (narrow) {
    xMid = z.width / 2;
    xRight = xMid + z.width + colGap;
    const index = nodes.length;
    const height = place(segment, {});
    xSeg = (xMid + xRight) / 2;
    nodes[index].position = { x: xSeg, y: height / 2 };
    top = height + 40;
  } else {
    xSeg = z.width / 2;
    xMid = xSeg + z.width + colGap;
    xRight = xMid + z.width + colGap;
  }
  const midBottom = column(MIDDLE, xMid, top, byName);
  const ys = new Map(nodes.filter((n) => n.position).map((n) => [n.data.id, n.position.y]));
  const targets = new Map();
  for (const p of model.propositions) {
    if (!DRAWN.has(p.relation) || !ys.has(p.object_id)) continue;
    if (!targets.has(p.subject_id)) targets.set(p.subject_id, []);
    targets.get(p.subject_id).push(ys.get(p.object_id));
  }
  const centre = (id) => {
    const list = targets.get(id) || [];
    return list.length ? list.reduce((a, b) => a + b, 0) / list.length : 1e9;
  };
  column(RIGHT, xRight, top, (a, b) => centre(a.id) - centre(b.id) || byName(a, b));
  if (!narrow) {
    // Level with the top of the goals, pains and alternatives, where the eye starts.
    const index = nodes.length;
    const height = place(segment, {});
    nodes[index].position = { x: xSeg, y: Math.min(midBottom / 2, z.heading + 4 + height / 2 + 40) };
  }
  const at = new Map(nodes.map((n) => [n.data.id, n.position]));
  const edges = [];
  for (const p of model.propositions) {
    const from = at.get(p.subject_id);
    const to = at.get(p.object_id);
    if (!DRAWN.has(p.relation) || !from || !to) continue;
    const status = p.evidence.status;
    const same = from.x === to.x;
    // An arc outside its column: the middle column's bulge left, the right column's right.
    const outward = from.x === xRight ? 1 : -1;
    edges.push({
      group: "edges",
      data: {
        id: `edge:${p.id}`,
        prop: p.id,
        source: p.subject_id,
        target: p.object_id,
        colour: LOOK[status] ? LOOK[status].line : LOOK.UNKNOWN.line,
        width: 1.6 + 6 * (p.spread || 0),
        bulge: same ? outward * (z.width * 1.3 + 50) : 0,
      },
      classes: [`st-${status.toLowerCase()}`, p.contested_among_functions ? "disagree" : null, same ? "arc" : null].filter(Boolean).join(" "),
    });
  }
  return { nodes, edges, sizes: z };
}

function styles(z) {
  return [
    {
      selector: "node",
      style: {
        shape: "round-rectangle",
        width: "data(w)",
        height: "data(h)",
        label: "data(label)",
        "text-wrap": "wrap",
        "text-max-width": z.width,
        "text-valign": "center",
        "text-halign": "center",
        "font-size": z.font,
        "font-family": FAMILY,
        "line-height": 1.3,
        color: "data(ink)",
        "border-width": 1.5,
        "overlay-opacity": 0,
      },
    },
    // Only boxes carry colours; a column heading has none (mapping it would warn on the console).
    { selector: "node[fill]", style: { "background-color": "data(fill)" } },
    { selector: "node[border]", style: { "border-color": "data(border)" } },
    { selector: "node.k-segment", style: { "font-weight": "bold" } },
    { selector: "node.st-refuted", style: { "border-style": "dashed", "border-width": 2.5 } },
    { selector: "node.st-contested", style: { "border-style": "double", "border-width": 5 } },
    { selector: "node.st-validated", style: { "border-width": 2.5 } },
    {
      selector: "node.heading",
      style: {
        "background-opacity": 0,
        "border-width": 0,
        color: "#566070",
        "font-weight": "bold",
        "text-halign": "center",
        events: "no",
      },
    },
    {
      selector: "node.disagree",
      style: { "underlay-color": DISAGREE, "underlay-padding": 5, "underlay-opacity": 0.5, "underlay-shape": "round-rectangle" },
    },
    {
      selector: "edge",
      style: {
        "curve-style": "bezier",
        width: "data(width)",
        "line-color": "data(colour)",
        "target-arrow-shape": "triangle",
        "target-arrow-color": "data(colour)",
        "arrow-scale": 0.9,
        opacity: 0.8,
        "overlay-opacity": 0,
      },
    },
    { selector: "edge.arc", style: { "curve-style": "unbundled-bezier", "control-point-distances": "data(bulge)", "control-point-weights": 0.5 } },
    { selector: "edge.st-refuted", style: { "line-style": "dashed" } },
    { selector: "edge.st-unknown", style: { "line-style": "dotted" } },
    { selector: "edge.disagree", style: { "underlay-color": DISAGREE, "underlay-padding": 5, "underlay-opacity": 0.45 } },
    { selector: ".match", style: { "border-color": FOCUS, "border-width": 4, "border-style": "solid" } },
    { selector: "node.picked", style: { "border-color": FOCUS, "border-width": 5, "border-style": "solid" } },
    { selector: "edge.picked", style: { "line-color": FOCUS, "target-arrow-color": FOCUS, opacity: 1, width: 5 } },
    { selector: ".faded", style: { opacity: 0.15 } },
    { selector: ".hidden", style: { display: "none" } },
  ];
}

// --- the live map ---------------------------------------------------------------------------

function readableView() {
  // Fit the width (a tall map scrolls by dragging), never so small that labels blur.
  // The boxes set the width to fit (arcs may run past the edge); labels stay readable.
  const box = cy.nodes().not(".hidden").boundingBox({ includeOverlays: false, includeUnderlays: false });
  const w = container.clientWidth;
  const hgt = container.clientHeight;
  if (!w || !hgt || !box.w) return;
  const pad = 16;
  const zoom = Math.max(0.55, Math.min(1.2, (w - 2 * pad) / box.w, box.h > 0 ? Math.max((hgt - 2 * pad) / box.h, (w - 2 * pad) / box.w) : 1.2));
  cy.zoom(zoom);
  const left = (w - box.w * zoom) / 2 - box.x1 * zoom;
  const topPan = box.h * zoom <= hgt - 2 * pad ? (hgt - box.h * zoom) / 2 - box.y1 * zoom : pad - box.y1 * zoom;
  cy.pan({ x: Math.max(pad - box.x1 * zoom, left), y: topPan });
}

function build(model, options) {
  const { nodes, edges, sizes: z } = elementsFor(model, options);
  if (cy) cy.destroy();
  // eslint-disable-next-line no-undef
  cy = cytoscape({
    container,
    elements: [...nodes, ...edges],
    style: styles(z),
    layout: { name: "preset" },
    minZoom: 0.2,
    maxZoom: 3,
    wheelSensitivity: 0.3,
    boxSelectionEnabled: false,
    autoungrabify: true,
    selectionType: "single",
  });
  window.workshopMap = cy; // for the browser tests and for anyone curious in the console
  cy.on("tap", "node", (event) => {
    const node = event.target;
    if (node.hasClass("heading")) return;
    const prop = node.data("prop");
    handlers.onSelect(prop ? { kind: "proposition", id: prop, node: node.id(), resolved: true } : { kind: "entity", id: node.id(), node: node.id(), resolved: true });
  });
  cy.on("tap", "edge", (event) => handlers.onSelect({ kind: "proposition", id: event.target.data("prop") }));
  readableView();
}

function applySelection(selection) {
  if (!cy) return;
  cy.elements().removeClass("picked faded");
  if (!selection) return;
  let picked = cy.collection();
  if (selection.node) picked = cy.getElementById(selection.node);
  else if (selection.kind === "entity") picked = cy.getElementById(selection.id);
  else {
    const edge = cy.edges().filter((e) => e.data("prop") === selection.id);
    const node = cy.nodes().filter((n) => n.data("prop") === selection.id);
    picked = edge.union(node);
  }
  picked.addClass("picked");
}

/**
 * Show only a node, its neighbours and the lines between them; null shows everything.
 * What is shown is read back from the "hidden" class, never from the library's ":visible":
 * that answer is cached per element and can lag a class change until the next frame (so
 * "Show everything" zoomed to the two boxes it had just un-hidden).
 */
function focusOn(id) {
  if (!cy) return;
  focusMode = id;
  cy.elements().removeClass("hidden");
  if (id) {
    const node = cy.getElementById(id);
    if (node.empty()) {
      focusMode = null;
    } else {
      const keep = node.closedNeighborhood();
      cy.elements().not(keep).addClass("hidden");
      cy.fit(keep, 30);
      if (cy.zoom() > 1.3) cy.zoom({ level: 1.3, position: node.position() });
      return;
    }
  }
  readableView();
}

/** Bring a node into view at a readable zoom (an address #node=… does this). */
export function revealNode(id) {
  if (!cy) return false;
  const node = cy.getElementById(id);
  if (node.empty()) return false;
  if (cy.zoom() < 0.9) cy.zoom(0.9);
  cy.center(node);
  return true;
}

function searchMatches(text) {
  if (!cy) return [];
  cy.nodes().removeClass("match");
  const wanted = text.trim().toLowerCase();
  if (!wanted) return [];
  const found = cy.nodes().filter((n) => !n.hasClass("heading") && String(n.data("name") || "").toLowerCase().includes(wanted));
  found.addClass("match");
  return found.map((n) => n.id());
}

function toolbar(selection) {
  const status = h("span", { class: "map-found", role: "status", "aria-live": "polite" });
  const sayFound = (ids) => {
    status.textContent = searchText.trim() ? (ids.length ? `${ids.length} found — Enter shows the first` : "Nothing by that name") : "";
  };
  const search = h("input", {
    type: "search",
    class: "map-search",
    placeholder: "Find on the map",
    "aria-label": "Find on the map",
    value: searchText,
    dataset: { fkey: "map-search" },
    oninput: (event) => {
      searchText = event.target.value;
      sayFound(searchMatches(searchText));
    },
    onkeydown: (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      const ids = searchMatches(event.target.value);
      if (!ids.length) return;
      const node = cy.getElementById(ids[0]);
      const prop = node.data("prop");
      handlers.onSelect(prop ? { kind: "proposition", id: prop, node: ids[0], resolved: true, reveal: true } : { kind: "entity", id: ids[0], node: ids[0], resolved: true, reveal: true });
    },
  });
  const selectedNode = selection && selection.node ? selection.node : selection && selection.kind === "entity" ? selection.id : null;
  if (searchText) sayFound(searchMatches(searchText));
  const zoomBy = (factor) => () => {
    if (!cy) return;
    const mid = { x: container.clientWidth / 2, y: container.clientHeight / 2 };
    cy.zoom({ level: Math.min(3, Math.max(0.2, cy.zoom() * factor)), renderedPosition: mid });
  };
  return h(
    "div",
    { class: "map-tools", role: "toolbar", "aria-label": "Map controls" },
    search,
    status,
    h("span", { class: "map-buttons" },
      h("button", { type: "button", class: "map-zoom-in", title: "Zoom in", "aria-label": "Zoom in", onclick: zoomBy(1.25) }, "+"),
      h("button", { type: "button", class: "map-zoom-out", title: "Zoom out", "aria-label": "Zoom out", onclick: zoomBy(0.8) }, "−"),
      h("button", { type: "button", class: "map-fit", onclick: () => cy && (focusMode ? focusOn(focusMode) : cy.fit(cy.elements().not(".hidden"), 20)) }, "Fit"),
      focusMode
        ? h("button", { type: "button", class: "map-show-all", onclick: () => focusOn(null) || handlers.rerender() }, "Show everything")
        : h("button", { type: "button", class: "map-focus", disabled: !selectedNode, title: selectedNode ? "Show only this and what it connects to" : "Pick a node first", onclick: () => selectedNode && (focusOn(selectedNode), handlers.rerender()) }, "Focus on its neighbours"),
    ),
  );
}

/**
 * The map's part of the page. The Cytoscape instance outlives re-renders (its container is
 * moved, not rebuilt), so zoom and pan stay where people put them; `mountMap` must run once
 * the returned element is in the document.
 */
export function renderMap(model, selection, onSelect, rerender) {
  handlers = { onSelect, rerender };
  if (!container) {
    container = h("div", { class: "map-canvas", role: "img" });
    holder = h("div", { class: "map-holder" }, container);
  }
  container.setAttribute("aria-label", `Map of ${model.segment.name}: ${model.entities.length} things and ${model.propositions.length} statements. The same statements are listed in the heatmap.`);
  return h("div", { class: "map-frame" }, toolbar(selection), holder, mapList(model, onSelect));
}

/** The same boxes as a list: for the keyboard and for screen readers. */
function mapList(model, onSelect) {
  const segmentId = model.segment.id;
  const own = new Map();
  for (const p of model.propositions) if (p.subject_id === segmentId && OWN.has(p.relation)) own.set(p.object_id, p);
  const groups = [...MIDDLE, ...RIGHT].map((kind) => [kind, model.entities.filter((e) => e.kind === kind).sort((a, b) => a.name.localeCompare(b.name))]).filter(([, list]) => list.length);
  return h(
    "details",
    { class: "map-list" },
    h("summary", null, "Everything on the map, as a list"),
    groups.map(([kind, list]) =>
      h(
        "div",
        { class: "map-list-group" },
        h("h3", null, GROUP_TITLE[kind]),
        h(
          "ul",
          null,
          list.map((e) => {
            const prop = own.get(e.id);
            const info = prop ? STATUS[prop.evidence.status] : null;
            return h(
              "li",
              null,
              h(
                "button",
                { type: "button", class: "link-button", dataset: { node: e.id }, onclick: () => onSelect(prop ? { kind: "proposition", id: prop.id, node: e.id, resolved: true, reveal: true } : { kind: "entity", id: e.id, node: e.id, resolved: true, reveal: true }) },
                info ? `${info.glyph} ` : "",
                e.name,
              ),
              info ? h("span", { class: "muted" }, ` (${info.label.toLowerCase()})`) : null,
            );
          }),
        ),
      ),
    ),
  );
}

export function mountMap(model, selection, options, stamp) {
  if (!container || !container.isConnected) return;
  // A new segment or screen shape draws afresh; a change to the same model (someone added
  // evidence) redraws in place and leaves the view where the room put it.
  const wantedKey = `${model.segment.id}|${options.large}|${options.narrow}`;
  if (!cy || cy.destroyed() || builtKey !== wantedKey) {
    builtKey = wantedKey;
    builtStamp = stamp;
    build(model, options);
    if (focusMode) focusOn(focusMode);
  } else if (builtStamp !== stamp) {
    builtStamp = stamp;
    const { nodes, edges, sizes: z } = elementsFor(model, options);
    const view = { zoom: cy.zoom(), pan: { ...cy.pan() } };
    cy.batch(() => {
      cy.elements().remove();
      cy.add([...nodes, ...edges]);
      cy.style(styles(z));
    });
    cy.viewport(view);
    cy.resize();
    if (focusMode) {
      const node = cy.getElementById(focusMode);
      if (node.empty()) focusMode = null;
      else cy.elements().not(node.closedNeighborhood()).addClass("hidden");
    }
  } else {
    cy.resize();
  }
  if (searchText) searchMatches(searchText); // a redraw made the boxes afresh
  applySelection(selection);
}

export function forgetMap() {
  if (cy) cy.destroy();
  cy = null;
  builtKey = null;
  focusMode = null;
  searchText = "";
  window.workshopMap = null;
}

export function legend() {
  const item = (cls, glyph, label, hint) =>
    h("li", { class: ["legend-item", cls], title: hint }, h("span", { class: "legend-swatch", "aria-hidden": "true" }, glyph), label);
  return h(
    "ul",
    { class: "legend", "aria-label": "Legend" },
    item(STATUS.VALIDATED.cls, STATUS.VALIDATED.glyph, "Validated", STATUS.VALIDATED.hint),
    item(STATUS.CONTESTED.cls, STATUS.CONTESTED.glyph, "Contested", STATUS.CONTESTED.hint),
    item(STATUS.REFUTED.cls, STATUS.REFUTED.glyph, "Refuted", STATUS.REFUTED.hint),
    item(STATUS.UNKNOWN.cls, STATUS.UNKNOWN.glyph, "Unknown", STATUS.UNKNOWN.hint),
    h(
      "li",
      { class: "legend-item legend-disagree", title: "spread of the functions' beliefs ≥ 0.4" },
      h("span", { class: "legend-line", "aria-hidden": "true" }),
      "Thick line, purple halo: the functions disagree",
    ),
    h(
      "li",
      { class: "legend-item st-none", title: "Features and claims have no verdict of their own here: the lines leaving them carry the evidence about what they do." },
      h("span", { class: "legend-swatch", "aria-hidden": "true" }, "·"),
      "Feature or claim (its lines carry the evidence)",
    ),
  );
}
