"""The workshop page (``/workshop``) and its compact JSON API (DESIGN.md §4).

The page shell and its static files are public; ``/workshop?token=T`` signs in by setting an
HttpOnly, SameSite=Strict cookie and redirecting to the bare URL, so the token leaves the
address bar and history. Everything under ``/api/v1/workshop`` needs a token (header or that
cookie). A segment's whole model is one Cypher-shaped ``Picture`` served as plain JSON,
not through GraphQL: it is the page's hot path (DESIGN.md §6).
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from neo4j import AsyncManagedTransaction
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from pydantic import BaseModel, Field

import web
from api.auth import SESSION_COOKIE, authenticate, token_from_request
from api.dependencies import DatabaseDep, SettingsDep
from api.rest.workshop_events import MAX_STREAM_S, ChangeFeed, TooManyStreams, stream
from graph import beliefs, entities, evidence, functions, members, propositions, support, votes
from graph.divergence import (
    EngineSettings,
    Picture,
    alignment,
    belief_gaps,
    disagreements,
    evidence_view,
    load_model,
    load_scope,
    structural_gaps,
    with_scope,
)
from graph.kit.connection import Database
from schema.divergence import EntityRef, EvidenceView, PropositionView
from schema.errors import NotFound
from schema.models import Actor, Entity
from schema.vocabulary import DEFAULT_FUNCTIONS, MAGNITUDE_MEANING, EntityKind, Relation
from schema.votes import BallotCast, VoteOpen, VoteStatus, VoteView

router = APIRouter(tags=["workshop"])

WEB_DIR = Path(web.__file__).resolve().parent
PAGE = WEB_DIR / "workshop.html"
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Only these files are served: never the package's Python files or caches.
ASSETS: dict[str, Path] = {
    p.name: p
    for p in sorted(WEB_DIR.iterdir())
    if p.suffix in _MEDIA_TYPES and not p.name.startswith(".")
}

# No CDN, no inline script or style: everything the page loads comes from this server.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
SESSION_MAX_AGE_S = 12 * 3600

HOW_TO_SIGN_IN = (
    "ask a facilitator or an admin for a token (they run: commonground token create "
    '"Your Name"), then open /workshop?token=<token>'
)
NO_TOKEN = "You are not signed in: " + HOW_TO_SIGN_IN
BAD_TOKEN = (
    "Your token is no longer valid (expired, revoked, or the member was deactivated): "
    + HOW_TO_SIGN_IN
)

# The order in which relations are listed (the segment's world first, then what acts on it).
RELATION_ORDER = {
    r: n
    for n, r in enumerate(
        [
            Relation.PURSUES,
            Relation.EXPERIENCES,
            Relation.USES,
            Relation.HINDERS,
            Relation.RELIEVES,
            Relation.ENABLES,
            Relation.BEATS,
            Relation.PROMISES,
            Relation.TARGETS,
            Relation.BACKED_BY,
        ]
    )
}
# How each relation reads in a sentence; a segment is plural ("operations teams pursue").
VERBS = {
    Relation.PURSUES: "pursue",
    Relation.EXPERIENCES: "experience",
    Relation.USES: "use",
    Relation.HINDERS: "hinders",
    Relation.RELIEVES: "relieves",
    Relation.ENABLES: "enables",
    Relation.PROMISES: "promises",
    Relation.BACKED_BY: "is backed by",
    Relation.TARGETS: "targets",
    Relation.BEATS: "beats",
}
LIST_LIMIT = 50


def statement(view: PropositionView) -> str:
    """A proposition as a sentence: Mid-market operations teams experience “Slow onboarding”."""
    subject = view.subject.name
    if view.subject.kind is not EntityKind.SEGMENT:
        subject = f"“{subject}”"
    return f"{subject} {VERBS[view.relation]} “{view.object.name}”"


def ordered_functions(names: list[str] | tuple[str, ...]) -> list[str]:
    """The seven default functions in their usual order, then custom ones by name."""
    default = {name: n for n, name in enumerate(DEFAULT_FUNCTIONS)}
    return sorted(names, key=lambda f: (default.get(f, len(default)), f))


def _json(data: Any, status_code: int = 200) -> Response:
    return Response(
        orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS),
        status_code=status_code,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _now() -> datetime:
    return datetime.now(UTC)


# --- who is calling -----------------------------------------------------------------------


async def workshop_actor(request: Request, db: DatabaseDep) -> Actor:
    token = token_from_request(request)
    if not token:
        raise HTTPException(401, NO_TOKEN, headers={"WWW-Authenticate": "Bearer"})
    actor = await authenticate(db, token)
    if actor is None:
        # RFC 6750: the page tells "not signed in" from "signed in with a dead token" by this.
        raise HTTPException(
            401, BAD_TOKEN, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
        )
    return actor


WorkshopActor = Annotated[Actor, Depends(workshop_actor)]


def _engine(settings: SettingsDep) -> EngineSettings:
    return EngineSettings.from_settings(settings)


Engine = Annotated[EngineSettings, Depends(_engine)]


# --- the page -------------------------------------------------------------------------------


@router.get(
    "/workshop",
    response_class=HTMLResponse,
    summary="The workshop page (public); ?token=T signs in with an HttpOnly cookie",
    responses={303: {"description": "Signed in (or not): redirect to the bare page URL"}},
)
async def workshop_page(
    request: Request,
    token: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    if token is not None:
        return await _sign_in(request, token.strip())
    return HTMLResponse(PAGE.read_text(encoding="utf-8"), headers=PAGE_HEADERS)


async def _sign_in(request: Request, token: str) -> Response:
    db: Database | None = getattr(request.app.state, "db", None)
    valid: bool | None = None  # None: the database cannot tell right now
    if db is not None and request.app.state.ready and token:
        try:
            valid = await authenticate(db, token) is not None
        except (ServiceUnavailable, SessionExpired, OSError):
            valid = None
    elif not token:
        valid = False
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    if valid is False:
        return RedirectResponse("/workshop?signin=invalid", status_code=303, headers=headers)
    response = RedirectResponse("/workshop", status_code=303, headers=headers)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_MAX_AGE_S,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/workshop/assets/{name}", summary="The workshop page's scripts and styles (public)")
async def workshop_asset(name: str, request: Request) -> Response:
    path = ASSETS.get(name)
    if path is None:
        raise HTTPException(404, f"no asset {name!r}")
    body = path.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=_MEDIA_TYPES[path.suffix], headers=headers)


@router.post(
    "/api/v1/workshop/signout", status_code=204, summary="Forget the workshop's sign-in cookie"
)
async def sign_out() -> Response:
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


# --- reads ----------------------------------------------------------------------------------


@router.get("/api/v1/workshop/me", summary="Who is signed in, and what they may do here")
async def me(actor: WorkshopActor, db: DatabaseDep) -> Response:
    names = ordered_functions([f.name for f in await db.read(functions.list_all)])
    return _json(
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


async def _segments(tx: AsyncManagedTransaction, now: datetime) -> list[Entity]:
    rows, _ = await entities.list_page(
        tx,
        kind=EntityKind.SEGMENT,
        search=None,
        as_of=now,
        include_retired=False,
        after=None,
        limit=100,
    )
    return rows


@router.get("/api/v1/workshop/segments", summary="The segments to pick from")
async def segments(_: WorkshopActor, db: DatabaseDep) -> Response:
    found = await db.read(_segments, _now())
    return _json(
        {"segments": [{"id": s.id, "name": s.name, "description": s.description} for s in found]}
    )


def _evidence(view: EvidenceView) -> dict[str, Any]:
    return {
        "status": view.status.value,
        "support": _round(view.support),
        "confidence": _round(view.confidence),
        "low": _round(view.interval_low),
        "high": _round(view.interval_high),
        "level": view.interval_level,
        "supporting_weight": _round(view.supporting_weight),
        "contradicting_weight": _round(view.contradicting_weight),
        "mass": _round(view.mass),
        "count": view.evidence_count,
        "supporting_count": view.supporting_count,
        "contradicting_count": view.contradicting_count,
        "accounts": view.distinct_accounts,
        "newest": view.newest_evidence_at.isoformat() if view.newest_evidence_at else None,
    }


def _ordered(picture: Picture) -> list[PropositionView]:
    return sorted(
        picture.in_scope(),
        key=lambda p: (RELATION_ORDER[p.relation], p.subject.name, p.object.name, p.id),
    )


def _model(
    picture: Picture, details: dict[str, Entity], voted: set[str], stamps: dict[str, Any]
) -> dict[str, Any]:
    contested_spread = picture.settings.contested_spread
    rows: list[dict[str, Any]] = []
    nodes: dict[str, dict[str, Any]] = {}
    for view in _ordered(picture):
        held = picture.beliefs_on(view.id)
        values = [b.p for b in held]
        spread = max(values) - min(values) if len(values) >= 2 else None
        rows.append(
            {
                "id": view.id,
                "relation": view.relation.value,
                "subject_id": view.subject.id,
                "object_id": view.object.id,
                "statement": statement(view),
                "magnitude_meaning": MAGNITUDE_MEANING[view.relation],
                "evidence": _evidence(picture.evidence(view.id)),
                "beliefs": {
                    b.function: {
                        "p": b.p,
                        "magnitude": b.magnitude,
                        "stated_at": b.stated_at.isoformat(),
                        "from_vote": b.belief_id in voted,
                    }
                    for b in held
                },
                "spread": _round(spread),
                "contested_among_functions": spread is not None and spread >= contested_spread,
            }
        )
        for ref in (view.subject, view.object):
            if ref.id not in nodes:
                detail = details.get(ref.id)
                nodes[ref.id] = {
                    "id": ref.id,
                    "kind": ref.kind.value,
                    "name": ref.name,
                    "status": ref.status,
                    "alt_kind": detail.alt_kind if detail else None,
                    "description": detail.description if detail else None,
                }
    assert picture.segment is not None
    segment = details.get(picture.segment.id)
    return {
        "as_of": picture.as_of.isoformat(),
        "stamps": stamps,
        "segment": {
            "id": picture.segment.id,
            "name": picture.segment.name,
            "description": segment.description if segment else None,
        },
        "functions": ordered_functions(picture.functions),
        "thresholds": picture.thresholds.model_dump(mode="json"),
        "entities": sorted(nodes.values(), key=lambda n: (n["kind"], n["name"])),
        "propositions": rows,
    }


def _heatmap(picture: Picture, voted: set[str]) -> dict[str, Any]:
    settings = picture.settings
    rows = []
    for view in _ordered(picture):
        ev = picture.evidence(view.id)
        comparable = ev.mass >= settings.min_evidence_mass
        cells = {}
        for b in picture.beliefs_on(view.id):
            gap = b.p - ev.confidence if comparable else None
            cells[b.function] = {
                "p": b.p,
                "gap": _round(gap),
                "significant": gap is not None and abs(gap) >= settings.significant_gap,
                "from_vote": b.belief_id in voted,
            }
        rows.append(
            {
                "proposition_id": view.id,
                "statement": statement(view),
                "relation": view.relation.value,
                "status": ev.status.value,
                "confidence": _round(ev.confidence),
                "mass": _round(ev.mass),
                "comparable": comparable,
                "cells": cells,
            }
        )
    return {
        "functions": ordered_functions(picture.functions),
        "min_evidence_mass": settings.min_evidence_mass,
        "significant_gap": settings.significant_gap,
        "rows": rows,
    }


def _divergences(picture: Picture, limit: int) -> dict[str, Any]:
    gaps = []
    for row in belief_gaps(picture, significant_only=True)[:limit]:
        text = statement(row.proposition)
        if row.gap > 0:
            sentence = (
                f"{row.function.capitalize()} is more sure than the evidence that {text}: "
                f"believes {row.p:.2f}, the evidence says {row.confidence:.2f}."
            )
        else:
            sentence = (
                f"{row.function.capitalize()} doubts that {text} more than the evidence does: "
                f"believes {row.p:.2f}, the evidence says {row.confidence:.2f}."
            )
        gaps.append(
            {
                "proposition_id": row.proposition.id,
                "function": row.function,
                "p": row.p,
                "confidence": _round(row.confidence),
                "gap": _round(row.gap),
                "direction": row.direction.value,
                "rank_score": _round(row.rank_score),
                "text": sentence,
            }
        )
    spreads = []
    for d in disagreements(picture, contested_only=True)[:limit]:
        spreads.append(
            {
                "proposition_id": d.proposition.id,
                "spread": _round(d.spread),
                "standard_deviation": _round(d.standard_deviation),
                "highest": {"function": d.highest.function, "p": d.highest.p},
                "lowest": {"function": d.lowest.function, "p": d.lowest.p},
                "text": (
                    f"The functions disagree on whether {statement(d.proposition)}: "
                    f"{d.highest.function} {d.highest.p:.2f}, {d.lowest.function} "
                    f"{d.lowest.p:.2f} (evidence {d.evidence.confidence:.2f})."
                ),
            }
        )
    structural = [
        {
            "kind": g.kind.value,
            "owners": list(g.owners),
            "entity": {"id": g.entity.id, "kind": g.entity.kind.value, "name": g.entity.name},
            "proposition_ids": [p.proposition.id for p in g.propositions],
            "text": g.explanation,
        }
        for g in structural_gaps(picture)
    ]
    agreement = alignment(picture)
    return {
        "belief_gaps": gaps,
        "disagreements": spreads,
        "structural_gaps": structural,
        "alignment": {
            "alpha": _round(agreement.alpha),
            "alpha_low": _round(agreement.alpha_low),
            "alpha_high": _round(agreement.alpha_high),
            "mean_abs_difference": _round(agreement.mean_abs_difference),
            "units": agreement.units,
        },
    }


SegmentModel = tuple[Picture, dict[str, Entity], set[str], dict[str, Any]]


async def _load_segment(
    db: Database, engine: EngineSettings, segment_id: str, as_of: datetime | None
) -> SegmentModel:
    """One segment's model, its entities' details, the beliefs set by votes, the stamps.

    The pages of a workshop open together, each on its own segment, and each needs the
    whole model (structural gaps look beyond the segment). Requests that queue together
    share one read of it (``Database.read_model_shared``) and add only their own segment's
    scope, details and votes in the same transaction: thirty pages opened at once cost
    about one whole-model read instead of thirty. Without ``as_of`` a request sees the
    model as of the moment its read began.
    """

    async def whole(tx: AsyncManagedTransaction, started_at: datetime) -> tuple[Any, Picture]:
        stamps = await votes.change_stamps(tx)  # first: a change during the read shows later
        return stamps, await load_model(tx, engine, as_of=as_of or started_at)

    async def own(
        tx: AsyncManagedTransaction, common: tuple[Any, Picture], started_at: datetime
    ) -> SegmentModel:
        stamps, model = common
        segment, scope = await load_scope(tx, segment_id, as_of=as_of or started_at)
        picture = with_scope(model, segment, scope)
        in_scope = picture.in_scope()
        ids = sorted({segment_id} | {r.id for p in in_scope for r in (p.subject, p.object)})
        details = await entities.get_many(tx, ids)
        voted = await votes.belief_ids_from_votes(tx, [p.id for p in in_scope])
        return picture, details, voted, stamps

    # The engine settings are part of the key: a frozen dataclass whose repr lists them all.
    key = ("workshop segment", repr(engine), as_of)
    return await db.read_model_shared(key, None, whole, own)


AsOf = Annotated[
    datetime | None,
    Query(description="The time to look at (default: now); figures count from it."),
]
Include = Annotated[
    list[str] | None,
    Query(description="Fold other views into the answer: heatmap, divergences."),
]


@router.get(
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
    picture, details, voted, stamps = await _load_segment(db, engine, segment_id, as_of)
    body = _model(picture, details, voted, stamps)
    wanted = set(include or [])
    if "heatmap" in wanted:
        body["heatmap"] = _heatmap(picture, voted)
    if "divergences" in wanted:
        body["divergences"] = await asyncio.to_thread(_divergences, picture, limit)
    return _json(body)


@router.get(
    "/api/v1/workshop/segments/{segment_id}/heatmap",
    summary="Function × proposition: each function's p and its gap to the evidence",
)
async def segment_heatmap(
    segment_id: str, _: WorkshopActor, db: DatabaseDep, engine: Engine, as_of: AsOf = None
) -> Response:
    picture, _details, voted, _stamps = await _load_segment(db, engine, segment_id, as_of)
    return _json(_heatmap(picture, voted))


@router.get(
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
    picture, _details, _voted, _stamps = await _load_segment(db, engine, segment_id, as_of)
    return _json(await asyncio.to_thread(_divergences, picture, limit))


async def _proposition_detail(
    tx: AsyncManagedTransaction, engine: EngineSettings, proposition_id: str, as_of: datetime
) -> dict[str, Any]:
    found = await propositions.get(tx, proposition_id)
    if found is None:
        raise NotFound("proposition", proposition_id)
    ends = await entities.get_many(tx, [found.subject_id, found.object_id])
    subject, obj = ends.get(found.subject_id), ends.get(found.object_id)
    if subject is None or obj is None:
        raise NotFound("proposition", proposition_id)
    view = PropositionView(
        id=found.id,
        relation=found.relation,
        subject=_ref(subject),
        object=_ref(obj),
        created_at=found.created_at,
        created_by=found.created_by,
    )
    figures = await support.support_for(tx, engine.support_settings, as_of=as_of, ids=[found.id])
    items = await evidence.for_proposition(tx, found.id, as_of, limit=200)
    accounts = await entities.get_many(tx, sorted({i.account_id for i in items if i.account_id}))
    current = await beliefs.current(tx, [found.id], as_of)
    history = await beliefs.history(tx, found.id, as_of)
    outcomes = await votes.results_for_proposition(tx, found.id)
    names = {m.id: m.name for m in await members.list_all(tx)}
    order = {
        name: n
        for n, name in enumerate(ordered_functions([f.name for f in await functions.list_all(tx)]))
    }

    def item(ev: Any) -> dict[str, Any]:
        bearing = next(b for b in ev.bears if b.proposition_id == found.id)
        account = accounts.get(ev.account_id) if ev.account_id else None
        return {
            "id": ev.id,
            "source_type": ev.source_type,
            "summary": ev.summary,
            "redacted": ev.redacted_at is not None,
            "source_ref": ev.source_ref,
            "observed_at": ev.observed_at.isoformat(),
            "account": {"id": account.id, "name": account.name} if account else None,
            "stance": bearing.stance.value,
            "strength": bearing.strength,
            "magnitude": bearing.magnitude,
            "function": ev.function,
        }

    by_vote: dict[str, dict[str, Any]] = {}
    for vote_id, label, revealed_at, result in outcomes:
        entry = by_vote.setdefault(
            vote_id,
            {
                "vote_id": vote_id,
                "label": label,
                "revealed_at": revealed_at.isoformat() if revealed_at else None,
                "results": [],
            },
        )
        entry["results"].append(result.model_dump(mode="json"))
    for entry in by_vote.values():
        entry["results"].sort(key=lambda r: order.get(r["function"], 1 << 30))
    return {
        "as_of": as_of.isoformat(),
        "proposition": {
            "id": view.id,
            "relation": view.relation.value,
            "statement": statement(view),
            "magnitude_meaning": MAGNITUDE_MEANING[view.relation],
            "subject": {"id": subject.id, "kind": subject.kind.value, "name": subject.name},
            "object": {"id": obj.id, "kind": obj.kind.value, "name": obj.name},
            "retired": found.retired_at is not None,
        },
        "evidence": _evidence(evidence_view(figures.get(found.id), engine)),
        "items": [item(ev) for ev in items],
        "beliefs": [
            {
                "function": b.function,
                "p": b.p,
                "magnitude": b.magnitude,
                "rationale": b.rationale,
                "stated_at": b.stated_at.isoformat(),
                "stated_by": names.get(b.stated_by, b.stated_by),
                "vote_id": b.vote_id,
            }
            for b in sorted(current, key=lambda b: order.get(b.function, 1 << 30))
        ],
        "history": [
            {
                "function": b.function,
                "p": b.p,
                "withdrawn": b.withdrawn,
                "stated_at": b.stated_at.isoformat(),
                "vote_id": b.vote_id,
            }
            for b in history
        ],
        "votes": list(by_vote.values()),
    }


def _ref(entity: Entity) -> EntityRef:
    return EntityRef(id=entity.id, kind=entity.kind, name=entity.name, status=entity.status)


@router.get(
    "/api/v1/workshop/propositions/{proposition_id}",
    summary="One proposition: its evidence, each function's belief, and its blind votes",
)
async def proposition_detail(
    proposition_id: str, _: WorkshopActor, db: DatabaseDep, engine: Engine, as_of: AsOf = None
) -> Response:
    return _json(await db.read(_proposition_detail, engine, proposition_id, as_of or _now()))


# --- blind votes ----------------------------------------------------------------------------


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
        pv = PropositionView(
            id=p.id,
            relation=p.relation,
            subject=_ref(subject),
            object=_ref(obj),
            created_at=p.created_at,
            created_by=p.created_by,
        )
        described[pid] = {
            "statement": statement(pv),
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
    return _json(_vote_body(view, described, stamps, actor), status_code)


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
    return _json({"votes": [v.model_dump(mode="json") for v in found], "stamps": stamps})


@router.post(
    "/api/v1/workshop/votes",
    status_code=201,
    summary="Open a blind vote on some propositions (facilitators and admins)",
)
async def open_vote(body: OpenVoteBody, actor: WorkshopActor, db: DatabaseDep) -> Response:
    data = VoteOpen(
        proposition_ids=body.proposition_ids, label=body.label, segment_id=body.segment_id
    )
    vote = await db.write(
        votes.open_vote, actor, data, _now(), idempotency_key=body.idempotency_key
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
    await db.write(votes.cast_ballots, actor, vote_id, body.ballots, _now())
    return await _vote_response(db, vote_id, actor)


@router.post(
    "/api/v1/workshop/votes/{vote_id}/reveal",
    summary="Reveal: state each function's median as its belief (facilitators and admins)",
)
async def reveal_vote(vote_id: str, actor: WorkshopActor, db: DatabaseDep) -> Response:
    await db.write(votes.reveal, actor, vote_id, _now())
    return await _vote_response(db, vote_id, actor)


@router.post(
    "/api/v1/workshop/votes/{vote_id}/cancel",
    summary="Close an open vote without stating anything (facilitators and admins)",
)
async def cancel_vote(vote_id: str, actor: WorkshopActor, db: DatabaseDep) -> Response:
    await db.write(votes.cancel, actor, vote_id, _now())
    return await _vote_response(db, vote_id, actor)


# --- live updates ---------------------------------------------------------------------------


def _feed(request: Request, db: Database) -> ChangeFeed:
    feed: ChangeFeed | None = getattr(request.app.state, "workshop_feed", None)
    if feed is None:

        async def read_stamps() -> dict[str, str | None]:
            return await db.read(votes.change_stamps)

        feed = ChangeFeed(read_stamps)
        request.app.state.workshop_feed = feed
    return feed


def end_event_streams(app: FastAPI) -> None:
    """End the open pages' event streams, so that a shutting-down server need not wait for
    them (the pages' EventSource reconnects to whichever server answers next)."""
    feed: ChangeFeed | None = getattr(app.state, "workshop_feed", None)
    if feed is not None:
        feed.end_streams()


@router.get(
    "/api/v1/workshop/events",
    summary="Server-sent events: `change` with the newest model and vote stamps",
    description=(
        "A stream for open workshop pages (send `Accept: text/event-stream`, as EventSource "
        "does): a `change` event carries `{model, votes}`, the times of the newest model write "
        "and vote change; fetch what you show when one moves. Each stream ends after "
        f"{int(MAX_STREAM_S)} s (EventSource reconnects)."
    ),
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}},
        406: {"description": "The client does not accept text/event-stream"},
    },
)
async def events(request: Request, _: WorkshopActor, db: DatabaseDep) -> Response:
    if "text/event-stream" not in request.headers.get("accept", ""):
        # A plain HTTP client would wait on an endless response; say what this is instead.
        raise HTTPException(
            406, "this is a server-sent event stream: send Accept: text/event-stream"
        )
    feed = _feed(request, db)
    try:
        queue = feed.subscribe()
    except TooManyStreams:
        raise HTTPException(
            503, "too many open workshop pages on this server", headers={"Retry-After": "10"}
        ) from None
    return StreamingResponse(
        stream(feed, queue, request.is_disconnected),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
