"""Wire JSON pages, read the same way by both readers: a response body parsed once, the shape of a
collection page, and the one loop that follows next links.

What differs between Graph and ARM is a parameter: how a page is fetched (each reader sends its GETs
through its own SDK's pipeline, which retries and authenticates), the property that holds the next link
(``@odata.nextLink``, ``nextLink``) and how a next link becomes the URL to fetch (ARM's may be relative and
must stay on the ARM host). Every failure is an :mod:`ztconsole.sources.errors` error naming the URL read.

No SDK is imported here: the module costs nothing on the console's start-up path.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from ztconsole.sources import errors

__all__ = ["json_body", "page_of", "pages"]

#: ``fetch(url)``: the parsed JSON body of one GET (errors already mapped).
Fetch = Callable[[str], Awaitable[Any]]
#: ``follow(link, url)``: the absolute URL of the next link ``link`` read on page ``url``, or None when
#: there is no next page; raises :class:`errors.BadPayload` for a link that must not be followed.
Follow = Callable[[str, str], str | None]

_FETCH: Any = object()  # pages(first=...) not given: the first page is fetched


def json_body(status: int, headers: Mapping[str, str], body: bytes, url: str, api: errors.Api) -> Any:
    """The JSON of a 2xx response, parsed once; any other status as its mapped error."""
    if not 200 <= status < 300:
        raise errors.from_response(status, body, headers, url, api=api)
    if not body:
        raise errors.bad_payload(url, f"an empty body (HTTP {status})")
    try:
        return json.loads(body)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        raise errors.bad_payload(url, f"not JSON ({detail}; {len(body)} bytes)") from None


def page_of(data: Any, url: str, link: str) -> tuple[list[Any], str | None]:
    """A collection page: its ``value`` items and its next link (property ``link``; None or "" at the end,
    as both SDKs' own pagers read it)."""
    if not isinstance(data, dict) or not isinstance(data.get("value"), list):
        raise errors.bad_payload(url, "a collection page without a 'value' array")
    next_link = data.get(link)
    if next_link is not None and not isinstance(next_link, str):
        raise errors.bad_payload(url, f"a '{link}' that is not a URL")
    return data["value"], next_link or None


def _as_given(link: str, url: str) -> str:
    return link


async def pages(url: str, fetch: Fetch, *, link: str, follow: Follow = _as_given,
                max_items: int | None = None, first: Any = _FETCH) -> AsyncIterator[list[Any]]:
    """The items of the collection at ``url``, one list per page, following next links to the end.

    ``first``: the first page's JSON when the caller already has it (a ``$batch`` answer, a POST, a read
    that needed a status of its own), else it is fetched. A page that cannot be read, or whose next link
    cannot be followed or repeats an earlier page, raises after the earlier pages were yielded. With
    ``max_items`` no further page is requested once that many items were yielded.
    """
    seen = {url}
    count = 0
    data = await fetch(url) if first is _FETCH else first
    while True:
        items, next_link = page_of(data, url, link)
        count += len(items)
        yield items
        next_url = follow(next_link, url) if next_link else None
        if next_url is None:
            return
        if next_url in seen:
            raise errors.bad_payload(url, "the next link repeats an earlier page")
        if max_items is not None and count >= max_items:
            return
        seen.add(next_url)
        url = next_url
        data = await fetch(url)
