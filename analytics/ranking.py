"""Rank agreement: Kendall's tau-b between two scorings of the same items (docs/design.md §2
item 5). Pure functions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from analytics.checks import require_finite


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
        require_finite(value=value)
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


SCORE_DECIMALS = 9


def score(value: float) -> float:
    """A score as it is ranked and compared: rounded to 9 decimals, so that two scores equal
    on paper (0.2 × 3 and 0.15 × 4, 0.6000000000000001 and 0.6 in floating point) tie."""
    # The check written out (not ``require_finite``): every ranked row of a whole model's
    # report scores several times, 160,000 calls at M.
    if not math.isfinite(value):
        raise ValueError(f"score must be a finite number, got {value}")
    return round(value, SCORE_DECIMALS)
