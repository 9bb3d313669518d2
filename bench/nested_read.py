"""Benchmark c: a nested GraphQL read of ~1,000 and ~10,000 objects vs plain FastAPI + orjson.

Three ways to get one page of propositions with subject, object, current beliefs and the
two newest evidence items with their bearings, over HTTP against the same uvicorn process:

- ``typed``: the ``propositions`` listing with nested typed fields (DataLoaders, one query
  per nested field);
- ``bulk``: ``propositionGraph``, the same page as one JSON value from one Cypher query;
- ``plain``: a FastAPI endpoint running that Cypher through ``driver.execute_query`` and
  answering with orjson — no GraphQL at all.

Ratios are against ``plain``; round trips are the Cypher queries the server ran for one
request (authentication included), against the query's depth + 1.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import orjson

from bench.harness import count_objects, interleaved, ratio, summary

EVIDENCE_PER_PROPOSITION = 2
# Pages of about 1,000 and 10,000 objects with the synthetic data (~12 per proposition).
PAGES = {"~1k objects": 80, "~10k objects": 800}

TYPED = """
query Nested($first: Int!, $evidence: Int!) {
  propositions(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor asOf }
    nodes {
      id relation createdAt
      subject { id kind name }
      object { id kind name }
      beliefs { function p magnitude statedAt }
      evidence(first: $evidence) {
        totalCount
        nodes { id sourceType summary observedAt bears { stance strength magnitude } }
      }
    }
  }
}
"""
# propositions > nodes > evidence > nodes > bears
TYPED_DEPTH = 5

BULK = """
query Bulk($first: Int!, $evidence: Int!) {
  propositionGraph(first: $first, evidencePerProposition: $evidence)
}
"""
BULK_DEPTH = 1


def _normalise(value: Any) -> Any:
    """Compare typed and bulk answers: times as instants, bulk-only keys dropped."""
    if isinstance(value, dict):
        return {
            k: _normalise(v)
            for k, v in value.items()
            if k not in ("propositionId", "endCursor", "asOf")
        }
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, str) and len(value) >= 20 and value[4:5] == "-" and value[10:11] == "T":
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return value
    return value


async def _queries_run(http: httpx.AsyncClient) -> int:
    response = await http.get("/bench/queries")
    return int(response.json()["queries"])


async def round_trips(http: httpx.AsyncClient, send: Any) -> int:
    """Cypher queries the server ran for one request (the counter's own read excluded)."""
    before = await _queries_run(http)
    await send()
    after = await _queries_run(http)
    return after - before - 1


async def run(base_url: str, token: str, runs: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    results: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=300.0) as http:
        for label, first in PAGES.items():
            variables = {"first": first, "evidence": EVIDENCE_PER_PROPOSITION}

            async def typed(variables: dict[str, int] = variables) -> bytes:
                response = await http.post(
                    "/graphql", json={"query": TYPED, "variables": variables}
                )
                response.raise_for_status()
                return response.content

            async def bulk(variables: dict[str, int] = variables) -> bytes:
                response = await http.post("/graphql", json={"query": BULK, "variables": variables})
                response.raise_for_status()
                return response.content

            async def plain(first: int = first, root: str = "propositionGraph") -> bytes:
                response = await http.get(
                    "/bench/propositions",
                    params={"first": first, "evidence": EVIDENCE_PER_PROPOSITION, "root": root},
                )
                response.raise_for_status()
                return response.content

            typed_body = orjson.loads(await typed())
            bulk_body = orjson.loads(await bulk())
            plain_body = orjson.loads(await plain())
            for body in (typed_body, bulk_body):
                if "errors" in body:
                    raise RuntimeError(f"GraphQL errors: {body['errors'][:2]}")
            page = plain_body["data"]["propositionGraph"]
            if bulk_body["data"]["propositionGraph"]["nodes"] != page["nodes"]:
                raise RuntimeError("propositionGraph and the plain endpoint disagree")
            if _normalise(typed_body["data"]["propositions"]) != _normalise(page):
                raise RuntimeError("the typed listing and the plain endpoint disagree")

            times = await interleaved({"typed": typed, "bulk": bulk, "plain": plain}, runs=runs)
            plain_median = summary(times["plain"])["median_s"]
            results[label] = {
                "propositions": first,
                "objects": count_objects(page),
                "response_bytes": {"typed": len(await typed()), "plain": len(await plain())},
                "plain": summary(times["plain"]),
                "typed": summary(times["typed"]),
                "bulk": summary(times["bulk"]),
                "typed_ratio": ratio(summary(times["typed"])["median_s"], plain_median),
                "bulk_ratio": ratio(summary(times["bulk"])["median_s"], plain_median),
                "round_trips": {
                    "typed": await round_trips(http, typed),
                    "typed_depth_plus_1": TYPED_DEPTH + 1,
                    "bulk": await round_trips(http, bulk),
                    "bulk_depth_plus_1": BULK_DEPTH + 1,
                    "plain": await round_trips(http, plain),
                },
            }
    return results
