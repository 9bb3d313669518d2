"""The statistics behind the shared model: evidence weights, Beta support, rank and
agreement measures (DESIGN.md §2). Pure functions over plain numbers; no database.

Every formula is written out, with references, in ``docs/statistics.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

# SciPy ships no type information; the ``unused-ignore`` code keeps this line valid
# should the project later install stubs or silence the import in its mypy settings.
from scipy import special  # type: ignore[import-untyped, unused-ignore]

SupportStatus = Literal["VALIDATED", "REFUTED", "CONTESTED", "UNKNOWN"]

FloatArray = npt.NDArray[np.float64]

# ---------------------------------------------------------------------------------------
# Evidence weights
# ---------------------------------------------------------------------------------------


def evidence_weight(
    reliability: float, strength: float, age_days: float, half_life_days: float = 365.0
) -> float:
    """Weight of one evidence item on one proposition: reliability x strength x decay.

    Decay halves the weight every ``half_life_days``. Evidence observed after the as-of
    time (a negative age, e.g. clock skew between clients) is treated as brand new rather
    than allowed to weigh more than fresh evidence.
    """
    _require_finite(reliability=reliability, strength=strength, age_days=age_days)
    if not 0.0 <= reliability <= 1.0:
        raise ValueError(f"reliability must be in [0, 1], got {reliability}")
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be in [0, 1], got {strength}")
    if not (math.isfinite(half_life_days) and half_life_days > 0.0):
        raise ValueError(f"half_life_days must be positive, got {half_life_days}")
    age = max(age_days, 0.0)
    return reliability * strength * math.pow(0.5, age / half_life_days)


def noisy_or(weights: Iterable[float]) -> float:
    """Combine weights from one source: ``1 - Π(1 - w_i)``; 0 for no weights.

    Computed as ``-expm1(Σ log1p(-w_i))`` with an exactly rounded sum (``math.fsum``):
    the exact rounding makes the result bit-for-bit independent of the order of the items
    (a plain running product is not), and log1p/expm1 keep tiny, heavily decayed weights
    from vanishing into ``1 - 1``.
    """
    logs: list[float] = []
    for w in weights:
        _require_finite(weight=w)
        if not 0.0 <= w <= 1.0:
            raise ValueError(f"weights must be in [0, 1], got {w}")
        if w == 1.0:
            # log1p(-1) is -∞; one certain item makes the combination certain.
            return 1.0
        logs.append(math.log1p(-w))
    if not logs:
        return 0.0
    return min(1.0, -math.expm1(math.fsum(logs)))


# ---------------------------------------------------------------------------------------
# Beta posterior of a proposition's support
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BetaSupport:
    """The posterior Beta(1 + S, 1 + C) of a proposition and what the product reports."""

    supporting: float
    """S: summed (per-account combined) weight of supporting evidence."""
    contradicting: float
    """C: the same for contradicting evidence."""
    mean: float
    """Posterior mean (1 + S) / (2 + S + C): the share of evidence in favour."""
    low: float
    """Lower end of the equal-tailed credible interval."""
    high: float
    """Upper end of the equal-tailed credible interval."""
    level: float
    """Probability mass of the credible interval (0.90 by default)."""
    confidence: float
    """P(θ > 0.5): the evidence's confidence that the proposition holds."""
    status: SupportStatus

    @property
    def support(self) -> float:
        """The name the API uses for the posterior mean."""
        return self.mean

    @property
    def evidence_mass(self) -> float:
        """S + C; divergence queries need at least 1 before comparing beliefs with it."""
        return self.supporting + self.contradicting


def beta_support(
    supporting: float,
    contradicting: float,
    *,
    level: float = 0.90,
    validated_at: float = 0.95,
    refuted_at: float = 0.05,
) -> BetaSupport:
    """Posterior Beta(1 + S, 1 + C) from a uniform prior, its interval, confidence and status.

    With the defaults, *validated* (confidence ≥ 0.95) holds exactly when the 90% interval
    lies at or above 0.5, and *refuted* exactly when it lies at or below 0.5.
    """
    (found,) = beta_supports(
        [supporting], [contradicting], level=level, validated_at=validated_at, refuted_at=refuted_at
    )
    return found


def beta_supports(
    supporting: Sequence[float],
    contradicting: Sequence[float],
    *,
    level: float = 0.90,
    validated_at: float = 0.95,
    refuted_at: float = 0.05,
) -> list[BetaSupport]:
    """``beta_support`` of many propositions at once, pairwise over the two sequences.

    The same figures, each SciPy function called once over arrays instead of once per
    proposition (the whole model's support at 10,000 propositions: benchmark b)."""
    s_weights = np.asarray(supporting, dtype=np.float64)
    c_weights = np.asarray(contradicting, dtype=np.float64)
    for name, weights in (("supporting", s_weights), ("contradicting", c_weights)):
        if not np.isfinite(weights).all():
            raise ValueError(
                f"{name} must be a finite number, got {weights[~np.isfinite(weights)][0]}"
            )
    if s_weights.shape != c_weights.shape:
        raise ValueError("supporting and contradicting need one weight per proposition each")
    if (s_weights < 0.0).any() or (c_weights < 0.0).any():
        raise ValueError("supporting and contradicting weights must be non-negative")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if not 0.0 <= refuted_at < validated_at <= 1.0:
        raise ValueError("thresholds must satisfy 0 <= refuted_at < validated_at <= 1")

    a = 1.0 + s_weights
    b = 1.0 + c_weights
    tail = (1.0 - level) / 2.0
    lows = special.betaincinv(a, b, tail).tolist()
    # The upper quantile through the complementary inverse stays accurate when the
    # posterior crowds against 1 (1 - tail would round away the information).
    highs = special.betainccinv(a, b, tail).tolist()
    # P(θ > 0.5) via the regularised *complementary* incomplete beta: 1 - cdf(0.5) would
    # lose all precision once the cdf is within 1e-16 of 1 (strongly refuted propositions).
    confidences = special.betaincc(a, b, 0.5).tolist()
    means = (a / (a + b)).tolist()
    return [
        BetaSupport(
            supporting=float(s),
            contradicting=float(c),
            mean=mean,
            low=low,
            high=high,
            level=level,
            confidence=confidence,
            status=support_status(
                s, c, confidence, validated_at=validated_at, refuted_at=refuted_at
            ),
        )
        for s, c, mean, low, high, confidence in zip(
            s_weights.tolist(), c_weights.tolist(), means, lows, highs, confidences, strict=True
        )
    ]


def support_status(
    supporting: float,
    contradicting: float,
    confidence: float,
    *,
    validated_at: float = 0.95,
    refuted_at: float = 0.05,
) -> SupportStatus:
    """VALIDATED or REFUTED by the confidence; CONTESTED when evidence stands on both
    sides; else UNKNOWN."""
    if confidence >= validated_at:
        return "VALIDATED"
    if confidence <= refuted_at:
        return "REFUTED"
    if supporting >= 1.0 and contradicting >= 1.0:
        return "CONTESTED"
    return "UNKNOWN"


# ---------------------------------------------------------------------------------------
# Rank agreement: Kendall's tau-b
# ---------------------------------------------------------------------------------------


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Kendall's tau-b between two paired scorings, ties allowed (Kendall 1945).

    ``(n_c - n_d) / sqrt((n_0 - n_1)(n_0 - n_2))``: concordant minus discordant pairs over
    the geometric mean of the pairs untied in x and untied in y. None when there are fewer
    than 3 items or one side is constant: the coefficient is then undefined, and the caller
    reports the count instead of a misleading number.
    """
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    n = len(x)
    for value in (*x, *y):
        _require_finite(value=value)
    if n < 3:
        return None

    score = 0  # n_c - n_d
    untied_x = 0  # n_0 - n_1
    untied_y = 0  # n_0 - n_2
    for i in range(n - 1):
        for j in range(i + 1, n):
            sx = _sign(x[i] - x[j])
            sy = _sign(y[i] - y[j])
            score += sx * sy
            untied_x += sx != 0
            untied_y += sy != 0
    if untied_x == 0 or untied_y == 0:
        return None
    # Integer counts until here, so the only rounding is in the final division.
    tau = score / math.sqrt(untied_x * untied_y)
    return max(-1.0, min(1.0, tau))


def _sign(d: float) -> int:
    return (d > 0) - (d < 0)


# ---------------------------------------------------------------------------------------
# Agreement among functions: Krippendorff's alpha (interval metric)
# ---------------------------------------------------------------------------------------
#
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
    weighted_sizes = counts * s.sizes  # (R, U)
    n = weighted_sizes.sum(axis=1)
    grand_mean = (weighted_sizes @ s.means) / n
    within = counts @ s.squares
    between = (weighted_sizes * (s.means[np.newaxis, :] - grand_mean[:, np.newaxis]) ** 2).sum(
        axis=1
    )
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


@dataclass(frozen=True, slots=True)
class AlignmentFigures:
    """The alignment index as the product reports it (DESIGN.md §2 item 6)."""

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
        return None, AlignmentFigures(None, None, None, None, 0)
    summaries = _summarise(units)
    mad = float(np.mean(summaries.mean_abs_differences))
    alpha = _point_alpha(summaries) if summaries.count >= min_units else None
    return summaries, AlignmentFigures(alpha, None, None, mad, summaries.count)


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
    return AlignmentFigures(point.alpha, low, high, point.mean_abs_difference, point.units)


# ---------------------------------------------------------------------------------------


def _require_finite(**values: float) -> None:
    for name, value in values.items():
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value}")
