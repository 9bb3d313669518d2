// The workshop's JSON API, with errors turned into something a person can act on.

const BASE = "/api/v1/workshop";

export class ApiError extends Error {
  constructor(status, message, invalidToken = false) {
    super(message);
    this.status = status;
    this.invalidToken = invalidToken; // signed in before, but the token died (expired, revoked)
  }
  get signedOut() {
    return this.status === 401;
  }
  get unavailable() {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

function messageOf(status, body) {
  if (body && typeof body === "object") {
    if (typeof body.message === "string") return body.message;
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail) && body.detail.length) {
      return body.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
    }
  }
  if (status === 503) return "The database is starting or unreachable; retrying shortly.";
  return `The server answered ${status}.`;
}

async function call(method, path, body) {
  let response;
  try {
    response = await fetch(BASE + path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? { Accept: "application/json" } : { Accept: "application/json", "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, "Cannot reach the server. Check the network; the page retries on its own.");
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = null;
  }
  if (!response.ok) {
    const challenge = response.headers.get("WWW-Authenticate") || "";
    throw new ApiError(response.status, messageOf(response.status, data), /invalid_token/.test(challenge));
  }
  return data;
}

export const api = {
  me: () => call("GET", "/me"),
  segments: () => call("GET", "/segments"),
  segment: (id) => call("GET", `/segments/${encodeURIComponent(id)}?include=heatmap&include=divergences&limit=10`),
  proposition: (id) => call("GET", `/propositions/${encodeURIComponent(id)}`),
  votes: (params) => call("GET", "/votes?" + new URLSearchParams(params).toString()),
  vote: (id) => call("GET", `/votes/${encodeURIComponent(id)}`),
  openVote: (body) => call("POST", "/votes", body),
  cast: (id, ballots) => call("PUT", `/votes/${encodeURIComponent(id)}/ballots`, { ballots }),
  reveal: (id) => call("POST", `/votes/${encodeURIComponent(id)}/reveal`),
  cancel: (id) => call("POST", `/votes/${encodeURIComponent(id)}/cancel`),
  signOut: () => call("POST", "/signout"),
  eventsUrl: BASE + "/events",
};
