// The divergence views (docs/design.md §2): each a table or chart a room can read, read
// through GraphQL for the segment on screen. Belief gaps that oppose the evidence come first:
// they are the ones that make teams build and promise different things.

import { h, s, STATUS, capitalise, fmtP, fmtSigned, statusBadge } from "./dom.js";
import { gql } from "./gql.js";
import { RELATION_WORDS } from "./graph.js";

const GAP_FIELDS = "proposition { id } text function p confidence gap significant opposesEvidence";
const RELATIONS = [
  ["PURSUES", "Goals they pursue"],
  ["EXPERIENCES", "Pains they experience"],
  ["USES", "What they use instead"],
];
const STRUCTURAL = {
  UNRELIEVED_PAIN: "A validated pain nothing relieves",
  UNBACKED_PROMISE: "A claim no feature backs",
  UNSUPPORTED_PROMISE: "A claim the evidence does not bear out",
  FEATURE_WITHOUT_VALIDATED_VALUE: "A feature that relieves nothing validated",
  UNBEATEN_ALTERNATIVE: "An alternative nothing of ours beats",
};
export const SECTIONS = [
  ["gaps", "Belief gaps"],
  ["disagreements", "Disagreements"],
  ["blind", "Blind spots"],
  ["debt", "Assumption debt"],
  ["priorities", "Priority alignment"],
  ["structural", "Structural gaps"],
  ["duplicates", "Duplicates"],
];

/** Everything the views need: one small query per view, sent together (each stays well under
 * the API's cost budget). */
export async function loadDivergences(segmentId, functions) {
  const seg = { seg: segmentId };
  const blindParams = functions.map((f, i) => `, $f${i}: String!`).join("");
  const blindFields = functions.map((f, i) => `b${i}: blindSpots(function: $f${i}, segmentId: $seg, first: 8) { proposition { id } text function status }`).join("\n");
  const blindVars = { ...seg };
  functions.forEach((f, i) => (blindVars[`f${i}`] = f));
  const priority = (relation) => gql(`query P($seg: ID!) { p: priorityAlignment(segmentId: $seg, relation: ${relation}) { withEvidence { a b tau items } } }`, seg);
  const [gaps, disagreements, blind, debt, structural, duplicates, ...priorities] = await Promise.all([
    gql(`query G($seg: ID!) { gaps: divergences(segmentId: $seg, first: 40) { nodes { ${GAP_FIELDS} } } }`, seg),
    gql("query D($seg: ID!) { disagreements(segmentId: $seg, first: 25) { proposition { id } text spread contested highest { function p } lowest { function p } beliefs { function p } } }", seg),
    functions.length ? gql(`query B($seg: ID!${blindParams}) { ${blindFields} }`, blindVars) : Promise.resolve({}),
    gql("query A($seg: ID!) { debt: assumptionDebt(segmentId: $seg, first: 25) { proposition { id } text function p magnitude weight } }", seg),
    gql("query S($seg: ID!) { structural: structuralGaps(segmentId: $seg) { kind owners entity { id name kind } explanation } }", seg),
    gql("query U { duplicates(first: 12) { kind similarity acrossFunctions a { entity { id name kind } description createdByFunction } b { entity { id name kind } description createdByFunction } } }"),
    ...RELATIONS.map(([relation]) => priority(relation)),
  ]);
  return {
    gaps: gaps.gaps.nodes,
    disagreements: disagreements.disagreements,
    blind: functions.flatMap((f, i) => blind[`b${i}`] || []),
    debt: debt.debt,
    priorities: RELATIONS.map(([relation, title], i) => ({ relation, title, ...priorities[i].p })),
    structural: structural.structural,
    duplicates: duplicates.duplicates,
  };
}

/** A gap opposes the evidence when belief and evidence lie on opposite sides of 0.5: the API
 * says so (opposesEvidence); the page's own reckoning is only the fallback. */
export function opposes(gap) {
  if (typeof gap.opposesEvidence === "boolean") return gap.opposesEvidence;
  return (gap.p - 0.5) * (gap.confidence - 0.5) < 0;
}

function tableBox(...children) {
  return h("div", { class: "table-scroll" }, h("table", { class: "div-table" }, ...children));
}

function head(...names) {
  return h("thead", null, h("tr", null, names.map((n) => h("th", { scope: "col" }, n))));
}

/** A 0–1 axis with a belief dot and the evidence's diamond: the gap at a glance. */
function gapChart(p, confidence) {
  const w = 150;
  const x = (v) => 6 + v * (w - 12);
  return s(
    "svg",
    { class: "gap-chart", viewBox: `0 0 ${w} 20`, width: w, height: 20, role: "img", "aria-label": `belief ${fmtP(p)}, evidence ${fmtP(confidence)}` },
    s("line", { x1: x(0), y1: 10, x2: x(1), y2: 10, class: "axis" }),
    s("line", { x1: x(0.5), y1: 4, x2: x(0.5), y2: 16, class: "mid" }),
    s("line", { x1: x(Math.min(p, confidence)), y1: 10, x2: x(Math.max(p, confidence)), y2: 10, class: "span" }),
    s("path", { d: `M${x(confidence)},3 L${x(confidence) + 6},10 L${x(confidence)},17 L${x(confidence) - 6},10 Z`, class: "evidence-mark" }),
    s("circle", { cx: x(p), cy: 10, r: 5, class: "dot" }),
  );
}

function spreadChart(beliefs) {
  const w = 150;
  const x = (v) => 6 + v * (w - 12);
  return s(
    "svg",
    { class: "gap-chart", viewBox: `0 0 ${w} 20`, width: w, height: 20, role: "img", "aria-label": beliefs.map((b) => `${b.function} ${fmtP(b.p)}`).join(", ") },
    s("line", { x1: x(0), y1: 10, x2: x(1), y2: 10, class: "axis" }),
    s("line", { x1: x(0.5), y1: 4, x2: x(0.5), y2: 16, class: "mid" }),
    beliefs.map((b) => s("circle", { cx: x(b.p), cy: 10, r: 4.5, class: "dot" }, s("title", null, `${capitalise(b.function)} ${fmtP(b.p)}`))),
  );
}

function tauBar(tau) {
  if (tau === null || tau === undefined) return h("span", { class: "muted" }, "too few items to rank");
  const w = 120;
  const mid = w / 2;
  const end = mid + tau * (mid - 4);
  return h(
    "span",
    { class: "tau" },
    s("svg", { class: "tau-bar", viewBox: `0 0 ${w} 14`, width: w, height: 14, "aria-hidden": "true" }, s("line", { x1: 4, y1: 7, x2: w - 4, y2: 7, class: "axis" }), s("line", { x1: mid, y1: 1, x2: mid, y2: 13, class: "mid" }), s("rect", { x: Math.min(mid, end), y: 3, width: Math.max(1.5, Math.abs(end - mid)), height: 8, class: tau >= 0 ? "agree" : "disagree" })),
    ` ${fmtSigned(tau)} `,
    h("span", { class: "muted" }, tau >= 0.5 ? "same order" : tau <= -0.5 ? "opposite order" : "little in common"),
  );
}

function section(id, title, intro, body) {
  return h("section", { class: "div-section", id: `div-${id}`, dataset: { section: id } }, h("h2", null, title), intro ? h("p", { class: "muted section-intro" }, intro) : null, body);
}

function empty(text) {
  return h("p", { class: "empty-hint" }, text);
}

/** The statement as the page writes it ("… experience …"), never the API's relation name. */
export function plain(text) {
  return String(text).replace(/\b(PURSUES|EXPERIENCES|USES|HINDERS|RELIEVES|ENABLES|PROMISES|BACKED_BY|TARGETS|BEATS)\b/g, (word) => RELATION_WORDS[word] || word.toLowerCase());
}

export function renderDivergences(data, ctx) {
  const { me, onlyOpposing, toggleOpposing, merge, statements } = ctx;
  const jump = (target, text) => ctx.jump(target, typeof target === "string" && statements.has(target) ? statements.get(target) : plain(text));
  const gaps = [...data.gaps].sort((a, b) => Number(opposes(b)) - Number(opposes(a)));
  const shownGaps = onlyOpposing ? gaps.filter(opposes) : gaps;
  const opposingCount = gaps.filter(opposes).length;
  const nav = h("nav", { class: "div-nav", "aria-label": "Divergence views" }, SECTIONS.map(([id, label]) => h("a", { href: `#div-${id}`, onclick: (event) => { event.preventDefault(); const el = document.getElementById(`div-${id}`); if (el) el.scrollIntoView({ block: "start" }); } }, label)));

  const gapsBody = gaps.length
    ? h(
        "div",
        null,
        h("label", { class: "filter" }, h("input", { type: "checkbox", checked: onlyOpposing, onchange: toggleOpposing, class: "only-opposing" }), ` Only those that oppose the evidence (${opposingCount})`),
        tableBox(
          head("Statement", "Function", "Believes", "Evidence", "Gap", "Kind"),
          h(
            "tbody",
            null,
            shownGaps.map((g) =>
              h(
                "tr",
                { class: opposes(g) ? "opposing" : "calibration", dataset: { proposition: g.proposition.id, function: g.function } },
                h("td", { class: "statement" }, jump(g.proposition.id, g.text)),
                h("td", null, capitalise(g.function)),
                h("td", { class: "num" }, fmtP(g.p)),
                h("td", { class: "num" }, fmtP(g.confidence)),
                h("td", { class: "num" }, gapChart(g.p, g.confidence), " ", h("span", { class: g.gap > 0 ? "over" : "under" }, `${g.gap > 0 ? "▲" : "▼"} ${fmtSigned(g.gap)}`)),
                h("td", null, opposes(g) ? h("strong", { class: "opposes-tag" }, "Opposes the evidence") : "Right direction, wrong strength"),
              ),
            ),
          ),
        ),
      )
    : empty("No function's belief is far from the evidence, or there is too little evidence to compare yet.");

  const disagreementsBody = data.disagreements.length
    ? tableBox(
        head("Statement", "Lowest", "Highest", "Spread", "Every function"),
        h(
          "tbody",
          null,
          data.disagreements.map((d) =>
            h(
              "tr",
              { class: d.contested ? "contested" : null, dataset: { proposition: d.proposition.id } },
              h("td", { class: "statement" }, jump(d.proposition.id, d.text)),
              h("td", null, `${capitalise(d.lowest.function)} ${fmtP(d.lowest.p)}`),
              h("td", null, `${capitalise(d.highest.function)} ${fmtP(d.highest.p)}`),
              h("td", { class: "num" }, fmtP(d.spread), d.contested ? h("span", { class: "disagree-tag" }, " wide") : null),
              h("td", null, spreadChart(d.beliefs)),
            ),
          ),
        ),
      )
    : empty("Fewer than two functions hold a belief on any statement here, so there is nothing to compare.");

  const blindBody = data.blind.length
    ? tableBox(
        head("Function", "Holds no belief on", "The evidence says"),
        h(
          "tbody",
          null,
          data.blind.map((b) => h("tr", { dataset: { proposition: b.proposition.id, function: b.function } }, h("td", null, capitalise(b.function)), h("td", { class: "statement" }, jump(b.proposition.id, b.text)), h("td", null, statusBadge(b.status)))),
        ),
      )
    : empty("Every function holds a belief on every statement the evidence has settled.");

  const debtBody = data.debt.length
    ? tableBox(
        head("Function", "Strongly believes", "Belief", "Matters", "Weight"),
        h(
          "tbody",
          null,
          data.debt.map((d) => h("tr", { dataset: { proposition: d.proposition.id, function: d.function } }, h("td", null, capitalise(d.function)), h("td", { class: "statement" }, jump(d.proposition.id, d.text)), h("td", { class: "num" }, fmtP(d.p)), h("td", { class: "num" }, d.magnitude === null ? "—" : String(d.magnitude)), h("td", { class: "num" }, fmtP(d.weight)))),
        ),
      )
    : empty("No strong belief rests on thin evidence: nothing to test first.");

  const priorityBody = h(
    "div",
    { class: "priority-grid" },
    data.priorities.map((pa) =>
      h(
        "div",
        { class: "priority-card", dataset: { relation: pa.relation } },
        h("h3", null, pa.title),
        pa.withEvidence && pa.withEvidence.length
          ? tableBox(
              head("Function", "Ranks them like the evidence?"),
              h("tbody", null, pa.withEvidence.map((r) => h("tr", null, h("td", null, capitalise(r.a === "evidence" ? r.b : r.a)), h("td", null, tauBar(r.tau), h("span", { class: "muted" }, ` over ${r.items} item${r.items === 1 ? "" : "s"}`))))),
            )
          : empty("No function ranks these yet."),
      ),
    ),
  );

  const structuralBody = data.structural.length
    ? tableBox(
        head("What", "Which", "Why", "Fix owned by"),
        h(
          "tbody",
          null,
          data.structural.map((g) => h("tr", { dataset: { entity: g.entity.id } }, h("td", null, STRUCTURAL[g.kind] || capitalise(g.kind.toLowerCase().replace(/_/g, " "))), h("td", { class: "statement" }, jump({ kind: "entity", id: g.entity.id, node: g.entity.id }, g.entity.name)), h("td", null, g.explanation), h("td", null, g.owners.map(capitalise).join(", ")))),
        ),
      )
    : empty("No structural gaps: every validated pain is relieved, every claim backed.");

  const duplicatesBody = data.duplicates.length
    ? h(
        "ul",
        { class: "duplicate-list" },
        data.duplicates.map((d, i) =>
          h(
            "li",
            { class: "duplicate", dataset: { pair: `${d.a.entity.id}|${d.b.entity.id}` } },
            h("div", { class: "pair" }, [d.a, d.b].map((side) => h("div", { class: "pair-side" }, h("p", { class: "eyebrow" }, `${capitalise(side.entity.kind.toLowerCase())}${side.createdByFunction ? ` · made by ${capitalise(side.createdByFunction)}` : ""}`), h("strong", null, side.entity.name), side.description ? h("p", { class: "muted" }, side.description) : null))),
            h("p", { class: "muted" }, `${Math.round(d.similarity * 100)}% alike${d.acrossFunctions ? ", made by different functions" : ""}.`),
            me.can_facilitate ? merge(d, i) : null,
          ),
        ),
      )
    : empty("No two things look like the same thing under different names.");

  return h(
    "div",
    { class: "divergences-view" },
    nav,
    section("gaps", "Belief gaps: where a function and the evidence part ways", "Each function's belief against the evidence's confidence that the statement holds (● belief, ◆ evidence). Those that oppose the evidence come first.", gapsBody),
    section("disagreements", "Where the functions disagree with each other", "The spread between the lowest and the highest belief; “wide” from 0.40.", disagreementsBody),
    section("blind", "Blind spots", "Statements the evidence has settled that a function holds no belief about.", blindBody),
    section("debt", "Assumption debt: strong beliefs on thin evidence", "The assumptions to test first, heaviest first.", debtBody),
    section("priorities", "Priority alignment", "Does each function rank this segment's goals, pains and alternatives in the order the evidence does? +1 the same order, −1 the opposite.", priorityBody),
    section("structural", "Structural gaps in the model", null, structuralBody),
    section("duplicates", "Duplicates across teams", "Two names that look like the same thing. A facilitator can merge them: the statements move to the one kept.", duplicatesBody),
  );
}

export { STATUS };
