"""Argument checks the statistics share: every figure they take must be a finite number."""

from __future__ import annotations

import math


def require_finite(**values: float) -> None:
    for name, value in values.items():
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value}")
