"""Diffing two snapshots: what appeared, vanished or retired; whose beliefs moved; how the
divergences and the alignment index changed (docs/design.md §3).

Reads only the two snapshots (their entity, proposition and belief chunks and their stored
figures), never the live graph, so a diff of two snapshots never changes. Evidence chunks
are not read: the diff's memory grows with the model, not with the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graph.kit.connection import Database
from graph.snapshots import store
from graph.snapshots.chunks import iter_records
from graph.snapshots.export.calibration import changes as calibration_changes
from schema.snapshots import BeliefShift, DivergenceChange, EntityChange, SnapshotDiff

SHIFT_THRESHOLD = 0.05
GAP_CHANGE_THRESHOLD = 0.05


@dataclass
class _Model:
    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    propositions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (function, proposition id) -> (seq, p or None when withdrawn)
    current: dict[tuple[str, str], tuple[int, float | None]] = field(default_factory=dict)

    def text(self, proposition_id: str) -> str:
        p = self.propositions.get(proposition_id)
        if p is None:
            return proposition_id
        subject = self.entities.get(p["subject_id"], {}).get("name", p["subject_id"])
        obj = self.entities.get(p["object_id"], {}).get("name", p["object_id"])
        return f"{subject} {p['relation']} {obj}"


async def _load(db: Database, snapshot_id: str) -> _Model:
    model = _Model()
    wanted = ["beliefs", "entities", "propositions"]
    async for section, record in iter_records(db, snapshot_id, wanted):
        if section == "entities":
            model.entities[record["id"]] = record
        elif section == "propositions":
            model.propositions[record["id"]] = record
        else:
            key = (record["function"], record["proposition_id"])
            seen = model.current.get(key)
            if seen is None or record["seq"] > seen[0]:
                p = None if record.get("withdrawn") else record.get("p")
                model.current[key] = (int(record["seq"]), p)
    return model


def _retired(record: dict[str, Any]) -> bool:
    return record.get("retired_at") is not None or record.get("merged_into") is not None


def _entity(record: dict[str, Any]) -> EntityChange:
    return EntityChange(id=record["id"], kind=record["kind"], name=record["name"])


def _proposition(model: _Model, record: dict[str, Any]) -> EntityChange:
    return EntityChange(id=record["id"], kind="PROPOSITION", name=model.text(record["id"]))


def _gap_changes(before: dict[str, Any], after: dict[str, Any]) -> list[DivergenceChange]:
    changes: list[DivergenceChange] = []
    old = {(r[0], r[1]): (r[2], r[3]) for r in before.get("significant_gaps", [])}
    new = {(r[0], r[1]): (r[2], r[3]) for r in after.get("significant_gaps", [])}
    for key in sorted(old.keys() | new.keys()):
        function, pid = key
        was, now = old.get(key), new.get(key)
        text = (now or was)[1]  # type: ignore[index]
        if was is None and now is not None:
            change = "appeared"
        elif now is None and was is not None:
            change = "vanished"
        elif was is not None and now is not None and abs(now[0] - was[0]) >= GAP_CHANGE_THRESHOLD:
            change = "changed"
        else:
            continue
        changes.append(
            DivergenceChange(
                kind="belief_gap",
                change=change,
                proposition_id=pid,
                text=text,
                function=function,
                before=None if was is None else was[0],
                after=None if now is None else now[0],
            )
        )
    old_c = {r[0]: (r[1], r[2]) for r in before.get("contested", [])}
    new_c = {r[0]: (r[1], r[2]) for r in after.get("contested", [])}
    for pid in sorted(old_c.keys() | new_c.keys()):
        was_c, now_c = old_c.get(pid), new_c.get(pid)
        if was_c is None and now_c is not None:
            change = "appeared"
        elif now_c is None and was_c is not None:
            change = "vanished"
        elif (
            was_c is not None
            and now_c is not None
            and abs(now_c[0] - was_c[0]) >= GAP_CHANGE_THRESHOLD
        ):
            change = "changed"
        else:
            continue
        changes.append(
            DivergenceChange(
                kind="disagreement",
                change=change,
                proposition_id=pid,
                text=(now_c or was_c)[1],  # type: ignore[index]
                before=None if was_c is None else was_c[0],
                after=None if now_c is None else now_c[0],
            )
        )
    return changes


async def diff(db: Database, from_id: str, to_id: str) -> SnapshotDiff:
    older, newer = await store.get(db, from_id), await store.get(db, to_id)
    before, after = await _load(db, older.id), await _load(db, newer.id)
    figures_before = await store.figures(db, older.id)
    figures_after = await store.figures(db, newer.id)
    result = SnapshotDiff(
        from_id=older.id,
        to_id=newer.id,
        from_as_of=older.as_of,
        to_as_of=newer.as_of,
        shift_threshold=SHIFT_THRESHOLD,
        alpha_before=older.alignment_alpha,
        alpha_after=newer.alignment_alpha,
        mean_abs_difference_before=older.mean_abs_difference,
        mean_abs_difference_after=newer.mean_abs_difference,
    )
    for eid, record in sorted(after.entities.items()):
        was = before.entities.get(eid)
        if was is None:
            result.entities_added.append(_entity(record))
        elif _retired(record) and not _retired(was):
            result.entities_retired.append(_entity(record))
    result.entities_removed = [
        _entity(r) for eid, r in sorted(before.entities.items()) if eid not in after.entities
    ]
    for pid, record in sorted(after.propositions.items()):
        was = before.propositions.get(pid)
        if was is None:
            result.propositions_added.append(_proposition(after, record))
        elif _retired(record) and not _retired(was):
            result.propositions_retired.append(_proposition(after, record))
    result.propositions_removed = [
        _proposition(before, r)
        for pid, r in sorted(before.propositions.items())
        if pid not in after.propositions
    ]
    for key in sorted(before.current.keys() | after.current.keys()):
        function, pid = key
        p_before = before.current.get(key, (0, None))[1]
        p_after = after.current.get(key, (0, None))[1]
        if p_before is None and p_after is None:
            continue
        if p_before is None:
            change = "new"
        elif p_after is None:
            change = "withdrawn"
        elif abs(p_after - p_before) >= SHIFT_THRESHOLD - 1e-12:
            change = "moved"
        else:
            continue
        text = after.text(pid) if pid in after.propositions else before.text(pid)
        result.belief_shifts.append(
            BeliefShift(
                function=function,
                proposition_id=pid,
                text=text,
                before=p_before,
                after=p_after,
                change=change,
            )
        )
    result.divergence_changes = _gap_changes(figures_before, figures_after)
    result.calibration_changes = calibration_changes(figures_before, figures_after)
    return result
