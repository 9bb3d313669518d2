"""Reads by key gathered across concurrent requests (``graph.kit.coalesce``)."""

from __future__ import annotations

import asyncio

import pytest
from neo4j import AsyncManagedTransaction

from graph import model_version
from graph.kit.coalesce import Coalesced, read_now
from graph.kit.connection import Database, one_statement


class _Store:
    """A read that takes a while, recording which keys each call carried."""

    def __init__(self, fail_first: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.release = asyncio.Event()
        self.fail_first = fail_first

    async def read_many(self, keys: list[str]) -> dict[str, str]:
        self.calls.append(list(keys))
        await self.release.wait()
        if self.fail_first and len(self.calls) == 1:
            raise RuntimeError("the database went away")
        return {key: key.upper() for key in keys if not key.startswith("missing")}


async def test_keys_asked_for_together_share_one_read_and_later_ones_the_next() -> None:
    store = _Store()
    together = Coalesced(store.read_many, in_flight=1)
    first = [asyncio.create_task(together.get(key)) for key in ("a", "b", "a", "missing")]
    await asyncio.sleep(0)  # the first read goes out with the four asked in that turn
    await asyncio.sleep(0)
    later = [asyncio.create_task(together.get(key)) for key in ("c", "d")]
    await asyncio.sleep(0)
    assert store.calls == [["a", "b", "missing"]]  # the later two wait for it
    store.release.set()
    assert await asyncio.gather(*first) == ["A", "B", "A", None]
    assert await asyncio.gather(*later) == ["C", "D"]
    assert store.calls == [["a", "b", "missing"], ["c", "d"]]


async def test_a_request_that_gives_up_does_not_cancel_the_others() -> None:
    store = _Store()
    together = Coalesced(store.read_many)
    leaving = asyncio.create_task(together.get("a"))
    staying = asyncio.create_task(together.get("b"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    leaving.cancel()
    store.release.set()
    assert await staying == "B"
    with pytest.raises(asyncio.CancelledError):
        await leaving


async def test_a_failed_read_fails_its_own_requests_only() -> None:
    store = _Store(fail_first=True)
    together = Coalesced(store.read_many, in_flight=1)
    failing = asyncio.create_task(together.get("a"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    next_one = asyncio.create_task(together.get("b"))
    store.release.set()
    with pytest.raises(RuntimeError, match="went away"):
        await failing
    assert await next_one == "B"
    assert await together.get("a") == "A"  # and the next request reads again


async def test_a_burst_larger_than_one_read_goes_in_several() -> None:
    store = _Store()
    store.release.set()
    together = Coalesced(store.read_many, most=3)
    keys = [f"k{n}" for n in range(7)]
    assert await asyncio.gather(*(together.get(k) for k in keys)) == [k.upper() for k in keys]
    assert [len(call) for call in store.calls] == [3, 3, 1]


async def test_a_second_read_goes_out_while_the_first_is_in_flight() -> None:
    """Two reads at most: a key asked for just after a read went out need not wait for it,
    and the keys after those wait for one of the two."""
    store = _Store()
    together = Coalesced(store.read_many, in_flight=2)
    first = asyncio.create_task(together.get("a"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    second = asyncio.create_task(together.get("b"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    third = [asyncio.create_task(together.get(key)) for key in ("c", "d")]
    await asyncio.sleep(0)
    assert store.calls == [["a"], ["b"]]
    store.release.set()
    assert await asyncio.gather(first, second, *third) == ["A", "B", "C", "D"]
    assert store.calls[2:] == [["c", "d"]]


async def test_a_read_without_keys_is_shared_by_the_callers_of_one_turn_and_sees_each_write(
    db: Database,
) -> None:
    """``read_now``: the model version every page checks first, read once for the pages that
    ask together, and never from before a caller asked."""
    calls: list[int] = []

    @one_statement
    async def counted(tx: AsyncManagedTransaction) -> model_version.Counters:
        calls.append(1)
        return await model_version.counters(tx)

    together = await asyncio.gather(*(read_now(db, counted) for _ in range(10)))
    assert len(calls) == 1 and all(seen == together[0] for seen in together)

    await db.write(model_version.bump, model_version.propositions(["prop-anything"]))
    after = await read_now(db, counted)
    assert len(calls) == 2
    assert sum(after.slots.values()) == sum(together[0].slots.values()) + 1
