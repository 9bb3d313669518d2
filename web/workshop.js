// The workshop page: pick a segment, explore its model (map, heatmap, divergences), read the
// evidence behind a statement, and run a blind vote. Every open page follows changes live
// through server-sent events; nothing here needs a reload or the internet.

import { api, ApiError } from "./api.js";
import { h, replace, STATUS, capitalise, fmtP } from "./dom.js";
import { forgetMap, legend, mountMap, renderMap, revealNode } from "./graph.js";
import { heatmapLegend, renderHeatmap } from "./heatmap.js";
import { renderEntityDetail, renderPropositionDetail } from "./detail.js";
import { renderVote } from "./vote.js";
import { loadDivergences, renderDivergences } from "./divergences.js";
import { loadLearning, renderLearning } from "./learning.js";
import { beliefForm, decisionForm, evidenceForm, forgetForms, loadAccounts, mergeControl, statementForm } from "./actions.js";

const VIEWS = [
  { id: "map", label: "Map" },
  { id: "heatmap", label: "Heatmap" },
  { id: "divergences", label: "Divergences" },
  { id: "learning", label: "Learning" },
  { id: "vote", label: "Blind vote" },
];

const state = {
  me: null,
  segments: [],
  segmentId: null,
  model: null,
  view: "map",
  selection: null, // {kind: "proposition"|"entity", id}
  detail: null, // the proposition detail for selection
  openVote: null, // the open vote as this member sees it
  shown: null, // a closed vote whose results are shown
  recent: [],
  draft: new Set(),
  ballotDrafts: new Map(),
  stamps: { model: null, votes: null },
  live: "connecting",
  problem: null, // {kind, text}
  loading: false,
  accounts: [],
  div: { key: null, data: null, loading: false, problem: null },
  learn: { key: null, data: null, loading: false, problem: null },
  atRiskStamp: null, // the event stream's stamp of the decisions at risk
  atRiskBefore: null, // the stamp before the latest one
  riskNotice: [], // decisions that fell at risk while this page was open: {id, title}
  onlyOpposing: false,
};

const root = document.getElementById("app");
let events = null;
let retryTimer = null;

// --- URL state ----------------------------------------------------------------------------

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  return { seg: params.get("seg"), view: params.get("view"), prop: params.get("prop"), node: params.get("node") };
}

function writeHash() {
  const params = new URLSearchParams();
  if (state.segmentId) params.set("seg", state.segmentId);
  if (state.view !== "map") params.set("view", state.view);
  if (state.selection && state.selection.node) params.set("node", state.selection.node);
  else if (state.selection && state.selection.kind === "proposition") params.set("prop", state.selection.id);
  const next = "#" + params.toString();
  if (location.hash !== next) history.replaceState(null, "", next);
}

// --- problems people can act on -------------------------------------------------------------

function setProblem(kind, text) {
  state.problem = kind ? { kind, text } : null;
  renderProblem();
}

function handle(error) {
  if (error instanceof ApiError) {
    if (error.signedOut) {
      showSignIn({ expired: error.invalidToken });
      return;
    }
    if (error.unavailable) {
      setProblem("offline", error.message);
      scheduleRetry();
      return;
    }
    toast(error.message);
    return;
  }
  console.warn(error);
  toast(String(error && error.message ? error.message : error));
}

function toast(text) {
  const area = document.getElementById("toasts");
  if (!area) return;
  const item = h("div", { class: "toast", role: "alert" }, text, h("button", { type: "button", class: "toast-close", "aria-label": "Dismiss", onclick: () => item.remove() }, "×"));
  area.append(item);
  setTimeout(() => item.remove(), 9000);
}

function scheduleRetry() {
  if (retryTimer) return;
  retryTimer = setTimeout(async () => {
    retryTimer = null;
    try {
      await refreshAll();
      setProblem(null);
    } catch (error) {
      handle(error);
    }
  }, 3000);
}

// --- sign-in ------------------------------------------------------------------------------

function showSignIn({ invalidLink = false, expired = false, signedOut = false } = {}) {
  if (events) {
    events.close();
    events = null;
  }
  const origin = location.origin;
  let problem = null;
  if (invalidLink) problem = "That sign-in link did not work: its token is unknown, revoked or expired. Ask for a new one.";
  else if (expired) problem = "Your sign-in has expired or was revoked (or your membership was deactivated). Ask for a new link to carry on.";
  replace(
    root,
    h(
      "main",
      { class: "signin" },
      h("h1", null, "Common Ground workshop"),
      problem ? h("p", { class: "problem", role: "alert" }, problem) : null,
      signedOut ? h("p", { class: "notice", role: "status" }, "You are signed out on this browser.") : null,
      h("p", null, "Explore one customer segment together: where the evidence stands, where each team's picture differs, and vote your beliefs blind."),
      h("h2", null, "How to sign in"),
      h(
        "ol",
        null,
        h("li", null, "Ask your facilitator or an admin for a personal token. They create one with ", h("code", null, 'commonground token create "Your Name"'), "."),
        h("li", null, "Open ", h("code", null, `${origin}/workshop?token=<your token>`), ". The token is kept in a secure cookie for 12 hours and removed from the address bar."),
      ),
      h("p", { class: "muted" }, "Everyone signs in as themselves: your votes count for your own function."),
    ),
  );
}

// --- loading --------------------------------------------------------------------------------

async function loadSegment() {
  if (!state.segmentId) {
    // An empty model: pick up the first segment as soon as someone creates one.
    state.segments = (await api.segments()).segments;
    if (!state.segments.length) return;
    state.segmentId = state.segments[0].id;
    writeHash();
  }
  const model = await api.segment(state.segmentId);
  state.model = model;
  state.stamps.model = model.stamps.model;
  if (state.selection && state.selection.node && !state.selection.resolved) state.selection = nodeSelection(state.selection.node);
  if (state.selection && state.selection.kind === "proposition") {
    if (!model.propositions.some((p) => p.id === state.selection.id)) {
      state.selection = null;
      state.detail = null;
    } else {
      await loadDetail();
    }
  }
}

/** What a node's address selects: the segment's own statement about it, else the entity. */
function nodeSelection(id) {
  const segmentId = state.model ? state.model.segment.id : null;
  const own = state.model ? state.model.propositions.find((p) => p.subject_id === segmentId && p.object_id === id && ["PURSUES", "EXPERIENCES", "USES"].includes(p.relation)) : null;
  return own ? { kind: "proposition", id: own.id, node: id, resolved: true, reveal: true } : { kind: "entity", id, node: id, resolved: true, reveal: true };
}

async function loadDetail() {
  if (!state.selection || state.selection.kind !== "proposition") {
    state.detail = null;
    return;
  }
  const wanted = state.selection.id;
  const detail = await api.proposition(wanted);
  if (state.selection && state.selection.id === wanted) state.detail = detail;
}

async function loadVotes() {
  const open = await api.votes({ status: "open", limit: 1 });
  state.stamps.votes = open.stamps.votes;
  if (open.votes.length) {
    const view = await api.vote(open.votes[0].id);
    if (!state.openVote || state.openVote.vote.id !== view.vote.id) state.ballotDrafts.clear();
    state.openVote = view;
  } else {
    if (state.openVote) {
      // It just closed: show its results to everyone.
      const closed = await api.vote(state.openVote.vote.id);
      state.shown = closed;
    }
    state.openVote = null;
  }
  if (state.segmentId) {
    const recent = await api.votes({ segment_id: state.segmentId, limit: 6 });
    state.recent = recent.votes.filter((v) => v.status !== "open");
    if (state.shown) {
      const fresh = state.recent.find((v) => v.id === state.shown.vote.id);
      if (fresh && fresh.status !== state.shown.vote.status) state.shown = await api.vote(fresh.id);
    } else if (state.recent.length && state.recent[0].status === "revealed") {
      state.shown = await api.vote(state.recent[0].id);
    }
  }
}

async function refreshAll() {
  await Promise.all([loadSegment(), loadVotes()]);
  render();
}

// --- actions --------------------------------------------------------------------------------

// A vote this page just revealed or cancelled: no longer the open one, shown as it ended.
function showClosed(view) {
  state.openVote = null;
  state.shown = view;
  state.stamps.votes = view.stamps.votes;
}

async function run(work) {
  try {
    await work();
  } catch (error) {
    handle(error);
  }
  render();
}

/** After a write from this page: read the model (and the open statement) again. */
async function refreshAfterWrite() {
  state.div.key = null;
  state.learn.key = null;
  try {
    await loadSegment();
    if (state.selection && state.selection.kind === "proposition") await loadDetail();
  } catch (error) {
    handle(error);
  }
  render();
}

/** Read a view's data once per segment and model change; render when it arrives. */
async function loadInto(slot, key, view, load) {
  if (slot.loading || slot.key === key) return;
  slot.loading = true;
  try {
    slot.data = await load();
    slot.problem = null;
  } catch (error) {
    slot.problem = error.message || String(error);
    if (error instanceof ApiError) handle(error);
  } finally {
    slot.key = key;
    slot.loading = false;
  }
  if (state.view === view) render();
}

const divergenceKey = () => `${state.segmentId}|${state.stamps.model}`;
const learningKey = () => `${state.segmentId}|${state.stamps.model}|${state.atRiskStamp}`;

function loadDivergenceViews() {
  return loadInto(state.div, divergenceKey(), "divergences", () => loadDivergences(state.segmentId, state.me.functions));
}

function loadLearningViews() {
  return loadInto(state.learn, learningKey(), "learning", () => loadLearning(state.segmentId));
}

const actions = {
  select(selection) {
    const target = typeof selection === "string" ? { kind: "proposition", id: selection } : selection;
    state.selection = target;
    // The same statement picked again keeps its drawer (and any half-filled form) while it
    // reloads; another one shows "Loading" until its evidence arrives.
    if (!state.detail || target.kind !== "proposition" || state.detail.proposition.id !== target.id) state.detail = null;
    writeHash();
    render();
    if (target.kind === "proposition") run(loadDetail).then(() => focusDrawer());
    else focusDrawer();
  },
  closeDrawer() {
    if (state.selection) forgetForms(`decision|${state.selection.id}`);
    state.selection = null;
    state.detail = null;
    writeHash();
    render();
  },
  setView(view) {
    state.view = view;
    writeHash();
    render();
  },
  async switchSegment(id) {
    if (!id || id === state.segmentId) return;
    state.segmentId = id;
    forgetMap();
    forgetForms();
    state.div = { key: null, data: null, loading: false, problem: null };
    state.learn = { key: null, data: null, loading: false, problem: null };
    state.selection = null;
    state.detail = null;
    state.shown = null;
    state.draft.clear();
    state.model = null;
    writeHash();
    render();
    await run(async () => {
      await Promise.all([loadSegment(), loadVotes()]);
    });
  },
  toggleDraft(id) {
    if (state.draft.has(id)) state.draft.delete(id);
    else state.draft.add(id);
    render();
  },
  clearDraft() {
    state.draft.clear();
    render();
  },
  draftBallot(pid, field, index) {
    const draft = state.ballotDrafts.get(pid) || {};
    draft[field] = index;
    state.ballotDrafts.set(pid, draft);
    render();
    const el = root.querySelector(`[data-fkey="${field}|${pid}|${index}"]`);
    if (el) el.focus();
  },
  notice(text) {
    toast(text);
  },
  async open(label, minBallots) {
    await run(async () => {
      const view = await api.openVote({ proposition_ids: [...state.draft], label: label || null, segment_id: state.segmentId, min_ballots: minBallots || 2 });
      state.openVote = view;
      state.stamps.votes = view.stamps.votes;
      state.draft.clear();
      state.shown = null;
      state.view = "vote";
      writeHash();
    });
  },
  async cast(pid, p, magnitude) {
    if (!state.openVote) return;
    await run(async () => {
      const view = await api.cast(state.openVote.vote.id, [{ proposition_id: pid, p, magnitude }]);
      state.openVote = view;
      state.stamps.votes = view.stamps.votes;
      state.ballotDrafts.delete(pid);
      const next = view.vote.proposition_ids.find((id) => !view.my_ballots.some((b) => b.proposition_id === id));
      queueMicrotask(() => {
        const target = next ? root.querySelector(`.ballot[data-proposition="${CSS.escape(next)}"] [role=radio][tabindex="0"]`) : null;
        if (target) target.focus();
      });
    });
  },
  async reveal(id) {
    await run(async () => {
      showClosed(await api.reveal(id));
      await loadSegment();
      const recent = await api.votes({ segment_id: state.segmentId, limit: 6 });
      state.recent = recent.votes.filter((v) => v.status !== "open");
    });
  },
  async cancel(id) {
    await run(async () => {
      showClosed(await api.cancel(id));
    });
  },
  async show(id) {
    await run(async () => {
      state.shown = await api.vote(id);
    });
  },
};

function focusDrawer() {
  // Never from under someone typing: the evidence may arrive after they began a form.
  const typing = document.activeElement && document.activeElement.closest ? document.activeElement.closest("form") : null;
  if (typing) return;
  const title = root.querySelector(".drawer .detail-title");
  if (title) title.focus({ preventScroll: true });
}

// --- live updates -------------------------------------------------------------------------

function connect() {
  if (events) events.close();
  events = new EventSource(api.eventsUrl);
  events.addEventListener("open", () => {
    state.live = "live";
    renderLive();
  });
  events.addEventListener("change", async (event) => {
    let stamps;
    try {
      stamps = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    state.live = "live";
    renderLive();
    if (stamps.decisionsAtRisk !== undefined && stamps.decisionsAtRisk !== state.atRiskStamp) {
      state.atRiskBefore = state.atRiskStamp;
      state.atRiskStamp = stamps.decisionsAtRisk;
      if (state.view === "learning") queueMicrotask(loadLearningViews);
    }
    const work = [];
    if (stamps.model !== state.stamps.model) work.push(loadSegment());
    if (stamps.votes !== state.stamps.votes) work.push(loadVotes());
    if (!work.length) return;
    try {
      await Promise.all(work);
      setProblem(null);
      render();
    } catch (error) {
      handle(error);
    }
  });
  events.addEventListener("decision-at-risk", (event) => {
    // Only what fell at risk while this page watched: without an earlier stamp to compare
    // with, every decision already at risk would look new.
    if (!state.atRiskBefore) return;
    let fallen = [];
    let before = [];
    try {
      fallen = JSON.parse(event.data).decisions || [];
      before = JSON.parse(state.atRiskBefore).map((d) => d.id);
    } catch (error) {
      return;
    }
    fallen = fallen.filter((d) => !before.includes(d.id));
    if (!fallen.length) return;
    state.learn.key = null;
    const known = new Set(state.riskNotice.map((d) => d.id));
    state.riskNotice = [...state.riskNotice, ...fallen.filter((d) => !known.has(d.id))];
    if (state.view === "learning") loadLearningViews();
    render();
  });
  events.addEventListener("error", async () => {
    state.live = "reconnecting";
    renderLive();
    if (events && events.readyState === EventSource.CLOSED) {
      // Refused outright (a 401, or the server is gone): find out which, then retry.
      events = null;
      try {
        await api.me();
        setTimeout(connect, 3000);
      } catch (error) {
        if (error instanceof ApiError && error.signedOut) showSignIn({ expired: error.invalidToken });
        else setTimeout(connect, 5000);
      }
    }
  });
}

// --- rendering ------------------------------------------------------------------------------

function renderLive() {
  const el = document.getElementById("live");
  if (!el) return;
  const live = state.live === "live";
  el.className = ["live", live ? "on" : "off"].join(" ");
  el.textContent = live ? "Live" : state.live === "connecting" ? "Connecting…" : "Reconnecting…";
  el.title = live ? "This page updates by itself when anyone changes the model or votes." : "Lost the live connection; retrying.";
}

function renderProblem() {
  const el = document.getElementById("problem");
  if (!el) return;
  if (!state.problem) {
    el.hidden = true;
    replace(el);
    return;
  }
  el.hidden = false;
  replace(el, state.problem.text);
}

function header() {
  const me = state.me.member;
  return h(
    "header",
    { class: "topbar" },
    h("h1", { class: "brand" }, "Common Ground ", h("span", { class: "brand-sub" }, "workshop")),
    state.segments.length === 0
      ? null
      : h(
      "label",
      { class: "segment-picker" },
      h("span", { class: "sr-only" }, "Segment"),
      h(
        "select",
        { id: "segment", onchange: (event) => actions.switchSegment(event.target.value), dataset: { fkey: "segment" } },
        state.segments.map((seg) => h("option", { value: seg.id, selected: seg.id === state.segmentId }, seg.name)),
      ),
    ),
    h("span", { id: "live", class: "live off" }, "Connecting…"),
    h(
      "span",
      { class: "whoami", title: `Signed in as ${me.name}` },
      h("strong", null, me.name),
      ` · ${capitalise(me.function || "no function")} · ${me.role}`,
    ),
    h(
      "button",
      {
        type: "button",
        class: "toggle",
        "aria-pressed": document.documentElement.classList.contains("projector") ? "true" : "false",
        onclick: toggleProjector,
        title: "Large type for a projector or a shared screen",
        dataset: { fkey: "projector" },
      },
      "Projector mode",
    ),
    h(
      "button",
      {
        type: "button",
        class: "quiet",
        onclick: async () => {
          try {
            await api.signOut();
          } finally {
            showSignIn({ signedOut: true });
          }
        },
      },
      "Sign out",
    ),
  );
}

function tabs() {
  const openVote = state.openVote && state.openVote.vote.status === "open";
  return h(
    "nav",
    { class: "tabs", role: "tablist", "aria-label": "Views" },
    VIEWS.map((v) =>
      h(
        "button",
        {
          type: "button",
          role: "tab",
          class: ["tab", state.view === v.id ? "active" : null, v.id === "vote" && openVote ? "attention" : null],
          "aria-selected": state.view === v.id ? "true" : "false",
          dataset: { view: v.id, fkey: `tab|${v.id}` },
          onclick: () => actions.setView(v.id),
        },
        v.label,
        v.id === "vote" && openVote ? h("span", { class: "tab-badge" }, "open") : null,
      ),
    ),
  );
}

/** Decisions that fell at risk while the page was open: stays until read or dismissed. */
function riskBanner() {
  const fallen = state.riskNotice;
  if (!fallen.length) return null;
  const titles = fallen.map((d) => `“${d.title}”`).join(", ");
  const dismiss = () => {
    state.riskNotice = [];
    render();
  };
  return h(
    "div",
    { class: "risk-banner", role: "alert" },
    h("span", null, h("strong", null, fallen.length === 1 ? "A decision is now at risk: " : `${fallen.length} decisions are now at risk: `), titles, ". The evidence under ", fallen.length === 1 ? "it" : "them", " has moved."),
    h("span", { class: "risk-actions" }, state.view === "learning" ? null : h("button", { type: "button", class: "see-decisions", onclick: () => { actions.setView("learning"); } }, "See the decisions"), h("button", { type: "button", class: "dismiss", onclick: dismiss }, "Dismiss")),
  );
}

function voteBanner() {
  if (!state.openVote || state.view === "vote") return null;
  const v = state.openVote;
  const mine = v.my_ballots.length;
  const total = v.vote.proposition_ids.length;
  const text = state.me.can_vote
    ? mine >= total
      ? `You have voted on all ${total} statement${total === 1 ? "" : "s"} of “${v.vote.label}”. You can change your answers until the reveal.`
      : `A blind vote is open: “${v.vote.label}” (${total} statement${total === 1 ? "" : "s"}). Your answers stay hidden until the reveal.`
    : `A blind vote is open: “${v.vote.label}”. ${v.participants} ${v.participants === 1 ? "person has" : "people have"} voted.`;
  return h(
    "div",
    { class: "vote-banner", role: "status" },
    h("span", { class: "live-dot", "aria-hidden": "true" }),
    text,
    " ",
    h("button", { type: "button", class: "primary", onclick: () => actions.setView("vote") }, state.me.can_vote && mine < total ? "Vote now" : "Open the vote"),
  );
}

function segmentIntro() {
  const m = state.model;
  const counts = { VALIDATED: 0, REFUTED: 0, CONTESTED: 0, UNKNOWN: 0 };
  let disagree = 0;
  for (const p of m.propositions) {
    counts[p.evidence.status] += 1;
    if (p.contested_among_functions) disagree += 1;
  }
  const a = m.divergences ? m.divergences.alignment : null;
  return h(
    "section",
    { class: "intro" },
    h("div", { class: "intro-text" }, h("h2", null, m.segment.name), m.segment.description ? h("p", { class: "muted description", title: m.segment.description }, m.segment.description) : null),
    h(
      "ul",
      { class: "stats", "aria-label": "This segment at a glance" },
      h("li", null, h("strong", null, String(m.propositions.length)), " statements"),
      ["VALIDATED", "REFUTED", "CONTESTED", "UNKNOWN"].map((st) => h("li", { class: STATUS[st].cls }, h("span", { class: "glyph", "aria-hidden": "true" }, STATUS[st].glyph), " ", h("strong", null, String(counts[st])), ` ${STATUS[st].label.toLowerCase()}`)),
      h("li", { class: "disagree-stat" }, h("strong", null, String(disagree)), " where the functions disagree"),
      a && a.alpha !== null
        ? h("li", { title: "Krippendorff's alpha over the functions' beliefs: 1 = full agreement, 0 = no better than chance" }, "Alignment α ", h("strong", null, fmtP(a.alpha)))
        : null,
    ),
  );
}

function mapView() {
  const m = state.model;
  if (!m.propositions.length) {
    return h("div", { class: "empty-state" }, h("h2", null, "No statements about this segment yet"), h("p", null, "Use “New statement” above to say which goals, pains and alternatives this segment has; then add the evidence behind them."));
  }
  return h(
    "div",
    { class: "map-view" },
    state.me.can_vote || state.me.can_facilitate ? statementForm({ model: m, refresh: refreshAfterWrite }) : null,
    legend(),
    h("p", { class: "hint" }, "Click a box or a line to see its evidence and what each function believes. Drag to move, scroll or pinch to zoom. Lines point from the feature or claim to what it acts on."),
    renderMap(m, state.selection, actions.select, render),
  );
}

function mapOptions() {
  return { large: document.documentElement.classList.contains("projector"), narrow: window.innerWidth < 700 };
}

function heatmapView() {
  const m = state.model;
  if (!m.heatmap.rows.length) return h("div", { class: "empty-state" }, h("h2", null, "Nothing to compare yet"), h("p", null, "The heatmap fills in as statements get evidence and beliefs."));
  return h(
    "div",
    { class: "heatmap-view" },
    heatmapLegend(m.heatmap),
    h("div", { class: "heatmap-scroll", dataset: { scroll: "heatmap" } }, renderHeatmap(m, state.selection && state.selection.kind === "proposition" ? state.selection.id : null, actions.select)),
  );
}

function jump(target, ...content) {
  // A real link (inline text, opens in the side panel); the hash keeps it shareable.
  const id = typeof target === "string" ? target : target.id;
  const href = typeof target === "string" || target.kind === "proposition" ? `#seg=${encodeURIComponent(state.segmentId)}&prop=${encodeURIComponent(id)}` : "#";
  return h(
    "a",
    {
      href,
      class: "jump",
      onclick: (event) => {
        event.preventDefault();
        actions.select(target);
      },
    },
    ...content,
  );
}

function divergencesView() {
  const ready = state.div.key === divergenceKey();
  if (!ready) queueMicrotask(loadDivergenceViews);
  if (!state.div.data) return h("p", { class: "loading" }, state.div.problem ? `The views could not be read: ${state.div.problem}` : "Reading the divergences…");
  return renderDivergences(state.div.data, {
    me: state.me,
    jump,
    statements: new Map(state.model.propositions.map((p) => [p.id, p.statement])),
    onlyOpposing: state.onlyOpposing,
    toggleOpposing: () => {
      state.onlyOpposing = !state.onlyOpposing;
      render();
    },
    merge: (pair) => mergeControl(pair, { refresh: refreshAfterWrite }),
  });
}

function learningView() {
  if (state.learn.key !== learningKey()) queueMicrotask(loadLearningViews);
  if (!state.learn.data) return h("p", { class: "loading" }, state.learn.problem ? `The views could not be read: ${state.learn.problem}` : "Reading what the evidence has taught…");
  return renderLearning(state.learn.data, { jump, statements: new Map(state.model.propositions.map((p) => [p.id, p.statement])) });
}

function drawer() {
  if (!state.selection || !state.model) return null;
  let content;
  const ctx = {
    me: state.me,
    draft: state.draft,
    voteOpen: Boolean(state.openVote),
    actions,
    model: state.model,
    accounts: state.accounts,
    refresh: refreshAfterWrite,
    forms: { evidenceForm, beliefForm, decisionForm },
  };
  if (state.selection.kind === "entity") {
    const entity = state.model.entities.find((e) => e.id === state.selection.id);
    content = entity ? renderEntityDetail(entity, state.model, ctx) : h("p", null, "This entity is not part of the segment's model.");
  } else if (state.detail && state.detail.proposition.id === state.selection.id) {
    content = renderPropositionDetail(state.detail, ctx);
  } else {
    content = h("p", { class: "loading" }, "Loading the evidence…");
  }
  return h(
    "aside",
    { class: "drawer", "aria-label": "Details" },
    h("button", { type: "button", class: "drawer-close", "aria-label": "Close the details (Esc)", onclick: actions.closeDrawer, dataset: { fkey: "drawer-close" } }, "×"),
    content,
  );
}

function mainView() {
  if (!state.segments.length) {
    return h(
      "div",
      { class: "empty-state" },
      h("h2", null, "No segments yet"),
      h("p", null, "Load the demo company with ", h("code", null, "commonground seed"), ", or create one through the API: it appears here by itself."),
    );
  }
  if (!state.model) return h("p", { class: "loading" }, "Loading the segment…");
  if (state.view === "vote") {
    return renderVote({ me: state.me, model: state.model, vote: state.openVote, shown: state.shown, recent: state.recent, draft: state.draft, ballotDrafts: state.ballotDrafts, actions: { ...actions, select: (id) => actions.select(id) } });
  }
  const body = state.view === "heatmap" ? heatmapView() : state.view === "divergences" ? divergencesView() : state.view === "learning" ? learningView() : mapView();
  return h("div", null, segmentIntro(), body);
}

// A re-render while a pointer is pressed would replace the button under it, and the press
// would never become a click: a live update arriving between someone's mouse-down and
// mouse-up ate their click. Such a render waits until the pointer is released.
let pressed = false;
let renderWaiting = false;
window.addEventListener("pointerdown", () => (pressed = true), true);
function released() {
  pressed = false;
  if (!renderWaiting) return;
  renderWaiting = false;
  setTimeout(render, 0); // after the click this release makes
}
window.addEventListener("pointerup", released, true);
window.addEventListener("pointercancel", released, true);
window.addEventListener("blur", released);

/** Where the caret is in a text field, to put back after the field is moved. */
function caretOf(el) {
  try {
    return el && typeof el.selectionStart === "number" ? [el.selectionStart, el.selectionEnd, el.selectionDirection] : null;
  } catch (error) {
    return null; // fields such as type=number have no caret to ask about
  }
}

function render() {
  if (!state.me) return;
  if (pressed) {
    renderWaiting = true;
    return;
  }
  // Keep the keyboard where it was: live updates re-render while people type and vote.
  const active = document.activeElement;
  const fkey = active && active.dataset ? active.dataset.fkey : null;
  const caret = caretOf(active);
  const scrollers = [...root.querySelectorAll("[data-scroll]")].map((el) => [el.dataset.scroll, el.scrollTop, el.scrollLeft]);
  const labelInput = root.querySelector("input[name=label]");
  const labelValue = labelInput ? labelInput.value : null;
  const minInput = root.querySelector("input[name=min_ballots]");
  const minValue = minInput ? minInput.value : null;
  replace(
    root,
    header(),
    h("div", { id: "problem", class: "problem-bar", role: "alert", hidden: true }),
    tabs(),
    voteBanner(),
    riskBanner(),
    h("main", { class: ["content", state.selection ? "with-drawer" : null], id: "content", dataset: { scroll: "content" } }, mainView()),
    drawer(),
    h("div", { id: "toasts", class: "toasts", "aria-live": "assertive" }),
  );
  renderLive();
  renderProblem();
  if (state.view === "map" && state.model && state.model.propositions.length) {
    mountMap(state.model, state.selection, mapOptions(), state.stamps.model);
    if (state.selection && state.selection.reveal) {
      state.selection.reveal = false;
      revealNode(state.selection.node);
    }
  }
  const newLabel = root.querySelector("input[name=label]");
  if (newLabel && labelValue !== null) newLabel.value = labelValue;
  const newMin = root.querySelector("input[name=min_ballots]");
  if (newMin && minValue !== null) newMin.value = minValue;
  for (const [key, top, left] of scrollers) {
    const el = root.querySelector(`[data-scroll="${key}"]`);
    if (el) {
      el.scrollTop = top;
      el.scrollLeft = left;
    }
  }
  // A form outlives re-renders (its elements are moved, not rebuilt), and moving a field
  // takes the keyboard out of it: put it back, caret and all, or the next keystrokes are lost.
  const again = fkey ? root.querySelector(`[data-fkey="${CSS.escape(fkey)}"]`) : active && active !== document.body && active.isConnected ? active : null;
  if (again && document.activeElement !== again) {
    again.focus({ preventScroll: true });
    if (caret && again.value === active.value) {
      try {
        again.setSelectionRange(...caret);
      } catch (error) {
        /* a field without a caret */
      }
    }
  }
}

function toggleProjector() {
  const on = !document.documentElement.classList.contains("projector");
  document.documentElement.classList.toggle("projector", on);
  try {
    localStorage.setItem("cg-projector", on ? "1" : "0");
  } catch (error) {
    /* private mode: the toggle still works for this page */
  }
  render();
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && state.selection) {
    actions.closeDrawer();
  }
});

// --- start ----------------------------------------------------------------------------------

async function start() {
  try {
    if (localStorage.getItem("cg-projector") === "1") document.documentElement.classList.add("projector");
  } catch (error) {
    /* ignore */
  }
  const query = new URLSearchParams(location.search);
  const invalidLink = query.get("signin") === "invalid";
  if (invalidLink) history.replaceState(null, "", "/workshop" + location.hash);
  try {
    state.me = await api.me();
  } catch (error) {
    if (error instanceof ApiError && error.signedOut) {
      showSignIn({ invalidLink, expired: error.invalidToken });
      return;
    }
    replace(root, h("main", { class: "signin" }, h("h1", null, "Common Ground workshop"), h("p", { class: "problem", role: "alert" }, error.message), h("p", null, "The page retries every few seconds.")));
    setTimeout(start, 4000);
    return;
  }
  if (invalidLink) toast("That sign-in link did not work, but you are still signed in from before.");
  loadAccounts()
    .then((accounts) => (state.accounts = accounts))
    .catch(() => (state.accounts = []));
  const wanted = readHash();
  state.view = VIEWS.some((v) => v.id === wanted.view) ? wanted.view : "map";
  try {
    state.segments = (await api.segments()).segments;
    state.segmentId = state.segments.some((seg) => seg.id === wanted.seg) ? wanted.seg : state.segments.length ? state.segments[0].id : null;
    if (wanted.node) state.selection = { kind: "entity", id: wanted.node, node: wanted.node };
    else if (wanted.prop) state.selection = { kind: "proposition", id: wanted.prop };
    render();
    await refreshAll();
    writeHash();
  } catch (error) {
    handle(error);
    render();
  }
  connect();
}

// A shared address pasted into this tab: follow it.
window.addEventListener("hashchange", () => {
  if (!state.me || !state.model) return;
  const wanted = readHash();
  if (wanted.seg && wanted.seg !== state.segmentId) return void actions.switchSegment(wanted.seg);
  if (wanted.node && (!state.selection || state.selection.node !== wanted.node)) {
    state.view = "map";
    actions.select(nodeSelection(wanted.node));
  }
});

let narrowNow = window.innerWidth < 700;
window.addEventListener("resize", () => {
  // Across the phone/laptop line the map changes shape; otherwise it only resizes.
  const narrow = window.innerWidth < 700;
  if (narrow !== narrowNow) {
    narrowNow = narrow;
    render();
  }
});

window.addEventListener("pageshow", () => {
  // Back from the bfcache: the event stream was closed; catch up.
  if (state.me && !events) connect();
});

start();
