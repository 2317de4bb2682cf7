"""HttpxTransport on its own: azure-core requests through httpx to a tiny starlette app (in process)."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest
from azure.core import AsyncPipelineClient
from azure.core.exceptions import (
    DecodeError,
    IncompleteReadError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline import AsyncPipeline
from azure.core.pipeline.policies import AsyncRetryPolicy, ContentDecodePolicy, HeadersPolicy
from azure.core.pipeline.transport import HttpRequest as LegacyHttpRequest
from azure.core.rest import HttpRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ztconsole.sources.httpx_transport import HttpxTransport, map_httpx_error

BASE = "https://svc.example.test"


class Counter:
    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def hit(self, key: str) -> int:
        self.calls[key] = self.calls.get(key, 0) + 1
        return self.calls[key]


def make_app(counter: Counter) -> Starlette:
    async def echo(request: Request) -> Response:
        body = await request.body()
        return JSONResponse(
            {"method": request.method, "query": str(request.url.query), "body": body.decode("utf-8"),
             "headers": {k: v for k, v in request.headers.items()}},
            headers={"X-Custom-Reply": "yes", "x-ms-request-id": "rid-1"},
        )

    async def stream(request: Request) -> Response:
        async def chunks():
            for i in range(10):
                yield (f"chunk-{i};" * 100).encode()
        return StreamingResponse(chunks(), media_type="application/octet-stream")

    async def gz(request: Request) -> Response:
        return Response(gzip.compress(b'{"zipped": true}'), media_type="application/json",
                        headers={"Content-Encoding": "gzip"})

    async def throttled(request: Request) -> Response:
        n = counter.hit("throttled")
        query = request.query_params
        if n <= int(query.get("times", "1")):
            headers = {"Retry-After": query["after"]} if "after" in query else {}
            return JSONResponse({"error": {"code": "TooManyRequests", "message": "slow down"}},
                                status_code=429, headers=headers)
        return JSONResponse({"ok": n})

    async def reset(request: Request) -> Response:
        n = counter.hit("reset")
        if n <= int(request.query_params.get("times", "1")):
            raise ConnectionResetError("connection reset by peer")
        return JSONResponse({"ok": n})

    async def status(request: Request) -> Response:
        code = int(request.path_params["code"])
        counter.hit(f"status-{code}")
        return JSONResponse({"error": {"code": f"E{code}", "message": "nope"}}, status_code=code)

    async def flaky(request: Request) -> Response:
        code = int(request.path_params["code"])
        n = counter.hit(f"flaky-{code}")
        if n <= int(request.query_params.get("times", "1")):
            return JSONResponse({"error": {"code": f"E{code}", "message": "try again"}}, status_code=code)
        return JSONResponse({"ok": n})

    return Starlette(routes=[
        Route("/echo", echo, methods=["GET", "PUT", "POST"]),
        Route("/flaky/{code}", flaky),
        Route("/stream", stream),
        Route("/gz", gz),
        Route("/throttled", throttled),
        Route("/reset", reset),
        Route("/status/{code}", status),
    ])


@pytest.fixture
def counter() -> Counter:
    return Counter()


@pytest.fixture
async def client(counter: Counter):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app(counter)), base_url=BASE) as c:
        yield c


# --- plain sends -------------------------------------------------------------------------------------


async def test_get_rest_request(client: httpx.AsyncClient) -> None:
    transport = HttpxTransport(client)
    resp = await transport.send(HttpRequest("GET", f"{BASE}/echo?a=1&b=two", headers={"X-Mine": "m"}))
    assert resp.status_code == 200
    assert resp.reason == "OK"
    assert resp.content_type == "application/json"
    # headers are case-insensitive, both ways
    assert resp.headers["x-custom-reply"] == "yes"
    assert resp.headers["X-CUSTOM-REPLY"] == "yes"
    data = resp.json()
    assert data["method"] == "GET"
    assert data["query"] == "a=1&b=two"
    assert data["headers"]["x-mine"] == "m"
    assert resp.text() == json.dumps(data, separators=(",", ":"))
    assert resp.is_closed and resp.is_stream_consumed


async def test_put_json_body_rest_and_legacy(client: httpx.AsyncClient) -> None:
    transport = HttpxTransport(client)
    resp = await transport.send(HttpRequest("PUT", f"{BASE}/echo", json={"name": "ünïcode", "n": 1}))
    echoed = resp.json()
    assert echoed["method"] == "PUT"
    assert json.loads(echoed["body"]) == {"name": "ünïcode", "n": 1}
    assert echoed["headers"]["content-type"] == "application/json"
    assert int(echoed["headers"]["content-length"]) == len(echoed["body"].encode())

    legacy = LegacyHttpRequest("PUT", f"{BASE}/echo", headers={"X-Legacy": "1"})
    legacy.set_json_body({"legacy": True})
    lresp = await transport.send(legacy)
    assert lresp.status_code == 200
    assert lresp.headers["X-Custom-Reply"] == "yes"
    ldata = json.loads(lresp.text())
    assert json.loads(ldata["body"]) == {"legacy": True}
    assert ldata["headers"]["x-legacy"] == "1"
    assert json.loads(lresp.body()) == ldata


async def test_text_and_bytes_bodies(client: httpx.AsyncClient) -> None:
    transport = HttpxTransport(client)
    resp = await transport.send(HttpRequest("POST", f"{BASE}/echo", content="héllo"))
    echoed = resp.json()
    assert echoed["body"] == "héllo"
    assert int(echoed["headers"]["content-length"]) == len("héllo".encode())
    resp = await transport.send(HttpRequest("POST", f"{BASE}/echo", content=b"\x00raw"))
    assert resp.json()["body"] == "\x00raw"
    # a streamed (iterable) body
    resp = await transport.send(HttpRequest("POST", f"{BASE}/echo", content=iter([b"a", b"b", b"c"])))
    assert resp.json()["body"] == "abc"
    # form bodies: urlencoded, and multipart (the legacy default)
    legacy = LegacyHttpRequest("POST", f"{BASE}/echo",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    legacy.set_formdata_body({"k": "v w"})
    resp = await transport.send(legacy)
    assert json.loads(resp.text())["body"] == "k=v+w"
    legacy = LegacyHttpRequest("POST", f"{BASE}/echo")
    legacy.set_formdata_body({"k": "v w"})
    echoed = json.loads((await transport.send(legacy)).text())
    assert echoed["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert 'name="k"\r\n\r\nv w\r\n' in echoed["body"]


async def test_streaming_download(client: httpx.AsyncClient) -> None:
    transport = HttpxTransport(client, block_size=256)
    expected = b"".join((f"chunk-{i};" * 100).encode() for i in range(10))

    resp = await transport.send(HttpRequest("GET", f"{BASE}/stream"), stream=True)
    assert not resp.is_stream_consumed
    parts = [p async for p in resp.iter_bytes()]
    assert b"".join(parts) == expected
    assert len(parts) > 1 and max(len(p) for p in parts) <= 256
    assert resp.is_closed

    legacy = await transport.send(LegacyHttpRequest("GET", f"{BASE}/stream"), stream=True)
    parts = [p async for p in legacy.stream_download(None)]
    assert b"".join(parts) == expected
    await legacy.close()

    # read() of a streamed rest response
    resp = await transport.send(HttpRequest("GET", f"{BASE}/stream"), stream=True)
    assert await resp.read() == expected


async def test_content_encoding(client: httpx.AsyncClient) -> None:
    transport = HttpxTransport(client)
    resp = await transport.send(HttpRequest("GET", f"{BASE}/gz"))
    assert resp.json() == {"zipped": True}
    resp = await transport.send(HttpRequest("GET", f"{BASE}/gz"), stream=True)
    raw = b"".join([p async for p in resp.iter_raw()])
    assert gzip.decompress(raw) == b'{"zipped": true}'
    legacy = await transport.send(LegacyHttpRequest("GET", f"{BASE}/gz"), stream=True)
    raw = b"".join([p async for p in legacy.stream_download(None, decompress=False)])
    assert gzip.decompress(raw) == b'{"zipped": true}'


async def test_streamed_error_response_is_read_and_released(client: httpx.AsyncClient) -> None:
    transport = HttpxTransport(client)
    resp = await transport.send(HttpRequest("GET", f"{BASE}/status/503"), stream=True)
    assert resp.status_code == 503
    assert resp.internal_response.is_closed  # the connection went back to the pool
    assert json.loads(await resp.read())["error"]["code"] == "E503"


async def test_does_not_own_the_client_unless_told(counter: Counter) -> None:
    app = make_app(counter)
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    async with HttpxTransport(c) as t:
        await t.send(HttpRequest("GET", f"{BASE}/echo"))
    assert not c.is_closed
    async with HttpxTransport(c, owns_client=True):
        pass
    assert c.is_closed
    with pytest.raises(ServiceRequestError):
        await HttpxTransport(c).send(HttpRequest("GET", f"{BASE}/echo"))


# --- through a pipeline ------------------------------------------------------------------------------


def _pipeline(client: httpx.AsyncClient, **retry: Any) -> AsyncPipeline:
    return AsyncPipeline(HttpxTransport(client), policies=[
        HeadersPolicy(), ContentDecodePolicy(),
        AsyncRetryPolicy(retry_backoff_factor=0.001, **retry),
    ])


async def test_pipeline_retries_429_honouring_retry_after(client: httpx.AsyncClient, counter: Counter,
                                                          sleeps: list[float]) -> None:
    pipeline = _pipeline(client)
    result = await pipeline.run(HttpRequest("GET", f"{BASE}/throttled?times=1&after=1"), stream=False)
    assert result.http_response.status_code == 200
    assert result.context["deserialized_data"] == {"ok": 2}
    assert counter.calls["throttled"] == 2
    assert sleeps == [1.0]


async def test_pipeline_gives_up_on_429_after_bounded_retries(client: httpx.AsyncClient, counter: Counter,
                                                              sleeps: list[float]) -> None:
    pipeline = _pipeline(client, retry_total=2)
    result = await pipeline.run(LegacyHttpRequest("GET", f"{BASE}/throttled?times=99&after=3"))
    assert result.http_response.status_code == 429
    assert result.http_response.headers["retry-after"] == "3"
    assert json.loads(result.http_response.text())["error"]["code"] == "TooManyRequests"
    assert counter.calls["throttled"] == 3
    assert sleeps == [3.0, 3.0]


async def test_pipeline_retries_a_reset(client: httpx.AsyncClient, counter: Counter,
                                        sleeps: list[float]) -> None:
    pipeline = _pipeline(client)
    result = await pipeline.run(HttpRequest("GET", f"{BASE}/reset?times=2"), stream=False)
    assert result.context["deserialized_data"] == {"ok": 3}
    assert counter.calls["reset"] == 3

    counter.calls.clear()
    with pytest.raises(ServiceResponseError):
        await _pipeline(client, retry_read=2).run(HttpRequest("GET", f"{BASE}/reset?times=99"))
    assert counter.calls["reset"] == 3


@pytest.mark.parametrize("stream", [False, True], ids=["buffered", "streamed"])
@pytest.mark.parametrize("code", [408, 500, 502, 503, 504])
async def test_pipeline_retries_a_transient_server_error(client: httpx.AsyncClient, counter: Counter,
                                                         sleeps: list[float], code: int, stream: bool) -> None:
    """azure-core's defaults (the statuses of errors.is_retryable_status) through this transport."""
    from ztconsole.sources.errors import is_retryable_status

    assert is_retryable_status(code)
    result = await _pipeline(client, retry_total=2).run(HttpRequest("GET", f"{BASE}/flaky/{code}?times=2"),
                                                        stream=stream)
    assert result.http_response.status_code == 200
    assert counter.calls[f"flaky-{code}"] == 3
    assert sleeps and all(s < 0.1 for s in sleeps)  # the first retry at once, then the (tiny) backoff

    counter.calls.clear()
    result = await _pipeline(client, retry_total=2).run(HttpRequest("GET", f"{BASE}/flaky/{code}?times=9"),
                                                        stream=stream)
    assert result.http_response.status_code == code  # bounded, then handed back
    assert counter.calls[f"flaky-{code}"] == 3


async def test_pipeline_does_not_retry_501(client: httpx.AsyncClient, counter: Counter,
                                           sleeps: list[float]) -> None:
    result = await _pipeline(client).run(HttpRequest("GET", f"{BASE}/flaky/501?times=1"))
    assert result.http_response.status_code == 501 and counter.calls["flaky-501"] == 1


async def test_pipeline_client_send_request(client: httpx.AsyncClient, sleeps: list[float]) -> None:
    pc = AsyncPipelineClient(BASE, transport=HttpxTransport(client),
                             policies=[AsyncRetryPolicy(retry_backoff_factor=0.001)])
    async with pc:
        resp = await pc.send_request(HttpRequest("GET", "/echo?x=1"))
        assert resp.json()["query"] == "x=1"
        resp = await pc.send_request(HttpRequest("GET", "/status/503"))
        assert resp.status_code == 503  # retried, then handed back
    assert not client.is_closed


# --- error mapping -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("exc", "expected"), [
    (httpx.ConnectError("refused"), ServiceRequestError),
    (httpx.ConnectTimeout("slow connect"), ServiceRequestTimeoutError),
    (httpx.PoolTimeout("pool"), ServiceRequestTimeoutError),
    (httpx.ReadTimeout("slow read"), ServiceResponseTimeoutError),
    (httpx.WriteTimeout("slow write"), ServiceResponseTimeoutError),
    (httpx.ReadError("reset"), ServiceResponseError),
    (httpx.RemoteProtocolError("peer closed"), ServiceResponseError),
    (ConnectionResetError("reset"), ServiceResponseError),
    (ConnectionRefusedError("refused"), ServiceRequestError),
])
async def test_error_mapping(exc: Exception, expected: type) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as c:
        with pytest.raises(expected) as info:
            await HttpxTransport(c).send(HttpRequest("GET", f"{BASE}/x"))
    assert type(info.value) is expected
    assert info.value.inner_exception is exc


def test_error_mapping_of_body_reads_and_non_transport_errors() -> None:
    cut = map_httpx_error(httpx.RemoteProtocolError("cut"), reading_body=True)
    assert isinstance(cut, IncompleteReadError)
    assert isinstance(map_httpx_error(httpx.DecodingError("bad gzip")), DecodeError)
    assert map_httpx_error(ValueError("a bug")) is None


async def test_body_cut_short_is_an_incomplete_read() -> None:
    class Cut(httpx.AsyncByteStream):
        async def __aiter__(self):
            yield b'{"value": ['
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json"}, stream=Cut())

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as c:
        with pytest.raises(IncompleteReadError):
            await HttpxTransport(c).send(HttpRequest("GET", f"{BASE}/x"))
        resp = await HttpxTransport(c).send(HttpRequest("GET", f"{BASE}/x"), stream=True)
        with pytest.raises(IncompleteReadError):
            await resp.read()


async def test_per_request_timeouts() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler),
                                 timeout=httpx.Timeout(10.0, connect=5.0)) as c:
        t = HttpxTransport(c)
        assert t.connection_config.timeout == 5.0
        await t.send(HttpRequest("GET", f"{BASE}/x"))
        await t.send(HttpRequest("GET", f"{BASE}/x"), connection_timeout=1.5, read_timeout=7)
        await t.send(HttpRequest("GET", f"{BASE}/x"), read_timeout=2)
        await t.send(HttpRequest("GET", f"{BASE}/x"), connection_timeout=(3, 4))
    assert seen[0] == {"connect": 5.0, "read": 10.0, "write": 10.0, "pool": 10.0}
    assert seen[1] == {"connect": 1.5, "read": 7, "write": 10.0, "pool": 10.0}
    assert seen[2] == {"connect": 5.0, "read": 2, "write": 10.0, "pool": 10.0}
    assert seen[3] == {"connect": 3, "read": 4, "write": 10.0, "pool": 10.0}
