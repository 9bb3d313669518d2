// The segment's model as a layered map: the segment on the left; its goals, pains and
// alternatives in the middle; the features and claims that act on them on the right.
// Nodes and lines take their look from the evidence's verdict (colour + pattern + glyph),
// and lines grow thicker, with a purple halo, the more the functions disagree.

import { s, h, STATUS, capitalise, fmtP } from "./dom.js";

const NODE_W = 250;
const SEG_W = 170;
let NODE_H = 42;
let WRAP = 29;
const GAP = 8;
const GROUP_GAP = 34;
const X_SEG = 16;
const X_MID = X_SEG + SEG_W + 130;
const X_RIGHT = X_MID + NODE_W + 230;
const WIDTH = X_RIGHT + NODE_W + 70;
const TOP = 30;

const MIDDLE = ["GOAL", "PAIN", "ALTERNATIVE"];
const RIGHT = ["FEATURE", "CLAIM"];
const GROUP_TITLE = {
  GOAL: "Goals they pursue",
  PAIN: "Pains they experience",
  ALTERNATIVE: "What they use instead",
  FEATURE: "Our features",
  CLAIM: "Our messaging claims",
};
const SEGMENT_RELATION = { GOAL: "PURSUES", PAIN: "EXPERIENCES", ALTERNATIVE: "USES" };
// Drawn as lines; TARGETS (claim → this segment) is what puts a claim on this map at all.
const DRAWN = new Set(["PURSUES", "EXPERIENCES", "USES", "HINDERS", "RELIEVES", "ENABLES", "PROMISES", "BEATS", "BACKED_BY"]);

function wrap(text, max, maxLines = 2) {
  const words = String(text).split(/\s+/);
  const lines = [];
  let line = "";
  for (const word of words) {
    const next = line ? `${line} ${word}` : word;
    if (next.length <= max) line = next;
    else {
      if (line) lines.push(line);
      line = word.length > max ? word.slice(0, max - 1) + "…" : word;
    }
    if (lines.length === maxLines) break;
  }
  if (lines.length < maxLines && line) lines.push(line);
  const last = lines.length - 1;
  if (lines.length === maxLines && words.join(" ").length > lines.join(" ").length) {
    lines[last] = lines[last].length > max - 1 ? lines[last].slice(0, max - 1) + "…" : lines[last] + "…";
  }
  return lines.slice(0, maxLines);
}

function statusOf(prop) {
  return prop ? prop.evidence.status : null;
}

function edgeWidth(prop) {
  return 1.6 + 6 * (prop.spread || 0);
}

export function layout(model) {
  const segmentId = model.segment.id;
  const byId = new Map(model.entities.map((e) => [e.id, e]));
  const own = new Map(); // entity id → the segment's own proposition about it
  for (const p of model.propositions) {
    if (p.subject_id === segmentId && ["PURSUES", "EXPERIENCES", "USES"].includes(p.relation)) own.set(p.object_id, p);
  }
  const positions = new Map();
  const groups = [];
  // One column: each kind under its heading, its entities in the given order; returns the bottom.
  const stack = (kinds, x, column, order) => {
    let y = TOP;
    for (const kind of kinds) {
      const members = model.entities.filter((e) => e.kind === kind).sort(order);
      if (!members.length) continue;
      groups.push({ kind, x, y });
      y += 22;
      for (const e of members) {
        positions.set(e.id, { x, y, w: NODE_W, column });
        y += NODE_H + GAP;
      }
      y += GROUP_GAP - GAP;
    }
    return y;
  };
  const middleBottom = stack(MIDDLE, X_MID, "mid", (a, b) => a.name.localeCompare(b.name));
  // Right column: ordered by the mean height of what each node points at (fewer crossings).
  const targetsOf = new Map();
  for (const p of model.propositions) {
    if (!DRAWN.has(p.relation)) continue;
    const to = positions.get(p.object_id);
    if (!to) continue;
    if (!targetsOf.has(p.subject_id)) targetsOf.set(p.subject_id, []);
    targetsOf.get(p.subject_id).push(to.y);
  }
  const centre = (id) => {
    const ys = targetsOf.get(id) || [];
    return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : 1e9;
  };
  const rightBottom = stack(RIGHT, X_RIGHT, "right", (a, b) => centre(a.id) - centre(b.id) || a.name.localeCompare(b.name));
  const height = Math.max(middleBottom, rightBottom, TOP + NODE_H + 40) + 10;
  // The segment is a tall bar beside its goals, pains and alternatives: each of its own
  // statements is a straight line across to the node it is about.
  const barTop = TOP + 22;
  positions.set(segmentId, { x: X_SEG, y: barTop, w: SEG_W, h: Math.max(NODE_H * 2, middleBottom - GROUP_GAP - barTop), column: "seg" });
  return { positions, groups, own, byId, height, width: WIDTH };
}

function edgePath(a, b) {
  if (a.column === "seg") {
    const y = b.y + (b.h || NODE_H) / 2;
    return `M${a.x + a.w},${y} L${b.x},${y}`;
  }
  const ah = a.h || NODE_H;
  const bh = b.h || NODE_H;
  const ay = a.y + ah / 2;
  const by = b.y + bh / 2;
  if (a.column === b.column) {
    // An arc outside the column: left of the middle column, right of the right column.
    const side = a.column === "right" ? a.x + a.w : a.x;
    const bulge = (a.column === "right" ? 1 : -1) * (26 + Math.min(90, Math.abs(by - ay) * 0.18));
    return `M${side},${ay} C${side + bulge},${ay} ${side + bulge},${by} ${side},${by}`;
  }
  const left = a.x < b.x ? a : b;
  const right = a.x < b.x ? b : a;
  const ly = left === a ? ay : by;
  const ry = right === a ? ay : by;
  const x1 = left.x + left.w;
  const x2 = right.x;
  const dx = (x2 - x1) * 0.5;
  return `M${x1},${ly} C${x1 + dx},${ly} ${x2 - dx},${ry} ${x2},${ry}`;
}

function defs() {
  return s(
    "defs",
    null,
    s(
      "pattern",
      { id: "hatch-refuted", width: 7, height: 7, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
      s("rect", { width: 7, height: 7, class: "hatch-bg" }),
      s("line", { x1: 0, y1: 0, x2: 0, y2: 7, class: "hatch-line" }),
    ),
    s(
      "pattern",
      { id: "dots-contested", width: 8, height: 8, patternUnits: "userSpaceOnUse" },
      s("rect", { width: 8, height: 8, class: "dots-bg" }),
      s("circle", { cx: 4, cy: 4, r: 1.4, class: "dots-dot" }),
    ),
  );
}

/**
 * Render the map. `selection` is {kind: "proposition"|"entity", id}; `onSelect` receives one.
 */
export function renderGraph(model, selection, onSelect, options = {}) {
  // Projector mode: taller nodes, fewer characters a line, larger type (set in the CSS).
  NODE_H = options.large ? 52 : 40;
  WRAP = options.large ? 23 : 29;
  const { positions, groups, own, byId, height, width } = layout(model);
  const selectedProp = selection && selection.kind === "proposition" ? selection.id : null;
  const selectedEntity = selection && selection.kind === "entity" ? selection.id : null;
  const svg = s("svg", {
    class: ["model-map", selection ? "has-selection" : null],
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "group",
    "aria-label": `Map of ${model.segment.name}: ${model.entities.length} entities and ${model.propositions.length} statements`,
  });
  svg.append(defs());

  for (const g of groups) {
    svg.append(s("text", { x: g.x, y: g.y + 13, class: "group-title" }, GROUP_TITLE[g.kind]));
  }

  const edges = s("g", { class: "edges" });
  const touched = new Set();
  if (selectedProp) {
    const p = model.propositions.find((q) => q.id === selectedProp);
    if (p) touched.add(p.subject_id).add(p.object_id);
  }
  for (const p of model.propositions) {
    if (!DRAWN.has(p.relation)) continue;
    const a = positions.get(p.subject_id);
    const b = positions.get(p.object_id);
    if (!a || !b) continue;
    const d = edgePath(a, b);
    const info = STATUS[p.evidence.status] || STATUS.UNKNOWN;
    const incident = selectedEntity && (p.subject_id === selectedEntity || p.object_id === selectedEntity);
    const group = s("g", {
      class: ["edge", info.cls, p.contested_among_functions ? "disagree" : null, p.id === selectedProp || incident ? "selected" : null],
      dataset: { proposition: p.id },
      onclick: () => onSelect({ kind: "proposition", id: p.id }),
    });
    const spreadText = p.spread === null ? "fewer than two functions hold a belief" : `functions' spread ${fmtP(p.spread)}`;
    group.append(
      s("title", null, `${p.statement}\nEvidence: ${info.label}, confidence ${fmtP(p.evidence.confidence)}; ${spreadText}`),
    );
    if (p.contested_among_functions) group.append(s("path", { d, class: "halo", "stroke-width": edgeWidth(p) + 8 }));
    group.append(s("path", { d, class: "line", "stroke-width": edgeWidth(p) }));
    group.append(s("path", { d, class: "hit" }));
    edges.append(group);
  }
  svg.append(edges);

  const nodes = s("g", { class: "nodes" });
  for (const [id, pos] of positions) {
    const entity = byId.get(id);
    if (!entity) continue;
    const prop = own.get(id) || null;
    const status = entity.kind === "SEGMENT" ? "SEGMENT" : statusOf(prop);
    const info = STATUS[status];
    const height = pos.h || NODE_H;
    const selected = selectedEntity === id || (selectedProp && prop && prop.id === selectedProp) || touched.has(id);
    const label = entity.name;
    const sub = [];
    if (entity.kind === "FEATURE" || entity.kind === "CLAIM") sub.push(entity.status);
    if (entity.kind === "ALTERNATIVE" && entity.alt_kind) sub.push(entity.alt_kind.replace("_", " "));
    const target = prop ? { kind: "proposition", id: prop.id } : { kind: "entity", id };
    const aria = prop
      ? `${prop.statement}. Evidence: ${info ? info.label : "none"}.`
      : `${capitalise(entity.kind.toLowerCase())}: ${entity.name}`;
    const node = s("g", {
      class: ["node", `kind-${entity.kind.toLowerCase()}`, entity.kind === "SEGMENT" ? null : info ? info.cls : "st-none", prop && prop.contested_among_functions ? "disagree" : null, selected ? "selected" : null],
      transform: `translate(${pos.x},${pos.y})`,
      tabindex: 0,
      role: "button",
      "aria-label": aria,
      dataset: { entity: id },
      onclick: () => onSelect(target),
      onkeydown: (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          onSelect(target);
        }
      },
    });
    node.append(s("title", null, prop ? `${prop.statement}\nEvidence: ${info.label}, confidence ${fmtP(prop.evidence.confidence)}` : entity.name));
    if (prop && prop.contested_among_functions) {
      node.append(s("rect", { class: "node-halo", x: -5, y: -5, width: pos.w + 10, height: height + 10, rx: 11 }));
    }
    node.append(s("rect", { class: "node-box", width: pos.w, height, rx: 7 }));
    if (entity.kind === "SEGMENT") {
      const lines = wrap(label, options.large ? 14 : 17, 5);
      lines.forEach((line, i) => node.append(s("text", { x: 12, y: 26 + i * (options.large ? 21 : 18), class: "node-label seg-label" }, line)));
      node.append(s("text", { x: 12, y: 26 + lines.length * (options.large ? 21 : 18) + 4, class: "node-tag seg-tag" }, "the customer segment"));
    } else {
      const glyph = info ? info.glyph : "·";
      node.append(s("circle", { cx: 17, cy: height / 2, r: 11, class: "glyph-disc" }));
      node.append(s("text", { x: 17, y: height / 2 + 5, class: "glyph-text", "text-anchor": "middle", "aria-hidden": "true" }, glyph));
      const lines = wrap(label, sub.length ? WRAP - 2 : WRAP);
      const tag = sub.length ? sub.join(" · ") : null;
      // A tag goes under a one-line label; beside a two-line one it sits in the top corner.
      const tagBelow = tag && lines.length < 2;
      const totalLines = lines.length + (tagBelow ? 1 : 0);
      const step = options.large ? 18 : 14;
      const first = height / 2 - ((totalLines - 1) * step) / 2 + 4;
      lines.forEach((line, i) => node.append(s("text", { x: 34, y: first + i * step, class: "node-label" }, line)));
      if (tagBelow) node.append(s("text", { x: 34, y: first + lines.length * step, class: "node-tag" }, tag));
      else if (tag) node.append(s("text", { x: pos.w - 7, y: height - 5, class: "node-tag corner", "text-anchor": "end" }, tag));
    }
    nodes.append(node);
  }
  svg.append(nodes);
  return svg;
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
