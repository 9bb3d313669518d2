"""Agreement among functions: Krippendorff's interval alpha, its bootstrap interval and
the mean absolute difference (docs/design.md §2 item 6). Pure functions over plain numbers.

Every formula is written out, with references, in ``docs/statistics.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# ``data`` is coders x units: one row per function, one column per proposition, None (or
# NaN) where a function holds no belief. Only *pairable* values count — those in units
# with at least two values — as in Krippendorff (2011).
#
# For the interval metric δ²(c, k) = (c - k)², the sums over the coincidence matrix have a
# closed form in per-unit sizes m_u, means and sums of squared deviations SS_u:
#   D_o = (2/n) Σ_u m_u·SS_u / (m_u - 1)          (observed disagreement)
#   D_e = 2·SS / (n - 1)                           (expected disagreement)
# where n = Σ m_u and SS is the squared deviation of all n pairable values from their
# mean, itself split (without cancellation) as Σ_u SS_u + Σ_u m_u (mean_u - mean)².
# Working from per-unit summaries also lets the bootstrap re-weight units cheaply.


@dataclass(frozen=True, slots=True)
class _UnitSummaries:
    """Per pairable unit: size, and mean, squared deviation, min and max of its values
    rescaled onto [0, 1]; plus the mean absolute difference in the original units."""

    sizes: FloatArray
    means: FloatArray
    squares: FloatArray
    minima: FloatArray
    maxima: FloatArray
    mean_abs_differences: FloatArray

    @property
    def count(self) -> int:
        return int(self.sizes.shape[0])


def _pairable_unit_values(data: Sequence[Sequence[float | None]]) -> list[list[float]]:
    """The values of every unit that has at least two of them, unit by unit."""
    if not data:
        return []
    width = len(data[0])
    for row in data:
        if len(row) != width:
            raise ValueError("every coder's row must have one entry per unit")
    units: list[list[float]] = []
    for u in range(width):
        values: list[float] = []
        for row in data:
            v = row[u]
            if v is None or math.isnan(v):
                continue
            if math.isinf(v):
                raise ValueError("values must be finite (None or NaN for missing)")
            values.append(float(v))
        if len(values) >= 2:
            units.append(values)
    return units


def _summarise(units: list[list[float]]) -> _UnitSummaries:
    sizes, means, squares, minima, maxima, mads = [], [], [], [], [], []
    # Alpha is unchanged by any affine rescaling of the values (δ² scales by the same
    # factor in D_o and D_e), so map the pairable values onto [0, 1] first: squared
    # differences of, say, 1e-160 would otherwise underflow and lose all precision.
    lowest = min(min(values) for values in units)
    spread = max(max(values) for values in units) - lowest
    scale = spread if spread > 0.0 else 1.0
    for raw in units:
        m = len(raw)
        pair_diffs = [abs(raw[i] - raw[j]) for i in range(m) for j in range(i + 1, m)]
        mads.append(math.fsum(pair_diffs) / len(pair_diffs))
        values = [(v - lowest) / scale for v in raw]
        lo, hi = min(values), max(values)
        # A constant unit gets its value as its mean, exactly, so that "no variation at
        # all" is recognisable without fighting rounding (0.1 + 0.1 + 0.1 != 0.3).
        mean = lo if lo == hi else math.fsum(values) / m
        sizes.append(float(m))
        means.append(mean)
        squares.append(math.fsum((v - mean) ** 2 for v in values))
        minima.append(lo)
        maxima.append(hi)
    return _UnitSummaries(
        sizes=np.asarray(sizes, dtype=np.float64),
        means=np.asarray(means, dtype=np.float64),
        squares=np.asarray(squares, dtype=np.float64),
        minima=np.asarray(minima, dtype=np.float64),
        maxima=np.asarray(maxima, dtype=np.float64),
        mean_abs_differences=np.asarray(mads, dtype=np.float64),
    )


def _alpha_from_counts(s: _UnitSummaries, counts: FloatArray) -> FloatArray:
    """Alpha for each row of ``counts`` (how often each unit is drawn); NaN if undefined.

    ``counts`` has shape (R, U); a row of ones is the data itself.
    """
    n = counts @ s.sizes
    within = counts @ s.squares
    if counts.shape[0] == 1:
        # The data itself: the between-unit squares summed term by term, without cancellation.
        grand_mean = (counts[0] * s.sizes) @ s.means / n
        between = ((counts[0] * s.sizes) @ (s.means - grand_mean[0]) ** 2)[np.newaxis]
    else:
        # Resamples: only per-unit sums travel through matrix products (no R × U temporaries,
        # so a pair's 1,000 resamples cost a few products). With d_u = mean_u − the data's
        # grand mean, Σ w (mean_u − g)² = Σ w d² − (Σ w d)² / n; centring on the data's grand
        # mean keeps the subtraction well conditioned (values are rescaled onto [0, 1]).
        centre = (s.sizes @ s.means) / s.sizes.sum()
        d = s.means - centre
        shifted = counts @ (s.sizes * d)
        between = np.maximum(counts @ (s.sizes * d * d) - shifted * shifted / n, 0.0)
    total_squares = within + between
    observed_sum = counts @ (s.sizes * s.squares / (s.sizes - 1.0))
    # Alpha is undefined when every pairable value is the same (D_e = 0); decided on the
    # values themselves, not on a sum of squares that rounding may leave at 1e-33. (The
    # second test only catches differences so small that their squares underflow.) A row
    # that drew a unit whose own values vary has varied values; only the others need the
    # lowest and highest drawn value (two passes over 1,000 × 10,000 resample counts each,
    # at M, saved: benchmark b).
    varies = counts @ (s.maxima > s.minima).astype(np.float64) > 0.0
    constant_units_only = ~varies
    if constant_units_only.any():
        drawn = counts[constant_units_only] > 0
        lowest = np.where(drawn, s.minima[np.newaxis, :], np.inf).min(axis=1)
        highest = np.where(drawn, s.maxima[np.newaxis, :], -np.inf).max(axis=1)
        varies[constant_units_only] = highest > lowest
    defined = varies & (total_squares > 0.0)
    safe_total = np.where(defined, total_squares, 1.0)
    alpha = 1.0 - (n - 1.0) * observed_sum / (n * safe_total)
    return np.where(defined, alpha, np.nan)


def _point_alpha(s: _UnitSummaries) -> float | None:
    alpha = _alpha_from_counts(s, np.ones((1, s.count)))[0]
    return None if math.isnan(alpha) else float(alpha)


def _bootstrap_interval(
    s: _UnitSummaries, resamples: int, level: float, seed: int
) -> tuple[float | None, float | None]:
    rng = np.random.default_rng(seed)
    u = s.count
    draws = rng.integers(0, u, size=(resamples, u))
    # counts[r, j] = how many times unit j was drawn in resample r.
    offsets = (np.arange(resamples) * u)[:, np.newaxis]
    counts = np.bincount((draws + offsets).ravel(), minlength=resamples * u)
    alphas = _alpha_from_counts(s, counts.reshape(resamples, u).astype(np.float64))
    alphas = alphas[~np.isnan(alphas)]
    if alphas.size == 0:
        return None, None
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(alphas, [tail, 1.0 - tail])
    return float(low), float(high)


def _check_bootstrap_args(resamples: int, level: float) -> None:
    if resamples < 1:
        raise ValueError(f"resamples must be positive, got {resamples}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")


def pairable_units(data: Sequence[Sequence[float | None]]) -> int:
    """Number of units (columns) with at least two non-missing values."""
    return len(_pairable_unit_values(data))


def krippendorff_alpha_interval(data: Sequence[Sequence[float | None]]) -> float | None:
    """Krippendorff's alpha with the interval metric, ``1 - D_o / D_e`` (Krippendorff 2011).

    ``data`` is coders x units; missing values are None or NaN; units with fewer than two
    values are left out. None when no unit is pairable or the pairable values do not vary
    (D_e = 0, alpha undefined).
    """
    units = _pairable_unit_values(data)
    return _point_alpha(_summarise(units)) if units else None


def mean_absolute_difference(data: Sequence[Sequence[float | None]]) -> float | None:
    """Mean over pairable units of the mean |v_i - v_j| over the unit's unordered pairs.

    Each unit counts once whatever the number of functions that answered it, so the figure
    reads as "on a typical proposition, two functions' p differ by this much". None when no
    unit is pairable.
    """
    units = _pairable_unit_values(data)
    if not units:
        return None
    return float(np.mean(_summarise(units).mean_abs_differences))


def bootstrap_alpha(
    data: Sequence[Sequence[float | None]],
    *,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval for alpha, resampling pairable units with replacement.

    Deterministic for a given seed. Resamples in which alpha is undefined (every drawn value
    equal) are left out; (None, None) when alpha itself is undefined or no resample is
    defined.
    """
    _check_bootstrap_args(resamples, level)
    units = _pairable_unit_values(data)
    if not units:
        return None, None
    summaries = _summarise(units)
    if _point_alpha(summaries) is None:
        return None, None
    return _bootstrap_interval(summaries, resamples, level, seed)


TOO_FEW_UNITS = "TOO_FEW_UNITS"
NO_VARIATION = "NO_VARIATION"


@dataclass(frozen=True, slots=True)
class AlignmentFigures:
    """The alignment index as the product reports it (docs/design.md §2 item 6)."""

    alpha: float | None
    """Krippendorff's interval alpha; None below ``min_units`` pairable units."""
    alpha_low: float | None
    """Bootstrap interval over units, lower end."""
    alpha_high: float | None
    """Bootstrap interval over units, upper end."""
    mean_abs_difference: float | None
    """Shown beside alpha, which misleads when answers barely vary."""
    units: int
    """Pairable units used."""
    null_reason: str | None = None
    """Why alpha is None: TOO_FEW_UNITS (below ``min_units`` pairable units) or
    NO_VARIATION (every pairable value the same: perfect agreement); None when it is not."""


def point_figures(
    data: Sequence[Sequence[float | None]], *, min_units: int = 5
) -> AlignmentFigures:
    """Alpha (None below ``min_units`` pairable units), the mean absolute difference and the
    pairable unit count, without an interval: what ``krippendorff_alpha_interval``,
    ``mean_absolute_difference`` and ``pairable_units`` give, from one pass over the data."""
    return _point(data, min_units)[1]


def _point(
    data: Sequence[Sequence[float | None]], min_units: int
) -> tuple[_UnitSummaries | None, AlignmentFigures]:
    units = _pairable_unit_values(data)
    if not units:
        return None, AlignmentFigures(None, None, None, None, 0, TOO_FEW_UNITS)
    summaries = _summarise(units)
    mad = float(np.mean(summaries.mean_abs_differences))
    if summaries.count < min_units:
        return summaries, AlignmentFigures(None, None, None, mad, summaries.count, TOO_FEW_UNITS)
    alpha = _point_alpha(summaries)
    reason = NO_VARIATION if alpha is None else None
    return summaries, AlignmentFigures(alpha, None, None, mad, summaries.count, reason)


def alignment_figures(
    data: Sequence[Sequence[float | None]],
    *,
    min_units: int = 5,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> AlignmentFigures:
    """Alpha, its bootstrap interval, mean absolute difference and pairable unit count.

    Alpha and its interval are None below ``min_units`` pairable units: with a handful of
    propositions alpha swings wildly. The mean absolute difference is reported whenever at
    least one unit is pairable.
    """
    _check_bootstrap_args(resamples, level)
    summaries, point = _point(data, min_units)
    if summaries is None or point.alpha is None:
        return point
    low, high = _bootstrap_interval(summaries, resamples, level, seed)
    return AlignmentFigures(point.alpha, low, high, point.mean_abs_difference, point.units, None)
