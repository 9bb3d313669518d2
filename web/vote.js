// The blind vote: a facilitator picks statements and opens the vote; everyone else answers
// for their own function (keyboard: ←/→ or 1–5 to choose, Enter to submit) without seeing
// anyone else's answer; the reveal shows each function's median beside the evidence.

import { h, STATUS, capitalise, fmtDate, fmtP, fmtSigned } from "./dom.js";
import { GROUPS, shortStatement } from "./heatmap.js";

export const P_STEPS = [
  { p: 0.1, label: "Very unlikely" },
  { p: 0.3, label: "Unlikely" },
  { p: 0.5, label: "Can't say" },
  { p: 0.7, label: "Likely" },
  { p: 0.9, label: "Very likely" },
];
// Each level in words beside its key, so a button never reads "1 1".
const MAGNITUDES = ["Very low", "Low", "Medium", "High", "Very high"];

function pbar(p) {
  const fill = h("span", { class: "pbar-fill" });
  fill.style.width = `${Math.round(p * 100)}%`;
  return h("span", { class: "pbar", "aria-hidden": "true" }, fill);
}

function nearestStep(p) {
  let best = 0;
  P_STEPS.forEach((step, i) => {
    if (Math.abs(step.p - p) < Math.abs(P_STEPS[best].p - p)) best = i;
  });
  return best;
}

/** A radio group with a roving tab stop: arrows move, 1–5 pick, Enter submits the card. */
function radioGroup({ label, options, selected, fkey, onPick, onSubmit, describe }) {
  const group = h("div", { class: "radio-group", role: "radiogroup", "aria-label": label });
  const buttons = options.map((option, i) =>
    h(
      "button",
      {
        type: "button",
        role: "radio",
        class: ["radio", i === selected ? "checked" : null],
        "aria-checked": i === selected ? "true" : "false",
        tabindex: i === (selected ?? 0) ? 0 : -1,
        title: describe(option, i),
        dataset: { fkey: `${fkey}|${i}` },
        onclick: () => onPick(i),
      },
      h("span", { class: "radio-key", "aria-hidden": "true" }, String(i + 1)),
      h("span", { class: "radio-text" }, option.text),
    ),
  );
  group.addEventListener("keydown", (event) => {
    // Like native radios: the arrows move on from the chosen option, or from the focused one.
    const focused = buttons.indexOf(document.activeElement);
    const current = selected ?? (focused >= 0 ? focused : 0);
    let next = null;
    if (event.key === "ArrowRight" || event.key === "ArrowDown") next = Math.min(options.length - 1, current + 1);
    else if (event.key === "ArrowLeft" || event.key === "ArrowUp") next = Math.max(0, current - 1);
    else if (/^[1-5]$/.test(event.key) && Number(event.key) <= options.length) next = Number(event.key) - 1;
    else if (event.key === "Enter") {
      event.preventDefault();
      onSubmit();
      return;
    }
    if (next !== null) {
      event.preventDefault();
      onPick(next, true);
    }
  });
  buttons.forEach((b) => group.append(b));
  return h("div", { class: "radio-field" }, h("div", { class: "radio-label" }, label), group);
}

function ballotCard(pid, info, ctx) {
  const mine = ctx.vote.my_ballots.find((b) => b.proposition_id === pid) || null;
  const draft = ctx.ballotDrafts.get(pid) || {};
  const pIndex = draft.p ?? (mine ? nearestStep(mine.p) : null);
  const mIndex = draft.m ?? (mine && mine.magnitude ? mine.magnitude - 1 : null);
  const changed = mine && (draft.p !== undefined || draft.m !== undefined);
  const submit = () => {
    if (pIndex === null) {
      ctx.actions.notice("Pick how likely it is first (keys 1–5), then press Enter.");
      return;
    }
    ctx.actions.cast(pid, P_STEPS[pIndex].p, mIndex === null ? null : mIndex + 1);
  };
  const pick = (field) => (i, fromKeyboard) => ctx.actions.draftBallot(pid, field, i, fromKeyboard);
  const meaning = info.magnitude_meaning;
  const status = mine
    ? h(
        "p",
        { class: ["ballot-status", changed ? "pending" : "done"], role: "status" },
        changed ? "Changed, not yet submitted. " : h("span", { class: "glyph", "aria-hidden": "true" }, "✓ "),
        changed
          ? "Press Enter to submit."
          : `Submitted: ${P_STEPS[nearestStep(mine.p)].label.toLowerCase()} (${fmtP(mine.p)})${mine.magnitude ? `, ${meaning || "magnitude"} ${mine.magnitude}` : ""}. You can change it until the reveal.`,
      )
    : h("p", { class: "ballot-status todo", role: "status" }, "Not submitted yet.");
  return h(
    "section",
    { class: ["ballot", mine && !changed ? "is-done" : null], dataset: { proposition: pid }, "aria-label": info.statement },
    h("h3", { class: "ballot-statement" }, info.statement),
    radioGroup({
      label: "How likely is it true?",
      options: P_STEPS.map((s) => ({ text: s.label })),
      selected: pIndex,
      fkey: `p|${pid}`,
      onPick: pick("p"),
      onSubmit: submit,
      describe: (o, i) => `${o.text} (p ${fmtP(P_STEPS[i].p)}); key ${i + 1}`,
    }),
    meaning
      ? radioGroup({
          label: `${capitalise(meaning)} (1 = low, 5 = high)`,
          options: MAGNITUDES.map((m) => ({ text: m })),
          selected: mIndex,
          fkey: `m|${pid}`,
          onPick: pick("m"),
          onSubmit: submit,
          describe: (o, i) => `${capitalise(meaning)} ${i + 1}: ${o.text.toLowerCase()}`,
        })
      : null,
    h(
      "div",
      { class: "ballot-actions" },
      h("button", { type: "button", class: "primary", onclick: submit, dataset: { fkey: `submit|${pid}` } }, mine ? "Update my vote" : "Submit my vote", h("kbd", null, "Enter")),
      status,
    ),
  );
}

function progress(ctx) {
  const vote = ctx.vote;
  const counts = new Map();
  for (const c of vote.progress) {
    if (!counts.has(c.function)) counts.set(c.function, 0);
    counts.set(c.function, Math.max(counts.get(c.function), c.ballots));
  }
  const functions = ctx.me.functions.filter((f) => counts.has(f));
  const needed = vote.vote.min_ballots || 2;
  const short = ctx.me.can_facilitate ? shortOf(ctx, vote, needed) : [];
  const silent = ctx.me.functions.filter((f) => !counts.has(f));
  return h(
    "div",
    { class: "vote-progress", "aria-live": "polite" },
    ctx.me.can_facilitate
      ? h(
          "div",
          { class: "short-list" },
          h("p", null, h("strong", null, `Each function needs ${needed} ballot${needed === 1 ? "" : "s"} on a statement`), " before the reveal states its belief."),
          short.length
            ? h("ul", { class: "short" }, short.map((row) => h("li", { dataset: { function: row.function } }, h("strong", null, capitalise(row.function)), ` is short on ${row.statements.length} statement${row.statements.length === 1 ? "" : "s"} (has ${row.fewest} of ${needed})`)))
            : h("p", { class: "good" }, "Every function that has voted has enough ballots."),
          // Functions with no ballot at all are short too: their belief will not change.
          silent.length ? h("p", { class: "muted not-voted" }, `No ballots yet from ${silent.map(capitalise).join(", ")}.`) : null,
        )
      : null,
    h("p", { class: "progress-headline" }, `${vote.participants} ${vote.participants === 1 ? "person has" : "people have"} voted so far.`),
    functions.length
      ? h(
          "ul",
          { class: "progress-chips", "aria-label": "Voters per function" },
          functions.map((f) => h("li", { class: "chip", dataset: { function: f } }, `${capitalise(f)} `, h("strong", null, String(counts.get(f))))),
        )
      : h("p", { class: "muted" }, "Nobody has voted yet. Answers stay hidden until the reveal; only these counts show."),
  );
}

/** The functions that voted on a statement with fewer ballots than the vote needs. */
function shortOf(ctx, vote, needed) {
  const byFunction = new Map();
  for (const c of vote.progress) {
    if (c.ballots >= needed) continue;
    if (!byFunction.has(c.function)) byFunction.set(c.function, { function: c.function, statements: [], fewest: c.ballots });
    const row = byFunction.get(c.function);
    row.statements.push(c.proposition_id);
    row.fewest = Math.min(row.fewest, c.ballots);
  }
  return ctx.me.functions.filter((f) => byFunction.has(f)).map((f) => byFunction.get(f));
}

function results(ctx, vote) {
  const props = new Map((ctx.model ? ctx.model.propositions : []).map((p) => [p.id, p]));
  const byProposition = new Map();
  for (const r of vote.results) {
    if (!byProposition.has(r.proposition_id)) byProposition.set(r.proposition_id, []);
    byProposition.get(r.proposition_id).push(r);
  }
  const order = new Map(ctx.me.functions.map((f, i) => [f, i]));
  return h(
    "div",
    { class: "vote-results" },
    vote.vote.proposition_ids.map((pid) => {
      const info = vote.propositions[pid] || { statement: pid };
      const prop = props.get(pid);
      const rows = (byProposition.get(pid) || []).sort((a, b) => (order.get(a.function) ?? 99) - (order.get(b.function) ?? 99));
      const needed = vote.vote.min_ballots || 2;
      const stated = new Set(rows.map((r) => r.function));
      const tooFew = (vote.progress || []).filter((c) => c.proposition_id === pid && !stated.has(c.function) && c.ballots < needed);
      const evidence = prop ? prop.evidence : null;
      const status = evidence ? STATUS[evidence.status] : null;
      return h(
        "section",
        { class: "result-card", dataset: { proposition: pid } },
        h("h3", null, h("button", { class: "link-button", onclick: () => ctx.actions.select(pid) }, info.statement)),
        evidence
          ? h(
              "p",
              { class: ["result-evidence", status.cls] },
              h("span", { class: "glyph", "aria-hidden": "true" }, status.glyph),
              evidence.count
                ? ` Evidence: ${status.label.toLowerCase()}, confidence it holds ${fmtP(evidence.confidence)} (${evidence.count} item${evidence.count === 1 ? "" : "s"} from ${evidence.accounts} account${evidence.accounts === 1 ? "" : "s"})`
                : " No evidence yet to compare with.",
            )
          : null,
        rows.length
          ? h(
              "table",
              { class: "result-table" },
              h("thead", null, h("tr", null, h("th", null, "Function"), h("th", null, "Median p"), h("th", null, "Before → after"), h("th", null, "vs evidence"), h("th", null, info.magnitude_meaning ? capitalise(info.magnitude_meaning) : "Magnitude"), h("th", null, "Ballots"), h("th", null, "Spread"))),
              h(
                "tbody",
                null,
                rows.map((r) =>
                  h(
                    "tr",
                    { dataset: { function: r.function } },
                    h("th", { scope: "row" }, capitalise(r.function)),
                    h("td", null, pbar(r.p), " ", fmtP(r.p)),
                    h("td", { class: "before-after" }, r.previous_p === null || r.previous_p === undefined ? `none → ${fmtP(r.p)}` : `${fmtP(r.previous_p)} → ${fmtP(r.p)}`),
                    h("td", null, evidence && evidence.count ? fmtSigned(r.p - evidence.confidence) : "—"),
                    h("td", null, r.magnitude ?? "—"),
                    h("td", null, String(r.count)),
                    h("td", null, `${fmtP(r.spread)} (${fmtP(r.p_min)}–${fmtP(r.p_max)})`),
                  ),
                ),
              ),
            )
          : h("p", { class: "muted" }, tooFew.length ? "No function had enough ballots to state a belief." : "Nobody voted on this one."),
        tooFew.length
          ? h("p", { class: "muted too-few" }, `Fewer than ${needed} ballots, belief unchanged: `, tooFew.map((c) => `${capitalise(c.function)} (${c.ballots})`).join(", "), ".")
          : null,
      );
    }),
  );
}

function picker(ctx, another) {
  const model = ctx.model;
  if (!model) return null;
  const entities = new Map(model.entities.map((e) => [e.id, e]));
  const groups = new Map();
  for (const p of model.propositions) {
    if (!groups.has(p.relation)) groups.set(p.relation, []);
    groups.get(p.relation).push(p);
  }
  const count = ctx.draft.size;
  return h(
    "form",
    {
      class: "vote-setup",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const label = event.target.querySelector("input[name=label]").value.trim();
        const needed = event.target.querySelector("input[name=min_ballots]");
        const value = Number(needed.value);
        const error = event.target.querySelector(".min-ballots-error");
        if (!Number.isInteger(value) || value < 1 || value > 100) {
          error.textContent = "Give a whole number from 1 to 100.";
          error.hidden = false;
          needed.setAttribute("aria-invalid", "true");
          return;
        }
        ctx.actions.open(label, value);
      },
    },
    h("h2", null, another ? "Start another blind vote" : "Start a blind vote"),
    h("p", { class: "muted" }, "Pick the statements the room should vote on (or use “Add to vote” beside a statement). Each person answers for their own function; nobody sees an answer until you reveal."),
    h("label", { class: "field" }, "Name of the vote ", h("input", { name: "label", type: "text", maxlength: 200, placeholder: "e.g. Onboarding vs. integrations", dataset: { fkey: "vote-label" } })),
    h(
      "label",
      { class: "field" },
      "Ballots a function needs before its belief is stated ",
      h("input", { name: "min_ballots", type: "number", min: 1, max: 100, step: 1, value: 2, inputmode: "numeric", dataset: { fkey: "vote-min" } }),
    ),
    h("p", { class: "field-error min-ballots-error", role: "alert", hidden: true }),
    h("p", { class: "muted" }, "With fewer ballots than this, a function keeps the belief it held: one voice does not speak for a team."),
    h(
      "div",
      { class: "picker", role: "group", "aria-label": "Statements to vote on" },
      [...groups.entries()].map(([relation, props]) =>
        h(
          "fieldset",
          null,
          h("legend", null, GROUPS[relation] || relation),
          props.map((p) =>
            h(
              "label",
              { class: "pick" },
              h("input", {
                type: "checkbox",
                checked: ctx.draft.has(p.id),
                dataset: { proposition: p.id, fkey: `pick|${p.id}` },
                onchange: () => ctx.actions.toggleDraft(p.id),
              }),
              " ",
              h("span", { class: ["badge-mini", (STATUS[p.evidence.status] || STATUS.UNKNOWN).cls], "aria-hidden": "true" }, (STATUS[p.evidence.status] || STATUS.UNKNOWN).glyph),
              " ",
              shortStatement(p, model.segment.id, entities),
            ),
          ),
        ),
      ),
    ),
    h(
      "div",
      { class: "setup-actions" },
      h("button", { type: "submit", class: "primary", disabled: count === 0, dataset: { fkey: "open-vote" } }, count ? `Open the vote on ${count} statement${count === 1 ? "" : "s"}` : "Pick at least one statement"),
      count ? h("button", { type: "button", onclick: () => ctx.actions.clearDraft() }, "Clear") : null,
    ),
  );
}

function history(ctx) {
  if (!ctx.recent.length) return null;
  return h(
    "div",
    { class: "vote-history" },
    h("h2", null, "Earlier votes"),
    h(
      "ul",
      null,
      ctx.recent.map((v) =>
        h(
          "li",
          null,
          h(
            "button",
            { class: ["link-button", ctx.shown && ctx.shown.vote.id === v.id ? "current" : null], onclick: () => ctx.actions.show(v.id) },
            v.label,
          ),
          ` · ${v.status} · ${fmtDate(v.closed_at || v.opened_at)} · ${v.proposition_ids.length} statement${v.proposition_ids.length === 1 ? "" : "s"}`,
        ),
      ),
    ),
  );
}

export function renderVote(ctx) {
  const { me } = ctx;
  const root = h("div", { class: "vote-view" });
  const vote = ctx.vote;
  if (vote && vote.vote.status === "open") {
    const elsewhere = ctx.model && vote.vote.segment_id && vote.vote.segment_id !== ctx.model.segment.id;
    root.append(
      h(
        "header",
        { class: "vote-header" },
        h("h2", null, h("span", { class: "live-dot", "aria-hidden": "true" }), `Blind vote open: ${vote.vote.label}`),
        h("p", { class: "muted" }, `Opened by ${vote.vote.opened_by_name} on ${fmtDate(vote.vote.opened_at)}. Answers stay hidden until the reveal.`),
        elsewhere ? h("p", { class: "notice" }, "This vote is about another segment. ", h("button", { class: "link-button", onclick: () => ctx.actions.switchSegment(vote.vote.segment_id) }, "Show that segment")) : null,
      ),
    );
    root.append(progress({ ...ctx, vote }));
    if (me.can_facilitate) {
      root.append(
        h(
          "div",
          { class: "facilitator-actions" },
          h("button", { type: "button", class: "primary reveal", onclick: () => ctx.actions.reveal(vote.vote.id), dataset: { fkey: "reveal" } }, "Reveal the results"),
          h("button", { type: "button", class: "danger", onclick: () => ctx.actions.cancel(vote.vote.id) }, "Cancel the vote"),
          h("span", { class: "muted" }, `The reveal states each function's median as its belief, where it has at least ${vote.vote.min_ballots || 2} ballot${(vote.vote.min_ballots || 2) === 1 ? "" : "s"}.`),
        ),
      );
    }
    if (me.can_vote) {
      root.append(
        h(
          "div",
          { class: "ballots" },
          h("p", { class: "voting-as" }, `You vote for `, h("strong", null, capitalise(me.member.function)), ". Keys: ←/→ or 1–5 choose, Tab moves on, Enter submits."),
          vote.vote.proposition_ids.map((pid) => ballotCard(pid, vote.propositions[pid] || { statement: pid }, { ...ctx, vote })),
        ),
      );
    } else {
      root.append(
        h("p", { class: "notice" }, "You are following this vote as a viewer: viewers see the progress and the results, but do not vote."),
        h("section", { class: "voted-on" }, h("h3", null, "The statements being voted on"), h("ol", null, vote.vote.proposition_ids.map((pid) => h("li", { dataset: { proposition: pid } }, (vote.propositions[pid] || { statement: pid }).statement)))),
      );
    }
    return root;
  }
  // Right after a reveal the room wants the results: they come first.
  if (ctx.shown && ctx.shown.vote.status === "revealed") {
    root.append(
      h(
        "section",
        { class: "revealed" },
        h("h2", null, `Results: ${ctx.shown.vote.label}`),
        h("p", { class: "muted" }, `Revealed on ${fmtDate(ctx.shown.vote.closed_at)}. Each function with enough ballots now holds their median as its belief; the heatmap marks it with ◆.`),
        results(ctx, ctx.shown),
      ),
    );
  } else if (ctx.shown && ctx.shown.vote.status === "cancelled") {
    root.append(h("p", { class: "notice" }, `The vote “${ctx.shown.vote.label}” was cancelled: nothing was stated.`));
  }
  if (me.can_facilitate) root.append(picker(ctx, Boolean(ctx.shown)));
  else if (!ctx.shown) root.append(h("div", { class: "empty-state" }, h("h2", null, "No vote is open"), h("p", null, "When the facilitator opens a blind vote, it appears here at once: no need to reload.")));
  else root.append(h("p", { class: "muted" }, "No vote is open now. The next one appears here at once."));
  const past = history(ctx);
  if (past) root.append(past);
  return root;
}
