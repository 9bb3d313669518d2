"""Calibration through GraphQL on a hand-built history: beliefs stated before and after the
evidence resolved a proposition, an import-free batch, a retraction that does not undo."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from graph import calibration
from graph.kit.connection import Database
from tests.factories import gql, make_caller
from tests.graph.calibration_history import DAY, T0, resolved_history

CALIBRATION = """
query($asOf: DateTime, $lead: Float, $function: String) {
  calibration(asOf: $asOf, minLeadDays: $lead, function: $function) {
    function forecasts brierScore brierSkillScore outcomesValidated reopened minLeadDays
    bins { low high count meanForecast observedFrequency }
    byQuarter { quarter forecasts brierScore }
  }
}
"""


def _data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body.get("errors")
    data = body["data"]
    assert isinstance(data, dict)
    return data


async def test_whose_picture_was_right(client: httpx.AsyncClient, db: Database) -> None:
    await resolved_history(db)
    caller = await make_caller(db, "product")
    rows = _data(await gql(client, caller, CALIBRATION, asOf=(T0 + 60 * DAY).isoformat()))[
        "calibration"
    ]
    by = {r["function"]: r for r in rows}
    assert by["success"]["forecasts"] == 2 and by["marketing"]["forecasts"] == 2
    assert by["success"]["brierScore"] == pytest.approx((0.01 + 0.01) / 2)
    assert by["marketing"]["brierScore"] == pytest.approx((0.64 + 0.64) / 2)
    assert by["success"]["brierSkillScore"] == pytest.approx(1 - 0.01 / 0.25)
    assert by["success"]["outcomesValidated"] == 1
    # Sales' 0.95 came with the resolving batch: only its 0.3 counts.
    assert by["sales"]["forecasts"] == 1
    assert by["sales"]["brierScore"] == pytest.approx(0.49)
    assert by["sales"]["brierSkillScore"] is None  # one outcome: no base rate to beat
    assert by["design"]["forecasts"] == 0 and by["design"]["brierScore"] is None
    assert by["success"]["byQuarter"] == [
        {"quarter": "2026-Q2", "forecasts": 2, "brierScore": pytest.approx(0.01)}
    ]
    bins = by["marketing"]["bins"]
    assert [b["count"] for b in bins] == [0, 0, 1, 0, 0, 0, 0, 0, 1, 0]
    assert bins[2] == {
        "low": 0.2,
        "high": 0.3,
        "count": 1,
        "meanForecast": pytest.approx(0.2),
        "observedFrequency": 1.0,
    }

    # Looking further ahead: a week before resolution, sales' 0.3 still stood; 30 days
    # before, nobody had said anything yet.
    week = _data(
        await gql(
            client,
            caller,
            CALIBRATION,
            asOf=(T0 + 60 * DAY).isoformat(),
            lead=7.0,
            function="Sales",
        )
    )["calibration"]
    assert [(r["function"], r["forecasts"], r["minLeadDays"]) for r in week] == [("sales", 1, 7.0)]
    month = _data(
        await gql(client, caller, CALIBRATION, asOf=(T0 + 60 * DAY).isoformat(), lead=30.0)
    )["calibration"]
    assert all(r["forecasts"] == 0 for r in month)
    # Before the evidence resolved anything there is nothing to score.
    early = _data(await gql(client, caller, CALIBRATION, asOf=(T0 + 9 * DAY).isoformat()))
    assert all(r["forecasts"] == 0 for r in early["calibration"])


async def test_calibration_needs_a_token_and_refuses_bad_input(
    client: httpx.AsyncClient, db: Database
) -> None:
    refused = await client.post("/graphql", json={"query": "{ calibration { function } }"})
    assert refused.status_code == 401
    caller = await make_caller(db, "product")
    cases = [
        ({"lead": -1.0}, "BAD_USER_INPUT", "minLeadDays"),
        ({"lead": 1e9}, "BAD_USER_INPUT", "minLeadDays"),
        ({"function": "finance"}, "NOT_FOUND", "finance"),
    ]
    for variables, code, words in cases:
        body = await gql(client, caller, CALIBRATION, **variables)
        [error] = body["errors"]  # type: ignore[misc]
        assert error["extensions"]["code"] == code, (variables, error)
        assert words in error["message"]
    missing = await gql(client, caller, '{ calibration(segmentId: "seg-nope") { function } }')
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # type: ignore[index]


async def test_the_history_read_a_few_propositions_at_a_time_gives_the_same_answer(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At a year's volume the evidence history is read in chunks of propositions (one list of
    # a million items passed the database's transaction memory limit); any chunk size must
    # give the answer the whole read gives.
    await resolved_history(db)
    caller = await make_caller(db, "product")
    as_of = (T0 + 60 * DAY).isoformat()
    whole = _data(await gql(client, caller, CALIBRATION, asOf=as_of))["calibration"]
    assert sum(r["forecasts"] for r in whole) >= 4
    monkeypatch.setattr(calibration, "HISTORY_CHUNK", 1)
    assert _data(await gql(client, caller, CALIBRATION, asOf=as_of))["calibration"] == whole
