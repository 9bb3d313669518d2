// What the room learns over time (docs/design.md §2b): whose picture has been right
// (calibration), which evidence to collect next, and the decisions the evidence has moved under.
// Read through GraphQL like every other view; plain words, no API names.

import { h, s, capitalise, fmtDate, fmtP, statusBadge } from "./dom.js";
import { gql } from "./gql.js";
import { plain } from "./divergences.js";

export const LEARNING_SECTIONS = [
  ["decisions", "Decisions"],
  ["calibration", "Whose picture has been right"],
  ["next", "Evidence to collect next"],
];

const CALIBRATION = `query C { calibration { function forecasts brierScore brierSkillScore outcomesValidated
  bins { low high count meanForecast observedFrequency } byQuarter { quarter forecasts brierScore } } }`;
const NEXT = `query N($seg: ID!) { next: evidenceToCollect(segmentId: $seg, first: 12) {
  proposition { id status confidence } text valueOfInformation itemsToValidate itemsToRefute score } }`;
const DECISIONS = `query D { decisions(first: 50) { nodes { id title rationale decidedAt function atRisk
  basis { statusThen statusNow confidenceThen confidenceNow reasons movedByCount retired
    proposition { id text } movedBy { id summary sourceType observedAt } } } } }`;

/** The three views' data, read together. Calibration spans every segment: one segment holds
 * too few settled statements to judge a team by. */
export async function loadLearning(segmentId) {
  const [calibration, next, decisions] = await Promise.all([gql(CALIBRATION), gql(NEXT, { seg: segmentId }), gql(DECISIONS)]);
  const nodes = [...decisions.decisions.nodes].sort((a, b) => Number(b.atRisk) - Number(a.atRisk));
  return { calibration: calibration.calibration, next: next.next, decisions: nodes };
}

/** A table that a phone shows as one card per row, each value under its column's name. */
function stackTable(names, rows) {
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "div-table stack-table" },
      h("thead", null, h("tr", null, names.map((n) => h("th", { scope: "col" }, n)))),
      h("tbody", null, rows.map(([attrs, cells]) => h("tr", attrs, cells.map(([cls, ...content], i) => h("td", { class: cls, dataset: { label: names[i] } }, ...content))))),
    ),
  );
}

function section(id, title, intro, body) {
  return h("section", { class: "div-section learn-section", id: `learn-${id}`, dataset: { section: id } }, h("h2", null, title), intro ? h("p", { class: "muted section-intro" }, intro) : null, body);
}

function empty(text) {
  return h("p", { class: "empty-hint" }, text);
}

function fmt3(x) {
  return x === null || x === undefined ? "—" : Number(x).toFixed(3);
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many || one + "s"}`;
}

// --- whose picture has been right -----------------------------------------------------------

function skillWords(skill) {
  if (skill === null || skill === undefined) return "cannot be compared yet";
  if (skill >= 0.1) return "better than guessing";
  if (skill > -0.1) return "about as good as guessing";
  return "worse than guessing";
}

/** Forecast against what happened: a dot per bin (bigger for more forecasts) against the
 * diagonal a perfectly calibrated team would sit on. */
function reliabilityChart(fc) {
  const size = 124;
  const pad = 8;
  const axis = 14; // room for the axis words, left and bottom
  const span = size - pad - axis;
  const x = (v) => axis + v * span;
  const y = (v) => pad + (1 - v) * span;
  const filled = fc.bins.filter((b) => b.count > 0 && b.meanForecast !== null && b.observedFrequency !== null);
  const most = Math.max(1, ...filled.map((b) => b.count));
  const words = filled.map((b) => `${plural(b.count, "forecast")} near ${fmtP(b.meanForecast)}: ${Math.round(b.observedFrequency * 100)}% held`).join("; ");
  return s(
    "svg",
    { class: "reliability-chart", viewBox: `0 0 ${size} ${size}`, width: size, height: size, role: "img", "aria-label": `${capitalise(fc.function)}: ${words || "nothing settled yet"}` },
    s("rect", { x: axis, y: pad, width: span, height: span, class: "frame" }),
    s("text", { x: axis + span / 2, y: size - 3, class: "axis-word", "text-anchor": "middle" }, "believed →"),
    s("text", { x: 10, y: pad + span / 2, class: "axis-word", "text-anchor": "middle", transform: `rotate(-90 10 ${pad + span / 2})` }, "held →"),
    s("line", { x1: x(0), y1: y(0), x2: x(1), y2: y(1), class: "diagonal" }),
    filled.map((b) =>
      s(
        "circle",
        { cx: x(b.meanForecast), cy: y(b.observedFrequency), r: 2.5 + 4.5 * Math.sqrt(b.count / most), class: Math.abs(b.meanForecast - b.observedFrequency) > 0.25 ? "off" : "on" },
        s("title", null, `${plural(b.count, "forecast")} between ${fmtP(b.low)} and ${fmtP(b.high)}: ${Math.round(b.observedFrequency * 100)}% turned out to hold`),
      ),
    ),
  );
}

function calibrationBody(rows) {
  const scored = rows.filter((r) => r.forecasts > 0);
  if (!scored.length) return empty("No statement has been settled by the evidence yet, so no team's picture can be scored. Scores appear once evidence validates or refutes something a team held a belief on.");
  const order = [...scored].sort((a, b) => a.brierScore - b.brierScore);
  return h(
    "div",
    null,
    stackTable(
      ["Function", "Error score", "Against guessing", "Statements settled", "Forecast against what happened"],
      order.map((r) => [
        { dataset: { function: r.function }, class: r.brierSkillScore !== null && r.brierSkillScore < -0.1 ? "calibration-poor" : null },
        [
          [null, h("strong", null, capitalise(r.function))],
          ["num", fmt3(r.brierScore)],
          [null, h("span", { class: "num-inline" }, r.brierSkillScore === null ? "—" : (r.brierSkillScore > 0 ? "+" : r.brierSkillScore < 0 ? "−" : "") + Math.abs(r.brierSkillScore).toFixed(2)), " ", h("span", { class: "muted" }, skillWords(r.brierSkillScore))],
          ["num", String(r.forecasts), h("span", { class: "muted" }, ` (${r.outcomesValidated} held)`)],
          ["chart", reliabilityChart(r)],
        ],
      ]),
    ),
    h(
      "p",
      { class: "muted learn-key" },
      "Error score: the mean of (belief − outcome)², 0 is always right, 0.25 is always saying “can't tell”. Against guessing: above 0 the team did better than always guessing how often statements usually hold. In the chart each dot is a group of beliefs: across, what the team believed; up, how often it held; dots on the line are well judged.",
    ),
  );
}

// --- evidence to collect next ---------------------------------------------------------------

function itemsWords(n, already) {
  if (n === null || n === undefined) return "over 1,000";
  if (n === 0) return already;
  return String(n);
}

function nextBody(rows, jump) {
  if (!rows.length) return empty("Nothing to collect here: the segment has no statements in question, or the evidence has settled them all.");
  return stackTable(
    ["#", "Statement", "Evidence now", "Shift from one more interview", "Interviews to validate", "Interviews to refute", "Priority"],
    rows.map((r, i) => [
      { dataset: { proposition: r.proposition.id } },
      [
        ["num rank", String(i + 1)],
        ["statement", jump(r.proposition.id, r.text)],
        [null, statusBadge(r.proposition.status, fmtP(r.proposition.confidence))],
        ["num", fmt3(r.valueOfInformation)],
        ["num", itemsWords(r.itemsToValidate, "validated already")],
        ["num", itemsWords(r.itemsToRefute, "refuted already")],
        ["num", fmt3(r.score)],
      ],
    ]),
  );
}

// --- decisions --------------------------------------------------------------------------------

/** A short quote, in quotation marks once (many summaries carry their own). */
function snippet(text) {
  if (!text) return "(content removed)";
  const short = text.length > 90 ? `${text.slice(0, 88).trimEnd()}…` : text;
  return /^[“"]/.test(short) ? short : `“${short}”`;
}

function basisRow(b, jump) {
  return h(
    "li",
    { class: ["basis", b.reasons.length ? "moved" : null], dataset: { proposition: b.proposition.id } },
    h("p", { class: "basis-statement" }, jump(b.proposition.id, b.proposition.text)),
    h(
      "p",
      { class: "basis-change" },
      h("span", { class: "muted" }, "The evidence then "),
      statusBadge(b.statusThen, fmtP(b.confidenceThen)),
      h("span", { class: "arrow" }, " → now "),
      statusBadge(b.statusNow, fmtP(b.confidenceNow)),
    ),
    b.reasons.length ? h("ul", { class: "reasons" }, b.reasons.map((r) => h("li", null, plain(r)))) : h("p", { class: "muted" }, "The evidence still tells the same story."),
    b.movedBy.length
      ? h(
          "details",
          { class: "moved-by" },
          h("summary", null, `Moved by ${plural(b.movedByCount, "evidence item")} since`),
          h("ul", null, b.movedBy.map((e) => h("li", { dataset: { evidence: e.id } }, h("span", { class: "muted" }, `${capitalise(e.sourceType)}, ${fmtDate(e.observedAt)}: `), snippet(e.summary)))),
          b.movedByCount > b.movedBy.length ? h("p", { class: "muted" }, `and ${b.movedByCount - b.movedBy.length} more`) : null,
        )
      : null,
  );
}

function decisionsBody(rows, jump) {
  if (!rows.length) return empty("No decision has been recorded yet. A facilitator records one from a statement's details panel; it then shows here, and turns “at risk” when the evidence under it moves.");
  return h(
    "ul",
    { class: "decision-list" },
    rows.map((d) =>
      h(
        "li",
        { class: ["decision", d.atRisk ? "at-risk" : "holds"], dataset: { decision: d.id } },
        h("div", { class: "decision-head" }, h("strong", { class: "decision-title" }, d.title), d.atRisk ? h("span", { class: "risk-tag" }, "⚠ At risk") : h("span", { class: "holds-tag" }, "✓ Still backed")),
        h("p", { class: "muted" }, `Decided ${fmtDate(d.decidedAt)}${d.function ? ` by ${d.function}` : ""}`),
        d.rationale ? h("p", { class: "decision-why" }, d.rationale) : null,
        h("ul", { class: "basis-list" }, d.basis.map((b) => basisRow(b, jump))),
      ),
    ),
  );
}

export function renderLearning(data, ctx) {
  const jump = (id, text) => ctx.jump(id, ctx.statements.has(id) ? ctx.statements.get(id) : plain(text));
  const atRisk = data.decisions.filter((d) => d.atRisk).length;
  const nav = h("nav", { class: "div-nav", "aria-label": "Learning views" }, LEARNING_SECTIONS.map(([id, label]) => h("a", { href: `#learn-${id}`, onclick: (event) => { event.preventDefault(); const el = document.getElementById(`learn-${id}`); if (el) el.scrollIntoView({ block: "start" }); } }, label)));
  return h(
    "div",
    { class: "learning-view" },
    nav,
    section("decisions", atRisk ? `Decisions: ${plural(atRisk, "decision")} at risk` : "Decisions", "What the evidence said of each statement a decision rests on when it was made, and what it says now (the figure: its confidence that the statement holds, 0 to 1). At risk first.", decisionsBody(data.decisions, jump)),
    section("calibration", "Whose picture has been right", "Each time the evidence settled a statement, the belief each team held just before is scored. Across every segment, best first.", calibrationBody(data.calibration)),
    section("next", "Evidence to collect next", "Where one more interview would change the shared picture most, weighed by how much the statement matters and how many teams stand far from the evidence.", nextBody(data.next, jump)),
  );
}
