// The page's GraphQL client: the same API, authorization and validation every tool uses, with
// the sign-in cookie (the browser sends this site's Origin with each POST). Errors come back
// as a message a person can act on, with the field the server found wrong when it says.

import { ApiError } from "./api.js";

export class GraphQLError extends Error {
  constructor(message, code, field) {
    super(message);
    this.code = code || null;
    this.field = field || null;
  }
}

/** Run one operation; resolve to its data, or throw GraphQLError / ApiError. */
export async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ApiError(0, "Cannot reach the server. Check the network; the page retries on its own.");
  }
  let body = null;
  try {
    body = await response.json();
  } catch (error) {
    body = null;
  }
  if (response.status === 401) throw new ApiError(401, "You are signed out.", /invalid_token/.test(response.headers.get("WWW-Authenticate") || ""));
  if (!body || (!body.data && !body.errors)) throw new ApiError(response.status, (body && body.message) || `The server answered ${response.status}.`);
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const ext = first.extensions || {};
    if (ext.code === "UNAUTHENTICATED") throw new ApiError(401, first.message);
    throw new GraphQLError(first.message, ext.code, ext.field || (ext.details && ext.details.field) || null);
  }
  return body.data;
}

/** A fresh key per submission: a retried request (a double click, a lost answer) writes once. */
export function idempotencyKey() {
  if (window.crypto && crypto.randomUUID) return `page-${crypto.randomUUID()}`;
  return `page-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
