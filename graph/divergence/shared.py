"""The shared model: the current model, kept by each API process and shared by its requests.

Reading the model from scratch costs every evidence item in it (four seconds at 100,000
items, benchmark b). A process keeps instead what the current model is made of —
each visible proposition's view, its functions' current beliefs, and its counted evidence
as the few numbers the weights need — and asks the database before each use whether
anything changed (``graph.model_version``: one small read). When something did, it reads
again only the propositions stamped since; a write that could not say what it changed makes
it read everything again. Every replica does the same, so a write through one is seen by the
next read through any other, and a request that follows its own write sees it.

Decay makes the figures a function of the time T asked for: ``reliability × strength ×
0.5^(age/half-life)`` per item, noisy-OR per source (an account, a source key, an item alone)
on one proposition and stance, summed per proposition — the same arithmetic as the support
query of ``graph.support``, to well within the relative 1e-9 of docs/design.md §2. From the
newest observation on, decay is one common factor for every item that is its own source, so
a new T scales their sums, kept per copy, and weighs again only the items of sources with
several (noisy-OR is not linear); before it, every item is weighed, vectorised. Only the
current model is kept: a report as of a past time reads the model as it stood then
(``load_picture``), the longer road.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import heapq
import itertools
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from analytics.support import BetaColumns
from graph import beliefs, functions, model_version, support
from graph.divergence.picture import (
    PROPOSITION_VIEWS,
    VISIBLE_PROPOSITIONS_OF_IDS,
    Picture,
    load_scope,
    with_scope,
)
from graph.divergence.settings import EngineSettings
from graph.evidence.reading import COUNTED_AS_OF
from graph.kit import coalesce, collector, offload
from graph.kit.connection import Database, fetch_collected
from graph.kit.scope import PROPOSITIONS_OF_IDS
from graph.model_version import Counters
from graph.support import Support, SupportSettings
from schema.divergence import FunctionBelief, PropositionView
from schema.vocabulary import SOURCE_TYPES

V = TypeVar("V")

# Propositions read per transaction when many changed: each read stays short, and the
# event loop gets its turn between them.
READ_CHUNK = 2_000
# Chunks read at once by a read of many propositions (a process's first): two took it from
# 10.0 to 6.7-7.2 s at a million items and from 3.4 to 2.0-2.3 s at 100,000, on two cores;
# four did no better (docs/benchmarks.md, "2026-12-06, sixth").
READS_AT_ONCE = 2
# How far another replica's clock may run ahead of this one's (see ``SharedModel._refresh``).
CLOCK_SKEW = timedelta(minutes=5)
# Requests for "now" this close together share one T (see ``SharedModel.picture``).
SHARE_WINDOW_S = 1.0
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# What the weights need of each counted item, per proposition, as parallel lists (a list
# of plain numbers decodes several times faster than a map per item). A missing magnitude
# travels as -1: ``collect`` would drop a null and misalign the lists. Beside them, what the
# figures keep at any later T (``_kept_figures``): the items' ids, the number of accounts
# and the newest time as stored. The figures were once a second query over the same items
# (``support.support_for``), which took 14 s of a start's 24 at a million items
# (docs/benchmarks.md, "2026-12-06, sixth").
ITEM_INPUTS = (
    PROPOSITIONS_OF_IDS
    + """MATCH (ev:Evidence)-[bear:BEARS_ON]->(p)
WHERE """
    + COUNTED_AS_OF
    + """
WITH p, collect(bear.stance = 'SUPPORTS') AS supports, collect(ev.source_type) AS types,
     collect(bear.strength) AS strengths, collect(coalesce(bear.magnitude, -1)) AS magnitudes,
     collect(ev.observed_at.epochSeconds) AS seconds,
     collect(ev.observed_at.nanosecond) AS nanos,
     collect(coalesce(ev.account_id, 'key:' + ev.source_key, ev.id)) AS sources,
     collect(ev.id) AS ids, count(DISTINCT ev.account_id) AS accounts,
     count(CASE WHEN bear.stance = 'CONTRADICTS' THEN 1 END) AS contradicting,
     max(ev.observed_at) AS newest
RETURN collect({id: p.id, supports: supports, types: types, strengths: strengths,
                magnitudes: magnitudes, seconds: seconds, nanos: nanos,
                sources: sources, ids: ids, distinct_accounts: accounts,
                contradicting: contradicting,
                newest: split(toString(newest), '[')[0]}) AS rows
"""
)


# Source types as small codes: a million items would otherwise keep a million strings.
_type_codes: dict[str, int] = {name: n for n, name in enumerate(SOURCE_TYPES)}
_type_names: list[str] = list(SOURCE_TYPES)
_types_lock = threading.Lock()


def source_type_code(name: str) -> int:
    code = _type_codes.get(name)
    if code is None:
        with _types_lock:
            code = _type_codes.get(name)
            if code is None:
                code = _type_codes[name] = len(_type_names)
                _type_names.append(name)
    return code


@dataclass(frozen=True)
class ItemInputs:
    """One proposition's counted items, as the weights at any time need them."""

    supports: npt.NDArray[np.bool_]
    source_type: npt.NDArray[np.int64]  # a code of ``source_type_code``
    strength: npt.NDArray[np.float64]
    magnitude: npt.NDArray[np.float64]  # NaN: the item reports none
    seconds: npt.NDArray[np.int64]  # observed_at as epoch seconds and nanoseconds
    nanos: npt.NDArray[np.int64]
    group: npt.NDArray[np.int64]  # the item's source on its stance, numbered from 0
    groups: int

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ItemInputs:
        numbered: dict[tuple[bool, str], int] = {}
        group = [
            numbered.setdefault((bool(s), str(src)), len(numbered))
            for s, src in zip(row["supports"], row["sources"], strict=True)
        ]
        magnitude = np.asarray(row["magnitudes"], dtype=np.float64)
        return cls(
            supports=np.asarray(row["supports"], dtype=np.bool_),
            source_type=np.asarray([source_type_code(t) for t in row["types"]], dtype=np.int64),
            strength=np.asarray(row["strengths"], dtype=np.float64),
            magnitude=np.where(magnitude < 0, np.nan, magnitude),
            seconds=np.asarray(row["seconds"], dtype=np.int64),
            nanos=np.asarray(row["nanos"], dtype=np.int64),
            group=np.asarray(group, dtype=np.int64),
            groups=len(numbered),
        )


@dataclass(frozen=True)
class _AllItems:
    """Every proposition's items end to end, for weighing them all at once.

    What does not depend on T is worked out once per copy of the model: each item's
    observed time in nanoseconds, which groups support, each group's proposition, the
    magnitudes reported; per reliability table, each item's reliability × strength. A new T
    then costs a handful of passes over the items (a tenth of a second at a million)."""

    proposition_ids: tuple[str, ...]
    proposition: npt.NDArray[np.int64]  # index into proposition_ids, per item
    source_type: npt.NDArray[np.int64]  # a code of ``source_type_code``, per item
    strength: npt.NDArray[np.float64]
    observed_ns: npt.NDArray[np.int64]  # observed_at, nanoseconds since the epoch
    reported: npt.NDArray[np.bool_]  # a supporting item that reports a magnitude
    magnitude: npt.NDArray[np.float64]  # the magnitude reported, else 0
    group: npt.NDArray[np.int64]  # one number per (proposition, stance, source)
    group_supports: npt.NDArray[np.bool_]  # per group: its stance
    group_proposition: npt.NDArray[np.int64]  # per group: its proposition
    _scaled: dict[tuple[float, ...], npt.NDArray[np.float64]] = field(
        default_factory=dict, repr=False
    )
    _at_newest: dict[tuple[tuple[float, ...], float], _AtNewest] = field(
        default_factory=dict, repr=False
    )

    @functools.cached_property
    def position(self) -> dict[str, int]:
        """Each weighed proposition's place in ``proposition_ids``."""
        return {pid: n for n, pid in enumerate(self.proposition_ids)}

    @classmethod
    def of(cls, items: dict[str, ItemInputs]) -> _AllItems:
        ids = tuple(sorted(pid for pid, found in items.items() if len(found.strength)))
        chosen = [items[pid] for pid in ids]
        offsets = np.cumsum([0] + [found.groups for found in chosen])
        sizes = [len(found.strength) for found in chosen]

        def joined(arrays: Sequence[npt.NDArray[Any]], dtype: Any) -> npt.NDArray[Any]:
            return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)

        proposition = np.repeat(np.arange(len(ids), dtype=np.int64), sizes)
        supports = joined([f.supports for f in chosen], np.bool_)
        magnitude = joined([f.magnitude for f in chosen], np.float64)
        group = joined(
            [f.group + offset for f, offset in zip(chosen, offsets[:-1], strict=True)], np.int64
        )
        # The items of one group share its proposition and stance: any one of them tells.
        member = np.zeros(int(offsets[-1]), dtype=np.int64)
        member[group] = np.arange(len(group))
        observed_ns = joined([f.seconds for f in chosen], np.int64) * 1_000_000_000 + joined(
            [f.nanos for f in chosen], np.int64
        )
        return cls(
            proposition_ids=ids,
            proposition=proposition,
            source_type=joined([f.source_type for f in chosen], np.int64),
            strength=joined([f.strength for f in chosen], np.float64),
            observed_ns=observed_ns,
            reported=supports & ~np.isnan(magnitude),
            magnitude=np.nan_to_num(magnitude),
            group=group,
            group_supports=supports[member],
            group_proposition=proposition[member],
        )

    def spliced(self, changed: Iterable[str], items: dict[str, ItemInputs]) -> _AllItems:
        """This copy with the items of the ``changed`` propositions replaced by ``items``
        (theirs as read again; one with none, or left out, has none now).

        The same figures as ``of`` over the new copy's items, without laying out every
        proposition again (its Python pass over each of them was most of a write's cost to a
        reader): the kept items stay as they are, renumbered in a few array passes, and the
        changed propositions come after them. Each proposition's items and groups keep their
        order, so every sum and product is the one ``of`` makes."""
        index = self.position
        dropped = np.zeros(len(self.proposition_ids), dtype=np.bool_)
        dropped[[index[pid] for pid in changed if pid in index]] = True
        fresh = _AllItems.of(items)
        kept = ~dropped[self.proposition]
        kept_groups = ~dropped[self.group_proposition]
        renumbered = np.cumsum(~dropped) - 1
        renumbered_groups = np.cumsum(kept_groups) - 1
        kept_ids = tuple(itertools.compress(self.proposition_ids, (~dropped).tolist()))
        later, later_groups = len(kept_ids), int(kept_groups.sum())
        return _AllItems(
            proposition_ids=kept_ids + fresh.proposition_ids,
            proposition=np.concatenate(
                (renumbered[self.proposition[kept]], fresh.proposition + later)
            ),
            source_type=np.concatenate((self.source_type[kept], fresh.source_type)),
            strength=np.concatenate((self.strength[kept], fresh.strength)),
            observed_ns=np.concatenate((self.observed_ns[kept], fresh.observed_ns)),
            reported=np.concatenate((self.reported[kept], fresh.reported)),
            magnitude=np.concatenate((self.magnitude[kept], fresh.magnitude)),
            group=np.concatenate((renumbered_groups[self.group[kept]], fresh.group + later_groups)),
            group_supports=np.concatenate((self.group_supports[kept_groups], fresh.group_supports)),
            group_proposition=np.concatenate(
                (
                    renumbered[self.group_proposition[kept_groups]],
                    fresh.group_proposition + later,
                )
            ),
        )

    @property
    def groups(self) -> int:
        return len(self.group_supports)

    @functools.cached_property
    def newest_ns(self) -> int:
        """The newest observation: every later T ages every item alike."""
        return int(self.observed_ns.max()) if self.observed_ns.size else 0

    @functools.cached_property
    def shared(self) -> _SharedSources:
        """The groups of more than one item, on their own (laid out once per copy)."""
        return _SharedSources.of(
            self.group, self.group_supports, self.group_proposition, self.observed_ns
        )

    def _reliable_strength(self, settings: SupportSettings) -> npt.NDArray[np.float64]:
        """Each item's reliability × strength under ``settings`` (kept per table)."""
        table = _reliability_table(settings)
        found = self._scaled.get(table)
        if found is None:
            found = np.asarray(table, dtype=np.float64)[self.source_type] * self.strength
            self._scaled[table] = found
        return found

    def weigh(
        self, settings: SupportSettings, as_of: datetime
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """S, C and the mean magnitude of each of ``proposition_ids`` as of ``as_of``.

        From the newest observation on, every item ages alike: T's decay is the weighing at
        the newest observation (kept per copy) times one factor, ``0.5^((T - newest) /
        half-life)``, for every item that is its own source, and for the magnitudes' weighted
        mean it cancels out. Only the groups of more than one item (noisy-OR is not linear)
        are weighed again item by item. Before the newest observation, every item is.
        """
        at_ns = _nanoseconds(as_of)
        if at_ns < self.newest_ns or not self.proposition_ids:
            return self.weigh_each(settings, at_ns)
        kept = self._at(settings)
        factor = float(_decay(at_ns - self.newest_ns, settings.half_life_days))
        shared = self.shared
        weight = kept.shared_strength * _decay(at_ns - shared.observed_ns, settings.half_life_days)
        s_shared, c_shared = shared.combine(weight, len(self.proposition_ids))
        return factor * kept.alone_s + s_shared, factor * kept.alone_c + c_shared, kept.magnitude

    def _at(self, settings: SupportSettings) -> _AtNewest:
        """The weighing at the newest observation, kept per reliability table and half-life."""
        key = (_reliability_table(settings), settings.half_life_days)
        found = self._at_newest.get(key)
        if found is None:
            reliable = self._reliable_strength(settings)
            n = len(self.proposition_ids)
            weight = reliable * _decay(self.newest_ns - self.observed_ns, settings.half_life_days)
            alone = self.shared.alone[self.group]
            alone_supports = alone & self.group_supports[self.group]
            found = _AtNewest(
                alone_s=np.bincount(
                    self.proposition, weights=np.where(alone_supports, weight, 0.0), minlength=n
                ).astype(np.float64),
                alone_c=np.bincount(
                    self.proposition,
                    weights=np.where(alone & ~alone_supports, weight, 0.0),
                    minlength=n,
                ).astype(np.float64),
                magnitude=self._mean_magnitude(weight),
                shared_strength=reliable[self.shared.item],
            )
            self._at_newest[key] = found
        return found

    def _mean_magnitude(self, weight: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        n = len(self.proposition_ids)
        reported_weight = np.where(self.reported, weight, 0.0)
        wm = np.bincount(self.proposition, weights=reported_weight * self.magnitude, minlength=n)
        wm_weight = np.bincount(self.proposition, weights=reported_weight, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(wm_weight > 0, wm / wm_weight, 1.0).astype(np.float64)

    def weigh_each(
        self, settings: SupportSettings, at_ns: int
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """``weigh`` item by item, at any T (``at_ns``, nanoseconds since the epoch)."""
        n = len(self.proposition_ids)
        # An item observed after ``as_of`` weighs as if observed then, as in the support query.
        age_ns = np.maximum(at_ns - self.observed_ns, 0)
        weight = self._reliable_strength(settings) * _decay(age_ns, settings.half_life_days)
        # One source's items on a proposition and stance combine by noisy-OR.
        remaining = np.ones(self.groups, dtype=np.float64)
        np.multiply.at(remaining, self.group, 1.0 - weight)
        s, c = _added_up(1.0 - remaining, self.group_supports, self.group_proposition, n)
        return s, c, self._mean_magnitude(weight)


NS_PER_DAY = 86_400_000_000_000.0


def _reliability_table(settings: SupportSettings) -> tuple[float, ...]:
    """The reliability of each source type by its code: what the kept weights are keyed on."""
    return tuple(settings.reliability.get(name, 0.0) for name in list(_type_names))


def _decay(age_ns: Any, half_life_days: float) -> Any:
    """``0.5^(age / half-life)``, the age in nanoseconds (one or an array of them).

    As ``exp2``: ``np.power(0.5, x)`` takes four times as long over a million items, for
    the same value within an ulp or two."""
    return np.exp2(-(age_ns / NS_PER_DAY) / half_life_days)


def _nanoseconds(moment: datetime) -> int:
    """``moment`` in nanoseconds since the epoch, exactly (no float on the way)."""
    since_epoch = moment - EPOCH
    return (
        since_epoch.days * 86_400 + since_epoch.seconds
    ) * 1_000_000_000 + since_epoch.microseconds * 1_000


@dataclass(frozen=True)
class _SharedSources:
    """The items whose source has others on the same proposition and stance: the only ones
    whose weights at a new T are combined (noisy-OR) item by item. They are laid out group
    by group (each group's items in their own order, so each product is the same), for one
    ``multiply.reduceat`` per T."""

    alone: npt.NDArray[np.bool_]  # per group of all items: a single item
    item: npt.NDArray[np.int64]  # the items of the other groups, group by group
    observed_ns: npt.NDArray[np.int64]  # per such item
    starts: npt.NDArray[np.int64]  # where each of their groups begins in ``item``
    group_supports: npt.NDArray[np.bool_]  # per such group
    group_proposition: npt.NDArray[np.int64]

    @classmethod
    def of(
        cls,
        group: npt.NDArray[np.int64],
        group_supports: npt.NDArray[np.bool_],
        group_proposition: npt.NDArray[np.int64],
        observed_ns: npt.NDArray[np.int64],
    ) -> _SharedSources:
        sizes = np.bincount(group, minlength=len(group_supports))
        shared = np.flatnonzero(sizes[group] > 1)
        item = shared[np.argsort(group[shared], kind="stable")]
        numbers = group[item]
        starts = np.flatnonzero(np.diff(numbers, prepend=-1)).astype(np.int64)
        chosen = numbers[starts]
        return cls(
            alone=sizes == 1,
            item=item,
            observed_ns=observed_ns[item],
            starts=starts,
            group_supports=group_supports[chosen],
            group_proposition=group_proposition[chosen],
        )

    def combine(
        self, weight: npt.NDArray[np.float64], propositions: int
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """S and C of these groups alone, their items (in ``item``'s order) weighing
        ``weight``."""
        if not self.item.size:
            return np.zeros(propositions), np.zeros(propositions)
        remaining = np.multiply.reduceat(1.0 - weight, self.starts)
        return _added_up(1.0 - remaining, self.group_supports, self.group_proposition, propositions)


def _added_up(
    combined: npt.NDArray[np.float64],
    group_supports: npt.NDArray[np.bool_],
    group_proposition: npt.NDArray[np.int64],
    propositions: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """S and C per proposition: the groups' noisy-OR weights, each on its side."""
    s = np.bincount(
        group_proposition, weights=np.where(group_supports, combined, 0.0), minlength=propositions
    )
    c = np.bincount(
        group_proposition, weights=np.where(group_supports, 0.0, combined), minlength=propositions
    )
    return s.astype(np.float64), c.astype(np.float64)


@dataclass(frozen=True)
class _AtNewest:
    """The weighing at a copy's newest observation, for one reliability table and half-life:
    its own-source items' S and C per proposition, every proposition's mean magnitude, and
    reliability × strength of the items in groups of more than one."""

    alone_s: npt.NDArray[np.float64]
    alone_c: npt.NDArray[np.float64]
    magnitude: npt.NDArray[np.float64]
    shared_strength: npt.NDArray[np.float64]


@dataclass(frozen=True)
class _Held:
    """What a process holds of the current model, as read at ``counters``."""

    counters: Counters
    stamps: dict[str, tuple[int | None, int | None]]  # every proposition, visible or not
    views: dict[str, PropositionView]  # the visible ones
    beliefs: dict[str, dict[str, FunctionBelief]]
    figures: dict[str, Support]  # as of the read: counts, ids and dates hold at any later T
    items: dict[str, ItemInputs]
    functions: tuple[str, ...]
    _all_items: list[_AllItems] = field(default_factory=list, repr=False)
    memo: dict[Hashable, Any] = field(default_factory=dict, repr=False)  # see Picture.memo
    per_proposition: dict[Hashable, dict[str, Any]] = field(default_factory=dict, repr=False)
    shaped: dict[Hashable, Any] = field(default_factory=dict, repr=False)  # see Picture.shaped
    # The figures of the latest "now" per (settings, event loop): when, as of when, the task,
    # and the pictures' memo at that T (per engine settings).
    recent: dict[
        Hashable,
        tuple[float, datetime, asyncio.Task[Mapping[str, Support]], dict[Hashable, Any]],
    ] = field(default_factory=dict, repr=False)

    @functools.cached_property
    def visible_ids(self) -> frozenset[str]:
        """The whole model's scope: made once per copy, not once per request (~0.1 ms at M)."""
        return frozenset(self.views)

    def built_items(self) -> _AllItems | None:
        """``all_items`` if some request has built it already."""
        return self._all_items[0] if self._all_items else None

    def all_items(self) -> _AllItems:
        if not self._all_items:  # built once per copy, by whichever request needs it first
            self._all_items.append(_AllItems.of(self.items))
        return self._all_items[0]

    @collector.pausing
    def support_as_of(self, settings: SupportSettings, as_of: datetime) -> _Weighed:
        """Each visible proposition's support as of ``as_of`` (no later than a write since)."""
        everything = self.all_items()
        s, c, mean_magnitude = everything.weigh(settings, as_of)
        return _Weighed(
            self.figures,
            everything.position,
            BetaColumns.of(s.tolist(), c.tolist()),
            mean_magnitude.tolist(),
        )


class _Weighed(Mapping[str, Support]):
    """Each visible proposition's support at one T, as ``support_as_of`` weighed them: the
    weights and posteriors of all of them worked out at once, each ``Support`` made when it
    is first asked for. Making all ten thousand at M took ~40 ms of every new T's ~65, for
    pages that ask for their segment's hundred (docs/benchmarks.md). Requests on several
    threads may make one at once: they make the same."""

    def __init__(
        self,
        figures: dict[str, Support],
        position: dict[str, int],
        posteriors: BetaColumns,
        magnitudes: list[float],
    ) -> None:
        self._figures = figures  # as read: no counted items is Beta(1, 1), whatever the time
        self._position = position  # in the weighed columns, for those with counted items
        self._posteriors = posteriors
        self._magnitudes = magnitudes
        self._made: dict[str, Support] = {}

    def __getitem__(self, pid: str) -> Support:
        made = self._made.get(pid)
        if made is not None:
            return made
        found = self._figures[pid]
        n = self._position.get(pid)
        if n is not None:
            posterior = self._posteriors.at(n)
            # Built directly: ``dataclasses.replace`` works out the fields again each time.
            found = Support(
                proposition_id=found.proposition_id,
                supporting=posterior.supporting,
                contradicting=posterior.contradicting,
                evidence_count=found.evidence_count,
                supporting_count=found.supporting_count,
                contradicting_count=found.contradicting_count,
                distinct_accounts=found.distinct_accounts,
                newest_evidence_at=found.newest_evidence_at,
                evidence_ids=found.evidence_ids,
                mean_magnitude=self._magnitudes[n],
                posterior=posterior,
                distinct_sources=found.distinct_sources,
            )
        self._made[pid] = found
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._figures)

    def __len__(self) -> int:
        return len(self._figures)

    def __contains__(self, pid: object) -> bool:
        return pid in self._figures


class SharedModel:
    """The current model of one database, shared by the requests of this process."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._held: _Held | None = None
        self._swap = threading.Lock()  # requests run on more than one event loop
        self._refreshing: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def held(self) -> bool:
        """Whether this process holds a copy of the model yet (it was read at least once)."""
        return self._held is not None

    @property
    def laid_out(self) -> bool:
        """Whether the copy held has its items laid out for weighing too (as ``prepare``
        leaves it, and the first weighing after each write)."""
        held = self._held
        return held is not None and held.built_items() is not None

    async def picture(
        self,
        settings: EngineSettings,
        *,
        as_of: datetime | None,
        segment_id: str | None = None,
        bookmarks: list[str] | None = None,
    ) -> Picture:
        """The current model as of ``as_of`` (now: no write may have come since the request
        began), as ``load_picture`` would read it.

        ``as_of`` None: now, shared with the requests of the last ``SHARE_WINDOW_S`` on the
        same copy of the model — one time T and one computation of the weights for the pages
        a workshop opens together (no write came between them: the copy would have changed).
        """
        held = await self.current(bookmarks)
        at_t: dict[Hashable, Any] = {}
        now = as_of is None
        if as_of is None:
            as_of, figures, shared_at_t = await self._recent(held, settings.support_settings)
            at_t = shared_at_t.setdefault(repr(settings), {})
        else:
            figures = await offload.in_thread(held.support_as_of, settings.support_settings, as_of)
        whole = Picture(
            as_of=as_of,
            settings=settings,
            propositions=held.views,
            scope=held.visible_ids,
            support=figures,
            beliefs=held.beliefs,
            functions=held.functions,
            memo=held.memo,
            per_proposition=held.per_proposition,
            shaped=held.shaped,
            at_t=at_t,
        )
        if segment_id is None:
            return whole
        if not now:
            segment, scope = await self._db.read_after(
                bookmarks, load_scope, segment_id, as_of=as_of
            )
            return with_scope(whole, segment, scope)
        # A segment's scope changes only with a write that changes the model's shape: kept
        # while the shape holds, it is read once per shape and segment, as the copy was read.
        segment, kept = await kept_while_shaped(
            whole,
            ("segment scope", segment_id),
            lambda: self._db.read_after(bookmarks, load_scope, segment_id, as_of=written_so_far()),
        )
        return with_scope(whole, segment, kept)

    async def prepare(self) -> None:
        """Read the model and lay its items out for weighing (~0.1 s of CPU at 100,000
        items): what a process does as it starts, so that its first page waits for neither."""
        held = await self.current()
        await offload.in_thread(held.all_items)

    async def current(self, bookmarks: list[str] | None = None) -> _Held:
        """The model as held, read again where a write since has changed it."""
        if bookmarks:
            seen = await self._db.read_after(bookmarks, model_version.counters)
        else:  # one read of the counters for the requests that ask together
            seen = await coalesce.read_now(self._db, model_version.counters)
        held = self._fresh(seen)
        if held is not None:
            return held
        loop = asyncio.get_running_loop()
        lock = self._refreshing.setdefault(loop, asyncio.Lock())
        async with lock:  # requests that find it stale together wait for one refresh
            held = self._fresh(seen)
            if held is not None:
                return held
            refreshed = await self._refresh(self._held, seen, bookmarks)
            with self._swap:
                if self._held is None or not self._held.counters.covers(refreshed.counters):
                    self._held = refreshed
            return refreshed

    async def _recent(
        self, held: _Held, settings: SupportSettings
    ) -> tuple[datetime, Mapping[str, Support], dict[Hashable, Any]]:
        """T for "now", its figures, and the memo of the pictures at that T (per engine
        settings: see ``Picture.at_t``)."""
        loop = asyncio.get_running_loop()
        key = (repr(settings), id(loop))
        with self._swap:
            found = held.recent.get(key)
            if found is None or time.monotonic() - found[0] > SHARE_WINDOW_S:
                as_of = datetime.now(UTC)
                # A task of its own, outside the caller's context: a first requester who
                # gives up does not cancel the figures the others wait for.
                task: asyncio.Task[Mapping[str, Support]] = loop.create_task(
                    offload.in_thread(held.support_as_of, settings, as_of),
                    context=contextvars.Context(),
                )
                task.add_done_callback(lambda done: _forget_failed(held.recent, key, done))
                found = (time.monotonic(), as_of, task, {})
                held.recent[key] = found
        _, as_of, task, at_t = found
        return as_of, await asyncio.shield(task), at_t

    def _fresh(self, seen: Counters) -> _Held | None:
        held = self._held
        # Counters never written (a database filled by other means) prove nothing.
        if held is None or seen.epoch is None or not held.counters.covers(seen):
            return None
        return held

    async def _refresh(
        self, held: _Held | None, counters: Counters, bookmarks: list[str] | None
    ) -> _Held:
        # ``counters`` were read before anything below: whatever is read now is at least as
        # new, and a write that lands meanwhile moves them again for the next request.
        now = written_so_far()
        if (
            held is None
            or counters.epoch is None
            or counters.epoch != held.counters.epoch
            or counters.structure != held.counters.structure
        ):
            stamps, names = await self._db.read_after(bookmarks, _stamps_and_functions)
            return await self._read_anew(counters, stamps, names, now, bookmarks)
        moved, names, propositions = await self._db.read_after(
            bookmarks, _moved_stamps_and_functions, held.counters.every_slot()
        )
        stamps = {**held.stamps, **moved}
        gone: set[str] = set()
        if len(stamps) != propositions:
            # A proposition came or went without a stamp (written by other means), or was
            # created between the two reads of the statement: every stamp, compared with the
            # ones held.
            stamps, names = await self._db.read_after(bookmarks, _stamps_and_functions)
            moved = {
                pid: stamp
                for pid, stamp in stamps.items()
                if pid not in held.stamps or not held.counters.saw(*stamp)
            }
            gone = held.stamps.keys() - stamps.keys()
        wanted = sorted(moved)
        views, believed = dict(held.views), dict(held.beliefs)
        figures, items = dict(held.figures), dict(held.items)
        for pid in itertools.chain(wanted, gone):
            for kept in (believed, figures, items):
                kept.pop(pid, None)
        reordered = await self._read_into(
            wanted, now, bookmarks, views=views, beliefs=believed, figures=figures, items=items
        )
        for pid in gone:
            views.pop(pid, None)
        kept_items = held.built_items()
        if kept_items is not None and (wanted or gone):  # else kept as is, with its weighings
            changed = set(wanted) | gone
            kept_items = await offload.in_thread(
                kept_items.spliced, changed, {pid: items[pid] for pid in changed if pid in items}
            )
        return _Held(
            counters=counters,
            stamps=stamps,
            views=dict(sorted(views.items())) if reordered else views,
            beliefs=believed,
            figures=figures,
            items=items,
            functions=tuple(names),
            _all_items=[] if kept_items is None else [kept_items],
            per_proposition=_carried(held.per_proposition, set(wanted) | gone),
            shaped=held.shaped if _same_shape(held, counters, views, wanted, gone) else {},
        )

    async def _read_anew(
        self,
        counters: Counters,
        stamps: dict[str, tuple[int | None, int | None]],
        names: list[str],
        now: datetime,
        bookmarks: list[str] | None,
    ) -> _Held:
        """Every proposition read again: a process's first read, a new epoch, or after a
        write that moved the structure counter (a merge, a new function, a restore)."""
        views: dict[str, PropositionView] = {}
        believed: dict[str, dict[str, FunctionBelief]] = {}
        figures: dict[str, Support] = {}
        items: dict[str, ItemInputs] = {}
        await self._read_into(
            sorted(stamps),
            now,
            bookmarks,
            views=views,
            beliefs=believed,
            figures=figures,
            items=items,
        )
        _out_of_collections()
        return _Held(
            counters=counters,
            stamps=stamps,
            views=dict(sorted(views.items())),
            beliefs=believed,
            figures=figures,
            items=items,
            functions=tuple(names),
        )

    async def _read_into(
        self,
        wanted: list[str],
        now: datetime,
        bookmarks: list[str] | None,
        *,
        views: dict[str, PropositionView],
        beliefs: dict[str, dict[str, FunctionBelief]],
        figures: dict[str, Support],
        items: dict[str, ItemInputs],
    ) -> bool:
        """Read the ``wanted`` propositions into the dicts, ``READ_CHUNK`` at a time: a view
        read again keeps its place, one no longer visible leaves. Whether a new view came (the
        views' order must then be made again).

        ``READS_AT_ONCE`` chunks are read at a time, each in its own transaction as before
        (the database answers one query on one core), and their results are taken in the
        chunks' order."""
        chunks = [wanted[start : start + READ_CHUNK] for start in range(0, len(wanted), READ_CHUNK)]
        gate = asyncio.Semaphore(READS_AT_ONCE)

        async def read(chunk: list[str]) -> _ReadChunk:
            async with gate:
                found_views, found_beliefs, rows = await self._db.read_after(
                    bookmarks, _read_propositions, chunk, now
                )
                found_figures, found_items = await offload.in_thread(
                    _figures_and_inputs, found_views, rows
                )
                return found_views, found_beliefs, found_figures, found_items

        came = False
        for chunk, found in zip(chunks, await _all_or_none(read(c) for c in chunks), strict=True):
            found_views, found_beliefs, found_figures, found_items = found
            for pid in chunk:
                if pid not in found_views:
                    views.pop(pid, None)
            came = came or not found_views.keys() <= views.keys()
            views.update(found_views)
            beliefs.update(found_beliefs)
            figures.update(found_figures)
            items.update(found_items)
        return came


async def _all_or_none(reads: Iterable[Awaitable[V]]) -> list[V]:
    """Every read's result, in order; when one fails, the others are cancelled and its own
    exception is raised as it is (a task group's ``ExceptionGroup`` would hide an outage's
    or a timeout's class from the handlers that answer 503 and 504)."""
    tasks = [asyncio.ensure_future(read) for read in reads]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


_ReadChunk = tuple[
    dict[str, PropositionView],
    dict[str, dict[str, FunctionBelief]],
    dict[str, Support],
    dict[str, ItemInputs],
]


def _out_of_collections() -> None:
    """Keep the model just read out of the garbage collector's full passes.

    The kept model is hundreds of thousands of small objects that live as long as the
    process; each full pass of the cyclic collector walked them all again, a third of a
    whole-model report's time at M (a report makes enough new objects to set off several).
    This runs once per full read (a process's first, a merge's), not per write.
    """
    collector.keep_out_of_collections()


async def _moved_stamps_and_functions(
    tx: Any, held: dict[int, int]
) -> tuple[dict[str, tuple[int | None, int | None]], list[str], int]:
    found, propositions = await model_version.moved_stamps(tx, held)
    names = [f.name for f in await functions.list_all(tx)]
    return {pid: (slot, value) for pid, slot, value in found}, names, propositions


async def _stamps_and_functions(
    tx: Any,
) -> tuple[dict[str, tuple[int | None, int | None]], list[str]]:
    found = await model_version.stamps(tx)
    names = [f.name for f in await functions.list_all(tx)]
    return {pid: (slot, value) for pid, slot, value in found}, names


async def _read_propositions(
    tx: Any, ids: list[str], now: datetime
) -> tuple[
    dict[str, PropositionView],
    dict[str, dict[str, FunctionBelief]],
    list[dict[str, Any]],
]:
    """Views, current beliefs and the rows of ``ITEM_INPUTS`` of the visible ones of ``ids``."""
    views = PROPOSITION_VIEWS.validate_python(
        await fetch_collected(tx, VISIBLE_PROPOSITIONS_OF_IDS, "rows", ids=ids, as_of=now)
    )
    visible = [v.id for v in views]
    believed: dict[str, dict[str, FunctionBelief]] = {}
    for pid, belief in await beliefs.current_function_beliefs(tx, visible, now):
        believed.setdefault(pid, {})[belief.function] = belief
    rows = await fetch_collected(tx, ITEM_INPUTS, "rows", ids=visible, as_of=now)
    return {v.id: v for v in views}, believed, rows


def _carried(
    per_proposition: dict[Hashable, dict[str, Any]], changed: set[str]
) -> dict[Hashable, dict[str, Any]]:
    """What the pictures kept for each proposition (``Picture.per_proposition``), but for the
    propositions a write changed. Copied whole, not rebuilt: ~0.03 ms a key for 10,000."""
    carried: dict[Hashable, dict[str, Any]] = {}
    for key, kept in list(per_proposition.items()):  # requests on other threads may add
        copied = dict(kept)
        for pid in changed:
            copied.pop(pid, None)
        carried[key] = copied
    return carried


def _same_shape(
    held: _Held,
    counters: Counters,
    views: dict[str, PropositionView],
    changed: list[str],
    gone: set[str],
) -> bool:
    """Whether a copy read at ``counters``, with ``views`` after ``changed`` propositions
    were read again and ``gone`` ones left, has ``held``'s shape: then it keeps the same dict
    of what was worked out from that shape (``Picture.shaped``), and what one copy's
    requests add there serves the next.

    The shape counter says so for every write of this version. What a proposition's view
    shows (retired or not, its relation, its entities' names and kinds) is compared as
    well, so a write that never moves the counter (a server of an earlier version during a
    rolling deploy, a proposition written by other means) ends it all the same when it
    changes one."""
    return (
        counters.shape == held.counters.shape
        and not gone
        and all(pid in held.stamps and held.views.get(pid) == views.get(pid) for pid in changed)
    )


def _forget_failed(recent: dict[Hashable, Any], key: Hashable, done: asyncio.Task[Any]) -> None:
    if done.cancelled() or done.exception() is not None:
        recent.pop(key, None)


def _figures_and_inputs(
    visible: Iterable[str], rows: list[dict[str, Any]]
) -> tuple[dict[str, Support], dict[str, ItemInputs]]:
    """The kept figures of the ``visible`` propositions and the item inputs of those with
    counted items, from the rows of ``ITEM_INPUTS``."""
    return _kept_figures(visible, rows), {row["id"]: ItemInputs.from_row(row) for row in rows}


def _kept_figures(visible: Iterable[str], rows: list[dict[str, Any]]) -> dict[str, Support]:
    """Each visible proposition's figures as ``support.support_for`` gives them without
    weights (``WEIGHED_SUPPORT``'s row with none): the counts, the newest time and the
    newest items' ids, which hold at any later T. The weights and posteriors are worked out
    per T (``_Weighed``); until then each is Beta(1, 1), as for a proposition with no
    counted items at any T."""
    found = {row["id"]: row for row in rows}
    return support.from_rows([_unweighed_row(pid, found.get(pid)) for pid in visible])


def _unweighed_row(pid: str, row: dict[str, Any] | None) -> dict[str, Any]:
    if row is None:  # no counted items
        row = {
            "supports": [],
            "sources": [],
            "ids": [],
            "distinct_accounts": 0,
            "contradicting": 0,
            "newest": None,
        }
    ids: list[str] = row["ids"]
    distinct = set(ids)
    supporting = sum(1 for s in row["supports"] if s)
    return {
        "proposition_id": pid,
        "s": [],
        "c": [],
        "distinct_sources": len(set(row["sources"])),
        "supporting_count": supporting,
        "contradicting_count": row["contradicting"],
        "mean_magnitude": 1.0,
        "distinct_accounts": row["distinct_accounts"],
        "newest": row["newest"],
        "newest_ids": _newest_ids(row, len(distinct) == len(ids)) if ids else [],
        "evidence_count": len(distinct),
    }


def _newest_ids(row: dict[str, Any], each_once: bool) -> list[str]:
    """The ids of a proposition's newest counted items, as ``WEIGHED_SUPPORT`` orders them:
    by the observed instant to the microsecond, then by id, both descending, each id once
    (``each_once``: no item bears on it twice, so the limit's worth are enough)."""
    micros = [n // 1000 for n in row["nanos"]]
    keyed = zip(row["seconds"], micros, row["ids"], strict=True)
    limit = support.EVIDENCE_IDS_LIMIT
    ordered = heapq.nlargest(limit, keyed) if each_once else sorted(keyed, reverse=True)
    return list(dict.fromkeys(item_id for _, _, item_id in ordered))[:limit]


_models: weakref.WeakKeyDictionary[Database, SharedModel] = weakref.WeakKeyDictionary()
_models_lock = threading.Lock()


def written_so_far() -> datetime:
    """A time as of which every write committed so far counts, whichever replica wrote it: a
    write's times are its own server's clock, which may run a little ahead of this one's.
    The shared model reads its copies as of it, and what is kept with a copy too."""
    return datetime.now(UTC) + CLOCK_SKEW


async def kept_while_shaped(picture: Picture, key: Hashable, read: Callable[[], Awaitable[V]]) -> V:
    """What ``read`` answers, kept across the copies of the model while no write changes
    its shape (``model_version``: which propositions there are, what they connect, what is
    said of their entities), for a picture of now from ``SharedModel.picture``.

    Only for what depends on that shape alone (a segment's scope, its entities' notes). The
    writes of a busy model, evidence and beliefs, leave it: a workshop's pages between them
    read it once, not once per write.
    """
    return await _kept_in(picture.shaped, key, read)


async def kept_with_copy(picture: Picture, key: Hashable, read: Callable[[], Awaitable[V]]) -> V:
    """What ``read`` answers, kept with the copy of the model behind ``picture`` (a picture
    of now from ``SharedModel.picture``): read once per copy and key.

    Only for what changes with nothing but a write the model version counts, which makes
    a new copy (the beliefs a segment's reveals stated; what depends on the shape alone is
    kept longer, by ``kept_while_shaped``).
    Read after the copy's counters, the answer may include a write that lands meanwhile,
    as a read per request would; the next request sees that write's own copy.
    """
    return await _kept_in(picture.memo, key, read)


async def _kept_in(kept: dict[Hashable, Any], key: Hashable, read: Callable[[], Awaitable[V]]) -> V:
    """``kept[key]``, read first when it is not there yet."""
    found: V | None = kept.get(key)
    if found is None:
        found = kept[key] = await read()
    return found


def shared_model(db: Database) -> SharedModel:
    """This process's shared model of ``db`` (one per database connection)."""
    with _models_lock:
        found = _models.get(db)
        if found is None:
            found = _models[db] = SharedModel(db)
        return found
