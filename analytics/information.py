"""What would change our mind (docs/design.md §2b): the value of one more evidence item on
a proposition, and how many items all one way would validate or refute it. Pure functions
over the evidence masses S and C; the formulas are written out in ``docs/statistics.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special  # type: ignore[import-untyped, unused-ignore]

from analytics.checks import require_finite
from analytics.ranking import score
from analytics.support import confidences_of

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NEXT_ITEM_SOURCE = "interview"
"""The item VoI imagines: an interview at full strength, its own source."""

ITEMS_LIMIT = 1000
"""Above this many items, ``items_to_validate`` / ``items_to_refute`` answer None."""


@dataclass(frozen=True, slots=True)
class InformationValue:
    """What one more item of weight w would do to a proposition's confidence."""

    value_of_information: float
    """Expected absolute shift of confidence P(θ > 0.5) from one more item."""
    items_to_validate: int | None
    """Fewest supporting items that would make it validated; 0 when it is; None above 1,000."""
    items_to_refute: int | None
    """Fewest contradicting items that would make it refuted; 0 when it is; None above 1,000."""


def _check(
    supporting: Sequence[float], contradicting: Sequence[float], weight: float
) -> tuple[FloatArray, FloatArray]:
    require_finite(weight=weight)
    if not 0.0 < weight <= 1.0:
        raise ValueError(f"the next item's weight must be in (0, 1], got {weight}")
    s = np.asarray(supporting, dtype=np.float64)
    c = np.asarray(contradicting, dtype=np.float64)
    if s.shape != c.shape:
        raise ValueError("supporting and contradicting need one weight per proposition each")
    for name, masses in (("supporting", s), ("contradicting", c)):
        if not np.isfinite(masses).all() or (masses < 0.0).any():
            raise ValueError(f"{name} weights must be finite and non-negative")
    return s, c


def values_of_information(
    supporting: Sequence[float], contradicting: Sequence[float], weight: float
) -> list[float]:
    """``m·|conf(S + w, C) - conf(S, C)| + (1 - m)·|conf(S, C + w) - conf(S, C)|`` for each
    proposition, m = (1 + S) / (2 + S + C) the posterior mean: the chance the next item
    supports it."""
    s, c = _check(supporting, contradicting, weight)
    now = confidences_of(s, c)
    up = np.abs(confidences_of(s + weight, c) - now)
    down = np.abs(confidences_of(s, c + weight) - now)
    m = (1.0 + s) / (2.0 + s + c)
    return [float(v) for v in (m * up + (1.0 - m) * down)]


GUESS_UP_TO = 32
"""The normal approximation's guesses look this many items ahead at most."""


def _fewest_items(reached: _Reached, limit: int) -> list[int | None]:
    """Fewest k in [0, limit] with ``reached(k)`` true for each proposition; None where even
    ``limit`` items do not suffice.

    Confidence is monotone in k, so any search that keeps ``reached(hi)`` true and
    ``reached(lo - 1)`` false finds the same k. The exact confidence (an incomplete beta)
    costs a few microseconds a proposition, so the search starts from the normal
    approximation's guess g, which is cheap and right or one short for almost every
    proposition: ``reached`` at g and then at g - 1 (where g is reached) or g + 1 (where it
    is not) settles most of them in two evaluations. What is left widens upwards by doubling
    steps, then bisects, each step only over the propositions still undecided.
    """
    n = reached.size
    every = np.arange(n)
    guess = np.minimum(reached.guess(), limit)
    at_guess = reached(guess, every)
    beside = np.where(at_guess, guess - 1, guess + 1)
    looked = (beside >= 0) & (beside <= limit)
    there = np.zeros(n, dtype=np.bool_)
    where = np.flatnonzero(looked)
    there[where] = reached(beside[where], where)
    # reached(lo - 1) is false or lo == 0; reached(hi) is true, and hi = limit + 1 where no
    # k within the limit is known to reach it yet.
    lo = np.zeros(n, dtype=np.int64)
    hi = np.full(n, limit + 1, dtype=np.int64)
    hi[at_guess] = guess[at_guess]
    lo[at_guess & looked & ~there] = guess[at_guess & looked & ~there]
    hi[at_guess & looked & there] = beside[at_guess & looked & there]
    lo[~at_guess] = guess[~at_guess] + 1
    above = ~at_guess & looked
    hi[above & there] = beside[above & there]
    lo[above & ~there] = beside[above & ~there] + 1
    step = 2
    open_ = np.flatnonzero((hi > limit) & (lo <= limit))
    while open_.size:
        probe = np.minimum(lo[open_] + step - 1, limit)
        good = reached(probe, open_)
        hi[open_[good]] = probe[good]
        lo[open_[~good]] = probe[~good] + 1
        open_ = open_[~good & (probe < limit)]
        step *= 2
    open_ = np.flatnonzero((hi <= limit) & (lo < hi))
    while open_.size:
        mid = (lo[open_] + hi[open_]) // 2
        good = reached(mid, open_)
        hi[open_[good]] = mid[good]
        lo[open_[~good]] = mid[~good] + 1
        open_ = open_[lo[open_] < hi[open_]]
    return [int(k) if k <= limit else None for k in hi.tolist()]


class _Reached:
    """Whether k more items, all one way, take a proposition to its threshold."""

    def __init__(self, s: FloatArray, c: FloatArray, weight: float, support: bool, at: float):
        self.s, self.c, self.weight, self.support, self.at = s, c, weight, support, at
        self.size = s.shape[0]

    def __call__(self, k: IntArray, where: IntArray) -> npt.NDArray[np.bool_]:
        """``reached`` for the propositions at the indices ``where``, ``k[i]`` items each."""
        added = k.astype(np.float64) * self.weight
        s, c = self.s[where], self.c[where]
        if self.support:
            return confidences_of(s + added, c) >= self.at
        return confidences_of(s, c + added) <= self.at

    def guess(self) -> IntArray:
        """Each proposition's fewest items by the normal approximation of its posterior
        (``GUESS_UP_TO`` where that is not reached by then): a starting point only."""
        added = np.arange(GUESS_UP_TO + 1, dtype=np.float64) * self.weight
        a = 1.0 + self.s[:, None] + (added if self.support else 0.0)
        b = 1.0 + self.c[:, None] + (0.0 if self.support else added)
        total = a + b
        z = (a / total - 0.5) * np.sqrt(total * total * (total + 1.0) / (a * b))
        bound = special.ndtri(self.at)
        enough = z >= bound if self.support else z <= bound
        first = np.argmax(enough, axis=1)
        return np.where(enough.any(axis=1), first, GUESS_UP_TO).astype(np.int64)


def items_needed(
    supporting: Sequence[float],
    contradicting: Sequence[float],
    weight: float,
    *,
    validated_at: float = 0.95,
    refuted_at: float = 0.05,
    limit: int = ITEMS_LIMIT,
) -> tuple[list[int | None], list[int | None]]:
    """Items to validate and items to refute of many propositions at once (no VoI)."""
    s, c = _check(supporting, contradicting, weight)
    if not 0.0 <= refuted_at < validated_at <= 1.0:
        raise ValueError("thresholds must satisfy 0 <= refuted_at < validated_at <= 1")
    if limit < 0:
        raise ValueError(f"limit must be non-negative, got {limit}")
    return (
        _fewest_items(_Reached(s, c, weight, True, validated_at), limit),
        _fewest_items(_Reached(s, c, weight, False, refuted_at), limit),
    )


def information_values(
    supporting: Sequence[float],
    contradicting: Sequence[float],
    weight: float,
    *,
    validated_at: float = 0.95,
    refuted_at: float = 0.05,
    limit: int = ITEMS_LIMIT,
) -> list[InformationValue]:
    """VoI, items to validate and items to refute of many propositions at once."""
    to_validate, to_refute = items_needed(
        supporting,
        contradicting,
        weight,
        validated_at=validated_at,
        refuted_at=refuted_at,
        limit=limit,
    )
    vois = values_of_information(supporting, contradicting, weight)
    return [
        InformationValue(v, up, down)
        for v, up, down in zip(vois, to_validate, to_refute, strict=True)
    ]


def information_value(
    supporting: float,
    contradicting: float,
    weight: float,
    *,
    validated_at: float = 0.95,
    refuted_at: float = 0.05,
) -> InformationValue:
    """``information_values`` of one proposition."""
    (found,) = information_values(
        [supporting], [contradicting], weight, validated_at=validated_at, refuted_at=refuted_at
    )
    return found


def next_item_weight(reliability: Mapping[str, float]) -> float:
    """w = reliability(interview): the weight of the next item VoI imagines."""
    return reliability[NEXT_ITEM_SOURCE]


def research_score(value_of_information: float, magnitude: float, far_functions: int) -> float:
    """The ranking score of evidence to collect: VoI × consensus magnitude × (1 + the number
    of functions whose |p − confidence| ≥ 0.25), rounded like every ranked score."""
    require_finite(value_of_information=value_of_information, magnitude=magnitude)
    return score(value_of_information * magnitude * (1 + far_functions))


def is_far(p: float, confidence: float, threshold: float = 0.25) -> bool:
    """Whether a belief stands at least ``threshold`` from the evidence's confidence (the
    difference rounded to 9 decimals first, so 0.75 − 0.5 counts whatever the rounding)."""
    return score(abs(p - confidence)) >= threshold


__all__ = [
    "ITEMS_LIMIT",
    "InformationValue",
    "information_value",
    "information_values",
    "items_needed",
    "is_far",
    "next_item_weight",
    "research_score",
    "values_of_information",
]
