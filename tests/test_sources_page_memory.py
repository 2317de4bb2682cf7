"""A page body read through the adapters goes as soon as the page is dropped (issue #11).

httpx's client ties each response and its stream in a reference cycle; the loader pauses the cyclic
collector for a whole load, so a cycle kept every page body (and the emulator's reply bytes under it) alive
until the load ended: 164 MB of the large tenant. Both readers free their responses from that cycle."""

from __future__ import annotations

import gc

import httpx

from ztconsole.datasets import BY_KEY
from ztconsole.demo import demo_dir
from ztconsole.sources.stack import open_recording

SUB = "1b4e2c8a-7d3f-4a6b-9c5e-2f8d1a7b3e90"


def responses() -> list[httpx.Response]:
    """The httpx responses still tracked, reachable or not (unreachable ones wait for a collection)."""
    return [o for o in gc.get_objects() if isinstance(o, httpx.Response)]


async def test_no_response_outlives_its_page_with_the_collector_paused() -> None:
    async with await open_recording(demo_dir(), page_size=2) as stack:
        graph, arm = stack.readers["graph"], stack.readers["arm"]
        groups = [g["id"] async for page in graph.collection(BY_KEY["groups"]) for g in page][:3]
        gc.collect()
        gc.disable()
        try:
            pages = 0
            async for _page in graph.collection(BY_KEY["users"]):  # several pages
                pages += 1
            async for _page in arm.collection(BY_KEY["nsgs"], sub=SUB):
                pages += 1
            batched = [items async for _, items in graph.many(BY_KEY["group_members"], groups)]
            assert await graph.single(BY_KEY["cae_policy"]) is not None
            left = responses()
        finally:
            gc.enable()
    assert pages > 2 and len(batched) == 3
    assert left == []
