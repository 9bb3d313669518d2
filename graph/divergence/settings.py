"""The divergence engine's configuration: the thresholds, and how much each source type's
evidence weighs.
"""

from __future__ import annotations

from pydantic import Field

from graph.support import SupportSettings
from schema.divergence import Thresholds
from schema.settings import Settings
from schema.vocabulary import DEFAULT_RELIABILITY


class EngineSettings(Thresholds):
    """Every threshold of ``Thresholds`` (at its default unless given), plus the reliability
    of each source type that weighs the evidence."""

    reliability: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_RELIABILITY))

    @classmethod
    def from_settings(cls, settings: Settings) -> EngineSettings:
        return cls(**settings.thresholds.model_dump(), reliability=dict(settings.reliability))

    @property
    def thresholds(self) -> Thresholds:
        """The thresholds alone, as every result reports them."""
        return Thresholds(**self.model_dump(include=set(Thresholds.model_fields)))

    @property
    def support_settings(self) -> SupportSettings:
        return SupportSettings(
            reliability=dict(self.reliability), half_life_days=self.half_life_days
        )
