"""Fixtures for the workshop's endpoints."""

from __future__ import annotations

import pytest

from graph import seeding
from graph.kit.connection import Database


@pytest.fixture
async def demo(db: Database) -> Database:
    await seeding.load_demo(db)
    return db
