"""Small factories for tests: the small model many tests start from, members with tokens,
settings, GraphQL calls."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from neo4j import AsyncManagedTransaction

from graph import entities, members, propositions
from graph.kit.connection import ConnectionTarget, Database
from schema.models import Actor, EntityCreate, Member, PropositionCreate
from schema.settings import Settings
from schema.vocabulary import EntityKind, Relation, Role


def settings_for_target(target: ConnectionTarget, **overrides: object) -> Settings:
    """Settings pointing at the test database, ignoring any .env file. The shared model is
    not read at start unless a test asks: tests wipe the database under a running app, and
    some count the queries a request makes."""
    values: dict[str, object] = {
        "neo4j_uri": target.uri,
        "neo4j_user": target.user,
        "neo4j_password": target.password,
        "neo4j_database": target.database,
        "COMMONGROUND_READ_MODEL_AT_START": False,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Caller:
    member: Member
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def actor(self) -> Actor:
        return Actor(
            member_id=self.member.id,
            name=self.member.name,
            function=self.member.function,
            role=self.member.role,
        )


async def make_caller(
    db: Database, function: str = "product", role: Role = Role.CONTRIBUTOR
) -> Caller:
    """A new member with a token (random name, so tests never collide)."""
    now = datetime.now(UTC)
    name = f"{function}-{role.value}-{uuid.uuid4().hex[:8]}"
    member = await db.write(members.add, Actor.system(), name, function, role, now)
    _, token = await db.write(members.create_token, Actor.system(), member.id, now)
    return Caller(member, token)


async def gql(
    http: httpx.AsyncClient, caller: Caller | None, query: str, **variables: object
) -> dict[str, object]:
    """POST a GraphQL operation; return the JSON body."""
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers=caller.headers if caller else {},
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@dataclass(frozen=True)
class SmallModel:
    """What ``small_model`` wrote; proposition ids follow the order the pains and goals were
    named in."""

    segment_id: str
    account_id: str | None
    pain_ids: list[str]
    goal_ids: list[str]
    experiences: list[str]  # the segment EXPERIENCES each pain
    pursues: list[str]  # the segment PURSUES each goal


async def small_model(
    db: Database,
    *,
    segment: str = "Ops",
    account: str | None = "Acme",
    pains: int | Sequence[str] = 2,
    goals: Sequence[str] = (),
    actor: Actor | None = None,
    at: datetime | None = None,
) -> SmallModel:
    """A segment (with one account unless ``account`` is None) that EXPERIENCES each pain and
    PURSUES each goal, written in one transaction by ``actor`` (the system by default) at
    ``at`` (now by default). A number of pains names them "Pain 0", "Pain 1", …"""
    writer = actor or Actor.system()
    moment = at or datetime.now(UTC)
    pain_names = [f"Pain {n}" for n in range(pains)] if isinstance(pains, int) else list(pains)

    async def build(tx: AsyncManagedTransaction) -> SmallModel:
        async def entity(kind: EntityKind, name: str, **fields: object) -> str:
            data = EntityCreate(kind=kind, name=name, **fields)
            created, _ = await entities.create(tx, writer, data, moment)
            return created.id

        async def proposition(subject: str, relation: Relation, object_id: str) -> str:
            data = PropositionCreate(subject_id=subject, relation=relation, object_id=object_id)
            created, _ = await propositions.create(tx, writer, data, moment)
            return created.id

        segment_id = await entity(EntityKind.SEGMENT, segment)
        account_id = (
            None
            if account is None
            else await entity(EntityKind.ACCOUNT, account, segment_id=segment_id)
        )
        pain_ids, experiences = [], []
        for name in pain_names:
            pain_ids.append(await entity(EntityKind.PAIN, name))
            experiences.append(await proposition(segment_id, Relation.EXPERIENCES, pain_ids[-1]))
        goal_ids, pursues = [], []
        for name in goals:
            goal_ids.append(await entity(EntityKind.GOAL, name))
            pursues.append(await proposition(segment_id, Relation.PURSUES, goal_ids[-1]))
        return SmallModel(segment_id, account_id, pain_ids, goal_ids, experiences, pursues)

    return await db.write(build)
