"""Authorization under fuzzing: a stateful test over members, roles and functions.

Members of three functions in each of the four roles issue ``stateBelief``,
``withdrawBelief``, ``addEvidence``, ``createEntity`` and ``retractEvidence`` in random
order, naming random functions (real ones, other teams', look-alikes, unknown and hostile
names) over HTTP to a real server. Each answer must be the one the rules give (allowed, or
refused with FORBIDDEN / NOT_FOUND / BAD_USER_INPUT), and after every step the graph itself
must show: every belief's function is its writer's unless the writer is a facilitator or
admin; every evidence item carries its recorder's function; a contributor retracted only
its own function's evidence; and viewers wrote nothing at all (no node, no audit entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from neo4j import Driver, GraphDatabase

from graph.kit.connection import ConnectionTarget, Database
from schema.vocabulary import Role
from tests.factories import Caller, make_caller
from tests.reliability.conftest import Server

pytestmark = pytest.mark.slow

FUNCTIONS = ("product", "sales", "design")
ALL_FUNCTIONS = (*FUNCTIONS, "marketing", "success", "engineering", "leadership")
MAY_NAME_ANY = {Role.FACILITATOR, Role.ADMIN}

function_names = st.one_of(
    st.none(),
    st.sampled_from(ALL_FUNCTIONS),
    st.sampled_from(["", "Product", "product ", "sales\u0000", "'}) DETACH DELETE n //", "x" * 41]),
    st.text(max_size=45),
)

BAD_BELIEFS = """
MATCH (b:Belief) WHERE b.stated_by <> 'system'
OPTIONAL MATCH (m:Member {id: b.stated_by})
WITH b, m
WHERE m IS NULL OR m.role = 'viewer'
   OR (b.function <> m.function AND NOT m.role IN ['facilitator', 'admin'])
RETURN collect(b.id + ' by ' + coalesce(m.name, b.stated_by) + ' as ' + b.function) AS bad
"""
BAD_EVIDENCE = """
MATCH (ev:Evidence) WHERE ev.recorded_by <> 'system'
OPTIONAL MATCH (m:Member {id: ev.recorded_by})
WITH ev, m
WHERE m IS NULL OR m.role = 'viewer' OR ev.function <> m.function
RETURN collect(ev.id) AS bad
"""
BAD_RETRACTIONS = """
MATCH (ev:Evidence) WHERE ev.retracted_by IS NOT NULL
MATCH (m:Member {id: ev.retracted_by})
WITH ev, m
WHERE m.role = 'viewer' OR (m.role = 'contributor' AND m.function <> ev.function)
RETURN collect(ev.id) AS bad
"""
VIEWER_WRITES = """
MATCH (viewer:Member {role: 'viewer'})
WITH collect(viewer.id) AS viewers
RETURN
  COUNT { MATCH (n) WHERE any(key IN ['created_by', 'stated_by', 'recorded_by', 'retracted_by',
                                      'redacted_by', 'retired_by', 'updated_by']
                              WHERE n[key] IN viewers) } AS nodes,
  COUNT { MATCH (a:AuditEntry) WHERE a.member_id IN viewers OR a.role = 'viewer' } AS audits
"""

# All four checks in one round trip.
INVARIANTS = (
    "CALL () { "
    + BAD_BELIEFS.replace("AS bad", "AS bad_beliefs")
    + " } CALL () { "
    + BAD_EVIDENCE.replace("AS bad", "AS bad_evidence")
    + " } CALL () { "
    + BAD_RETRACTIONS.replace("AS bad", "AS bad_retractions")
    + " } CALL () { "
    + VIEWER_WRITES.replace("AS nodes", "AS viewer_nodes").replace("AS audits", "AS viewer_audits")
    + " } RETURN bad_beliefs, bad_evidence, bad_retractions, viewer_nodes, viewer_audits"
)

STATE_BELIEF = """
mutation($i: StateBeliefInput!) { stateBelief(input: $i) { id function } }
"""
WITHDRAW = """
mutation($p: ID!, $f: String) { withdrawBelief(propositionId: $p, function: $f) { id function } }
"""
ADD_EVIDENCE = """
mutation($p: ID!) {
  addEvidence(input: [{sourceType: "interview", summary: "Heard it", bears: [
    {propositionId: $p, stance: SUPPORTS}]}]) { items { id function } }
}
"""
CREATE_ENTITY = """
mutation($k: EntityKind!, $n: String!) { createEntity(input: {kind: $k, name: $n}) { id } }
"""
RETRACT = """
mutation($id: ID!) { retractEvidence(id: $id, reason: "recorded twice") { id retractedAt } }
"""
CREATE_PAIN = 'mutation { createEntity(input: {kind: PAIN, name: "Fresh pain"}) { id } }'
CREATE_PROPOSITION = """
mutation($s: ID!, $o: ID!) {
  createProposition(input: {subjectId: $s, relation: EXPERIENCES, objectId: $o}) { id }
}
"""
CREATE_SEGMENT = 'mutation { createEntity(input: {kind: SEGMENT, name: "Fuzzed"}) { id } }'


@dataclass(frozen=True)
class Evidence:
    id: str
    function: str


@dataclass
class Setting:
    """What every machine shares: the server, the members, and a driver to inspect the graph."""

    http: httpx.Client
    driver: Driver
    database: str
    members: list[Caller]
    organiser: Caller  # an admin who builds each run's propositions


def code_of(body: dict[str, Any]) -> str | None:
    errors = body.get("errors")
    if not errors:
        return None
    code: str = errors[0].get("extensions", {}).get("code", "?")
    return code


class AuthorizationMachine(RuleBasedStateMachine):
    setting: ClassVar[Setting]
    evidence = Bundle("evidence")

    def __init__(self) -> None:
        super().__init__()
        self.propositions: list[str] = []
        self.current: set[tuple[str, str]] = set()  # (function, proposition) with a belief

    def call(self, caller: Caller, query: str, **variables: Any) -> dict[str, Any]:
        response = self.setting.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=caller.headers
        )
        assert response.status_code == 200, response.text[:500]
        body: dict[str, Any] = response.json()
        return body

    @initialize()
    def fresh_propositions(self) -> None:
        """Propositions of this run only, so the model of current beliefs starts empty."""
        organiser = self.setting.organiser
        segment = self.call(organiser, CREATE_SEGMENT)["data"]["createEntity"]["id"]
        for _ in range(2):
            pain = self.call(organiser, CREATE_PAIN)["data"]["createEntity"]["id"]
            made = self.call(organiser, CREATE_PROPOSITION, s=segment, o=pain)
            self.propositions.append(made["data"]["createProposition"]["id"])

    def expected_for_naming(self, member: Caller, named: str | None) -> tuple[str | None, str]:
        """(expected error code or None, the function the write acts for)."""
        own = member.member.function
        asked = named or own
        # A function is named in any case, with spaces around it: "Product " means product.
        wanted = asked.strip().casefold()
        acting = next((f for f in ALL_FUNCTIONS if f.casefold() == wanted), asked)
        if member.member.role is Role.VIEWER:
            return "FORBIDDEN", acting
        if wanted != own.casefold() and member.member.role not in MAY_NAME_ANY:
            return "FORBIDDEN", acting
        if acting not in ALL_FUNCTIONS:
            return "NOT_FOUND", acting
        return None, acting

    @rule(
        member=st.sampled_from(range(12)),
        named=function_names,
        which=st.sampled_from([0, 1]),
        p=st.floats(0, 1),
    )
    def state_belief(self, member: int, named: str | None, which: int, p: float) -> None:
        caller = self.setting.members[member]
        pid = self.propositions[which]
        body = self.call(caller, STATE_BELIEF, i={"propositionId": pid, "p": p, "function": named})
        expected, acting = self.expected_for_naming(caller, named)
        if caller.member.role is not Role.VIEWER and named is not None and len(named) > 40:
            expected = "BAD_USER_INPUT"  # the input is validated before anything is looked up
        assert code_of(body) == expected, (caller.member.name, named, body)
        if expected is None:
            assert body["data"]["stateBelief"]["function"] == acting
            self.current.add((acting, pid))

    @rule(member=st.sampled_from(range(12)), named=function_names, which=st.sampled_from([0, 1]))
    def withdraw_belief(self, member: int, named: str | None, which: int) -> None:
        caller = self.setting.members[member]
        pid = self.propositions[which]
        body = self.call(caller, WITHDRAW, p=pid, f=named)
        expected, acting = self.expected_for_naming(caller, named)
        if expected is None and (acting, pid) not in self.current:
            expected = "BAD_USER_INPUT"  # nothing to withdraw
        assert code_of(body) == expected, (caller.member.name, named, body)
        if expected is None:
            assert body["data"]["withdrawBelief"]["function"] == acting
            self.current.discard((acting, pid))

    @rule(target=evidence, member=st.sampled_from(range(12)), which=st.sampled_from([0, 1]))
    def add_evidence(self, member: int, which: int) -> Any:
        caller = self.setting.members[member]
        body = self.call(caller, ADD_EVIDENCE, p=self.propositions[which])
        if caller.member.role is Role.VIEWER:
            assert code_of(body) == "FORBIDDEN", body
            return multiple()
        assert code_of(body) is None, body
        (added,) = body["data"]["addEvidence"]["items"]
        assert added["function"] == caller.member.function
        return Evidence(added["id"], added["function"])

    @rule(
        member=st.sampled_from(range(12)),
        kind=st.sampled_from(["GOAL", "PAIN", "FEATURE", "CLAIM"]),
    )
    def create_entity(self, member: int, kind: str) -> None:
        caller = self.setting.members[member]
        body = self.call(caller, CREATE_ENTITY, k=kind, n=f"{kind} by {caller.member.name}")
        expected = "FORBIDDEN" if caller.member.role is Role.VIEWER else None
        assert code_of(body) == expected, body

    @rule(member=st.sampled_from(range(12)), item=evidence)
    def retract_evidence(self, member: int, item: Evidence) -> None:
        caller = self.setting.members[member]
        body = self.call(caller, RETRACT, id=item.id)
        role, own = caller.member.role, caller.member.function
        if role is Role.VIEWER or (role is Role.CONTRIBUTOR and own != item.function):
            assert code_of(body) == "FORBIDDEN", (caller.member.name, item, body)
        else:
            assert code_of(body) is None, (caller.member.name, item, body)

    def read(self, query: str) -> dict[str, Any]:
        records, _, _ = self.setting.driver.execute_query(query, database_=self.setting.database)
        return dict(records[0])

    @invariant()
    def every_write_is_its_writers_own(self) -> None:
        """Beliefs and evidence carry their writer's function (or a facilitator's/admin's
        choice), retractions are the recorder's function's, viewers wrote nothing."""
        assert self.read(INVARIANTS) == {
            "bad_beliefs": [],
            "bad_evidence": [],
            "bad_retractions": [],
            "viewer_nodes": 0,
            "viewer_audits": 0,
        }


async def test_no_member_writes_outside_their_function_and_viewers_never_write(
    db: Database, shared_server: Server, neo4j_target: Any
) -> None:
    target: ConnectionTarget = neo4j_target.target
    callers = [await make_caller(db, f, role) for f in FUNCTIONS for role in Role]
    assert len(callers) == 12
    organiser = await make_caller(db, "leadership", Role.ADMIN)
    with (
        httpx.Client(base_url=shared_server.url, timeout=60.0) as http,
        GraphDatabase.driver(target.uri, auth=(target.user, target.password)) as driver,
    ):
        AuthorizationMachine.setting = Setting(http, driver, target.database, callers, organiser)
        run_state_machine_as_test(
            AuthorizationMachine,
            settings=settings(
                max_examples=15,
                stateful_step_count=12,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
