"""The demo model's ids the workshop tests look at, and a checked JSON read."""

from __future__ import annotations

from typing import Any

import httpx

from graph import propositions
from schema.vocabulary import Relation
from tests.factories import Caller

OPS = "seg-mid-market-ops"
API = "/api/v1/workshop"


def triple(subject: str, relation: Relation, obj: str) -> str:
    return propositions.proposition_id(subject, relation, obj)


LIVE_DATA = triple(OPS, Relation.PURSUES, "goal-act-on-live-data")
ONBOARDING = triple(OPS, Relation.EXPERIENCES, "pain-slow-onboarding")
INTEGRATIONS = triple(OPS, Relation.EXPERIENCES, "pain-missing-integrations")


async def get_json(client: httpx.AsyncClient, caller: Caller, path: str, **params: Any) -> Any:
    response = await client.get(path, headers=caller.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()
