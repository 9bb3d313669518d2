"""The Beta posterior of a proposition's support (docs/design.md §2): its mean, credible
interval, confidence P(θ > 0.5) and status. Pure functions over the weights S and C.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

# SciPy ships no type information; the ``unused-ignore`` code keeps this line valid
# should the project later install stubs or silence the import in its mypy settings.
from scipy import special  # type: ignore[import-untyped, unused-ignore]

SupportStatus = Literal["VALIDATED", "REFUTED", "CONTESTED", "UNKNOWN"]


def confidences_of(supporting: Any, contradicting: Any) -> npt.NDArray[np.float64]:
    """P(θ > 0.5) under Beta(1 + S, 1 + C), for arrays of S and C.

    By the Beta's symmetry, 1 − I_x(a, b) = I_{1−x}(b, a): the upper tail is the regularised
    incomplete beta I_0.5(1 + C, 1 + S), computed directly. Never 1 − cdf(0.5), which loses
    all precision once the cdf is within 1e-16 of 1 (strongly refuted propositions); and
    SciPy's complementary ``betaincc`` gives the same figure (within 2e-14 relatively over
    the generated benchmark models) about fifteen times slower.
    """
    return np.asarray(
        special.betainc(1.0 + np.asarray(contradicting), 1.0 + np.asarray(supporting), 0.5),
        dtype=np.float64,
    )


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
    columns = BetaColumns.of(
        supporting, contradicting, level=level, validated_at=validated_at, refuted_at=refuted_at
    )
    return [columns.at(n) for n in range(len(columns))]


@dataclass(frozen=True, slots=True)
class BetaColumns:
    """``beta_supports``' figures as columns, each SciPy function called once over all of
    them; ``at(n)`` makes the n-th ``BetaSupport`` when it is wanted (a page of a big model
    wants a hundred of ten thousand, and making them all was most of the work)."""

    supporting: list[float]
    contradicting: list[float]
    means: list[float]
    lows: list[float]
    highs: list[float]
    confidences: list[float]
    level: float
    validated_at: float
    refuted_at: float

    @classmethod
    def of(
        cls,
        supporting: Sequence[float],
        contradicting: Sequence[float],
        *,
        level: float = 0.90,
        validated_at: float = 0.95,
        refuted_at: float = 0.05,
    ) -> BetaColumns:
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
        return cls(
            supporting=s_weights.tolist(),
            contradicting=c_weights.tolist(),
            means=(a / (a + b)).tolist(),
            lows=special.betaincinv(a, b, tail).tolist(),
            # The upper quantile through the complementary inverse stays accurate when the
            # posterior crowds against 1 (1 - tail would round away the information).
            highs=special.betainccinv(a, b, tail).tolist(),
            confidences=confidences_of(s_weights, c_weights).tolist(),
            level=level,
            validated_at=validated_at,
            refuted_at=refuted_at,
        )

    def __len__(self) -> int:
        return len(self.means)

    def at(self, n: int) -> BetaSupport:
        s, c, confidence = self.supporting[n], self.contradicting[n], self.confidences[n]
        return BetaSupport(
            supporting=s,
            contradicting=c,
            mean=self.means[n],
            low=self.lows[n],
            high=self.highs[n],
            level=self.level,
            confidence=confidence,
            status=support_status(
                s, c, confidence, validated_at=self.validated_at, refuted_at=self.refuted_at
            ),
        )


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


def support_statuses(
    supporting: Sequence[float],
    contradicting: Sequence[float],
    *,
    validated_at: float = 0.95,
    refuted_at: float = 0.05,
) -> list[SupportStatus]:
    """The status of each proposition alone, as ``beta_supports`` gives it, without the
    interval's inverse functions (the calibration evaluates every event of every
    proposition, and needs only the status)."""
    s_weights = np.asarray(supporting, dtype=np.float64)
    c_weights = np.asarray(contradicting, dtype=np.float64)
    confidences = confidences_of(s_weights, c_weights).tolist()
    return [
        support_status(s, c, conf, validated_at=validated_at, refuted_at=refuted_at)
        for s, c, conf in zip(s_weights.tolist(), c_weights.tolist(), confidences, strict=True)
    ]
