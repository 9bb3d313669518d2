"""A JSON Lines import that is one 200 MiB line, sent to a real server: refused with the line's
number, and the server's peak memory does not grow by the line's size (it reads each line at
most the line limit at a time)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.kit.connection import Database
from schema.vocabulary import Role
from tests.factories import make_caller
from tests.reliability.conftest import Server, reaching

pytestmark = pytest.mark.slow

MIB = 1024 * 1024
LINE_MIB = 200
GROWTH_LIMIT_MIB = 64


@pytest.fixture
def fresh_server(neo4j_target: Any, tmp_path: Path) -> Iterator[Server]:
    """A server of its own, so its peak memory is that of this test alone."""
    server = Server(reaching(neo4j_target.target), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


async def one_line() -> AsyncIterator[bytes]:
    yield b'{"summary": "'
    chunk = b"a" * MIB
    for _ in range(LINE_MIB):
        yield chunk
    yield b'", "source_type": "interview", "proposition_id": "p", "stance": "SUPPORTS"}\n'


async def test_a_one_line_file_of_200_mib_is_refused_without_holding_the_line(
    db: Database, fresh_server: Server
) -> None:
    caller = await make_caller(db, "product", Role.CONTRIBUTOR)
    before = peak_rss_mib(fresh_server.pid)
    async with httpx.AsyncClient(base_url=fresh_server.url, timeout=300) as http:
        response = await http.post(
            "/api/v1/evidence:import",
            params={"format": "jsonl"},
            content=one_line(),
            headers=caller.headers,
        )
    grown = peak_rss_mib(fresh_server.pid) - before
    assert grown < GROWTH_LIMIT_MIB, f"the server's peak memory grew by {grown:.0f} MiB"
    assert response.status_code == 422, response.text[:500]
    [problem] = response.json()["problems"]
    assert problem["row"] == 1 and "longer than the limit" in problem["message"]
