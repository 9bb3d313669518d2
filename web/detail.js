// The side panel: one statement's evidence, each function's belief and its blind votes;
// or one entity and the statements it takes part in.

import { h, s, STATUS, capitalise, fmtDate, fmtP, shortFunction, statusBadge } from "./dom.js";
import { RELATION_WORDS } from "./graph.js";

const SOURCE = {
  interview: "Interview",
  support_ticket: "Support ticket",
  sales_call: "Sales call",
  win_loss: "Win/loss review",
  survey: "Survey",
  analytics: "Analytics",
  review: "Public review",
  usage: "Usage data",
  other: "Other",
};

function intervalBar(evidence) {
  // 0..1 axis; the 90% interval as a band, the mean as a tick, 0.5 marked.
  const w = 300;
  const x = (v) => 8 + v * (w - 16);
  return s(
    "svg",
    { class: "interval", viewBox: `0 0 ${w} 34`, width: w, height: 34, role: "img", "aria-label": `Share of evidence in favour ${fmtP(evidence.support)}, 90% interval ${fmtP(evidence.low)} to ${fmtP(evidence.high)}` },
    s("line", { x1: x(0), y1: 14, x2: x(1), y2: 14, class: "axis" }),
    s("line", { x1: x(0.5), y1: 6, x2: x(0.5), y2: 22, class: "mid" }),
    s("rect", { x: x(evidence.low), y: 9, width: Math.max(2, x(evidence.high) - x(evidence.low)), height: 10, rx: 3, class: "band" }),
    s("line", { x1: x(evidence.support), y1: 5, x2: x(evidence.support), y2: 23, class: "mean" }),
    s("text", { x: x(0), y: 32, class: "tick" }, "0"),
    s("text", { x: x(0.5), y: 32, class: "tick", "text-anchor": "middle" }, "0.5"),
    s("text", { x: x(1), y: 32, class: "tick", "text-anchor": "end" }, "1"),
  );
}

function beliefStrip(beliefs, evidence) {
  // Each function's p as a labelled dot, the evidence's confidence as a diamond.
  const w = 340;
  const x = (v) => 14 + v * (w - 28);
  const rows = Math.max(1, beliefs.length);
  const height = 26 + rows * 15 + 14;
  const svg = s("svg", { class: "strip", viewBox: `0 0 ${w} ${height}`, width: w, height, role: "img", "aria-label": "Each function's belief against the evidence's confidence" });
  svg.append(s("line", { x1: x(0), y1: 18, x2: x(1), y2: 18, class: "axis" }));
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(s("line", { x1: x(t), y1: 14, x2: x(t), y2: height - 12, class: "grid" }));
    svg.append(s("text", { x: x(t), y: height - 2, class: "tick", "text-anchor": "middle" }, String(t)));
  }
  if (evidence) {
    // The evidence's confidence as a labelled diamond; none is drawn without evidence.
    const c = x(evidence.confidence);
    svg.append(s("path", { d: `M${c},8 L${c + 7},18 L${c},28 L${c - 7},18 Z`, class: "evidence-mark" }, s("title", null, `The evidence's confidence ${fmtP(evidence.confidence)}`)));
    const anchor = evidence.confidence > 0.7 ? "end" : "start";
    svg.append(s("text", { x: c + (anchor === "end" ? -10 : 10), y: 12, class: "dot-label evidence-label", "text-anchor": anchor }, `evidence ${fmtP(evidence.confidence)}`));
  }
  beliefs.forEach((b, i) => {
    const y = 36 + i * 15;
    svg.append(s("circle", { cx: x(b.p), cy: y, r: 5, class: ["dot", b.vote_id ? "voted" : null] }, s("title", null, `${capitalise(b.function)} ${fmtP(b.p)}`)));
    const anchor = b.p > 0.8 ? "end" : "start";
    svg.append(s("text", { x: x(b.p) + (anchor === "end" ? -9 : 9), y: y + 4, class: "dot-label", "text-anchor": anchor }, `${shortFunction(b.function)} ${fmtP(b.p)}`));
  });
  return svg;
}

function evidenceItem(item) {
  const supports = item.stance === "SUPPORTS";
  return h(
    "li",
    { class: ["evidence-item", supports ? "supports" : "contradicts"], dataset: { evidence: item.id } },
    h(
      "div",
      { class: "evidence-stance" },
      h("span", { class: "stance-badge" }, h("span", { "aria-hidden": "true" }, supports ? "+ " : "− "), supports ? "Supports" : "Contradicts"),
      item.strength < 1 ? h("span", { class: "muted" }, ` strength ${fmtP(item.strength)}`) : null,
      item.magnitude ? h("span", { class: "muted" }, ` · magnitude ${item.magnitude}`) : null,
    ),
    item.redacted
      ? h("p", { class: "quote redacted" }, "(text removed for privacy; its weight still counts)")
      : h("blockquote", { class: "quote" }, item.summary),
    h(
      "p",
      { class: "evidence-meta" },
      [
        SOURCE[item.source_type] || item.source_type,
        item.account ? item.account.name : "no account",
        fmtDate(item.observed_at),
        item.function ? `logged by ${item.function}` : null,
      ]
        .filter(Boolean)
        .join(" · "),
      item.source_ref ? h("span", { class: "source-ref" }, " · ", /^https?:\/\//.test(item.source_ref) ? h("a", { href: item.source_ref, target: "_blank", rel: "noopener noreferrer" }, item.source_ref) : item.source_ref) : null,
    ),
  );
}

/** "a pain", "an alternative". */
function aKind(kind) {
  const word = kind.toLowerCase();
  return `${/^[aeiou]/.test(word) ? "an" : "a"} ${word}`;
}

// The evidence list's filters, kept while the page re-renders.
const filters = { stance: "", source: "", account: "" };

/** The items, filterable by stance, source type and account (filtered in the page). */
function filteredEvidence(items) {
  const list = h("ul", { class: "evidence-items" });
  const count = h("span", { class: "muted filter-count", role: "status" });
  const show = () => {
    const shown = items.filter(
      (i) => (!filters.stance || i.stance === filters.stance) && (!filters.source || i.source_type === filters.source) && (!filters.account || (i.account ? i.account.name : "") === filters.account),
    );
    list.replaceChildren(...shown.map(evidenceItem));
    count.textContent = shown.length === items.length ? "" : `${shown.length} of ${items.length} shown`;
  };
  const choose = (key, label, options) =>
    h(
      "label",
      { class: "filter-field" },
      h("span", { class: "sr-only" }, label),
      h(
        "select",
        { name: `filter-${key}`, onchange: (event) => ((filters[key] = event.target.value), show()) },
        h("option", { value: "" }, label),
        options.map(([value, text]) => h("option", { value, selected: filters[key] === value }, text)),
      ),
    );
  const sources = [...new Set(items.map((i) => i.source_type))];
  const accounts = [...new Set(items.map((i) => (i.account ? i.account.name : "")).filter(Boolean))].sort();
  for (const key of Object.keys(filters)) {
    const known = key === "stance" ? ["SUPPORTS", "CONTRADICTS"] : key === "source" ? sources : accounts;
    if (filters[key] && !known.includes(filters[key])) filters[key] = "";
  }
  show();
  return h(
    "div",
    null,
    h(
      "div",
      { class: "evidence-filters", role: "group", "aria-label": "Filter the evidence" },
      choose("stance", "For and against", [["SUPPORTS", "Supports"], ["CONTRADICTS", "Contradicts"]]),
      choose("source", "Every source", sources.map((v) => [v, SOURCE[v] || v])),
      accounts.length ? choose("account", "Every account", accounts.map((a) => [a, a])) : null,
      count,
    ),
    list,
  );
}

export function renderPropositionDetail(detail, ctx) {
  const { proposition: prop, evidence, items, beliefs, votes } = detail;
  const inDraft = ctx.draft.has(prop.id);
  const root = h("article", { class: "detail", "aria-label": prop.statement });
  root.append(
    h("p", { class: "eyebrow" }, capitalise(`${aKind(prop.subject.kind)} ${RELATION_WORDS[prop.relation] || prop.relation.toLowerCase().replace(/_/g, " ")} ${aKind(prop.object.kind)}`)),
    h("h2", { class: "detail-title", tabindex: -1 }, prop.statement),
    prop.magnitude_meaning ? h("p", { class: "muted" }, `A belief's magnitude (1–5) here means ${prop.magnitude_meaning}.`) : null,
  );
  if (ctx.me.can_facilitate && !ctx.voteOpen) {
    root.append(
      h(
        "p",
        null,
        h("button", { type: "button", class: inDraft ? "" : "primary", onclick: () => ctx.actions.toggleDraft(prop.id) }, inDraft ? "✓ In the vote draft (remove)" : "Add to vote"),
      ),
    );
  }

  const info = STATUS[evidence.status] || STATUS.UNKNOWN;
  root.append(
    h(
      "section",
      { class: ["evidence-summary", info.cls] },
      h("h3", null, "What the evidence says"),
      evidence.count
        ? h(
            "div",
            null,
            h("p", { class: "evidence-figure" }, statusBadge(evidence.status), " ", h("strong", null, `Confidence it holds: ${fmtP(evidence.confidence)}`)),
            h("p", { class: "muted figure-meaning" }, "How sure the evidence makes us that this is true: 0 = surely not, 0.5 = cannot tell, 1 = surely so. This is the figure every view compares beliefs with."),
            h("p", { class: "muted" }, `${evidence.count} item${evidence.count === 1 ? "" : "s"} from ${evidence.accounts} account${evidence.accounts === 1 ? "" : "s"}: ${evidence.supporting_count} for, ${evidence.contradicting_count} against. Newest ${fmtDate(evidence.newest)}.`),
            h(
              "details",
              { class: "more" },
              h("summary", null, "More: the share of evidence in favour"),
              h("p", { class: "muted" }, `Of the weighed evidence, ${fmtP(evidence.support)} is in favour (90% interval ${fmtP(evidence.low)}–${fmtP(evidence.high)}). The confidence above is how much of that interval lies above 0.5.`),
              intervalBar(evidence),
            ),
          )
        : h("p", { class: "empty-hint" }, statusBadge(evidence.status), " No evidence yet, so no verdict: add the first item with “Add evidence” below."),
    ),
  );

  const beliefSection = h("section", { class: "beliefs" }, h("h3", null, "What each function believes"));
  if (beliefs.length) {
    beliefSection.append(beliefStrip(beliefs, evidence.count ? evidence : null));
    beliefSection.append(
      h(
        "table",
        { class: "belief-table" },
        h("thead", null, h("tr", null, h("th", null, "Function"), h("th", null, "p"), h("th", null, "Mag."), h("th", null, "Stated"))),
        h(
          "tbody",
          null,
          beliefs.map((b) =>
            h(
              "tr",
              { dataset: { function: b.function } },
              h("th", { scope: "row" }, capitalise(b.function)),
              h("td", null, fmtP(b.p), b.vote_id ? h("span", { class: "cell-vote", title: "from a blind vote" }, " ◆") : null),
              h("td", null, b.magnitude ?? "—"),
              h("td", null, h("span", null, `${fmtDate(b.stated_at)}, ${b.stated_by}`), b.rationale ? h("span", { class: "rationale" }, b.rationale) : null),
            ),
          ),
        ),
      ),
    );
  } else {
    beliefSection.append(h("p", { class: "empty-hint" }, "No function holds a belief yet: state your function's below, or ask the facilitator for a blind vote on it."));
  }
  if (ctx.me.can_vote || ctx.me.can_facilitate) {
    const mine = beliefs.find((b) => b.function === ctx.me.member.function) || null;
    beliefSection.append(ctx.forms.beliefForm(prop, mine, ctx));
  }
  root.append(beliefSection);

  if (votes.length) {
    root.append(
      h(
        "section",
        { class: "votes-on" },
        h("h3", null, "Blind votes on this statement"),
        votes.map((v) =>
          h(
            "div",
            { class: "vote-on" },
            h("p", null, h("strong", null, v.label), ` · revealed ${fmtDate(v.revealed_at)}`),
            h(
              "table",
              { class: "belief-table" },
              h("thead", null, h("tr", null, h("th", null, "Function"), h("th", null, "Median p"), h("th", null, "Ballots"), h("th", null, "Spread"))),
              h(
                "tbody",
                null,
                v.results.map((r) => h("tr", null, h("th", { scope: "row" }, capitalise(r.function)), h("td", null, fmtP(r.p)), h("td", null, String(r.count)), h("td", null, fmtP(r.spread)))),
              ),
            ),
          ),
        ),
      ),
    );
  }

  if (ctx.me.can_facilitate) root.append(h("section", { class: "decide" }, h("h3", null, "Decisions"), ctx.forms.decisionForm(prop, ctx)));
  root.append(
    h(
      "section",
      { class: "evidence-list" },
      h("h3", null, `Evidence (${items.length})`),
      ctx.me.can_vote || ctx.me.can_facilitate ? ctx.forms.evidenceForm(prop, ctx) : null,
      items.length ? filteredEvidence(items) : h("p", { class: "empty-hint" }, "No evidence yet."),
    ),
  );
  return root;
}

export function renderEntityDetail(entity, model, ctx) {
  const involved = model.propositions.filter((p) => p.subject_id === entity.id || p.object_id === entity.id);
  return h(
    "article",
    { class: "detail", "aria-label": entity.name },
    h("p", { class: "eyebrow" }, [capitalise(entity.kind.toLowerCase()), entity.status, entity.alt_kind ? entity.alt_kind.replace("_", " ") : null].filter(Boolean).join(" · ")),
    h("h2", { class: "detail-title", tabindex: -1 }, entity.name),
    entity.description ? h("p", null, entity.description) : null,
    h("h3", null, `Statements about it (${involved.length})`),
    involved.length
      ? h(
          "ul",
          { class: "statement-list" },
          involved.map((p) =>
            h(
              "li",
              null,
              statusBadge(p.evidence.status),
              " ",
              h("button", { class: "link-button", onclick: () => ctx.actions.select({ kind: "proposition", id: p.id }) }, p.statement),
              p.contested_among_functions ? h("span", { class: "disagree-tag" }, ` functions disagree (spread ${fmtP(p.spread)})`) : null,
            ),
          ),
        )
      : h("p", { class: "empty-hint" }, "No statements about it in this segment yet."),
  );
}
