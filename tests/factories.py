"""Small factories for tests: members with tokens, settings, GraphQL calls."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from graph import members
from graph.kit.connection import ConnectionTarget, Database
from schema.models import Actor, Member
from schema.settings import Settings
from schema.vocabulary import Role


def settings_for_target(target: ConnectionTarget, **overrides: object) -> Settings:
    """Settings pointing at the test database, ignoring any .env file."""
    values: dict[str, object] = {
        "neo4j_uri": target.uri,
        "neo4j_user": target.user,
        "neo4j_password": target.password,
        "neo4j_database": target.database,
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
