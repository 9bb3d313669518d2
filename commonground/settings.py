"""Settings from the environment and an optional `.env` file (names in CONTRACT.md)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schema.vocabulary import DEFAULT_RELIABILITY


def default_cache_dir() -> Path:
    """A per-user cache for the Neo4j jars, shared by every local database."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "commonground"


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

    # API limits (CONTRACT.md defaults).
    max_page_size: int = Field(100, alias="COMMONGROUND_MAX_PAGE_SIZE")
    max_query_depth: int = Field(12, alias="COMMONGROUND_MAX_QUERY_DEPTH")
    max_aliases: int = Field(50, alias="COMMONGROUND_MAX_ALIASES")
    max_evidence_batch: int = Field(5000, alias="COMMONGROUND_MAX_EVIDENCE_BATCH")
    max_body_bytes: int = Field(10 * 1024 * 1024, alias="COMMONGROUND_MAX_BODY_BYTES")

    # Divergence maths (DESIGN.md §2); every threshold is named in the API's output.
    half_life_days: float = Field(365.0, alias="COMMONGROUND_HALF_LIFE_DAYS")
    reliability: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_RELIABILITY), alias="COMMONGROUND_RELIABILITY"
    )

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
