// Function × proposition: each function's current p, coloured by its gap to the evidence
// (orange ▲ = more sure than the evidence, purple ▼ = less sure; hatched = too little
// evidence to compare). Colour never carries the meaning alone: the arrow and the number do.

import { h, STATUS, fmtP, fmtSigned, capitalise } from "./dom.js";

export const GROUPS = {
  PURSUES: "Goals they pursue",
  EXPERIENCES: "Pains they experience",
  USES: "What they use instead",
  HINDERS: "Pains that get in the way of goals",
  RELIEVES: "What relieves the pains",
  ENABLES: "What helps reach the goals",
  BEATS: "What beats the alternatives",
  PROMISES: "What our claims promise",
  TARGETS: "Claims aimed at this segment",
  BACKED_BY: "What backs our claims",
};

export function gapClass(gap) {
  if (gap === null || gap === undefined) return "nocmp";
  if (gap >= 0.5) return "over3";
  if (gap >= 0.25) return "over2";
  if (gap >= 0.1) return "over1";
  if (gap > -0.1) return "even";
  if (gap > -0.25) return "under1";
  if (gap > -0.5) return "under2";
  return "under3";
}

/** A short label: drop the segment's own name ("… pursue") where the group says it. */
export function shortStatement(prop, segmentId, entities) {
  if (prop.subject_id === segmentId) {
    const object = entities.get(prop.object_id);
    return object ? object.name : prop.statement;
  }
  return prop.statement;
}

export function renderHeatmap(model, selectedId, onSelect) {
  const heat = model.heatmap;
  const entities = new Map(model.entities.map((e) => [e.id, e]));
  const props = new Map(model.propositions.map((p) => [p.id, p]));
  const functions = heat.functions;
  const table = h("table", { class: "heatmap", "aria-label": "Each function's belief against the evidence" });
  table.append(
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        h("th", { scope: "col", class: "col-statement" }, "Statement"),
        h("th", { scope: "col", class: "col-evidence", title: "The evidence's confidence that it holds, P(θ > 0.5)" }, "Evidence"),
        functions.map((f) => h("th", { scope: "col", class: "col-function" }, capitalise(f))),
      ),
    ),
  );
  const body = h("tbody");
  let group = null;
  for (const row of heat.rows) {
    if (row.relation !== group) {
      group = row.relation;
      body.append(h("tr", { class: "group-row" }, h("th", { colspan: functions.length + 2, scope: "rowgroup" }, GROUPS[group] || group)));
    }
    const prop = props.get(row.proposition_id);
    const info = STATUS[row.status] || STATUS.UNKNOWN;
    const select = () => onSelect({ kind: "proposition", id: row.proposition_id });
    const tr = h("tr", {
      class: ["prop-row", row.proposition_id === selectedId ? "selected" : null],
      dataset: { proposition: row.proposition_id },
    });
    tr.append(
      h(
        "th",
        { scope: "row", class: "col-statement" },
        h(
          "button",
          { class: "link-button", onclick: select, title: row.statement },
          prop ? shortStatement(prop, model.segment.id, entities) : row.statement,
        ),
      ),
    );
    tr.append(
      h(
        "td",
        {
          class: ["col-evidence", info.cls],
          title: `${info.label}: ${info.hint}. Evidence mass S+C = ${fmtP(row.mass)}`,
        },
        h("span", { class: "glyph", "aria-hidden": "true" }, info.glyph),
        " ",
        // No evidence at all: no figure (0.50 would read as a verdict of "cannot tell").
        row.mass > 0 ? fmtP(row.confidence) : "none",
      ),
    );
    for (const f of functions) {
      const cell = row.cells[f];
      if (!cell) {
        tr.append(h("td", { class: "cell empty", dataset: { cell: `${f}|${row.proposition_id}` }, title: `${capitalise(f)} holds no belief` }, h("span", { class: "sr-only" }, "no belief")));
        continue;
      }
      const arrow = cell.significant ? (cell.gap > 0 ? "▲" : "▼") : "";
      const title =
        cell.gap === null
          ? `${capitalise(f)}: p ${fmtP(cell.p)}; too little evidence to compare (S+C < ${heat.min_evidence_mass})`
          : `${capitalise(f)}: p ${fmtP(cell.p)}, gap to the evidence ${fmtSigned(cell.gap)}${cell.significant ? " (significant)" : ""}`;
      tr.append(
        h(
          "td",
          {
            class: ["cell", gapClass(cell.gap), cell.significant ? "sig" : null, cell.from_vote ? "voted" : null],
            dataset: { cell: `${f}|${row.proposition_id}` },
            title: title + (cell.from_vote ? "; set by a blind vote" : ""),
            onclick: select,
          },
          h("span", { class: "cell-value" }, fmtP(cell.p)),
          arrow ? h("span", { class: "cell-arrow", "aria-label": cell.gap > 0 ? "more sure than the evidence" : "less sure than the evidence" }, arrow) : null,
          cell.from_vote ? h("span", { class: "cell-vote", "aria-label": "from a blind vote" }, "◆") : null,
        ),
      );
    }
    body.append(tr);
  }
  table.append(body);
  return table;
}

export function heatmapLegend(heat) {
  const chip = (cls, text) => h("span", { class: ["chip", "cell", cls] }, text);
  return h(
    "div",
    { class: "heat-legend" },
    h("span", null, "Each cell is the function's belief p (0–1). Colour = gap to the evidence:"),
    chip("over3", "▲ much more sure"),
    chip("over1", "more sure"),
    chip("even", "in line"),
    chip("under1", "less sure"),
    chip("under3", "▼ much less sure"),
    chip("nocmp", "too little evidence"),
    h("span", null, `▲▼ = gap ≥ ${heat.significant_gap}; ◆ = set by a blind vote.`),
  );
}
