"""Settings from the environment and an optional `.env` file (names listed in the README)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schema.divergence import Thresholds
from schema.vocabulary import DEFAULT_RELIABILITY


def default_cache_dir() -> Path:
    """A per-user cache for the Neo4j jars, shared by every local database."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "commonground"


def _threshold(name: str) -> Any:
    """The variable COMMONGROUND_<NAME> for one of the divergence thresholds, at its default."""
    return Field(Thresholds.model_fields[name].default, alias=f"COMMONGROUND_{name.upper()}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Any Neo4j: bolt://, neo4j://, neo4j+s://. Unset: the local database of the data dir.
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str = "neo4j"

    commonground_data_dir: Path = Path(".commonground")
    commonground_cache_dir: Path = Field(default_factory=default_cache_dir)
    commonground_env: Literal["development", "production"] = "development"

    # Fail fast: API requests must not wait the driver's 30-60 s defaults during an outage.
    connection_timeout_s: float = Field(3.0, alias="COMMONGROUND_CONNECTION_TIMEOUT")
    acquisition_timeout_s: float = Field(3.0, alias="COMMONGROUND_ACQUISITION_TIMEOUT")
    retry_time_s: float = Field(5.0, alias="COMMONGROUND_RETRY_TIME")
    transaction_timeout_s: float = Field(30.0, alias="COMMONGROUND_TRANSACTION_TIMEOUT")
    request_timeout_s: float = Field(30.0, alias="COMMONGROUND_REQUEST_TIMEOUT")
    # An unreachable database is retried this long, then answered 503 with Retry-After.
    outage_retry_s: float = Field(0.5, alias="COMMONGROUND_OUTAGE_RETRY")

    # API limits: the defaults the README and the OpenAPI docs promise.
    max_page_size: int = Field(100, alias="COMMONGROUND_MAX_PAGE_SIZE")
    max_query_depth: int = Field(12, alias="COMMONGROUND_MAX_QUERY_DEPTH")
    max_aliases: int = Field(50, alias="COMMONGROUND_MAX_ALIASES")
    # A query document is refused before parsing above these; above the budget, before it
    # runs (its cost: the objects it can return, docs/design.md §4). Queries costing
    # offload_cost or more run off the event loop.
    max_query_bytes: int = Field(32 * 1024, alias="COMMONGROUND_MAX_QUERY_BYTES")
    max_query_tokens: int = Field(5000, alias="COMMONGROUND_MAX_QUERY_TOKENS")
    query_cost_budget: int = Field(150_000, alias="COMMONGROUND_QUERY_COST_BUDGET")
    offload_cost: int = Field(1_000, alias="COMMONGROUND_OFFLOAD_COST")
    # Read the shared model as soon as the database is ready, so that the first divergence
    # question or workshop page after a start does not wait for it.
    read_model_at_start: bool = Field(True, alias="COMMONGROUND_READ_MODEL_AT_START")
    max_evidence_batch: int = Field(5000, alias="COMMONGROUND_MAX_EVIDENCE_BATCH")
    max_body_bytes: int = Field(10 * 1024 * 1024, alias="COMMONGROUND_MAX_BODY_BYTES")
    # A bulk import is streamed to disk, not held in memory, so it may be much larger.
    max_import_bytes: int = Field(512 * 1024 * 1024, alias="COMMONGROUND_MAX_IMPORT_BYTES")
    # An import is read a line (a CSV record) at a time, each at most this long; a member
    # runs at most this many imports at once; an import's rows stay its own this long after
    # its process last renewed its lease (a process that died gives them up then).
    max_import_line_bytes: int = Field(
        1024 * 1024, ge=1024, alias="COMMONGROUND_MAX_IMPORT_LINE_BYTES"
    )
    max_imports_per_member: int = Field(2, ge=1, alias="COMMONGROUND_MAX_IMPORTS_PER_MEMBER")
    import_lease_s: float = Field(30.0, gt=0, alias="COMMONGROUND_IMPORT_LEASE")
    # Snapshots (each a full copy of the model): per member in any 24 hours, and stored in all.
    snapshots_per_member_per_day: int = Field(
        20, ge=1, alias="COMMONGROUND_SNAPSHOTS_PER_MEMBER_PER_DAY"
    )
    max_snapshots: int = Field(1000, ge=1, alias="COMMONGROUND_MAX_SNAPSHOTS")

    # The address people open (https://commonground.example.com): the one origin whose pages
    # may make changes with the workshop's cookie. Unset: the request's Host (and a trusted
    # proxy's X-Forwarded-Host/-Proto).
    public_url: str | None = Field(None, alias="COMMONGROUND_PUBLIC_URL")

    # Divergence maths (docs/design.md §2); every threshold is named in the API's output. Each
    # one's default, bounds and meaning are in Thresholds; here only its variable.
    half_life_days: float = _threshold("half_life_days")
    reliability: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_RELIABILITY), alias="COMMONGROUND_RELIABILITY"
    )
    validated_confidence: float = _threshold("validated_confidence")
    refuted_confidence: float = _threshold("refuted_confidence")
    min_evidence_mass: float = _threshold("min_evidence_mass")
    significant_gap: float = _threshold("significant_gap")
    contested_spread: float = _threshold("contested_spread")
    strong_belief_high: float = _threshold("strong_belief_high")
    strong_belief_low: float = _threshold("strong_belief_low")
    min_rank_items: int = _threshold("min_rank_items")
    min_alignment_units: int = _threshold("min_alignment_units")
    bootstrap_resamples: int = _threshold("bootstrap_resamples")
    bootstrap_level: float = _threshold("bootstrap_level")
    duplicate_min_similarity: float = _threshold("duplicate_min_similarity")
    decision_confidence_shift: float = _threshold("decision_confidence_shift")

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.commonground_env == "production" and self.neo4j_uri and not self.neo4j_password:
            raise ValueError("NEO4J_PASSWORD must be set in production when NEO4J_URI is set")
        unknown = set(self.reliability) - set(DEFAULT_RELIABILITY)
        if unknown:
            raise ValueError(f"unknown source types in COMMONGROUND_RELIABILITY: {sorted(unknown)}")
        if any(not 0.0 < r <= 1.0 for r in self.reliability.values()):
            raise ValueError("every reliability in COMMONGROUND_RELIABILITY must be in (0, 1]")
        return self

    @model_validator(mode="after")
    def _divergence_thresholds_valid(self) -> Settings:
        self.thresholds  # noqa: B018 - Thresholds checks its own bounds and order
        return self

    @property
    def thresholds(self) -> Thresholds:
        """The divergence thresholds as configured; the two not configured at their defaults."""
        configured = type(self).model_fields.keys() & Thresholds.model_fields.keys()
        return Thresholds(**{name: getattr(self, name) for name in configured})

    @property
    def data_dir(self) -> Path:
        return self.commonground_data_dir

    @property
    def cache_dir(self) -> Path:
        return self.commonground_cache_dir

    @property
    def production(self) -> bool:
        return self.commonground_env == "production"


@lru_cache
def get_settings() -> Settings:
    return Settings()
