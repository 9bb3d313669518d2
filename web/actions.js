// What a person does from the page: add evidence, state or withdraw their function's belief,
// create a statement; for facilitators, merge a duplicate pair and record a decision. Each is
// the GraphQL mutation every tool uses (same authorization, validation and idempotency: one
// key per submission). A mistake is said next to its field and nothing is written.
//
// Forms outlive the page's re-renders (live updates arrive while people type): each is built
// once per key and moved, not rebuilt, until it is sent or its statement closes.

import { h, capitalise, fmtP } from "./dom.js";
import { gql, idempotencyKey } from "./gql.js";
import { RELATION_WORDS } from "./graph.js";

const kept = new Map();

/** A form folded under its title; open or closed, it stays as the person left it. */
function panel(title, form, open = false) {
  return h("details", { class: "action-panel", open }, h("summary", null, title), form);
}

function keep(key, build) {
  if (!kept.has(key)) kept.set(key, build());
  return kept.get(key);
}

export function forgetForms(prefix) {
  for (const key of [...kept.keys()]) if (!prefix || key.startsWith(prefix)) kept.delete(key);
}

export const SOURCE_TYPES = [
  ["interview", "Interview"],
  ["support_ticket", "Support ticket"],
  ["sales_call", "Sales call"],
  ["win_loss", "Win/loss review"],
  ["survey", "Survey"],
  ["analytics", "Analytics"],
  ["review", "Public review"],
  ["usage", "Usage data"],
  ["other", "Other"],
];
const STRENGTHS = [
  ["1", "Strong"],
  ["0.7", "Moderate"],
  ["0.4", "Weak"],
];

// --- a small form kit: a labelled field with its own error line ------------------------------

function field(label, control, hint) {
  const error = h("p", { class: "field-error", role: "alert", hidden: true });
  const wrap = h("div", { class: "form-field" }, h("label", null, h("span", { class: "field-label" }, label), control), hint ? h("p", { class: "muted field-hint" }, hint) : null, error);
  control.fieldError = error;
  return wrap;
}

function say(control, text) {
  const error = control.fieldError;
  if (!error) return;
  error.textContent = text || "";
  error.hidden = !text;
  if (text) control.setAttribute("aria-invalid", "true");
  else control.removeAttribute("aria-invalid");
}

function select(name, options, value) {
  return h("select", { name }, options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
}

/** Submit with one idempotency key per submission; say the outcome beside the button. */
function submitter(form, button, status, send) {
  let key = idempotencyKey();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    status.className = "form-status";
    let request;
    try {
      request = send.validate();
    } catch (problem) {
      status.textContent = "Nothing was sent: fix the field marked above.";
      status.classList.add("bad");
      return;
    }
    button.disabled = true;
    try {
      const done = await send.run(request, key);
      key = idempotencyKey(); // the next submission is a new write
      status.textContent = done || "Saved.";
      status.classList.add("good");
      if (send.after) await send.after();
    } catch (error) {
      const where = send.fieldFor ? send.fieldFor(error.message || "") : null;
      if (where) say(where, error.message);
      status.textContent = `Not saved: ${error.message}`;
      status.classList.add("bad");
    } finally {
      button.disabled = false;
    }
  });
}

class Invalid extends Error {}

function need(control, ok, text) {
  if (ok) {
    say(control, "");
    return true;
  }
  say(control, text);
  throw new Invalid(text);
}

// --- add evidence -----------------------------------------------------------------------------

export function evidenceForm(prop, ctx) {
  return keep(`evidence|${prop.id}`, () => {
    const quote = h("textarea", { name: "quote", rows: 3, maxlength: 4000, placeholder: "What the customer said or did, in their words" });
    const source = select("source", [["", "Choose…"], ...SOURCE_TYPES], "");
    const ref = h("input", { name: "ref", type: "text", maxlength: 500, placeholder: "e.g. ticket #4411 or a link" });
    const account = select("account", [["", "No account (a single person)"], ...ctx.accounts.map((a) => [a.id, a.name])], "");
    const stance = select("stance", [["SUPPORTS", "Supports it"], ["CONTRADICTS", "Contradicts it"]], "SUPPORTS");
    const strength = select("strength", STRENGTHS, "1");
    const others = ctx.model.propositions.filter((p) => p.id !== prop.id);
    const also = select("also", [["", "No other statement"], ...others.map((p) => [p.id, p.statement])], "");
    const alsoStance = select("also-stance", [["SUPPORTS", "Supports it"], ["CONTRADICTS", "Contradicts it"]], "SUPPORTS");
    const button = h("button", { type: "submit", class: "primary" }, "Add evidence");
    const status = h("p", { class: "form-status", role: "status" });
    const form = h(
      "form",
      { novalidate: true, class: "action-form evidence-form", "aria-label": "Add evidence" },
      field("Quote", quote),
      h("div", { class: "form-row" }, field("Source type", source), field("Source reference", ref)),
      field("Account", account, "The customer it came from: one account counts at most once per statement, however many items."),
      h("div", { class: "form-row" }, field("On this statement it", stance), field("How strongly", strength)),
      h("div", { class: "form-row" }, field("It also bears on", also), field("There it", alsoStance)),
      h("div", { class: "form-actions" }, button, status),
    );
    submitter(form, button, status, {
      validate() {
        need(quote, quote.value.trim().length > 0, "Write the quote or a short summary of what was observed.");
        need(source, source.value !== "", "Choose where it came from.");
        const bears = [{ propositionId: prop.id, stance: stance.value, strength: Number(strength.value) }];
        if (also.value) bears.push({ propositionId: also.value, stance: alsoStance.value, strength: Number(strength.value) });
        return { summary: quote.value.trim(), sourceType: source.value, sourceRef: ref.value.trim() || null, accountId: account.value || null, bears };
      },
      async run(input, key) {
        const data = await gql("mutation Add($input: [EvidenceInput!]!) { addEvidence(input: $input) { created alreadyPresent } }", { input: [{ ...input, idempotencyKey: key }] });
        quote.value = "";
        ref.value = "";
        return data.addEvidence.created ? "Added: it counts from now on." : "Already there: nothing new was written.";
      },
      fieldFor: (message) => (/summary|quote/i.test(message) ? quote : /source ?ref/i.test(message) ? ref : /source/i.test(message) ? source : /account/i.test(message) ? account : null),
      after: ctx.refresh,
    });
    return panel("Add evidence", form);
  });
}

// --- state or withdraw a belief ---------------------------------------------------------------

export function beliefForm(prop, current, ctx) {
  const me = ctx.me;
  return keep(`belief|${prop.id}`, () => {
    const functionChoice = me.can_facilitate ? select("function", me.functions.map((f) => [f, capitalise(f)]), me.member.function || me.functions[0]) : null;
    const p = h("input", { name: "p", type: "number", min: 0, max: 1, step: 0.05, inputmode: "decimal", placeholder: "0 to 1" });
    const magnitude = select("magnitude", [["", "Not said"], ["1", "1 · very low"], ["2", "2 · low"], ["3", "3 · medium"], ["4", "4 · high"], ["5", "5 · very high"]], "");
    const rationale = h("textarea", { name: "rationale", rows: 2, maxlength: 2000, placeholder: "Why (optional)" });
    const button = h("button", { type: "submit", class: "primary" }, "State this belief");
    const status = h("p", { class: "form-status", role: "status" });
    const whose = () => (functionChoice ? functionChoice.value : me.member.function);
    const withdraw = h("button", { type: "button", class: "withdraw" }, "Withdraw the current belief");
    const form = h(
      "form",
      { novalidate: true, class: "action-form belief-form", "aria-label": "State a belief" },
      functionChoice ? field("For the function", functionChoice, "Facilitators may state a belief for any function.") : h("p", { class: "muted" }, `You state ${capitalise(me.member.function)}'s belief.`),
      h("div", { class: "form-row" }, field("How likely it is true (0–1)", p), field(prop.magnitude_meaning ? capitalise(prop.magnitude_meaning) : "How much it matters", magnitude)),
      field("Rationale", rationale),
      h("div", { class: "form-actions" }, button, withdraw, status),
    );
    submitter(form, button, status, {
      validate() {
        const value = p.value.trim() === "" ? NaN : Number(p.value);
        need(p, Number.isFinite(value) && value >= 0 && value <= 1, "Give a number from 0 (surely not) to 1 (surely so), e.g. 0.7.");
        return { propositionId: prop.id, p: value, magnitude: magnitude.value ? Number(magnitude.value) : null, rationale: rationale.value.trim() || null, function: functionChoice ? whose() : null };
      },
      async run(input, key) {
        const data = await gql("mutation State($input: StateBeliefInput!) { stateBelief(input: $input) { function p } }", { input: { ...input, idempotencyKey: key } });
        return `Stated: ${capitalise(data.stateBelief.function)} now holds ${fmtP(data.stateBelief.p)}.`;
      },
      fieldFor: (message) => (/\bp\b|probab/i.test(message) ? p : /magnitude/i.test(message) ? magnitude : null),
      after: ctx.refresh,
    });
    withdraw.addEventListener("click", async () => {
      status.className = "form-status";
      withdraw.disabled = true;
      try {
        await gql("mutation Withdraw($id: ID!, $f: String) { withdrawBelief(propositionId: $id, function: $f) { function } }", { id: prop.id, f: functionChoice ? whose() : null });
        status.textContent = `Withdrawn: ${capitalise(whose())} holds no belief here now.`;
        status.classList.add("good");
        await ctx.refresh();
      } catch (error) {
        status.textContent = `Not withdrawn: ${error.message}`;
        status.classList.add("bad");
      } finally {
        withdraw.disabled = false;
      }
    });
    return panel(current ? "Change or withdraw a belief" : "State a belief", form);
  });
}

// --- record a decision (facilitators) -----------------------------------------------------

export function decisionForm(prop, ctx) {
  return keep(`decision|${prop.id}`, () => {
    const title = h("input", { name: "title", type: "text", maxlength: 500, placeholder: "e.g. Build the HubSpot connector next quarter" });
    const rationale = h("textarea", { name: "why", rows: 2, maxlength: 4000, placeholder: "Why (optional)" });
    const button = h("button", { type: "submit", class: "primary" }, "Record the decision");
    const status = h("p", { class: "form-status", role: "status" });
    const form = h("form", { novalidate: true, class: "action-form decision-form", "aria-label": "Record a decision" }, field("What was decided", title, "It rests on this statement; the page will say if the evidence under it moves."), field("Why", rationale), h("div", { class: "form-actions" }, button, status));
    submitter(form, button, status, {
      validate() {
        need(title, title.value.trim().length > 0, "Say what was decided.");
        return { title: title.value.trim(), rationale: rationale.value.trim() || null, propositionIds: [prop.id] };
      },
      async run(input, key) {
        const data = await gql("mutation Decide($input: RecordDecisionInput!) { recordDecision(input: $input) { id title } }", { input: { ...input, idempotencyKey: key } });
        title.value = "";
        rationale.value = "";
        return `Recorded: “${data.recordDecision.title}”.`;
      },
      fieldFor: (message) => (/title/i.test(message) ? title : null),
      after: ctx.refresh,
    });
    return panel("Record a decision", form);
  });
}

// --- create a statement -------------------------------------------------------------------

// Which relations a subject of each kind can take, and what kind of thing each points at.
const SHAPES = [
  ["SEGMENT", "PURSUES", "GOAL"],
  ["SEGMENT", "EXPERIENCES", "PAIN"],
  ["SEGMENT", "USES", "ALTERNATIVE"],
  ["PAIN", "HINDERS", "GOAL"],
  ["FEATURE", "RELIEVES", "PAIN"],
  ["FEATURE", "ENABLES", "GOAL"],
  ["FEATURE", "BEATS", "ALTERNATIVE"],
  ["CLAIM", "PROMISES", "PAIN"],
  ["CLAIM", "PROMISES", "GOAL"],
  ["CLAIM", "BACKED_BY", "FEATURE"],
  ["CLAIM", "TARGETS", "SEGMENT"],
];
const KIND_WORDS = { SEGMENT: "segment", GOAL: "goal", PAIN: "pain", ALTERNATIVE: "alternative", FEATURE: "feature", CLAIM: "claim" };

export function statementForm(ctx) {
  return keep(`statement|${ctx.model.segment.id}`, () => {
    const entities = ctx.model.entities.filter((e) => KIND_WORDS[e.kind]);
    const shape = select("shape", [["", "Choose…"], ...SHAPES.map(([a, r, b], i) => [String(i), `a ${KIND_WORDS[a]} ${RELATION_WORDS[r]} a ${KIND_WORDS[b]}`])], "");
    const subject = h("select", { name: "subject" });
    const subjectNew = h("input", { name: "subject-new", type: "text", maxlength: 300, placeholder: "or a new one's name" });
    const object = h("select", { name: "object" });
    const objectNew = h("input", { name: "object-new", type: "text", maxlength: 300, placeholder: "or a new one's name" });
    const fill = (control, kind) => {
      const options = entities.filter((e) => e.kind === kind);
      control.replaceChildren(h("option", { value: "" }, options.length ? "Choose…" : `No ${KIND_WORDS[kind]} yet: name a new one`), ...options.map((e) => h("option", { value: e.id }, e.name)));
    };
    const current = () => (shape.value === "" ? null : SHAPES[Number(shape.value)]);
    shape.addEventListener("change", () => {
      const chosen = current();
      if (!chosen) return;
      fill(subject, chosen[0]);
      fill(object, chosen[2]);
      if (chosen[0] === "SEGMENT") subject.value = ctx.model.segment.id;
    });
    const button = h("button", { type: "submit", class: "primary" }, "Create the statement");
    const status = h("p", { class: "form-status", role: "status" });
    const form = h(
      "form",
      { novalidate: true, class: "action-form statement-form", "aria-label": "New statement" },
      field("What kind of statement", shape),
      h("div", { class: "form-row" }, field("Who or what", subject), field("New", subjectNew)),
      h("div", { class: "form-row" }, field("About", object), field("New", objectNew)),
      h("div", { class: "form-actions" }, button, status),
    );
    const pick = (control, fresh, side) => {
      if (control.value) {
        need(fresh, true, "");
        return { id: control.value };
      }
      need(fresh, fresh.value.trim().length > 0, `Choose the ${side} or name a new one.`);
      return { name: fresh.value.trim() };
    };
    submitter(form, button, status, {
      validate() {
        need(shape, current() !== null, "Choose what kind of statement it is.");
        const [subjectKind, relation, objectKind] = current();
        return { relation, subject: { kind: subjectKind, ...pick(subject, subjectNew, KIND_WORDS[subjectKind]) }, object: { kind: objectKind, ...pick(object, objectNew, KIND_WORDS[objectKind]) } };
      },
      async run(input, key) {
        const ensure = async (side, suffix) => {
          if (side.id) return side.id;
          const created = await gql("mutation New($input: CreateEntityInput!) { createEntity(input: $input) { id } }", { input: { kind: side.kind, name: side.name, idempotencyKey: `${key}-${suffix}` } });
          return created.createEntity.id;
        };
        const subjectId = await ensure(input.subject, "subject");
        const objectId = await ensure(input.object, "object");
        const data = await gql("mutation Link($input: CreatePropositionInput!) { createProposition(input: $input) { id text } }", { input: { subjectId, relation: input.relation, objectId } });
        subjectNew.value = "";
        objectNew.value = "";
        return `Created: “${data.createProposition.text}”.`;
      },
      fieldFor: (message) => (/subject/i.test(message) ? subjectNew : /object/i.test(message) ? objectNew : /name/i.test(message) ? objectNew : null),
      after: ctx.refresh,
    });
    return panel("New statement", form);
  });
}

// --- merge a duplicate pair (facilitators) --------------------------------------------------

export function mergeControl(pair, ctx) {
  return keep(`merge|${pair.a.entity.id}|${pair.b.entity.id}`, () => {
    const name = `keep-${pair.a.entity.id}-${pair.b.entity.id}`;
    const choice = [pair.a, pair.b].map((side, i) => h("label", { class: "keep-choice" }, h("input", { type: "radio", name, value: side.entity.id, checked: i === 0 }), ` Keep “${side.entity.name}”`));
    const button = h("button", { type: "submit", class: "danger merge" }, "Merge the pair");
    const status = h("p", { class: "form-status", role: "status" });
    const form = h("form", { novalidate: true, class: "action-form merge-form", "aria-label": "Merge this pair" }, h("div", { class: "keep-choices" }, choice), h("div", { class: "form-actions" }, button, status));
    submitter(form, button, status, {
      validate() {
        const keepId = form.querySelector(`input[name="${CSS.escape(name)}"]:checked`).value;
        return { keepId, mergeId: keepId === pair.a.entity.id ? pair.b.entity.id : pair.a.entity.id };
      },
      async run(input) {
        const data = await gql("mutation Merge($keep: ID!, $merge: ID!) { mergeEntities(keepId: $keep, mergeId: $merge) { id name } }", { keep: input.keepId, merge: input.mergeId });
        return `Merged into “${data.mergeEntities.name}”.`;
      },
      after: ctx.refresh,
    });
    return form;
  });
}

export async function loadAccounts() {
  const data = await gql("query Accounts { entities(kind: ACCOUNT, first: 100) { nodes { id name } } }");
  return data.entities.nodes;
}
