"""The workshop's blind-vote endpoints: list, open, read, cast ballots, reveal and cancel.

Every answer is the vote as the caller may see it (``graph.votes.view``), with a sentence for
each proposition and the change stamps the page compares with its event stream.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from neo4j import AsyncManagedTransaction
from pydantic import BaseModel, Field

from api.dependencies import DatabaseDep
from api.rest.workshop.page import WorkshopActor
from api.rest.workshop.shapes import LIST_LIMIT, json_response, proposition_view, statement
from graph import entities, propositions, votes
from graph.kit.connection import Database
from schema.models import Actor
from schema.vocabulary import MAGNITUDE_MEANING
from schema.votes import BallotCast, VoteOpen, VoteStatus, VoteView

router = APIRouter(tags=["workshop"])


class OpenVoteBody(VoteOpen):
    idempotency_key: str | None = Field(None, min_length=1, max_length=200)


class BallotsBody(BaseModel):
    ballots: list[BallotCast] = Field(min_length=1, max_length=30)


async def _vote_view(
    tx: AsyncManagedTransaction, vote_id: str, viewer: Actor
) -> tuple[VoteView, dict[str, Any], dict[str, Any]]:
    view = await votes.view(tx, vote_id, viewer)
    found = await propositions.get_many(tx, view.vote.proposition_ids)
    ends = await entities.get_many(
        tx, sorted({i for p in found.values() for i in (p.subject_id, p.object_id)})
    )
    described: dict[str, Any] = {}
    for pid in view.vote.proposition_ids:
        p = found.get(pid)
        subject = ends.get(p.subject_id) if p else None
        obj = ends.get(p.object_id) if p else None
        if p is None or subject is None or obj is None:
            described[pid] = {"statement": pid, "magnitude_meaning": None}
            continue
        described[pid] = {
            "statement": statement(proposition_view(p, subject, obj)),
            "relation": p.relation.value,
            "magnitude_meaning": MAGNITUDE_MEANING[p.relation],
        }
    return view, described, await votes.change_stamps(tx)


def _vote_body(
    view: VoteView, described: dict[str, Any], stamps: dict[str, Any], viewer: Actor
) -> dict[str, Any]:
    body = view.model_dump(mode="json")
    body["propositions"] = described
    body["stamps"] = stamps
    body["you"] = {
        "function": viewer.function,
        "can_vote": viewer.can_write and viewer.function is not None,
        "can_facilitate": viewer.may_act_for_any_function,
    }
    return body


async def _vote_response(
    db: Database, vote_id: str, actor: Actor, status_code: int = 200
) -> Response:
    view, described, stamps = await db.read(_vote_view, vote_id, actor)
    return json_response(_vote_body(view, described, stamps, actor), status_code)


# A facilitator's step on a vote: the write, then the vote as it now stands.
VoteStep = Callable[[AsyncManagedTransaction, Actor, str, datetime], Awaitable[object]]


async def _step(step: VoteStep, vote_id: str, actor: Actor, db: Database) -> Response:
    await db.write(step, actor, vote_id, datetime.now(UTC))
    return await _vote_response(db, vote_id, actor)


@router.get("/api/v1/workshop/votes", summary="Recent blind votes, newest first")
async def list_votes(
    _: WorkshopActor,
    db: DatabaseDep,
    segment_id: Annotated[str | None, Query(max_length=200)] = None,
    status: VoteStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT)] = 20,
) -> Response:
    found = await db.read(votes.list_votes, segment_id=segment_id, status=status, limit=limit)
    stamps = await db.read(votes.change_stamps)
    return json_response({"votes": [v.model_dump(mode="json") for v in found], "stamps": stamps})


@router.post(
    "/api/v1/workshop/votes",
    status_code=201,
    summary="Open a blind vote on some propositions (facilitators and admins)",
)
async def open_vote(body: OpenVoteBody, actor: WorkshopActor, db: DatabaseDep) -> Response:
    data = VoteOpen(
        proposition_ids=body.proposition_ids,
        label=body.label,
        segment_id=body.segment_id,
        min_ballots=body.min_ballots,
    )
    vote = await db.write(
        votes.open_vote, actor, data, datetime.now(UTC), idempotency_key=body.idempotency_key
    )
    return await _vote_response(db, vote.id, actor, 201)


@router.get(
    "/api/v1/workshop/votes/{vote_id}",
    summary="A vote as you may see it: progress counts, your own ballots, results after reveal",
)
async def get_vote(vote_id: str, actor: WorkshopActor, db: DatabaseDep) -> Response:
    return await _vote_response(db, vote_id, actor)


@router.put(
    "/api/v1/workshop/votes/{vote_id}/ballots",
    summary="Cast or change your ballots (for your own function) while the vote is open",
)
async def cast_ballots(
    vote_id: str, body: BallotsBody, actor: WorkshopActor, db: DatabaseDep
) -> Response:
    await db.write(votes.cast_ballots, actor, vote_id, body.ballots, datetime.now(UTC))
    return await _vote_response(db, vote_id, actor)


@router.post(
    "/api/v1/workshop/votes/{vote_id}/reveal",
    summary="Reveal: state each function's median as its belief (facilitators and admins)",
)
async def reveal_vote(vote_id: str, actor: WorkshopActor, db: DatabaseDep) -> Response:
    return await _step(votes.reveal, vote_id, actor, db)


@router.post(
    "/api/v1/workshop/votes/{vote_id}/cancel",
    summary="Close an open vote without stating anything (facilitators and admins)",
)
async def cancel_vote(vote_id: str, actor: WorkshopActor, db: DatabaseDep) -> Response:
    return await _step(votes.cancel, vote_id, actor, db)
