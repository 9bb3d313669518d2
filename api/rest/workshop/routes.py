"""The workshop's router: the page, the read endpoints defined here (who is signed in, the
segments, one segment's model and views, one proposition), the votes and the event stream."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BeforeValidator

from api.dependencies import DatabaseDep, SettingsDep
from api.rest.workshop import events, page, signin, votes
from api.rest.workshop.page import WorkshopActor
from api.rest.workshop.proposition import load_proposition
from api.rest.workshop.shapes import LIST_LIMIT, json_response, ordered_functions
from api.rest.workshop.views import divergences_json, heatmap_json, load_segment, segment_json
from graph import functions
from graph.divergence import EngineSettings
from graph.segments import live_segments
from schema.times import given_time

SEGMENTS_LISTED = 100

reads = APIRouter(tags=["workshop"])


def _engine(settings: SettingsDep) -> EngineSettings:
    return EngineSettings.from_settings(settings)


Engine = Annotated[EngineSettings, Depends(_engine)]

AsOf = Annotated[
    datetime | None,
    BeforeValidator(given_time),  # one rule for times typed anywhere (schema/times.py)
    Query(description="The time to look at (default: now); figures count from it."),
]
Include = Annotated[
    list[str] | None,
    Query(description="Fold other views into the answer: heatmap, divergences."),
]


@reads.get("/api/v1/workshop/me", summary="Who is signed in, and what they may do here")
async def me(actor: WorkshopActor, db: DatabaseDep) -> Response:
    names = ordered_functions([f.name for f in await db.read(functions.list_all)])
    return json_response(
        {
            "member": {
                "id": actor.member_id,
                "name": actor.name,
                "function": actor.function,
                "role": actor.role.value,
            },
            "can_vote": actor.can_write and actor.function is not None,
            "can_facilitate": actor.may_act_for_any_function,
            "functions": names,
        }
    )


@reads.get("/api/v1/workshop/segments", summary="The segments to pick from")
async def segments(_: WorkshopActor, db: DatabaseDep) -> Response:
    found = await db.read(live_segments, datetime.now(UTC), SEGMENTS_LISTED)
    return json_response(
        {"segments": [{"id": s.id, "name": s.name, "description": s.description} for s in found]}
    )


@reads.get(
    "/api/v1/workshop/segments/{segment_id}",
    summary="One segment's whole model: entities, propositions, support and beliefs",
)
async def segment_model(
    segment_id: str,
    _: WorkshopActor,
    db: DatabaseDep,
    engine: Engine,
    as_of: AsOf = None,
    include: Include = None,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT)] = 10,
) -> Response:
    picture, details, voted, stamps = await load_segment(db, engine, segment_id, as_of)
    body = segment_json(picture, details, voted, stamps)
    wanted = set(include or [])
    if "heatmap" in wanted:
        body["heatmap"] = heatmap_json(picture, voted)
    if "divergences" in wanted:
        body["divergences"] = await asyncio.to_thread(divergences_json, picture, limit)
    return json_response(body)


@reads.get(
    "/api/v1/workshop/segments/{segment_id}/heatmap",
    summary="Function × proposition: each function's p and its gap to the evidence",
)
async def segment_heatmap(
    segment_id: str, _: WorkshopActor, db: DatabaseDep, engine: Engine, as_of: AsOf = None
) -> Response:
    picture, _details, voted, _stamps = await load_segment(db, engine, segment_id, as_of)
    return json_response(heatmap_json(picture, voted))


@reads.get(
    "/api/v1/workshop/segments/{segment_id}/divergences",
    summary="The top belief gaps and disagreements, the structural gaps, the alignment index",
)
async def segment_divergences(
    segment_id: str,
    _: WorkshopActor,
    db: DatabaseDep,
    engine: Engine,
    as_of: AsOf = None,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT)] = 10,
) -> Response:
    picture, _details, _voted, _stamps = await load_segment(db, engine, segment_id, as_of)
    return json_response(await asyncio.to_thread(divergences_json, picture, limit))


@reads.get(
    "/api/v1/workshop/propositions/{proposition_id}",
    summary="One proposition: its evidence, each function's belief, and its blind votes",
)
async def proposition_detail(
    proposition_id: str, _: WorkshopActor, db: DatabaseDep, engine: Engine, as_of: AsOf = None
) -> Response:
    detail = await db.read(load_proposition, engine, proposition_id, as_of or datetime.now(UTC))
    return json_response(detail)


# In the order the endpoints are listed in the API's description.
router = APIRouter()
for part in (page.router, signin.router, reads, votes.router, events.router):
    router.include_router(part)
