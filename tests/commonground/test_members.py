"""`commonground member …` and `token …` against a real Neo4j, as a user's terminal shows them."""

from __future__ import annotations

import asyncio

from graph import members
from graph.kit.connection import Database
from tests.commonground.conftest import run_cli


async def test_member_list_prints_whole_ids_at_80_columns(db: Database, cli_env: None) -> None:
    names = ["Alexandra Konstantinopoulou-Vanderbilt of the Northern Region", "Bo Li"]
    for name in names:
        added = await asyncio.to_thread(
            run_cli, "member", "add", name, "--function", "engineering", "--role", "facilitator"
        )
        assert added.returncode == 0, added.stderr
    ids = [m.id for m in await db.read(members.list_all)]
    assert len(ids) == 2

    listed = await asyncio.to_thread(run_cli, "member", "list", columns=80)
    assert listed.returncode == 0, listed.stderr
    assert all(member_id in listed.stdout for member_id in ids), listed.stdout
    assert "…" not in listed.stdout
    assert max(len(line.rstrip()) for line in listed.stdout.splitlines()) <= 80

    # The token's id (what `token revoke` takes) is named whole; the token alone is on stdout.
    created = await asyncio.to_thread(run_cli, "token", "create", "Bo Li", columns=40)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert "\n" not in token and len(token) > 20
    token_id = created.stderr.split()[1]
    assert token_id.startswith("tok-") and "…" not in created.stderr
    revoked = await asyncio.to_thread(run_cli, "token", "revoke", token_id)
    assert revoked.returncode == 0, revoked.stderr
