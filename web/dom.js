// Small DOM helpers. Text always goes in through textContent, never as HTML, so nothing a
// user typed into the model (names, quotes, rationales) can run as markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** h("div", {class: "x", onclick: f}, "text", child, [more]) */
export function h(tag, attrs, ...children) {
  return append(apply(document.createElement(tag), attrs), children);
}

/** The same for SVG elements. */
export function s(tag, attrs, ...children) {
  return append(apply(document.createElementNS(SVG_NS, tag), attrs), children);
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  return append(clear(el), children);
}

// --- formatting ---------------------------------------------------------------------------

export function fmtP(p) {
  return p === null || p === undefined ? "—" : Number(p).toFixed(2);
}

export function fmtSigned(x) {
  if (x === null || x === undefined) return "—";
  const v = Number(x);
  return (v > 0 ? "+" : v < 0 ? "−" : "±") + Math.abs(v).toFixed(2);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function fmtDate(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

export function capitalise(text) {
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

// --- support status: colour AND glyph AND word, never colour alone --------------------------

export const STATUS = {
  VALIDATED: { label: "Validated", glyph: "✓", cls: "st-validated", hint: "the evidence says it holds (confidence ≥ 0.95)" },
  REFUTED: { label: "Refuted", glyph: "✗", cls: "st-refuted", hint: "the evidence says it does not hold (confidence ≤ 0.05)" },
  CONTESTED: { label: "Contested", glyph: "⇄", cls: "st-contested", hint: "real evidence on both sides, no verdict" },
  UNKNOWN: { label: "Unknown", glyph: "?", cls: "st-unknown", hint: "too little evidence to say" },
};

export function statusBadge(status, extra) {
  const info = STATUS[status] || STATUS.UNKNOWN;
  return h(
    "span",
    { class: ["badge", info.cls], title: `${info.label}: ${info.hint}` },
    h("span", { class: "glyph", "aria-hidden": "true" }, info.glyph),
    " ",
    info.label,
    extra ? ` ${extra}` : null,
  );
}

export const FUNCTION_SHORT = {
  product: "Prod",
  marketing: "Mktg",
  sales: "Sales",
  success: "Succ",
  design: "Dsgn",
  engineering: "Eng",
  leadership: "Lead",
};

export function shortFunction(name) {
  return FUNCTION_SHORT[name] || (name.length > 6 ? name.slice(0, 5) + "." : name);
}
