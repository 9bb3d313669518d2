"""Pure-file checks of the demo company in ``seed_data/`` (no database).

The YAML files are hand-written; these tests keep them loadable (every reference resolves,
every value is in range, the vocabulary is respected) and keep the story intact: the
evidence maths of docs/design.md §2, recomputed here in plain Python, must still produce the
validated, refuted and contested propositions, belief gaps and disagreements that the
workshop demo relies on (see ``seed_data/README.md``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from scipy.stats import beta

from schema.vocabulary import (
    DEFAULT_FUNCTIONS,
    DEFAULT_RELIABILITY,
    RELATION_ENDPOINTS,
    SOURCE_TYPES,
    AlternativeKind,
    ClaimStatus,
    EntityKind,
    FeatureStatus,
    Relation,
    Role,
    Stance,
)

SEED = Path(__file__).resolve().parents[2] / "seed_data"
AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
FIRST_DAY = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)
LAST_DAY = dt.datetime(2026, 11, 15, 23, 59, 59, tzinfo=dt.UTC)
HALF_LIFE_DAYS = 365.0
ID_RE = re.compile(r"^[a-z]+-[a-z0-9]+(?:-[a-z0-9]+)*$")

Triple = tuple[str, str, str]


# ---------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------


def _load(name: str) -> dict[str, Any]:
    with (SEED / name).open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict), f"{name} must hold a mapping"
    return data


@pytest.fixture(scope="module")
def company() -> dict[str, Any]:
    return _load("company.yaml")


@pytest.fixture(scope="module")
def evidence() -> list[dict[str, Any]]:
    items = _load("evidence.yaml")["evidence"]
    assert isinstance(items, list)
    return items


@pytest.fixture(scope="module")
def beliefs() -> list[dict[str, Any]]:
    items = _load("beliefs.yaml")["beliefs"]
    assert isinstance(items, list)
    return items


@pytest.fixture(scope="module")
def members(company: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in company["members"]}


@pytest.fixture(scope="module")
def entities(company: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in company["entities"]}


@pytest.fixture(scope="module")
def propositions(company: dict[str, Any]) -> dict[Triple, dict[str, Any]]:
    return {_triple(p): p for p in company["propositions"]}


def _triple(p: dict[str, Any] | list[str]) -> Triple:
    if isinstance(p, dict):
        return (p["subject"], p["relation"], p["object"])
    assert isinstance(p, list) and len(p) == 3, f"a proposition is [subject, RELATION, object]: {p}"
    return (p[0], p[1], p[2])


def _time(value: Any) -> dt.datetime:
    """A YAML time (date, datetime or ISO string) as an aware UTC datetime."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    raise AssertionError(f"not a time: {value!r}")


# ---------------------------------------------------------------------------------------
# Ids, references and the vocabulary
# ---------------------------------------------------------------------------------------


def test_ids_are_unique_kebab_case_and_prefixed(
    company: dict[str, Any], evidence: list[dict[str, Any]]
) -> None:
    ids: list[str] = []
    for m in company["members"]:
        assert m["id"].startswith("mem-"), m["id"]
        ids.append(m["id"])
    for e in company["entities"]:
        kind = EntityKind(e["kind"])
        assert e["id"].startswith(kind.id_prefix + "-"), (e["id"], kind)
        ids.append(e["id"])
    for ev in evidence:
        assert re.fullmatch(r"ev-\d{4}", ev["id"]), ev["id"]
        ids.append(ev["id"])
    for i in ids:
        assert ID_RE.match(i), f"{i} is not lowercase kebab-case"
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates, duplicates


def test_company_functions_and_members(
    company: dict[str, Any], members: dict[str, dict[str, Any]]
) -> None:
    assert company["company"]["name"] and company["company"]["description"]
    assert set(company["functions"]) == set(DEFAULT_FUNCTIONS)
    roles = Counter()
    for m in members.values():
        assert m["function"] in company["functions"], m
        roles[Role(m["role"])] += 1
        assert m["name"] and m["title"], m
    per_function = Counter(m["function"] for m in members.values())
    for f in DEFAULT_FUNCTIONS:
        assert 2 <= per_function[f] <= 4, (f, per_function[f])
    assert roles[Role.ADMIN] >= 1 and roles[Role.FACILITATOR] >= 1 and roles[Role.VIEWER] >= 1
    assert roles[Role.CONTRIBUTOR] > len(members) / 2


def test_entities_resolve_and_use_the_vocabulary(
    entities: dict[str, dict[str, Any]], members: dict[str, dict[str, Any]]
) -> None:
    kinds = Counter(e["kind"] for e in entities.values())
    assert kinds["SEGMENT"] == 3
    assert 8 <= kinds["ACCOUNT"] <= 15
    for e in entities.values():
        assert e["name"], e["id"]
        assert e["created_by"] in members, e
        assert members[e["created_by"]]["role"] != Role.VIEWER.value, e
        assert FIRST_DAY <= _time(e["created_at"]) <= LAST_DAY, e
        kind = EntityKind(e["kind"])
        if kind is EntityKind.ACCOUNT:
            assert entities[e["segment"]]["kind"] == "SEGMENT", e
        if kind is EntityKind.ALTERNATIVE:
            AlternativeKind(e["alt_kind"])
        if kind is EntityKind.FEATURE:
            FeatureStatus(e["status"])
        if kind is EntityKind.CLAIM:
            ClaimStatus(e["status"])
            assert e["channel"], e
    alt_kinds = {e["alt_kind"] for e in entities.values() if e["kind"] == "ALTERNATIVE"}
    assert alt_kinds == {k.value for k in AlternativeKind}
    statuses = {e["status"] for e in entities.values() if e["kind"] == "FEATURE"}
    assert statuses == {s.value for s in FeatureStatus}
    claim_statuses = {e["status"] for e in entities.values() if e["kind"] == "CLAIM"}
    assert claim_statuses == {s.value for s in ClaimStatus}


def test_propositions_resolve_and_respect_relation_endpoints(
    company: dict[str, Any],
    entities: dict[str, dict[str, Any]],
    members: dict[str, dict[str, Any]],
) -> None:
    triples = [_triple(p) for p in company["propositions"]]
    assert len(set(triples)) == len(triples), "duplicate proposition"
    assert 60 <= len(triples) <= 90
    for p in company["propositions"]:
        s, r, o = _triple(p)
        relation = Relation(r)
        subjects, objects = RELATION_ENDPOINTS[relation]
        assert EntityKind(entities[s]["kind"]) in subjects, (s, r, o)
        assert EntityKind(entities[o]["kind"]) in objects, (s, r, o)
        assert p["created_by"] in members, p
        created = _time(p["created_at"])
        assert created >= _time(entities[s]["created_at"]), p
        assert created >= _time(entities[o]["created_at"]), p
        assert created <= LAST_DAY, p
    assert {r for _, r, _ in triples} == {r.value for r in Relation}


def test_evidence_resolves_and_is_in_range(
    evidence: list[dict[str, Any]],
    entities: dict[str, dict[str, Any]],
    members: dict[str, dict[str, Any]],
    propositions: dict[Triple, dict[str, Any]],
) -> None:
    assert 250 <= len(evidence) <= 350
    for ev in evidence:
        assert ev["source_type"] in SOURCE_TYPES, ev["id"]
        assert ev["summary"], ev["id"]
        observed = _time(ev["observed_at"])
        assert FIRST_DAY <= observed <= LAST_DAY, ev["id"]
        recorded = _time(ev.get("recorded_at", ev["observed_at"]))
        assert recorded >= observed, ev["id"]
        assert ev["recorded_by"] in members, ev["id"]
        assert members[ev["recorded_by"]]["role"] != Role.VIEWER.value, ev["id"]
        if "account" in ev:
            assert entities[ev["account"]]["kind"] == "ACCOUNT", ev["id"]
            assert recorded >= _time(entities[ev["account"]]["created_at"]), ev["id"]
        assert ev["bears"], ev["id"]
        seen = set()
        for b in ev["bears"]:
            t = _triple(b["proposition"])
            assert t in propositions, (ev["id"], t)
            assert t not in seen, (ev["id"], t)
            seen.add(t)
            assert recorded >= _time(propositions[t]["created_at"]), (ev["id"], t)
            Stance(b["stance"])
            assert 0.0 < b["strength"] <= 1.0, ev["id"]
            if "magnitude" in b:
                assert isinstance(b["magnitude"], int) and 1 <= b["magnitude"] <= 5, ev["id"]
        if "retracted" in ev:
            r = ev["retracted"]
            assert r["reason"] and r["by"] in members, ev["id"]
            assert members[r["by"]]["role"] != Role.VIEWER.value, ev["id"]
            assert _time(r["at"]) > recorded, ev["id"]
    with_account = sum(1 for ev in evidence if "account" in ev)
    assert len(evidence) / 2 < with_account < len(evidence), "mostly, not only, with accounts"
    retracted = [ev for ev in evidence if "retracted" in ev]
    assert 2 <= len(retracted) <= 3


def test_beliefs_resolve_and_are_in_range(
    beliefs: list[dict[str, Any]],
    members: dict[str, dict[str, Any]],
    propositions: dict[Triple, dict[str, Any]],
) -> None:
    history: dict[tuple[str, Triple], list[dt.datetime]] = defaultdict(list)
    for b in beliefs:
        assert b["function"] in DEFAULT_FUNCTIONS, b
        member = members[b["member"]]
        role = Role(member["role"])
        assert role is not Role.VIEWER, b
        assert member["function"] == b["function"] or role in (Role.FACILITATOR, Role.ADMIN), b
        t = _triple(b["proposition"])
        assert t in propositions, t
        stated = _time(b["stated_at"])
        assert _time(propositions[t]["created_at"]) < stated <= LAST_DAY, b
        assert b.get("rationale"), b
        if b.get("withdrawn"):
            assert "p" not in b, b
        else:
            assert 0.0 <= b["p"] <= 1.0, b
            if "magnitude" in b:
                assert isinstance(b["magnitude"], int) and 1 <= b["magnitude"] <= 5, b
        history[(b["function"], t)].append(stated)
    for key, times in history.items():
        assert times == sorted(times), f"beliefs of {key} are not in stated_at order"
        assert len(set(times)) == len(times), f"beliefs of {key} share a stated_at"
    per_function = Counter(f for f, _ in history)
    for f in DEFAULT_FUNCTIONS:
        assert per_function[f] >= 20, f"{f} states beliefs on only {per_function[f]} propositions"
    assert sum(1 for times in history.values() if len(times) > 1) >= 5, "belief histories"
    assert sum(1 for b in beliefs if b.get("withdrawn")) >= 1


def test_every_function_has_members_and_beliefs(
    members: dict[str, dict[str, Any]], beliefs: list[dict[str, Any]]
) -> None:
    assert {m["function"] for m in members.values()} == set(DEFAULT_FUNCTIONS)
    assert {b["function"] for b in beliefs} == set(DEFAULT_FUNCTIONS)


# ---------------------------------------------------------------------------------------
# The evidence maths of docs/design.md §2, as of 2026-11-22
# ---------------------------------------------------------------------------------------


class Support:
    def __init__(self, s: float, c: float, items: int) -> None:
        self.s, self.c, self.items = s, c, items
        self.confidence = float(beta.sf(0.5, 1.0 + s, 1.0 + c))

    @property
    def status(self) -> str:
        if self.confidence >= 0.95:
            return "VALIDATED"
        if self.confidence <= 0.05:
            return "REFUTED"
        if self.s >= 1.0 and self.c >= 1.0:
            return "CONTESTED"
        return "UNKNOWN"


def _weight(ev: dict[str, Any], strength: float) -> float:
    age_days = (AS_OF - _time(ev["observed_at"])).total_seconds() / 86400.0
    decay = math.pow(0.5, max(age_days, 0.0) / HALF_LIFE_DAYS)
    return DEFAULT_RELIABILITY[ev["source_type"]] * strength * decay


def compute_support(
    evidence: list[dict[str, Any]], propositions: dict[Triple, dict[str, Any]]
) -> dict[Triple, Support]:
    """S and C per proposition: per-account noisy-OR, unattributed items count alone."""
    groups: dict[Triple, dict[tuple[str, str], list[float]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for ev in evidence:
        if "retracted" in ev:
            continue
        source = ev.get("account") or ev["id"]
        for b in ev["bears"]:
            groups[_triple(b["proposition"])][(b["stance"], source)].append(
                _weight(ev, b["strength"])
            )
    out = {}
    for t in propositions:
        s = c = 0.0
        items = 0
        for (stance, _), weights in groups[t].items():
            combined = 1.0 - math.prod(1.0 - w for w in weights)
            items += len(weights)
            if stance == Stance.SUPPORTS.value:
                s += combined
            else:
                c += combined
        out[t] = Support(s, c, items)
    return out


def current_beliefs(beliefs: list[dict[str, Any]]) -> dict[Triple, dict[str, dict[str, Any]]]:
    """The latest belief per (function, proposition); withdrawn ones drop out."""
    latest: dict[tuple[str, Triple], dict[str, Any]] = {}
    for b in sorted(beliefs, key=lambda b: _time(b["stated_at"])):
        latest[(b["function"], _triple(b["proposition"]))] = b
    out: dict[Triple, dict[str, dict[str, Any]]] = defaultdict(dict)
    for (function, t), b in latest.items():
        if not b.get("withdrawn"):
            out[t][function] = b
    return out


@pytest.fixture(scope="module")
def support(
    evidence: list[dict[str, Any]], propositions: dict[Triple, dict[str, Any]]
) -> dict[Triple, Support]:
    return compute_support(evidence, propositions)


@pytest.fixture(scope="module")
def current(beliefs: list[dict[str, Any]]) -> dict[Triple, dict[str, dict[str, Any]]]:
    return current_beliefs(beliefs)


def test_noisy_or_is_bounded_and_order_free() -> None:
    ev = {"id": "ev-x", "source_type": "support_ticket", "observed_at": "2026-11-22"}
    weights = [_weight(ev, 0.7)] * 14
    combined = 1.0 - math.prod(1.0 - w for w in weights)
    assert combined < 1.0
    assert combined == pytest.approx(1.0 - math.prod(1.0 - w for w in reversed(weights)))
    assert _weight(ev, 1.0) == pytest.approx(0.6)
    year_old = {**ev, "observed_at": "2025-11-22"}
    assert _weight(year_old, 1.0) == pytest.approx(0.3)


def test_calibration_statuses(support: dict[Triple, Support]) -> None:
    statuses = Counter(s.status for s in support.values())
    assert statuses["VALIDATED"] >= 5, statuses
    assert statuses["REFUTED"] >= 2, statuses
    assert statuses["CONTESTED"] >= 2, statuses
    assert statuses["UNKNOWN"] >= 1, statuses


def test_calibration_divergences(
    support: dict[Triple, Support], current: dict[Triple, dict[str, dict[str, Any]]]
) -> None:
    significant_gaps = [
        (f, t)
        for t, by_function in current.items()
        for f, b in by_function.items()
        if support[t].s + support[t].c >= 1.0 and abs(b["p"] - support[t].confidence) >= 0.25
    ]
    assert len(significant_gaps) >= 3
    over = [g for g in significant_gaps if current[g[1]][g[0]]["p"] > support[g[1]].confidence]
    assert over and len(over) < len(significant_gaps), "both over- and under-confidence"

    spreads = [
        t
        for t, by_function in current.items()
        if len(by_function) >= 2
        and max(b["p"] for b in by_function.values()) - min(b["p"] for b in by_function.values())
        >= 0.4
    ]
    assert len(spreads) >= 2

    debt = [
        (f, t)
        for t, by_function in current.items()
        for f, b in by_function.items()
        if support[t].s + support[t].c < 1.0 and (b["p"] >= 0.7 or b["p"] <= 0.3)
    ]
    assert len(debt) >= 3

    blind = [
        (f, t)
        for t, s in support.items()
        if s.status in ("VALIDATED", "REFUTED")
        for f in DEFAULT_FUNCTIONS
        if f not in current.get(t, {})
    ]
    assert len(blind) >= 3


def test_priority_alignment_has_enough_items(
    evidence: list[dict[str, Any]],
    support: dict[Triple, Support],
    current: dict[Triple, dict[str, dict[str, Any]]],
    entities: dict[str, dict[str, Any]],
) -> None:
    with_magnitude = {
        _triple(b["proposition"])
        for ev in evidence
        if "retracted" not in ev
        for b in ev["bears"]
        if "magnitude" in b
    }
    for seg in (e["id"] for e in entities.values() if e["kind"] == "SEGMENT"):
        for relation in ("PURSUES", "EXPERIENCES"):
            items = [t for t in support if t[0] == seg and t[1] == relation]
            ranked = [t for t in items if t in with_magnitude and support[t].s > support[t].c]
            assert len(ranked) >= 3, (seg, relation)
            for f in DEFAULT_FUNCTIONS:
                rated = [t for t in items if "magnitude" in current.get(t, {}).get(f, {})]
                if f in ("product", "success"):
                    assert len(rated) >= 3, (seg, relation, f)


# ---------------------------------------------------------------------------------------
# The planted story (seed_data/README.md)
# ---------------------------------------------------------------------------------------

OPS, AGENCY, SAAS = "seg-mid-market-ops", "seg-agency-marketing", "seg-saas-revops"


def test_story_real_time_versus_reports_and_trust(
    support: dict[Triple, Support], current: dict[Triple, dict[str, dict[str, Any]]]
) -> None:
    live = (OPS, "PURSUES", "goal-act-on-live-data")
    assert support[live].status == "REFUTED"
    assert current[live]["marketing"]["p"] >= 0.8
    for goal_or_pain in (
        "PURSUES goal-trusted-single-source",
        "EXPERIENCES pain-rigid-report-layouts",
    ):
        relation, obj = goal_or_pain.split()
        assert support[(OPS, relation, obj)].status == "VALIDATED"
    assert (
        "claim-realtime-decisions",
        "PROMISES",
        "goal-act-on-live-data",
    ) in support


def test_story_spreadsheets_not_the_competitor(
    evidence: list[dict[str, Any]],
    support: dict[Triple, Support],
    current: dict[Triple, dict[str, dict[str, Any]]],
) -> None:
    sheets, glasswing = (OPS, "USES", "alt-spreadsheets"), (OPS, "USES", "alt-glasswing-bi")
    assert support[sheets].status == "VALIDATED"
    assert support[glasswing].confidence < 0.1
    assert current[glasswing]["sales"]["p"] >= 0.8 and current[sheets]["sales"]["p"] <= 0.5
    said = Counter(
        _triple(b["proposition"])[2]
        for ev in evidence
        if ev["source_type"] == "win_loss"
        for b in ev["bears"]
        if b["stance"] == "SUPPORTS" and _triple(b["proposition"])[1] == "USES"
    )
    assert said["alt-spreadsheets"] > 3 * said["alt-glasswing-bi"]


def test_story_onboarding_dominates_tickets_not_integrations(
    evidence: list[dict[str, Any]], current: dict[Triple, dict[str, dict[str, Any]]]
) -> None:
    tickets = Counter(
        _triple(b["proposition"])[2]
        for ev in evidence
        if ev["source_type"] == "support_ticket"
        for b in ev["bears"]
    )
    assert tickets["pain-slow-onboarding"] == max(tickets.values())
    assert tickets["pain-slow-onboarding"] > 4 * tickets["pain-missing-integrations"]
    integrations = current[(OPS, "EXPERIENCES", "pain-missing-integrations")]["product"]
    onboarding = current[(OPS, "EXPERIENCES", "pain-slow-onboarding")]["product"]
    assert integrations["p"] * integrations["magnitude"] > onboarding["p"] * onboarding["magnitude"]


def test_story_duplicate_features_by_two_directors(
    entities: dict[str, dict[str, Any]], members: dict[str, dict[str, Any]]
) -> None:
    pdf = entities["feat-scheduled-pdf-reports"]
    email = entities["feat-automated-report-emailing"]
    a, b = members[pdf["created_by"]], members[email["created_by"]]
    assert a["function"] != b["function"]
    assert "Director" in a["title"] and "Director" in b["title"]

    def words(e: dict[str, Any]) -> set[str]:
        return set(re.findall(r"[a-z]+", (e["name"] + " " + e["description"]).lower()))

    shared = words(pdf) & words(email)
    assert len(shared) / len(words(pdf) | words(email)) > 0.35, shared


def test_story_loud_customer_is_capped(
    evidence: list[dict[str, Any]], support: dict[Triple, Support]
) -> None:
    per_account = Counter(
        (ev["account"], _triple(b["proposition"]))
        for ev in evidence
        if ev["source_type"] == "support_ticket" and "account" in ev
        for b in ev["bears"]
    )
    (account, t), n = per_account.most_common(1)[0]
    assert n >= 10
    assert support[t].status != "VALIDATED", "one loud account must not validate a pain"


def test_story_structural_gaps(
    company: dict[str, Any],
    entities: dict[str, dict[str, Any]],
    support: dict[Triple, Support],
) -> None:
    triples = [_triple(p) for p in company["propositions"]]
    validated = {t for t, s in support.items() if s.status == "VALIDATED"}
    # a validated pain that no shipped or planned feature relieves
    onboarding_relief = [
        s for s, r, o in triples if r == "RELIEVES" and o == "pain-slow-onboarding"
    ]
    assert (OPS, "EXPERIENCES", "pain-slow-onboarding") in validated
    assert all(entities[s]["status"] not in ("shipped", "planned") for s in onboarding_relief)
    # an alternative validly used that nothing beats
    assert (OPS, "USES", "alt-spreadsheets") in validated
    assert not [t for t in triples if t[1] == "BEATS" and t[2] == "alt-spreadsheets"]
    # a claim promising something its backing feature neither relieves nor enables
    promised = {o for s, r, o in triples if s == "claim-live-in-minutes" and r == "PROMISES"}
    backing = {o for s, r, o in triples if s == "claim-live-in-minutes" and r == "BACKED_BY"}
    delivered = {o for s, r, o in triples if s in backing and r in ("RELIEVES", "ENABLES")}
    assert promised - delivered
    # a feature that relieves or enables nothing validated
    live_targets = [
        (r, o)
        for s, r, o in triples
        if s == "feat-live-dashboards" and r in ("RELIEVES", "ENABLES")
    ]
    assert live_targets
    for r, o in live_targets:
        assert ("feat-live-dashboards", r, o) not in validated
        assert all(t not in validated for t in triples if t[2] == o and t[0].startswith("seg-"))


def test_summary_statistics_are_plausible(evidence: list[dict[str, Any]]) -> None:
    strengths = [b["strength"] for ev in evidence for b in ev["bears"]]
    assert 0.4 <= statistics.mean(strengths) <= 0.8
    types = Counter(ev["source_type"] for ev in evidence)
    assert set(types) == set(SOURCE_TYPES)


def test_readme_references_resolve(
    entities: dict[str, dict[str, Any]],
    evidence: list[dict[str, Any]],
    members: dict[str, dict[str, Any]],
) -> None:
    text = (SEED / "README.md").read_text(encoding="utf-8")
    known = set(entities) | set(members) | {ev["id"] for ev in evidence}
    prefixes = "seg|acct|goal|pain|alt|feat|claim|mem|ev"
    mentioned = set(re.findall(rf"`\[?((?:{prefixes})-[a-z0-9-]+)", text))
    mentioned |= set(re.findall(rf"\b((?:{prefixes})-[a-z0-9]+(?:-[a-z0-9]+)*)", text))
    assert mentioned, "the README names no ids"
    assert not mentioned - known, sorted(mentioned - known)
