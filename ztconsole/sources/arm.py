"""Azure Resource Manager reads through azure-mgmt-network's own pipeline, returning the raw wire JSON.

:class:`ArmReader` creates one aio ``NetworkManagementClient`` per subscription (cached) on the caller's
``httpx.AsyncClient`` through :class:`~ztconsole.sources.httpx_transport.HttpxTransport`, so every request
carries the SDK's pipeline: ARM bearer authentication (with CAE/claims challenges), the retry policy
honouring ``Retry-After`` with bounded retries, user agent, client request ids, redirects that drop the
Authorization header across hosts, and HTTP logging that redacts it. :meth:`ArmReader.network_client`
hands that client out for typed writes.

Reads do not pay SDK model parsing (DESIGN.md, "One data contract"): each page is an
``azure.core.rest.HttpRequest`` sent with the client's ``send_request(request, stream=True)``; the raw
body is read and parsed once with ``json.loads`` (:func:`ztconsole.sources.paging.json_body`).
(``stream=False`` would make the pipeline's ``ContentDecodePolicy`` parse every body once more, and keep
the parsed copy where ``send_request`` does not return it.) A body whose read fails after the pipeline
returned is requested again, up to ``max_retries`` times, as the pipeline would have retried it. Every
failure leaves this module as an :mod:`ztconsole.sources.errors` error.

URLs are ``{arm_url}/{ds.api_path(...)}?api-version={ds.version}``; ``nextLink`` is followed (by the
paging loop both readers share, :func:`ztconsole.sources.paging.pages`) exactly as ARM sends it (it
already carries the api-version), but only to the ARM host itself: the pipeline would attach the ARM
token to any URL. The tenant-level data set (``providers/microsoft.aadiam/...``) has no
subscription: it goes through a pipeline of the same client class created with an empty subscription id,
which only raw requests use (``network_client`` refuses an empty subscription).

Import cost: this module imports azure-core and azure-mgmt-network at module level. Nothing else in
ztconsole may import it at module level (the console's start-up stays light, see
``tests/test_import_hygiene.py``): import it inside the function that opens a live source.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from functools import partial
from typing import Any, cast
from urllib.parse import quote, urljoin, urlsplit

import httpx
from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError
from azure.core.pipeline.policies import AsyncRetryPolicy
from azure.core.rest import AsyncHttpResponse, HttpRequest
from azure.mgmt.network.aio import NetworkManagementClient

from ztconsole import __version__
from ztconsole.datasets import DataSet
from ztconsole.sources import errors
from ztconsole.sources.base import LOOPBACK_HOSTS, ReaderCredential, ReadOptions
from ztconsole.sources.httpx_transport import HttpxTransport
from ztconsole.sources.paging import json_body, pages

__all__ = ["ArmReader"]

_SUB_OF = re.compile(r"^/?subscriptions/([^/]+)", re.IGNORECASE)
# characters left as they are in request paths (ARM resource ids use parentheses, dots, colons...)
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_MAX_BACKOFF = 30.0


class _CredentialFailed(ClientAuthenticationError):
    """The credential could not produce a token (whatever it raised). A ``ClientAuthenticationError``,
    so the pipeline's retry policy gives up at once, as it does for azure-identity's own failures."""

    @classmethod
    def of(cls, exc: Exception) -> _CredentialFailed:
        return cls(_message(exc), error=exc)


class _BoundedRetryPolicy(AsyncRetryPolicy[HttpRequest, AsyncHttpResponse]):
    """azure-core's retry policy (on the statuses of :func:`errors.is_retryable_status`, which are azure-core's
    own defaults; the Graph reader retries the same), except that a ``Retry-After`` longer than
    ``max_retry_after`` seconds is not waited for: the response is handed back (and becomes
    :class:`errors.Throttled` carrying the wait), so a pane never hangs for minutes on a throttled tenant."""

    def __init__(self, *, max_retry_after: float, **kwargs: Any):
        # azure-core adds these to its own list (the same statuses): named here so that both readers
        # visibly share one definition
        kwargs.setdefault("retry_on_status_codes", sorted(errors.RETRYABLE_STATUSES))
        super().__init__(**kwargs)
        self.max_retry_after = max_retry_after

    def is_retry(self, settings: dict[str, Any], response: Any) -> bool:
        if response.http_response.status_code >= 400:
            wait = self.get_retry_after(response)
            if wait is not None and wait > self.max_retry_after:
                return False
        return super().is_retry(settings, response)


class ArmReader:
    """:class:`ztconsole.sources.base.Reader` for the catalogue's ARM data sets (``ds.api == "arm"``).

    ``max_retries`` bounds every retry of a request (the statuses of :func:`errors.is_retryable_status`,
    HTTP 408/429/500/502/503/504 ..., and anything with a ``Retry-After``; connection failures; read
    failures); ``retry_backoff`` is the exponential backoff
    factor between them (seconds; the first retry is immediate, as azure-core does it); a ``Retry-After``
    is honoured up to ``max_retry_after`` seconds. ``concurrency`` bounds the parents ``many()`` reads at
    once. ``arm_url`` must be https, or http on a loopback address (``ztconsole emulator``).
    """

    api = "arm"

    def __init__(self, http: httpx.AsyncClient, credential: Any, *,
                 arm_url: str = "https://management.azure.com", scopes: list[str] | None = None,
                 max_retries: int = 3, retry_backoff: float = 0.8, concurrency: int = 8,
                 max_retry_after: float = 60.0):
        if max_retries < 0:
            raise ValueError("max_retries must not be negative")
        if retry_backoff < 0:
            raise ValueError("retry_backoff must not be negative")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.arm_url = arm_url.rstrip("/")
        parts = urlsplit(self.arm_url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("https", "http") or not host:
            raise ValueError(f"not an ARM base URL: {arm_url!r}")
        if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
            raise ValueError(f"ARM base URL {arm_url!r}: http is only allowed on a loopback address "
                             "(the bearer token would travel in clear)")
        self._origin = (parts.scheme, parts.netloc.lower())
        self.scopes = list(scopes) if scopes else [f"{self.arm_url}/.default"]
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.concurrency = concurrency
        self.max_retry_after = max_retry_after
        self._http = http
        self._credential = ReaderCredential(credential, _CredentialFailed.of)
        # the auth policy refuses plain http unless told; only a loopback http URL gets this far
        self._options: dict[str, Any] = {"enforce_https": False} if parts.scheme == "http" else {}
        self._clients: dict[str, tuple[NetworkManagementClient, HttpxTransport]] = {}

    # --- the SDK clients -------------------------------------------------------------------------

    def network_client(self, sub: str) -> NetworkManagementClient:
        """The aio ``NetworkManagementClient`` of subscription ``sub`` (created once, closed by
        :meth:`aclose`), for typed requests. Its pipeline is the one reads use.

        Note: the SDK's pipeline includes ARM's automatic resource provider registration, which a typed
        request answered with ``409 MissingSubscriptionRegistration`` triggers (a write).
        """
        if not sub:
            raise ValueError("network_client needs a subscription id")
        return self._pipeline(sub)[0]

    def _pipeline(self, sub: str) -> tuple[NetworkManagementClient, HttpxTransport]:
        key = sub.lower()
        found = self._clients.get(key)
        if found is None:
            transport = HttpxTransport(self._http)
            client = NetworkManagementClient(
                self._credential, sub, base_url=self.arm_url, credential_scopes=self.scopes,
                transport=transport, retry_policy=self._retry_policy(),
                user_agent=f"ztconsole/{__version__}")
            found = self._clients[key] = (client, transport)
        return found

    def _retry_policy(self) -> _BoundedRetryPolicy:
        """The retry policy of every client's pipeline: ``max_retries`` of each kind, ``retry_backoff``."""
        return _BoundedRetryPolicy(
            max_retry_after=self.max_retry_after,
            retry_total=self.max_retries, retry_connect=self.max_retries,
            retry_read=self.max_retries, retry_status=self.max_retries,
            retry_backoff_factor=self.retry_backoff, retry_backoff_max=_MAX_BACKOFF)

    async def aclose(self) -> None:
        """Close the SDK clients created here (never the caller's httpx client or credential)."""
        clients, self._clients = list(self._clients.values()), {}
        for client, _ in clients:
            await client.close()

    async def __aenter__(self) -> ArmReader:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- Reader ----------------------------------------------------------------------------------

    async def collection(self, ds: DataSet, *, sub: str = "", parent: str = "",
                         options: ReadOptions = ReadOptions()) -> AsyncIterator[list[Any]]:
        """The items of a collection, one list per page, following ``nextLink`` to the end.

        A page that cannot be read raises after the earlier pages were yielded. An item-scoped
        collection whose parent answers 404 (a firewall without diagnostic settings) is one empty page.
        With ``options.max_items`` no further page is requested once that many items were yielded.
        """
        self._check(ds, sub, parent)
        client, transport = self._pipeline(_subscription(ds, sub, parent))
        url = self.url(ds, sub=sub, parent=parent)
        fetch = partial(self._get_json, client, transport)
        first = await fetch(url, none_on_404=ds.per_item)
        if first is None:
            yield []
            return
        async for page in pages(url, fetch, link="nextLink", follow=self._follow,
                                max_items=options.max_items, first=first):
            yield page

    async def single(self, ds: DataSet, *, sub: str = "", parent: str = "") -> Any | None:
        """A single object at the data set's path, None on HTTP 404."""
        self._check(ds, sub, parent)
        client, transport = self._pipeline(_subscription(ds, sub, parent))
        url = self.url(ds, sub=sub, parent=parent)
        data = await self._get_json(client, transport, url, none_on_404=True)
        if data is not None and not isinstance(data, dict):
            raise errors.bad_payload(url, "expected a JSON object")
        return data

    async def many(self, ds: DataSet, parents: Sequence[str], *,
                   options: ReadOptions = ReadOptions()) -> AsyncIterator[tuple[str, Any]]:
        """``(parent, items)`` (collections: every page) or ``(parent, object or None)`` (singletons)
        for every parent (a full resource id), at most ``concurrency`` parents in flight, yielded as each
        completes. The first parent that fails raises, after the parents that completed with it were
        yielded; the others are cancelled."""
        if ds.api != "arm" or not ds.per_item:
            raise ValueError(f"{ds.key} is not an item-scoped ARM data set")
        todo = iter(dict.fromkeys(p for p in parents if p))

        async def one(parent: str) -> tuple[str, Any]:
            if ds.shape == "singleton":
                return parent, await self.single(ds, parent=parent)
            items: list[Any] = []
            async for page in self.collection(ds, parent=parent, options=options):
                items.extend(page)
            return parent, items

        def start() -> None:  # more parents, up to ``concurrency`` in flight
            for parent in todo:
                running.add(asyncio.ensure_future(one(parent)))
                if len(running) >= self.concurrency:
                    break

        running: set[asyncio.Task[tuple[str, Any]]] = set()
        try:
            start()
            while running:
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                failure: BaseException | None = None
                for task in done:
                    exc = task.exception()
                    if exc is not None:
                        failure = failure or exc
                    else:
                        yield task.result()
                if failure is not None:
                    raise failure
                start()
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    # --- requests --------------------------------------------------------------------------------

    def url(self, ds: DataSet, *, sub: str = "", parent: str = "") -> str:
        """The absolute URL of the first page of ``ds``, with the catalogue's api-version."""
        path = quote(ds.api_path(sub=sub, parent=parent), safe=_PATH_SAFE)
        return f"{self.arm_url}/{path}?api-version={quote(ds.version, safe='')}"

    @staticmethod
    def _check(ds: DataSet, sub: str, parent: str) -> None:
        if ds.api != "arm":
            raise ValueError(f"{ds.key} is not an ARM data set")
        if ds.per_subscription and not sub:
            raise ValueError(f"{ds.key} is read per subscription: pass sub=")
        if ds.per_item and not parent:
            raise ValueError(f"{ds.key} is item-scoped: pass parent= (a resource id)")

    async def read(self, url: str) -> Any:
        """``GET`` of one resource (absolute, on this ARM host, with its ``api-version``; what a write reads
        back): its JSON, through the subscription's pipeline."""
        client, transport = self._pipeline_of(url)
        return await self._get_json(client, transport, url)

    def _pipeline_of(self, url: str) -> tuple[NetworkManagementClient, HttpxTransport]:
        """The pipeline of the subscription ``url`` names (an absolute URL on this cloud's ARM host)."""
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc.lower()) != self._origin:
            raise errors.ServiceFailed(f"not an ARM URL of this cloud: {parts.scheme}://{parts.netloc}{parts.path}",
                                       url=url, code="InvalidURL")
        found = _SUBSCRIPTION.match(parts.path)
        if found is None:
            raise ValueError(f"an ARM request names its subscription: {parts.path}")
        return self._pipeline(found.group(1))

    async def write(self, method: str, url: str, body: Any = None, *, poll_seconds: float = 300.0) -> Any:
        """One write (``PUT``, ``PATCH``, ``DELETE``, ``POST``) of ``url`` (absolute, on this ARM host, with its
        ``api-version``), ``body`` as JSON, through the subscription's pipeline (its credential and retries):
        the JSON answered, None for an empty answer. A write ARM runs as a long-running operation (201 or 202
        with ``Azure-AsyncOperation`` or ``Location``) is awaited, honouring ``Retry-After``, for up to
        ``poll_seconds``, and its failure raised. Any other status than 2xx is its mapped error."""
        client, transport = self._pipeline_of(url)
        status, headers, answer = await self._request(client, method.upper(), url, body)
        if not 200 <= status < 300:
            raise errors.from_response(status, answer, headers, url, api="arm")
        monitor = _header(headers, "azure-asyncoperation") or _header(headers, "location")
        if status in (201, 202) and monitor:
            await self._await_operation(client, transport, urljoin(url, monitor), url, headers, poll_seconds)
            if method.upper() in ("PUT", "PATCH"):
                return await self._get_json(client, transport, url)
            return None
        return json_body(status, headers, answer, url, "arm") if answer else None

    async def _await_operation(self, client: NetworkManagementClient, transport: HttpxTransport, monitor: str,
                               url: str, headers: dict[str, str], limit: float) -> None:
        """Poll a long-running operation until it succeeded (raise if it failed, was canceled, or outlasted
        ``limit`` seconds)."""
        waited = 0.0
        while True:
            delay = _retry_after(headers)
            if waited + delay > limit:
                raise errors.ServiceFailed(f"the operation did not finish within {limit:.0f} s", url=url,
                                           code="OperationTimedOut")
            await transport.sleep(delay)
            waited += delay
            status, headers, answer = await self._request(client, "GET", self._follow(monitor, url), None)
            if status == 202:
                continue
            if not 200 <= status < 300:
                raise errors.from_response(status, answer, headers, url, api="arm")
            state = json_body(status, headers, answer, url, "arm").get("status", "Succeeded") if answer else (
                "Succeeded")
            if state == "Succeeded":
                return
            if state in ("Failed", "Canceled"):
                raise errors.ServiceFailed(f"the operation {state.lower()}: {answer[:300]!r}", url=url,
                                           code=f"Operation{state}")

    async def _request(self, client: NetworkManagementClient, method: str, url: str, body: Any
                       ) -> tuple[int, dict[str, str], bytes]:
        request = (HttpRequest(method, _formattable(url), json=body) if body is not None
                   else HttpRequest(method, _formattable(url)))
        try:
            response = await client.send_request(request, **self._options)
        except ClientAuthenticationError as exc:
            raise _auth_failed(exc, url) from exc
        except HttpResponseError as exc:
            if exc.response is not None:
                resp = cast(AsyncHttpResponse, exc.response)
                raise errors.from_response(resp.status_code, _body_of(resp), dict(resp.headers), url,
                                           api="arm") from exc
            raise errors.from_transport(exc, url) from exc
        except AzureError as exc:
            raise errors.from_transport(exc, url) from exc
        try:
            answer = await response.read()
        finally:
            _unbind(response)
        return response.status_code, dict(response.headers.items()), answer

    async def _get_json(self, client: NetworkManagementClient, transport: HttpxTransport, url: str, *,
                        none_on_404: bool = False) -> Any:
        """One GET through the client's pipeline; the body parsed once. None on 404 when asked."""
        attempt = 0
        while True:
            status, headers, body, read_error = await self._send(client, url)
            if read_error is None:
                break
            # the body broke off after the pipeline (and its retries) had returned: ask again
            if attempt >= self.max_retries:
                raise errors.from_transport(read_error, url) from read_error
            attempt += 1
            if attempt > 1:
                await transport.sleep(min(self.retry_backoff * 2 ** (attempt - 1), _MAX_BACKOFF))
        if status == 404 and none_on_404:
            return None
        return json_body(status, headers, body, url, "arm")

    async def _send(self, client: NetworkManagementClient, url: str
                    ) -> tuple[int, dict[str, str], bytes, AzureError | None]:
        """Status, headers and body of one GET; a failed body read is returned, not raised."""
        request = HttpRequest("GET", _formattable(url))
        try:
            response = await client.send_request(request, stream=True, **self._options)
        except ClientAuthenticationError as exc:
            raise _auth_failed(exc, url) from exc
        except HttpResponseError as exc:  # raised inside the pipeline with a response (redirects...)
            if exc.response is not None:
                # the pipeline's own response (azure.core.rest); azure-core types it as its narrow error protocol
                resp = cast(AsyncHttpResponse, exc.response)
                raise errors.from_response(resp.status_code, _body_of(resp), dict(resp.headers), url,
                                           api="arm") from exc
            raise errors.from_transport(exc, url) from exc
        except AzureError as exc:  # connection failures, timeouts, resets after the retries
            raise errors.from_transport(exc, url) from exc
        headers = dict(response.headers.items())
        try:
            body = await response.read()
        except AzureError as exc:
            await response.close()
            return response.status_code, headers, b"", exc
        finally:
            _unbind(response)
        return response.status_code, headers, body, None

    def _follow(self, link: str, url: str) -> str:
        """The absolute URL of a next link, which must stay on the ARM host: the pipeline would send the
        ARM token wherever it points."""
        absolute = urljoin(f"{self.arm_url}/", link)
        parts = urlsplit(absolute)
        if (parts.scheme, parts.netloc.lower()) != self._origin:
            raise errors.bad_payload(url, f"a 'nextLink' to another host ({parts.netloc or link!r}); "
                                          "not followed with the ARM token")
        return absolute


_NO_STREAM = httpx.ByteStream(b"")


def _unbind(response: Any) -> None:
    """Free the httpx response under a pipeline response (read, or given up) from the reference cycle
    httpx's client ties it in (the response holds its stream, the stream its response, to time it), so
    that it and the body it holds go as soon as they are dropped. The loader pauses the cyclic collector
    for a whole load: otherwise every page body read would live until the load ends."""
    inner = getattr(response, "internal_response", None)
    if isinstance(inner, httpx.Response):
        inner.stream = _NO_STREAM


def _subscription(ds: DataSet, sub: str, parent: str) -> str:
    """The subscription whose client serves a read ("" for tenant-level data sets)."""
    if sub:
        return sub
    if parent:
        m = _SUB_OF.match(parent)
        if m:
            return m.group(1)
    return ""


_SUBSCRIPTION = re.compile(r"/subscriptions/([^/]+)/", re.IGNORECASE)


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def _retry_after(headers: dict[str, str]) -> float:
    """Seconds to wait before polling an operation: its ``Retry-After`` (bounded), else 1."""
    value = _header(headers, "retry-after")
    try:
        return min(max(float(value), 0.0), 60.0) if value is not None else 1.0
    except ValueError:
        return 1.0


def _formattable(url: str) -> str:
    # send_request passes the URL through str.format(); braces are never literal in ARM URLs
    return url.replace("{", "%7B").replace("}", "%7D")


def _body_of(response: Any) -> bytes:
    try:
        return bytes(response.content)
    except (AzureError, AttributeError):  # not read, or a legacy response: the status alone must do
        return b""


def _message(exc: BaseException) -> str:
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


def _auth_failed(cause: BaseException, url: str) -> errors.AuthFailed:
    inner = getattr(cause, "inner_exception", None) or cause
    return errors.AuthFailed(
        f"could not get an access token for Azure Resource Manager: {_message(cause)}",
        url=url.split("?", 1)[0], code=type(inner).__name__)
