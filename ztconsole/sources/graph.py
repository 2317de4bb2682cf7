"""Microsoft Graph reads through msgraph-sdk's own pipeline, returning the raw wire JSON.

:class:`GraphReader` builds the SDK stack once: msgraph's default middleware
(redirect, retry honouring ``Retry-After`` with bounded retries, telemetry) on the caller's httpx client,
with the RetryHandler retrying the statuses azure-core's policy retries (:func:`errors.is_retryable_status`:
408, 429, 500, 502, 503, 504 ...) where the stock one retries only 429, 503 and 504; an
``AzureIdentityAuthenticationProvider`` that sends the token only to the Graph host, and a
``GraphRequestAdapter`` whose ``base_url`` is set explicitly. ``.client`` is a ``GraphServiceClient`` on
that same adapter, for typed write requests.

Reads do not pay SDK model parsing (DESIGN.md, "One data contract"): each request is a kiota
``RequestInformation`` with an absolute URL (v1.0 and beta alike; beta has no v1.0 builders) and a
``NativeResponseHandler``, so the adapter hands back the ``httpx.Response``; the status is checked and
the body parsed once with ``json.loads``, and ``@odata.nextLink`` followed, by what both readers share
(:mod:`ztconsole.sources.paging`). Every failure leaves this module as an :mod:`ztconsole.sources.errors`
error.

The caller's ``httpx.AsyncClient`` is used but not modified: the SDK factory replaces the transport of
the client it is given (and its replacement never closes the transport it wraps), so the factory is
given a small client of our own whose transport forwards to the caller's client. ``aclose()`` closes
that one, never the caller's client or credential.

Import cost: this module imports msgraph, kiota and azure-core at module level. Nothing else in
ztconsole may import it at module level (the console's start-up stays light, see
``tests/test_import_hygiene.py``): import it inside the function that opens a live source.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import AzureError
from kiota_abstractions.method import Method
from kiota_abstractions.native_response_handler import NativeResponseHandler
from kiota_abstractions.request_information import RequestInformation
from kiota_authentication_azure._exceptions import KiotaAuthenticationError
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http._exceptions import KiotaHTTPXError
from kiota_http.kiota_client_factory import KiotaClientFactory
from kiota_http.middleware import RetryHandler
from kiota_http.middleware.options import (
    RedirectHandlerOption,
    ResponseHandlerOption,
    RetryHandlerOption,
    UrlReplaceHandlerOption,
)
from msgraph._version import VERSION as MSGRAPH_VERSION
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient
from msgraph_core import APIVersion, GraphClientFactory
from msgraph_core.middleware import GraphTelemetryHandler
from msgraph_core.middleware.options import GraphTelemetryHandlerOption

from ztconsole.datasets import DataSet
from ztconsole.model.directory import OBJECT_ID
from ztconsole.sources import errors
from ztconsole.sources.base import (
    LOOPBACK_HOSTS,
    NOT_ON_DELTA,
    ReaderCredential,
    ReadOptions,
    ResyncRequired,
    select_for,
)
from ztconsole.sources.paging import json_body, page_of, pages

__all__ = ["GraphReader", "BATCH_SIZE", "page_size"]

#: Graph's limit of requests in one JSON batch.
BATCH_SIZE = 20

# Graph's default property set misses what the model needs for these (signInActivity,
# onPremisesSyncEnabled, onPremisesPublishing, appRoleAssignmentRequired ...). Group members are read
# without: the default set of a member (@odata.type, id, displayName, userPrincipalName) is what the
# model keeps, and a $select would only make every batch heavier for the service.
_SELECT = frozenset({"users", "groups", "service_principals", "applications"})

#: Documented maximum page sizes (``$top``). Where a list API documents none, ``$top`` is omitted and
#: the service pages on its own terms.
_TOP = {
    "users": 999,  # user-list: default 100, maximum 999 ...
    "groups": 999,  # group-list: default 100, maximum 999
    "group_members": 999,  # group-list-members: default 100, maximum 999
    "service_principals": 999,  # serviceprincipal-list: default 100, maximum 999
    "applications": 999,  # application-list: default 100, maximum 999
    "sign_ins": 1000,  # signin-list: default and maximum 1,000
}
#: ... except that user-list caps a page at 500 when signInActivity is selected.
_TOP_USERS_WITH_SIGNIN_ACTIVITY = 500

#: A wait at or above this is not waited for (the SDK's RetryHandler gives up there too): the caller
#: gets the error with its ``retry_after``.
_MAX_WAIT = RetryHandlerOption.MAX_DELAY

#: Connection-level failures retried on our side (the SDK's RetryHandler looks at statuses only).
#: Timeouts are not retried: a slow service would make every pane wait several timeouts.
_RETRYABLE_TRANSPORT = (httpx.NetworkError, httpx.RemoteProtocolError)

_NEXT_LINK = "@odata.nextLink"
_DELTA_LINK = "@odata.deltaLink"
#: The error codes with which Graph says a delta token is no longer known (besides HTTP 410 Gone).
_RESYNC_CODES = frozenset({"syncstatenotfound", "resyncrequired"})


def page_size(ds: DataSet) -> int | None:
    """The ``$top`` this reader asks for on data set ``ds`` (None: not sent)."""
    top = _TOP.get(ds.key)
    if ds.key == "users" and "signInActivity" in select_for(ds):
        top = _TOP_USERS_WITH_SIGNIN_ACTIVITY
    return top


class _CredentialFailed(Exception):
    """The credential could not produce a token (whatever it raised), carried to the funnel through
    kiota (see :class:`ztconsole.sources.base.ReaderCredential`)."""

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


class _ForwardTransport(httpx.AsyncBaseTransport):
    """Sends each request through the caller's ``httpx.AsyncClient`` (its transport, pool, timeouts,
    event hooks), streaming the body back untouched. Redirects are left to the SDK's RedirectHandler,
    which scrubs the Authorization header when a redirect changes origin."""

    def __init__(self, client: httpx.AsyncClient):
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        inner = await self._client.send(request, stream=True, follow_redirects=False)
        response = httpx.Response(status_code=inner.status_code, headers=inner.headers,
                                  stream=inner.stream, extensions=inner.extensions)
        _unbind(inner)  # its stream, which closes it, goes on in ``response``
        return response

    async def aclose(self) -> None:
        return None  # the caller's client is the caller's to close


class _RetryHandler(RetryHandler):
    """msgraph's RetryHandler (bounded by its ``RetryHandlerOption``, honouring ``Retry-After``, backing off
    otherwise) on the statuses azure-core's retry policy retries, :func:`errors.is_retryable_status`, instead
    of its own 429, 503 and 504: a transient 500, 502 or 408 is tried again, as the ARM reader does. POST and
    PATCH keep azure-core's narrower list (a write may already have happened)."""

    def __init__(self, options: RetryHandlerOption):
        super().__init__(options)
        self.retry_on_status_codes = set(errors.RETRYABLE_STATUSES)

    def should_retry(self, request: httpx.Request, options: RetryHandlerOption,
                     response: httpx.Response) -> bool:
        return (super().should_retry(request, options, response)
                and errors.is_retryable_status(response.status_code, request.method))


def _middleware(options: dict[str, Any]) -> list[Any]:
    """The middleware ``GraphClientFactory.create_with_default_middleware`` installs, in its order, with
    :class:`_RetryHandler` in place of the stock RetryHandler."""
    retry = options[RetryHandlerOption.get_key()]
    chain = [_RetryHandler(retry) if isinstance(ware, RetryHandler) else ware
             for ware in KiotaClientFactory.get_default_middleware(options)]
    chain.append(GraphTelemetryHandler(options=options[GraphTelemetryHandlerOption.get_key()]))
    return chain


class GraphReader:
    """:class:`ztconsole.sources.base.Reader` for the catalogue's Graph data sets.

    ``max_retries`` bounds every retry here: the SDK's on the retryable statuses of
    :func:`errors.is_retryable_status` (HTTP 408/429/500/502/503/504 ..., honouring ``Retry-After``), ours on
    a reset connection and on ``$batch`` inner responses with those statuses. ``retry_delay`` is the base
    delay (seconds) when the service names none: the SDK adds it to its own backoff and jitter; inner
    batch and connection retries wait ``retry_delay * 2**attempt``. ``concurrency`` bounds the ``$batch``
    requests in flight in :meth:`many`.
    """

    api = "graph"

    def __init__(self, http: httpx.AsyncClient, credential: AsyncTokenCredential, *,
                 graph_url: str = "https://graph.microsoft.com", scopes: list[str] | None = None,
                 max_retries: int = 3, retry_delay: float = 1.0, concurrency: int = 8):
        if not 0 <= max_retries <= RetryHandlerOption.MAX_MAX_RETRIES:
            raise ValueError(f"max_retries must be 0..{RetryHandlerOption.MAX_MAX_RETRIES}")
        if not 0 <= retry_delay <= RetryHandlerOption.MAX_DELAY:
            raise ValueError(f"retry_delay must be 0..{RetryHandlerOption.MAX_DELAY:g} seconds")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.graph_url = graph_url.rstrip("/")
        host = urlsplit(self.graph_url).hostname
        if not host:
            raise ValueError(f"not a Graph base URL: {graph_url!r}")
        self.host = host.lower()
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self.concurrency = concurrency
        self.scopes = list(scopes) if scopes else [f"{self.graph_url}/.default"]

        # A custom cloud on loopback (ztconsole emulator) may name itself localhost or 127.0.0.1.
        allowed = {self.host} | (set(LOOPBACK_HOSTS) if self.host in LOOPBACK_HOSTS else set())
        auth = AzureIdentityAuthenticationProvider(ReaderCredential(credential, _CredentialFailed),
                                                   scopes=self.scopes, allowed_hosts=sorted(allowed))
        options = {
            RetryHandlerOption.get_key(): RetryHandlerOption(delay=retry_delay, max_retries=max_retries),
            RedirectHandlerOption.get_key(): RedirectHandlerOption(),
            # as msgraph's own GraphRequestAdapter does, so that client.me works
            UrlReplaceHandlerOption.get_key(): UrlReplaceHandlerOption(
                enabled=True, replacement_pairs={"/users/me-token-to-replace": "/me"}),
            GraphTelemetryHandlerOption.get_key(): GraphTelemetryHandlerOption(
                api_version=APIVersion.v1, sdk_version=MSGRAPH_VERSION),
        }
        self._own = httpx.AsyncClient(transport=_ForwardTransport(http), timeout=http.timeout)
        sdk_http = GraphClientFactory.create_with_custom_middleware(_middleware(options), client=self._own)
        self._adapter = GraphRequestAdapter(auth, client=sdk_http)
        # explicit: httpx's base_url has a trailing slash, which yields "//users" in the SDK's templates
        self._adapter.base_url = f"{self.graph_url}/v1.0"
        self._client: GraphServiceClient | None = None

    # --- the SDK client, for typed requests ------------------------------------------------------

    @property
    def client(self) -> GraphServiceClient:
        """A ``GraphServiceClient`` (v1.0) on this reader's adapter: same auth, retry, transport."""
        if self._client is None:
            self._client = GraphServiceClient(request_adapter=self._adapter)
        return self._client

    @property
    def adapter(self) -> GraphRequestAdapter:
        return self._adapter

    async def aclose(self) -> None:
        await self._own.aclose()

    async def __aenter__(self) -> GraphReader:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- Reader ----------------------------------------------------------------------------------

    async def collection(self, ds: DataSet, *, sub: str = "", parent: str = "",
                         options: ReadOptions = ReadOptions()) -> AsyncIterator[list[Any]]:
        """The items of a collection, one list per page, following ``@odata.nextLink`` to the end.

        A page that cannot be read raises after the earlier pages were yielded. With
        ``options.max_items`` no further page is requested once that many items were yielded.
        """
        self._check(ds, parent)
        if ds.key == "sign_ins" and options.signins_of == ():
            return  # the sign-ins of no account: nothing to ask for
        url = self.url(ds, parent=parent, options=options)
        async for page in pages(url, self._get_json, link=_NEXT_LINK, max_items=options.max_items):
            yield page

    async def single(self, ds: DataSet, *, sub: str = "", parent: str = "") -> Any | None:
        """A singleton's object (a ``{"value": {...}}`` envelope unwrapped), None on HTTP 404."""
        self._check(ds, parent)
        url = self.url(ds, parent=parent)
        data = await self._get_json(url, none_on_404=True)
        if data is None:
            return None
        return _object(data, url)

    async def many(self, ds: DataSet, parents: Sequence[str], *,
                   options: ReadOptions = ReadOptions()) -> AsyncIterator[tuple[str, Any]]:
        """``(parent, items)`` (collections) or ``(parent, object or None)`` (singletons) for every parent,
        read with ``$batch`` (20 requests a batch, at most ``concurrency`` batches in flight), yielded
        as each batch completes. An inner 404 means none (collection) or None (singleton). The first
        parent that fails raises, after the parents of its batch that succeeded were yielded."""
        if ds.api != "graph" or not ds.per_item:
            raise ValueError(f"{ds.key} is not an item-scoped Graph data set")
        unique = list(dict.fromkeys(p for p in parents if p))
        if not unique:
            return
        chunks = [unique[i:i + BATCH_SIZE] for i in range(0, len(unique), BATCH_SIZE)]
        gate = asyncio.Semaphore(self.concurrency)

        async def run(chunk: list[str]) -> tuple[list[tuple[str, Any]], errors.SourceError | None]:
            async with gate:
                return await self._batch(ds, chunk, options)

        tasks = [asyncio.ensure_future(run(chunk)) for chunk in chunks]
        try:
            for next_done in asyncio.as_completed(tasks):
                done, failure = await next_done
                for pair in done:
                    yield pair
                if failure is not None:
                    raise failure
        finally:
            pending = [t for t in tasks if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
            for task in tasks:  # retrieve, so that no "exception was never retrieved" remains
                if task.done() and not task.cancelled():
                    task.exception()

    # --- delta queries ---------------------------------------------------------------------------

    def delta_url(self, ds: DataSet, *, latest: bool = False) -> str:
        """The first request of a delta round on ``ds`` (``users``, ``groups``): ``/delta`` with the full
        read's ``$select`` less what delta cannot track (:data:`NOT_ON_DELTA`), groups with ``members``
        (membership changes come as ``members@delta``); ``latest``: ``$deltatoken=latest``, a link for the
        changes from now on without the items ("sync from now"). ``$top`` is not supported by delta."""
        if ds.api != "graph" or ds.per_item or ds.shape != "collection":
            raise ValueError(f"{ds.key} is not a Graph collection")
        refused = NOT_ON_DELTA.get(ds.key, frozenset())
        select = [p for p in select_for(ds) if p not in refused]
        if ds.key == "groups":
            select.append("members")
        params = [("$select", ",".join(select))] + ([("$deltatoken", "latest")] if latest else [])
        query = "&".join(f"{k}={quote(v, safe=',:')}" for k, v in params)
        path = quote(ds.api_path(), safe="/:@$'(),=+-._~!*")
        return f"{self.graph_url}/{ds.version}/{path}/delta?{query}"

    async def delta_latest(self, ds: DataSet) -> str:
        """A delta link for the changes to ``ds`` from now on (``$deltatoken=latest``: no items)."""
        link: str | None = None
        async for _, last in self.delta(ds, self.delta_url(ds, latest=True)):
            link = last or link
        if link is None:  # delta() raises before it ends without one
            raise errors.bad_payload(self.delta_url(ds), "a delta round without a delta link")
        return link

    async def delta(self, ds: DataSet, link: str | None = None) -> AsyncIterator[tuple[list[Any], str | None]]:
        """One delta round, from ``link`` (a delta link of the last round; None: the initial round, every
        item): ``(items, None)`` for each page with a next link, ``(items, delta link)`` for the last one.

        Items are as Graph sends them: created or updated objects, ``{"id": ..., "@removed": {...}}`` for
        deleted ones, groups with ``members@delta``; the same object may come more than once (a group's
        members over several entries). Raises :class:`ResyncRequired` on HTTP 410 or the codes that say the
        token is no longer known, after any pages already yielded; links (state tokens) never appear in an
        error."""
        self._check(ds, "")
        url = link or self.delta_url(ds)
        seen = {url}
        while True:
            try:
                data = await self._get_json(url)
            except errors.SourceError as exc:
                if exc.http_status == 410 or exc.code.lower() in _RESYNC_CODES:
                    raise ResyncRequired(f"{exc.message}; reading {ds.title.lower()} whole again",
                                         url=exc.url, http_status=exc.http_status, code=exc.code,
                                         request_id=exc.request_id) from None
                raise
            items, next_link = page_of(data, url, _NEXT_LINK)
            delta_link = data.get(_DELTA_LINK)
            if delta_link is not None and not isinstance(delta_link, str):
                raise errors.bad_payload(url, f"a '{_DELTA_LINK}' that is not a URL")
            if next_link is None:
                if not delta_link:
                    raise errors.bad_payload(url, "a delta page with neither a next link nor a delta link")
                yield items, delta_link
                return
            if next_link in seen:
                raise errors.bad_payload(url, "the next link repeats an earlier page")
            seen.add(next_link)
            yield items, None
            url = next_link

    # --- requests --------------------------------------------------------------------------------

    def url(self, ds: DataSet, *, parent: str = "", options: ReadOptions = ReadOptions()) -> str:
        """The absolute URL of the first page of ``ds`` (with its query)."""
        return f"{self.graph_url}/{ds.version}{self._relative(ds, parent, options)}"

    def _relative(self, ds: DataSet, parent: str, options: ReadOptions) -> str:
        path = quote(ds.api_path(parent=parent), safe="/:@$'(),=+-._~!*")
        query = _query(ds, options)
        return f"/{path}" + (f"?{query}" if query else "")

    @staticmethod
    def _check(ds: DataSet, parent: str) -> None:
        if ds.api != "graph":
            raise ValueError(f"{ds.key} is not a Graph data set")
        if ds.per_item and not parent:
            raise ValueError(f"{ds.key} is item-scoped: a parent is required")

    async def evaluate(self, body: dict[str, Any]) -> list[Any]:
        """``POST /identity/conditionalAccess/evaluate`` (What If, live only): the raw
        ``whatIfAnalysisResult`` objects the service answers, every page of them."""
        url = f"{self.graph_url}/v1.0/identity/conditionalAccess/evaluate"
        response, raw = await self._send(Method.POST, url, json.dumps(body).encode())
        data = _json_or_raise(response, raw, url)
        if not isinstance(data, dict) or not isinstance(data.get("value"), list):
            raise errors.bad_payload(url, "an evaluate answer without a 'value' array")
        return [item async for page in pages(url, self._get_json, link=_NEXT_LINK, first=data)
                for item in page]

    async def read(self, url: str) -> Any:
        """``GET`` of one resource under this Graph's base URL (what a write reads back): its JSON."""
        return await self._get_json(url)

    async def write(self, method: str, url: str, body: Any = None) -> Any:
        """One write (``POST``, ``PATCH``, ``PUT``, ``DELETE``) to ``url`` (absolute, under this Graph's base
        URL), with ``body`` as JSON: the JSON answered (None for 204 No Content). Any other status than 2xx is
        its mapped error (a 403 names the permission to grant); a write is not retried on a connection
        failure it may have reached the service through (``POST`` is not idempotent)."""
        if not url.startswith(f"{self.graph_url}/"):
            raise errors.ServiceFailed(f"not a Microsoft Graph URL of this tenant: {_no_query(url)}",
                                       url=_no_query(url), code="InvalidURL")
        verb = Method[method.upper()]
        data = json.dumps(body).encode() if body is not None else None
        response, raw = await self._send(verb, url, data, retries=0 if verb is Method.POST else None)
        if response.status_code == 204 or (200 <= response.status_code < 300 and not raw):
            return None
        return _json_or_raise(response, raw, url)

    async def _get_json(self, url: str, *, none_on_404: bool = False) -> Any:
        response, body = await self._send(Method.GET, url)
        if none_on_404 and response.status_code in (204, 404):
            return None
        return _json_or_raise(response, body, url)

    async def _send(self, method: Method, url: str, body: bytes | None = None, *, retries: int | None = None
                    ) -> tuple[httpx.Response, bytes]:
        """One request through the SDK pipeline (auth, redirect, retry): the response and its body.

        Connection-level failures are retried ``retries`` times (default ``max_retries``); every failure is
        mapped here."""
        limit = self.max_retries if retries is None else retries
        attempt = 0
        while True:
            try:
                return await self._send_once(method, url, body)
            except _RETRYABLE_TRANSPORT as exc:
                if attempt >= limit:
                    raise errors.from_transport(exc, url) from None
            except httpx.HTTPError as exc:  # timeouts, protocol and URL errors, too many redirects
                raise errors.from_transport(exc, url) from None
            except httpx.InvalidURL as exc:
                raise errors.ServiceFailed(f"invalid Graph URL: {exc}", url=_no_query(url),
                                           code="InvalidURL") from None
            except _CredentialFailed as exc:
                raise _auth_failed(exc.cause, url) from None
            except KiotaAuthenticationError as exc:  # e.g. "Only https is supported"
                raise errors.AuthFailed(f"no token sent to {_host(url)}: {exc}",
                                        url=_no_query(url)) from None
            except AzureError as exc:
                raise _auth_failed(exc, url) from None
            except KiotaHTTPXError as exc:  # RedirectError and the like
                raise errors.ServiceFailed(f"Microsoft Graph request failed: {exc}",
                                           url=_no_query(url), code=type(exc).__name__) from None
            await asyncio.sleep(self.retry_delay * (2 ** attempt))
            attempt += 1

    async def _send_once(self, method: Method, url: str, body: bytes | None
                         ) -> tuple[httpx.Response, bytes]:
        info = RequestInformation(method)
        info.url = url
        info.headers.try_add("Accept", "application/json")
        if body is not None:
            info.headers.try_add("Content-Type", "application/json")
            info.content = body
        info.add_request_options([ResponseHandlerOption(NativeResponseHandler())])
        response = await self._adapter.send_primitive_async(info, "bytes", None)
        if not isinstance(response, httpx.Response):  # the native handler hands back httpx's response
            raise errors.bad_payload(url, "no HTTP response from the SDK pipeline")
        _unbind(response)  # read in full: the body is its content
        return response, response.content

    # --- $batch ----------------------------------------------------------------------------------

    async def _batch(self, ds: DataSet, parents: list[str], options: ReadOptions
                     ) -> tuple[list[tuple[str, Any]], errors.SourceError | None]:
        """One chunk of parents: the results of those that succeeded (in parent order) and the failure
        of the first that did not, if any.

        Inner responses with a retryable status (:func:`errors.is_retryable_status`: throttled, 500,
        502, 503 ...) are sent again, in a smaller batch, after their ``Retry-After`` or a backoff (bounded
        by ``max_retries``); a next link is followed with plain GETs (retried by the SDK)."""
        batch_url = f"{self.graph_url}/{ds.version}/$batch"
        relative = {p: self._relative(ds, p, options) for p in parents}
        results: dict[str, Any] = {}
        failures: dict[str, errors.SourceError] = {}
        todo = list(parents)
        attempt = 0
        while todo:
            try:
                answers = await self._post_batch(batch_url, [(p, relative[p]) for p in todo])
            except errors.SourceError as exc:  # the batch request itself failed: all of it did
                failures.update((p, exc) for p in todo)
                break
            retry: list[str] = []
            waits: list[float] = []
            for parent in todo:
                status, headers, body = answers[parent]
                if errors.is_retryable_status(status):  # an inner request is a GET
                    wait = errors.retry_after_seconds(headers)
                    if attempt < self.max_retries and (wait is None or wait < _MAX_WAIT):
                        retry.append(parent)
                        waits.append(self.retry_delay * (2 ** attempt) if wait is None else wait)
                        continue
                item_url = f"{self.graph_url}/{ds.version}{relative[parent]}"
                try:
                    results[parent] = await self._inner_result(ds, status, headers, body, item_url)
                except errors.SourceError as exc:
                    failures[parent] = exc
            todo = retry
            if todo:
                await asyncio.sleep(max(waits))
                attempt += 1
        done = [(p, results[p]) for p in parents if p in results]
        first = next((failures[p] for p in parents if p in failures), None)
        return done, first

    async def _post_batch(self, batch_url: str, requests: list[tuple[str, str]]
                          ) -> dict[str, tuple[int, dict[str, str], Any]]:
        """POST one ``$batch``: ``{parent: (status, headers, body)}`` for every request sent."""
        ids = {str(i): parent for i, (parent, _) in enumerate(requests, start=1)}
        payload = {"requests": [{"id": i, "method": "GET", "url": requests[int(i) - 1][1]}
                                for i in ids]}
        response, body = await self._send(Method.POST, batch_url, json.dumps(payload).encode())
        data = _json_or_raise(response, body, batch_url)
        answers = data.get("responses") if isinstance(data, dict) else None
        if not isinstance(answers, list):
            raise errors.bad_payload(batch_url, "a batch answer without a 'responses' array")
        out: dict[str, tuple[int, dict[str, str], Any]] = {}
        for answer in answers:
            if not isinstance(answer, dict) or str(answer.get("id")) not in ids:
                raise errors.bad_payload(batch_url, "a batch answer for a request never sent")
            status = answer.get("status")
            if not isinstance(status, int):
                raise errors.bad_payload(batch_url, "a batch answer without a status")
            headers = answer.get("headers")
            if not isinstance(headers, dict):
                headers = {}
            out[ids[str(answer["id"])]] = (status, {str(k): str(v) for k, v in headers.items()},
                                           answer.get("body"))
        missing = [ids[i] for i in ids if ids[i] not in out]
        if missing:
            raise errors.bad_payload(batch_url, f"the batch answer lacks {len(missing)} of its requests")
        return out

    async def _inner_result(self, ds: DataSet, status: int, headers: dict[str, str], body: Any,
                            url: str) -> Any:
        if status == 404:
            return None if ds.shape == "singleton" else []
        if not 200 <= status < 300:
            text = json.dumps(body) if isinstance(body, (dict, list)) else (body or "")
            raise errors.from_response(status, text, headers, url, api="graph")
        if isinstance(body, str):  # Graph base64-encodes bodies that are not JSON; JSON comes as JSON
            raise errors.bad_payload(url, "a batch answer whose body is not JSON")
        if ds.shape == "singleton":
            return None if body is None else _object(body, url)
        # the first page came in the batch answer; its next links are followed with plain GETs
        return [item async for page in pages(url, self._get_json, link=_NEXT_LINK, first=body)
                for item in page]


# --- helpers -------------------------------------------------------------------------------------


_NO_STREAM = httpx.ByteStream(b"")


def _unbind(response: httpx.Response) -> None:
    """Free a response from the reference cycle httpx's client ties it in (the response holds its stream,
    the stream its response, to time it), so that the response and its body go as soon as it is dropped.
    The loader pauses the cyclic collector for a whole load: otherwise every page body read would live
    until the load ends (164 MB of a large tenant). The response's content stays readable."""
    response.stream = _NO_STREAM


def _query(ds: DataSet, options: ReadOptions) -> str:
    params: list[tuple[str, str]] = []
    if ds.key in _SELECT:
        params.append(("$select", ",".join(select_for(ds))))
    top = page_size(ds)
    if top:
        params.append(("$top", str(top)))
    if ds.key == "sign_ins":
        clauses = []
        if options.signins_of:
            # signIn supports $filter eq on userId and userPrincipalName (Graph reference, signIn resource)
            clauses.append(" or ".join(f"{'userId' if OBJECT_ID.match(ref) else 'userPrincipalName'} eq "
                                       f"'{ref.replace(chr(39), chr(39) * 2)}'" for ref in options.signins_of))
            if len(options.signins_of) > 1:
                clauses[0] = f"({clauses[0]})"
        if options.signins_since is not None:
            clauses.append(f"createdDateTime ge {_iso_z(options.signins_since)}")
        if clauses:
            params.append(("$filter", " and ".join(clauses)))
    return "&".join(f"{k}={quote(v, safe=',:')}" for k, v in params)


def _iso_z(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_or_raise(response: httpx.Response, body: bytes, url: str) -> Any:
    return json_body(response.status_code, response.headers, body, url, "graph")


def _object(data: Any, url: str) -> dict[str, Any]:
    if isinstance(data, dict) and isinstance(data.get("value"), dict):
        data = data["value"]
    if not isinstance(data, dict):
        raise errors.bad_payload(url, "expected a JSON object")
    return data


def _auth_failed(cause: BaseException, url: str) -> errors.AuthFailed:
    message = getattr(cause, "message", None) or str(cause) or type(cause).__name__
    return errors.AuthFailed(f"could not get an access token for Microsoft Graph: {message}",
                             url=_no_query(url), code=type(cause).__name__)


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _no_query(url: str) -> str:
    """A URL fit for messages: no query string (skip tokens are long and opaque)."""
    return url.split("?", 1)[0]
