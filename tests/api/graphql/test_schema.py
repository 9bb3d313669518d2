"""The committed SDL (schema/schema.graphql) is exactly what the code serves."""

from __future__ import annotations

from pathlib import Path

from api.graphql.schema import sdl

SDL_FILE = Path(__file__).resolve().parents[3] / "schema" / "schema.graphql"


def test_committed_sdl_matches_the_code() -> None:
    assert SDL_FILE.read_text(encoding="utf-8") == sdl(), (
        "schema/schema.graphql drifted from the code: run `make sdl` and commit the result"
    )


def test_contract_minimum_is_present() -> None:
    text = sdl()
    for name in (
        "enum EntityKind",
        "enum Relation",
        "enum Stance",
        "enum SupportStatus",
        "createEntity(input: CreateEntityInput!): Entity!",
        "createProposition(input: CreatePropositionInput!): Proposition!",
        "functions: [TeamFunction!]!",
    ):
        assert name in text, name
