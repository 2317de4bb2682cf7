"""An azure-core async transport over an ``httpx.AsyncClient``.

azure-core ships transports for aiohttp and requests only, and the httpx transport of
azure-core-experimental does not work with current azure-core, so ztconsole owns this small one (DESIGN.md,
"One transport"). Any azure-core pipeline (azure-mgmt-network's ``NetworkManagementClient``, a bare
``AsyncPipelineClient``) can send through the caller's httpx client with it: a real network client, or
one whose transport is ``httpx.ASGITransport``/the emulator, so the real URLs are served in process.

What it does, as azure-core's own transports do:

* sends both request flavours the pipeline hands over: ``azure.core.rest.HttpRequest`` (answered with an
  ``azure.core.rest.AsyncHttpResponse``) and the legacy ``azure.core.pipeline.transport.HttpRequest``
  (answered with a legacy ``AsyncHttpResponse``: ``body()``, ``text()``, ``load_body()``,
  ``stream_download()``);
* reads the body before returning unless ``stream=True``, so the pipeline's policies (content decoding,
  ``Retry-After``, ARM error shapes) see complete responses, and body read failures are retried too;
* maps httpx failures onto azure-core's error types, so ``RetryPolicy`` retries what it should:
  connect failures and pool/connect timeouts -> ``ServiceRequestError``/``ServiceRequestTimeoutError``
  (nothing was sent); read/write/protocol errors and resets -> ``ServiceResponseError``, read and write
  timeouts -> ``ServiceResponseTimeoutError``; a body cut short -> ``IncompleteReadError``; a body whose
  content-encoding is broken -> ``DecodeError``. ``OSError`` raised by an in-process app (a
  ``ConnectionResetError`` standing for a reset) maps the same way as its socket counterpart;
* honours the per-request ``connection_timeout`` and ``read_timeout`` options (seconds; a
  ``(connect, read)`` tuple in ``connection_timeout`` as the requests transport accepts); without them the
  client's own timeouts apply;
* never follows redirects itself (the pipeline's redirect policy does) and never logs headers or bodies.

The httpx client belongs to the caller: ``close()`` leaves it open unless ``owns_client=True``. Proxies
and TLS settings are the client's; the per-request ``proxies``/``connection_verify``/``connection_cert``
options of azure-core cannot be applied per request in httpx and are ignored.

One deliberate difference from azure-core's transports: a *streamed* response whose status is not 2xx
has its (small) body read at once and its connection released. azure-core's retry and redirect policies
drop such responses without closing them, which with httpx's connection pool would leak a pooled
connection per retry. The response still reads and iterates as a streamed one (``read()``,
``iter_bytes()``, ``stream_download()``).
"""

from __future__ import annotations

import email.message
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from typing import Any

import httpx
from azure.core.configuration import ConnectionConfiguration
from azure.core.exceptions import (
    AzureError,
    DecodeError,
    IncompleteReadError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline.transport import AsyncHttpResponse as LegacyAsyncHttpResponse
from azure.core.pipeline.transport import AsyncHttpTransport
from azure.core.pipeline.transport import HttpRequest as LegacyHttpRequest
from azure.core.rest import HttpRequest as RestHttpRequest
from azure.core.rest._http_response_impl_async import AsyncHttpResponseImpl
from azure.core.utils import case_insensitive_dict

__all__ = ["HttpxTransport", "map_httpx_error"]

DEFAULT_BLOCK_SIZE = 4096
_DEFAULT_CONFIG_TIMEOUT = 300  # azure-core's own default, used when the client has no timeout

AnyRequest = RestHttpRequest | LegacyHttpRequest

# Options azure-core may leave for the transport that httpx cannot apply per request.
_IGNORED_OPTIONS = ("proxies", "proxy", "connection_verify", "connection_cert", "connection_data_block_size")


def map_httpx_error(err: BaseException, *, reading_body: bool = False) -> AzureError | None:
    """The azure-core error a transport failure stands for, or None when ``err`` is not one.

    ``reading_body``: the failure came while reading a response body (a cut-short body is then an
    ``IncompleteReadError``, as azure-core's transports report it).
    """
    detail = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    mapped: AzureError
    if isinstance(err, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        mapped = ServiceRequestTimeoutError(detail, error=err)
    elif isinstance(err, httpx.TimeoutException):  # read and write timeouts: the request went out
        mapped = ServiceResponseTimeoutError(detail, error=err)
    elif isinstance(err, (httpx.ConnectError, httpx.ProxyError, httpx.UnsupportedProtocol,
                          httpx.LocalProtocolError)):
        mapped = ServiceRequestError(detail, error=err)
    elif isinstance(err, httpx.RemoteProtocolError) and reading_body:
        mapped = IncompleteReadError(detail, error=err)
    elif isinstance(err, httpx.DecodingError):
        mapped = DecodeError(detail, error=err)
    elif isinstance(err, httpx.TransportError):  # ReadError, WriteError, CloseError, RemoteProtocolError
        mapped = ServiceResponseError(detail, error=err)
    elif isinstance(err, ConnectionRefusedError):
        mapped = ServiceRequestError(detail, error=err)
    elif isinstance(err, TimeoutError):
        mapped = ServiceResponseTimeoutError(detail, error=err)
    elif isinstance(err, OSError):  # ConnectionResetError, BrokenPipeError, ...
        mapped = ServiceResponseError(detail, error=err)
    else:
        return None
    return mapped


_TRANSPORT_ERRORS = (httpx.TransportError, httpx.DecodingError, OSError)


class _HttpxStreamDownload(AsyncIterator[bytes]):
    """The body of a response, block by block (decoded unless ``decompress=False``).

    The callable azure-core calls ``stream_download_generator``: ``(pipeline, response, decompress=...)``.
    """

    def __init__(self, pipeline: Any, response: Any, *, decompress: bool = True, **kwargs: Any) -> None:
        self.pipeline = pipeline
        self.response = response
        self._internal: httpx.Response = response.internal_response
        block_size = response.block_size or DEFAULT_BLOCK_SIZE
        # After a preload, httpx holds the decoded body; the raw bytes are gone, the decoded ones serve.
        if decompress or getattr(response, "_httpx_preloaded", False):
            self._iter: AsyncIterator[bytes] = self._internal.aiter_bytes(block_size)
        else:
            self._iter = self._internal.aiter_raw(block_size)
        self.content_length = int(self._internal.headers.get("content-length", 0) or 0)

    def __len__(self) -> int:
        return self.content_length

    async def __anext__(self) -> bytes:
        try:
            return await self._iter.__anext__()
        except StopAsyncIteration:
            await self._internal.aclose()
            raise
        except _TRANSPORT_ERRORS as err:
            mapped = map_httpx_error(err, reading_body=True)
            await self._internal.aclose()
            if mapped is None:  # pragma: no cover - every member of _TRANSPORT_ERRORS maps
                raise
            raise mapped from err


def _headers(resp: httpx.Response) -> Any:
    # httpx joins repeated headers with ", " in items(), as requests does.
    return case_insensitive_dict(resp.headers.items())


class _RestHttpxResponse(AsyncHttpResponseImpl):
    """An ``azure.core.rest.AsyncHttpResponse`` over an ``httpx.Response``."""

    def __init__(self, *, request: RestHttpRequest, internal_response: httpx.Response,
                 block_size: int) -> None:
        super().__init__(
            request=request,
            internal_response=internal_response,
            block_size=block_size,
            status_code=internal_response.status_code,
            reason=internal_response.reason_phrase,
            content_type=internal_response.headers.get("content-type"),
            headers=_headers(internal_response),
            stream_download_generator=_HttpxStreamDownload,
        )
        self._httpx_preloaded = False

    async def close(self) -> None:
        if not self.is_closed:
            self._is_closed = True
            await self._internal_response.aclose()


class _LegacyHttpxResponse(LegacyAsyncHttpResponse):
    """A legacy ``azure.core.pipeline.transport.AsyncHttpResponse`` over an ``httpx.Response``."""

    def __init__(self, request: LegacyHttpRequest, internal_response: httpx.Response,
                 block_size: int) -> None:
        super().__init__(request, internal_response, block_size=block_size)
        self.status_code = internal_response.status_code
        self.headers = _headers(internal_response)
        self.reason = internal_response.reason_phrase
        self.content_type = internal_response.headers.get("content-type")
        self._content: bytes | None = None
        self._httpx_preloaded = False

    def body(self) -> bytes:
        if self._content is None:
            raise ValueError("Body is not available. Call async method load_body, or do your call with "
                             "stream=False.")
        return self._content

    def text(self, encoding: str | None = None) -> str:
        encoding = encoding or _charset(self.content_type)
        if encoding is None or encoding.lower() in ("utf-8", "utf8"):
            encoding = "utf-8-sig"
        return self.body().decode(encoding)

    async def load_body(self) -> None:
        """Read the whole body into memory, so ``body()`` and ``text()`` can serve it."""
        if self._content is None:
            self._content = await _preload(self.internal_response)
            self._httpx_preloaded = True

    def stream_download(self, pipeline: Any, *, decompress: bool = True,
                        **kwargs: Any) -> AsyncIterator[bytes]:
        return _HttpxStreamDownload(pipeline, self, decompress=decompress, **kwargs)

    async def close(self) -> None:
        await self.internal_response.aclose()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


async def _preload(resp: httpx.Response) -> bytes:
    """The decoded body, read in full through httpx (which caches it and releases the connection)."""
    try:
        return await resp.aread()
    except _TRANSPORT_ERRORS as err:
        mapped = map_httpx_error(err, reading_body=True)
        await resp.aclose()
        if mapped is None:  # pragma: no cover
            raise
        raise mapped from err


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    msg = email.message.Message()
    msg["content-type"] = content_type
    charset = msg.get_param("charset")
    return charset if isinstance(charset, str) else None


async def _aiter_sync(source: Any, block_size: int) -> AsyncIterator[bytes]:
    """A sync body (file-like or iterable of bytes) as the async stream an AsyncClient needs."""
    if hasattr(source, "read"):
        while True:
            chunk = source.read(block_size)
            if not chunk:
                return
            yield chunk.encode("utf-8") if isinstance(chunk, str) else chunk
    else:
        for chunk in source:
            yield chunk.encode("utf-8") if isinstance(chunk, str) else chunk


class HttpxTransport(AsyncHttpTransport[AnyRequest, Any]):
    """An azure-core ``AsyncHttpTransport`` sending through ``client`` (see the module docstring).

    :param client: the httpx client; its timeouts, limits, proxies and TLS settings apply.
    :param owns_client: close the client in ``close()`` (default: the caller closes it).
    :param block_size: the chunk size of streamed downloads.
    """

    def __init__(self, client: httpx.AsyncClient, *, owns_client: bool = False,
                 block_size: int = DEFAULT_BLOCK_SIZE) -> None:
        self._client = client
        self._owns_client = owns_client
        self._block_size = block_size
        timeout = client.timeout
        # The retry policy reads connection_config.timeout to fit the connect timeout into its budget.
        self.connection_config = ConnectionConfiguration(
            connection_timeout=timeout.connect if timeout.connect is not None else _DEFAULT_CONFIG_TIMEOUT,
            read_timeout=timeout.read if timeout.read is not None else _DEFAULT_CONFIG_TIMEOUT,
            connection_data_block_size=block_size,
        )

    @property
    def client(self) -> httpx.AsyncClient:
        return self._client

    async def __aenter__(self) -> HttpxTransport:
        await self.open()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def open(self) -> None:
        """Nothing to open: the httpx client manages its own connection pool."""
        return None

    async def close(self) -> None:
        """Close the client when this transport owns it; otherwise leave it to its owner."""
        if self._owns_client:
            await self._client.aclose()

    async def send(self, request: AnyRequest, *, stream: bool = False, **kwargs: Any) -> Any:
        """Send ``request``; the response's flavour follows the request's (rest or legacy).

        Raises azure-core errors only (see :func:`map_httpx_error`).
        """
        if self._client.is_closed:
            raise ServiceRequestError("the HTTP client is closed")
        timeout = self._timeout(kwargs.pop("connection_timeout", None), kwargs.pop("read_timeout", None))
        for name in _IGNORED_OPTIONS:
            kwargs.pop(name, None)
        httpx_request = self._build(request, timeout)
        try:
            resp = await self._client.send(httpx_request, stream=True, follow_redirects=False)
        except _TRANSPORT_ERRORS as err:
            mapped = map_httpx_error(err)
            if mapped is None:  # pragma: no cover
                raise
            raise mapped from err

        response: Any
        if isinstance(request, RestHttpRequest):
            response = _RestHttpxResponse(request=request, internal_response=resp,
                                          block_size=self._block_size)
            if not stream:
                try:
                    await response.read()
                finally:
                    await response.close()
            elif not 200 <= resp.status_code < 300:
                await _preload(resp)
                response._httpx_preloaded = True
        else:
            response = _LegacyHttpxResponse(request, resp, self._block_size)
            if not stream or not 200 <= resp.status_code < 300:
                await response.load_body()
        return response

    # -- building the httpx request ----------------------------------------------------------------

    def _timeout(self, connection_timeout: Any, read_timeout: Any) -> httpx.Timeout | None:
        if isinstance(connection_timeout, tuple):
            connection_timeout, read_timeout = connection_timeout
        if connection_timeout is None and read_timeout is None:
            return None
        base = self._client.timeout
        return httpx.Timeout(
            connect=connection_timeout if connection_timeout is not None else base.connect,
            read=read_timeout if read_timeout is not None else base.read,
            write=base.write,
            pool=base.pool,
        )

    def _build(self, request: AnyRequest, timeout: httpx.Timeout | None) -> httpx.Request:
        headers = dict(request.headers.items())
        data = request.data
        files = request.files
        content: Any = None
        form: Any = None
        httpx_files: Any = None
        if files:
            form = dict(data) if isinstance(data, Mapping) else None
            items = files.items() if isinstance(files, Mapping) else files
            httpx_files = list(items)
            _drop(headers, "content-type")  # httpx writes the multipart boundary
            _drop(headers, "content-length")
        elif isinstance(data, Mapping):
            form = dict(data)
            _drop(headers, "content-length")
        elif isinstance(data, (bytes, bytearray, memoryview)):
            content = bytes(data)
            _drop(headers, "content-length")  # httpx counts the bytes it sends
        elif isinstance(data, str):
            content = data.encode("utf-8")
            _drop(headers, "content-length")
        elif data is None:
            content = None
        elif isinstance(data, AsyncIterable):
            content = data
        elif hasattr(data, "read") or isinstance(data, Iterable):
            content = _aiter_sync(data, self._block_size)
        else:
            raise ValueError(f"unsupported request body type {type(data).__name__}")
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = timeout
        return self._client.build_request(request.method, request.url, headers=headers, content=content,
                                          data=form, files=httpx_files, **extra)


def _drop(headers: dict[str, str], name: str) -> None:
    for key in [k for k in headers if k.lower() == name]:
        del headers[key]
