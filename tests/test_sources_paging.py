"""The one paging loop both readers use (ztconsole.sources.paging), on its own: no SDK, no HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from ztconsole.sources import errors
from ztconsole.sources.paging import json_body, pages

BASE = "https://svc.example/items"


def book(*chunks: list[int], link: str = "nextLink") -> tuple[dict[str, Any], list[str]]:
    """Pages ``BASE``, ``BASE?p=1``, ...: each chunk as a page linking to the next; and a fetch log."""
    urls = [BASE] + [f"{BASE}?p={i}" for i in range(1, len(chunks))]
    served = {}
    for i, (url, chunk) in enumerate(zip(urls, chunks)):
        served[url] = {"value": [{"id": n} for n in chunk]}
        if i + 1 < len(urls):
            served[url][link] = urls[i + 1]
    return served, []


async def read(served: dict[str, Any], log: list[str], **kwargs: Any) -> list[list[Any]]:
    async def fetch(url: str) -> Any:
        log.append(url)
        return served[url]

    return [page async for page in pages(BASE, fetch, **kwargs)]


async def test_every_page_in_order_with_either_link_property() -> None:
    for link in ("nextLink", "@odata.nextLink"):
        served, log = book([1, 2], [3], [4, 5], link=link)
        got = await read(served, log, link=link)
        assert [[i["id"] for i in page] for page in got] == [[1, 2], [3], [4, 5]]
        assert log == [BASE, f"{BASE}?p=1", f"{BASE}?p=2"]


async def test_max_items_asks_for_no_further_page() -> None:
    served, log = book([1, 2], [3, 4], [5])
    got = await read(served, log, link="nextLink", max_items=3)
    assert len(got) == 2 and log == [BASE, f"{BASE}?p=1"]


async def test_a_first_page_in_hand_is_not_fetched_again() -> None:
    served, log = book([1], [2])
    got = await read(served, log, link="nextLink", first=served[BASE])
    assert len(got) == 2 and log == [f"{BASE}?p=1"]


@pytest.mark.parametrize("end", [None, ""])
async def test_no_link_or_an_empty_one_ends(end: str | None) -> None:
    served = {BASE: {"value": [{"id": 1}], "nextLink": end}}
    assert len(await read(served, [], link="nextLink")) == 1


async def test_follow_decides_the_next_url_after_the_page_was_yielded() -> None:
    served = {BASE: {"value": [{"id": 1}], "nextLink": "https://elsewhere.example/x"}}

    def refuse(link: str, url: str) -> str:
        raise errors.bad_payload(url, "a 'nextLink' to another host")

    got: list[list[Any]] = []
    with pytest.raises(errors.BadPayload, match="another host"):
        async for page in pages(BASE, lambda url: _async(served[url]), link="nextLink", follow=refuse):
            got.append(page)
    assert got == [[{"id": 1}]]


async def test_wrong_shapes_and_repeats_are_bad_payloads_naming_the_page_read() -> None:
    cases = [({"nextLink": None}, "without a 'value' array"),
             ({"value": [], "nextLink": 5}, "'nextLink' that is not a URL"),
             ({"value": [], "nextLink": BASE}, "repeats an earlier page")]
    for body, message in cases:
        with pytest.raises(errors.BadPayload, match=message) as caught:
            await read({BASE: body}, [], link="nextLink")
        assert caught.value.url == BASE


def test_json_body_maps_status_empty_and_not_json() -> None:
    assert json_body(200, {}, b'{"value": []}', BASE, "arm") == {"value": []}
    with pytest.raises(errors.PermissionDenied):
        json_body(403, {}, b'{"error": {"code": "AuthorizationFailed"}}', BASE, "arm")
    with pytest.raises(errors.BadPayload, match="empty body"):
        json_body(200, {}, b"", BASE, "graph")
    with pytest.raises(errors.BadPayload, match="not JSON"):
        json_body(200, {}, b"\xff\xfe", f"{BASE}?$skiptoken=X", "graph")


async def _async(value: Any) -> Any:
    return value
