// The load of two benchmarks, from autocannon:
// - GraphQL's "entity by id" (bench/graphql_peer.py): one query posted with a different id
//   each request, from --connections connections for --seconds seconds, against the product
//   and the peer in turns, so the same client loads both;
// - the workshop's pages (bench/workshop_load.py): GET each of "paths" in turn, "amount"
//   requests in all over the connections (32 clients × 8 pages), as 32 browsers would.
// It prints one JSON line of what it measured.
//
// A client in Python (httpx) spent ~4 ms of CPU a request here, more than either server
// (docs/benchmarks.md), and on two cores it set the pace for both; autocannon is made for
// the job and costs a fraction of that.
//
// Usage: node load.mjs URL SPEC_FILE
//   SPEC_FILE holds {"connections", "headers"} and either {"query", "ids", "seconds"} or
//   {"paths", "amount"}.

import { readFileSync } from "node:fs";
import autocannon from "autocannon";

const [url, specFile] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specFile, "utf8"));
let next = 0;
let graphqlErrors = 0;

function posting() {
  const bodies = spec.ids.map((id) => JSON.stringify({ query: spec.query, variables: { id } }));
  return {
    method: "POST",
    setupRequest: (request) => {
      request.body = bodies[next % bodies.length];
      next += 1;
      return request;
    },
    onResponse: (status, body) => {
      // A GraphQL error answers 200 with "errors": counted, so a run that fails is seen.
      if (body.includes('"errors"')) graphqlErrors += 1;
    },
  };
}

function getting() {
  return {
    method: "GET",
    setupRequest: (request) => {
      request.path = spec.paths[next % spec.paths.length];
      next += 1;
      return request;
    },
  };
}

const result = await autocannon({
  url,
  connections: spec.connections,
  ...(spec.paths ? { amount: spec.amount } : { duration: spec.seconds }),
  headers: { "content-type": "application/json", ...spec.headers },
  requests: [spec.paths ? getting() : posting()],
});

process.stdout.write(
  JSON.stringify({
    requests: result.requests.total,
    seconds: result.duration,
    per_s: Math.round((result.requests.total / result.duration) * 10) / 10,
    p50_s: result.latency.p50 / 1000,
    p99_s: result.latency.p99 / 1000,
    non_2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    graphql_errors: graphqlErrors,
  }) + "\n",
);
