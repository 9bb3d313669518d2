"""Evidence weights (docs/design.md §2): one item's decayed weight, and one source's items
combined by noisy-OR. Pure functions; every formula is written out in ``docs/statistics.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from analytics.checks import require_finite


def evidence_weight(
    reliability: float, strength: float, age_days: float, half_life_days: float = 365.0
) -> float:
    """Weight of one evidence item on one proposition: reliability x strength x decay.

    Decay halves the weight every ``half_life_days``. Evidence observed after the as-of
    time (a negative age, e.g. clock skew between clients) is treated as brand new rather
    than allowed to weigh more than fresh evidence.
    """
    require_finite(reliability=reliability, strength=strength, age_days=age_days)
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
        require_finite(weight=w)
        if not 0.0 <= w <= 1.0:
            raise ValueError(f"weights must be in [0, 1], got {w}")
        if w == 1.0:
            # log1p(-1) is -∞; one certain item makes the combination certain.
            return 1.0
        logs.append(math.log1p(-w))
    if not logs:
        return 0.0
    return min(1.0, -math.expm1(math.fsum(logs)))
