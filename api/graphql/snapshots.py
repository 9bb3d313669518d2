"""GraphQL for snapshots: list, read, diff and create (docs/design.md §3); delete and purge
redacted evidence from them (admins, docs/snapshots.md).

The snapshot's files (JSON, reports, CSV) are served by REST (``api/rest/snapshots.py``);
``Snapshot.files`` gives their paths.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.errors import check_idempotency_key, check_reason
from api.graphql.pagination import Connection, creation_key, described
from api.graphql.shapes import MEMBER_IDS, mirror, renamed
from graph.divergence import EngineSettings
from graph.kit.cursors import check_page_size, decode_cursor, time_and_id
from graph.snapshots import diff as snapshot_diff
from graph.snapshots import removal
from graph.snapshots import store as snapshots
from graph.snapshots.export.words import summary as plain_summary
from graph.snapshots.figures import figures_for
from graph.snapshots.quota import quota_for
from schema import snapshots as model


@strawberry.type(description="How many records of each kind a snapshot froze.")
class SnapshotCounts:
    functions: int
    entities: int
    propositions: int
    evidence: int
    beliefs: int
    imports: int
    decisions: int = strawberry.field(
        default=0, description="Decisions recorded by the snapshot's time (0 before there were)."
    )


@strawberry.type(description="The alignment index when the snapshot was taken.")
class SnapshotAlignment:
    alpha: float | None = strawberry.field(
        description="Krippendorff's alpha over the functions' beliefs; null below 5 units."
    )
    alpha_low: float | None = strawberry.field(description="95% bootstrap interval, low end.")
    alpha_high: float | None = strawberry.field(description="95% bootstrap interval, high end.")
    mean_abs_difference: float | None = strawberry.field(
        description="Mean absolute difference between two functions' beliefs."
    )
    units: int = strawberry.field(description="Propositions believed by two or more functions.")


@strawberry.type(description="Where the snapshot's files are served (GET, with a token).")
class SnapshotFiles:
    json: str = strawberry.field(description="The restorable, schema-versioned JSON file.")
    markdown: str
    html: str = strawberry.field(description="A self-contained report with charts.")
    csv: str = strawberry.field(description="CSV tables; add ?table=… (default heatmap).")


@strawberry.type(
    description="A redacted evidence item's text and key purged from this snapshot after it "
    "was taken: the one change a snapshot undergoes, and how its fingerprint changed."
)
class SnapshotPurgeEntry:
    evidence_id: strawberry.ID
    at: datetime
    by: strawberry.ID = strawberry.field(description="The id of the admin who purged it.")
    reason: str
    fingerprint_before: str
    fingerprint_after: str


@strawberry.type(
    description="The model frozen as of a time, with its alignment figures. Immutable but for "
    "an admin's purge of redacted evidence (see purges)."
)
class Snapshot:
    id: strawberry.ID
    fingerprint: str = strawberry.field(
        description="SHA-256 of the canonical JSON (RFC 8785) of the model content; restoring "
        "a snapshot into an empty database and snapshotting again reproduces it."
    )
    label: str | None
    as_of: datetime = strawberry.field(description="The time the model is frozen as of.")
    created_at: datetime
    created_by_id: strawberry.ID = strawberry.field(
        description="The id of the member who took it ('system' for the CLI)."
    )
    created_by: str = renamed(
        "createdById", MEMBER_IDS, description="The id of the member who took it."
    )
    schema_version: int = strawberry.field(description="The version of the snapshot file format.")
    counts: SnapshotCounts
    purges: list[SnapshotPurgeEntry] = strawberry.field(
        description="Redacted evidence purged from it since it was taken, oldest first, each "
        "with the fingerprint before and after; empty for a snapshot never changed."
    )
    alignment_alpha: strawberry.Private[float | None]
    alignment_units: strawberry.Private[int]
    alignment_mad: strawberry.Private[float | None]

    @strawberry.field(description="The alignment index at the snapshot's time.")
    async def alignment(self, info: Info[Context, None]) -> SnapshotAlignment:
        figures = await snapshots.figures(info.context.db, str(self.id))
        a = figures.get("alignment") or {}
        return SnapshotAlignment(
            alpha=a.get("alpha"),
            alpha_low=a.get("alpha_low"),
            alpha_high=a.get("alpha_high"),
            mean_abs_difference=a.get("mean_abs_difference"),
            units=int(a.get("units") or 0),
        )

    @strawberry.field(description="The snapshot's figures in plain sentences, as reports open.")
    async def summary(self, info: Info[Context, None]) -> list[str]:
        found = await snapshots.get(info.context.db, str(self.id))
        return plain_summary(found, await snapshots.figures(info.context.db, found.id))

    @strawberry.field(description="Paths of the snapshot's files.")
    def files(self) -> SnapshotFiles:
        base = f"/api/v1/snapshots/{self.id}"
        return SnapshotFiles(
            json=f"{base}.json", markdown=f"{base}.md", html=f"{base}.html", csv=f"{base}.csv"
        )

    @classmethod
    def from_model(cls, s: model.SnapshotInfo) -> Snapshot:
        counts = {k: int(s.counts.get(k, 0)) for k in model.SECTIONS}
        return mirror(
            cls,
            s,
            created_by_id=s.created_by,
            counts=SnapshotCounts(**counts),
            alignment_mad=s.mean_abs_difference,
        )


@strawberry.type(description="What purgeRedactedFromSnapshots changed.")
class SnapshotPurgeResult:
    evidence_id: strawberry.ID
    snapshots: list[Snapshot] = strawberry.field(
        description="The snapshots that held the item's text or key, as they are now."
    )


@described(
    "A page of snapshots, newest first.", nodes="The snapshots of this page, without cursors."
)
class SnapshotConnection(Connection[Snapshot]):
    pass


@strawberry.type(description="An entity or proposition that appeared, vanished or retired.")
class SnapshotModelChange:
    id: strawberry.ID
    kind: str = strawberry.field(description="An entity kind, or PROPOSITION.")
    name: str = strawberry.field(description="Its name; for a proposition, its sentence.")


@strawberry.type(description="A function's current belief that moved between two snapshots.")
class SnapshotBeliefShift:
    function: str
    proposition_id: strawberry.ID
    text: str
    before: float | None = strawberry.field(description="p in the older snapshot; null: none.")
    after: float | None = strawberry.field(description="p in the newer snapshot; null: none.")
    change: str = strawberry.field(description="moved, new or withdrawn.")
    delta: float | None


@strawberry.type(description="A belief gap or disagreement that appeared, vanished or changed.")
class SnapshotDivergenceChange:
    kind: str = strawberry.field(description="belief_gap or disagreement.")
    change: str = strawberry.field(description="appeared, vanished or changed.")
    proposition_id: strawberry.ID
    text: str
    function: str | None = strawberry.field(description="For a belief gap: whose belief.")
    before: float | None = strawberry.field(description="The gap (or spread) before.")
    after: float | None = strawberry.field(description="The gap (or spread) after.")


@strawberry.type(description="What changed from one snapshot to another.")
class SnapshotDiff:
    from_id: strawberry.ID
    to_id: strawberry.ID
    from_as_of: datetime
    to_as_of: datetime
    entities_added: list[SnapshotModelChange]
    entities_removed: list[SnapshotModelChange]
    entities_retired: list[SnapshotModelChange]
    propositions_added: list[SnapshotModelChange]
    propositions_removed: list[SnapshotModelChange]
    propositions_retired: list[SnapshotModelChange]
    belief_shifts: list[SnapshotBeliefShift] = strawberry.field(
        description="Current beliefs that moved by shiftThreshold or more, appeared or went."
    )
    divergence_changes: list[SnapshotDivergenceChange]
    calibration_changes: list[str] = strawberry.field(
        description="How each function's calibration (Brier score) moved, one sentence each: "
        "marketing's calibration improved from 0.292 to 0.200 (Brier, 5 → 12 forecasts)."
    )
    alpha_before: float | None
    alpha_after: float | None
    alpha_change: float | None
    mean_abs_difference_before: float | None
    mean_abs_difference_after: float | None
    shift_threshold: float

    @classmethod
    def from_model(cls, d: model.SnapshotDiff) -> SnapshotDiff:
        return mirror(cls, d)


@strawberry.type
class SnapshotQuery:
    @strawberry.field(description="Snapshots, newest first.")
    async def snapshots(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> SnapshotConnection:
        ctx = info.context
        ctx.actor  # noqa: B018 - reading needs a token
        limit = check_page_size(first, 20, ctx.settings.max_page_size)
        # Snapshots never change, so the listing is not pinned: every page is as of now.
        after_key = time_and_id(decode_cursor(after).after) if after else None
        rows, total = await ctx.read(snapshots.list_page, after=after_key, limit=limit + 1)
        return SnapshotConnection.of(
            rows, limit, ctx.now, key=creation_key, node=Snapshot.from_model, total_count=total
        )

    @strawberry.field(description="One snapshot by id.")
    async def snapshot(self, info: Info[Context, None], id: strawberry.ID) -> Snapshot | None:
        info.context.actor  # noqa: B018
        found = await info.context.read(snapshots.get_in, str(id))
        return None if found is None else Snapshot.from_model(found)

    @strawberry.field(
        description="What changed between two snapshots: entities and propositions added, "
        "removed and retired, belief shifts per function, divergences, the alignment index."
    )
    async def snapshot_diff(
        self,
        info: Info[Context, None],
        from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
        to: strawberry.ID,
    ) -> SnapshotDiff:
        info.context.actor  # noqa: B018
        return SnapshotDiff.from_model(
            await snapshot_diff.diff(info.context.db, str(from_), str(to))
        )


@strawberry.type
class SnapshotMutation:
    @strawberry.mutation(
        description="Freeze the model and its alignment figures as of a time (default now). "
        "The same idempotencyKey returns the first snapshot."
    )
    async def create_snapshot(
        self,
        info: Info[Context, None],
        label: str | None = None,
        as_of: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> Snapshot:
        ctx = info.context
        actor = ctx.writer()
        check_idempotency_key(idempotency_key)
        created, _ = await snapshots.create(
            ctx.db,
            actor,
            figures_for(EngineSettings.from_settings(ctx.settings)),
            label=label,
            as_of=as_of,
            idempotency_key=idempotency_key,
            now=ctx.now,
            quota=quota_for(ctx.settings),
        )
        return Snapshot.from_model(created)

    @strawberry.mutation(
        description="Delete a snapshot and its content, with a reason (admins). Audited. "
        "Answers the snapshot as it was."
    )
    async def delete_snapshot(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> Snapshot:
        deleted = await info.context.write_with_reason(removal.delete, str(id), reason)
        return Snapshot.from_model(deleted)

    @strawberry.mutation(
        description="Take a redacted evidence item's text and key out of every stored snapshot "
        "that still holds them (admins, with a reason). Each changed snapshot gets a new "
        "fingerprint, recorded with the old one in its purges and in the audit log."
    )
    async def purge_redacted_from_snapshots(
        self, info: Info[Context, None], evidence_id: strawberry.ID, reason: str
    ) -> SnapshotPurgeResult:
        ctx = info.context
        actor = ctx.writer()
        check_reason(reason)
        changed = await removal.purge_redacted(ctx.db, actor, str(evidence_id), reason, ctx.now)
        return SnapshotPurgeResult(
            evidence_id=evidence_id, snapshots=[Snapshot.from_model(s) for s in changed]
        )
