"""GraphReader: the real adapter (msgraph-sdk pipeline on httpx) against the emulator, in process.

The demo tenant and tiny tenants written here are served with ``page_size=3``, so every collection
spans several pages. Retry delays are kept tiny through the reader's options.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

from ztconsole.datasets import BY_KEY, DATASETS, DataSet
from ztconsole.demo import demo_dir
from ztconsole.emulator import Emulator, EmulatorTransport, Fault
from ztconsole.sources import errors
from ztconsole.sources.base import ReadOptions, select_for
from ztconsole.sources.graph import BATCH_SIZE, GraphReader, page_size
from ztconsole.sources.static_token import StaticTokenCredential

TOKEN = "t0ken-for-tests"
GRAPH_SETS = [d for d in DATASETS if d.api == "graph"]
COLLECTIONS = [d for d in GRAPH_SETS if not d.per_item and d.shape == "collection"]
SINGLETONS = [d for d in GRAPH_SETS if not d.per_item and d.shape == "singleton"]
PER_ITEM = [d for d in GRAPH_SETS if d.per_item]


# --- helpers -------------------------------------------------------------------------------------


def recorded(root: Path, ds: DataSet, parent: str = "") -> Any | None:
    path = root / ds.file_path(parent=parent)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def ids(items: list[dict[str, Any]]) -> list[Any]:
    return [item.get("id") for item in items]


def plain(obj: dict[str, Any]) -> dict[str, Any]:
    """An object without OData annotations (the service adds @odata.context)."""
    return {k: v for k, v in obj.items() if not k.startswith("@odata.context")}


def graph_requests(emu: Emulator, path: str, *, batch: bool | None = None) -> list[Any]:
    return [r for r in emu.requests if r.path == path and (batch is None or r.batch == batch)]


@asynccontextmanager
async def reader_for(emu: Emulator, *, credential: Any = None, **kw: Any) -> AsyncIterator[GraphReader]:
    kw.setdefault("retry_delay", 0.0)
    kw.setdefault("max_retries", 2)
    async with httpx.AsyncClient(transport=EmulatorTransport(emu)) as http:
        reader = GraphReader(http, credential or StaticTokenCredential(TOKEN), **kw)
        try:
            yield reader
        finally:
            await reader.aclose()


class StatusOnce(httpx.AsyncBaseTransport):
    """Answers the requests whose ``"METHOD /path"`` matches ``pattern`` with HTTP ``status`` (a Graph
    error body) ``times`` times (None: always), and hands every other request to the emulator. For the
    statuses the emulator's faults do not make (502, 408, 501 ...)."""

    def __init__(self, emu: Emulator, pattern: str, status: int, times: int | None = 1,
                 headers: dict[str, str] | None = None):
        self.inner = EmulatorTransport(emu)
        self.pattern = re.compile(pattern)
        self.status = status
        self.times = times
        self.headers = headers or {}
        self.fired = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.pattern.search(f"{request.method} {request.url.path}") and (
                self.times is None or self.fired < self.times):
            self.fired += 1
            body = {"error": {"code": f"status{self.status}", "message": f"The gateway said {self.status}.",
                              "innerError": {"request-id": "rid-status"}}}
            return httpx.Response(self.status, json=body, headers=self.headers)
        return await self.inner.handle_async_request(request)


@asynccontextmanager
async def reader_on(transport: httpx.AsyncBaseTransport, **kw: Any) -> AsyncIterator[GraphReader]:
    kw.setdefault("retry_delay", 0.0)
    kw.setdefault("max_retries", 2)
    async with httpx.AsyncClient(transport=transport) as http:
        async with GraphReader(http, StaticTokenCredential(TOKEN), **kw) as reader:
            yield reader


async def read_all(reader: GraphReader, ds: DataSet, **kw: Any) -> list[list[Any]]:
    return [page async for page in reader.collection(ds, **kw)]


def flat(pages: list[list[Any]]) -> list[Any]:
    return [item for page in pages for item in page]


def write_tenant(root: Path, files: dict[str, Any]) -> Path:
    (root / "tenant.toml").write_text(
        'format = 1\n[tenant]\nid = "00000000-0000-0000-0000-000000000001"\ndisplay_name = "Tiny"\n'
        'default_domain = "tiny.onmicrosoft.com"\n[capture]\ncaptured_at = "2026-11-22T10:00:00Z"\n'
        'source = "synthetic"\n', encoding="utf-8")
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data), encoding="utf-8")
    return root


def users(n: int, prefix: str = "u") -> list[dict[str, Any]]:
    return [{"id": f"{prefix}{i:03d}", "displayName": f"User {i}", "userPrincipalName": f"{prefix}{i}@tiny.test",
             "accountEnabled": True, "onPremisesSyncEnabled": None,
             "signInActivity": {"lastSignInDateTime": "2026-11-01T00:00:00Z"}} for i in range(n)]


pytestmark = pytest.mark.usefixtures("no_sdk_jitter")


@pytest.fixture(scope="module")
def demo() -> Path:
    return demo_dir()


@pytest.fixture
def demo_emu(demo: Path) -> Emulator:
    return Emulator(demo, token=TOKEN, page_size=3)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """Seven users; groups g1 (7 members: a next link inside $batch), g2 (no members file), g3 (2 members);
    a sign-in log across a week; a CAE policy wrapped in a {"value": {...}} envelope."""
    people = users(7)
    signins = [{"id": f"s{d}", "createdDateTime": f"2026-11-{d:02d}T08:00:00Z", "userId": "u000"}
               for d in range(10, 17)]
    return write_tenant(tmp_path, {
        "graph/v1.0/users.json": people,
        "graph/v1.0/groups.json": [{"id": g, "displayName": g, "securityEnabled": True} for g in ("g1", "g2", "g3")],
        "graph/v1.0/groups/g1/members.json": [{"@odata.type": "#microsoft.graph.user", "id": u["id"]}
                                              for u in people],
        "graph/v1.0/groups/g3/members.json": [{"@odata.type": "#microsoft.graph.user", "id": "u000"},
                                              {"@odata.type": "#microsoft.graph.group", "id": "g1"}],
        "graph/v1.0/auditLogs/signIns.json": signins,
        "graph/beta/identity/continuousAccessEvaluationPolicy.json": {
            "value": {"id": "cae", "isEnabled": True, "users": [], "groups": []}},
    })


@pytest.fixture
def tiny_emu(tiny: Path) -> Emulator:
    return Emulator(tiny, token=TOKEN, page_size=3)


# --- every data set of the catalogue, on the demo tenant ------------------------------------------


async def test_every_graph_collection_returns_its_recorded_items(demo: Path, demo_emu: Emulator) -> None:
    async with reader_for(demo_emu) as reader:
        for ds in COLLECTIONS:
            want = recorded(demo, ds) or []
            pages = await read_all(reader, ds)
            assert ids(flat(pages)) == ids(want), ds.key
            if len(want) > 3:
                assert len(pages) >= 2, f"{ds.key}: {len(want)} items came in one page"
            if ds.key not in ("users", "groups", "service_principals", "applications"):
                assert flat(pages) == want, f"{ds.key}: items differ from the recording"


async def test_demo_collections_span_pages(demo: Path, demo_emu: Emulator) -> None:
    async with reader_for(demo_emu) as reader:
        pages = await read_all(reader, BY_KEY["users"])
    assert len(pages) >= 3 and all(len(p) <= 3 for p in pages)
    served = graph_requests(demo_emu, "/v1.0/users")
    assert len(served) == len(pages) and sum("$skiptoken" in r.query for r in served) == len(pages) - 1


async def test_every_singleton_is_the_recorded_object(demo: Path, demo_emu: Emulator) -> None:
    async with reader_for(demo_emu) as reader:
        for ds in SINGLETONS:
            want = recorded(demo, ds)
            got = await reader.single(ds)
            assert want is not None, ds.key
            assert plain(got) == plain(want), ds.key


async def test_every_per_item_set_via_many(demo: Path, demo_emu: Emulator) -> None:
    """Every parent of the recording: the items of its file, [] (collection) or None (singleton) without."""
    async with reader_for(demo_emu) as reader:
        for ds in PER_ITEM:
            parents = ids(recorded(demo, BY_KEY[ds.parent or ""]) or [])
            assert parents, ds.key
            got = {p: v async for p, v in reader.many(ds, parents)}
            assert sorted(got) == sorted(parents), ds.key
            with_file = 0
            for parent in parents:
                want = recorded(demo, ds, parent)
                if ds.key == "user_member_of" and want is None:
                    continue  # derived by the emulator from the group member files (CONTRACTS §1)
                if ds.shape == "singleton":
                    assert (plain(got[parent]) if got[parent] else None) == (plain(want) if want else None)
                else:
                    assert ids(got[parent]) == ids(want or []), (ds.key, parent)
                with_file += want is not None
            if ds.key != "user_member_of":
                assert with_file, f"{ds.key}: no parent of the demo has a file"
    assert graph_requests(demo_emu, "/v1.0/$batch") and graph_requests(demo_emu, "/beta/$batch")


async def test_collection_for_one_parent(demo: Path, demo_emu: Emulator) -> None:
    ds = BY_KEY["group_members"]
    parent = next(g for g in ids(recorded(demo, BY_KEY["groups"])) if recorded(demo, ds, g))
    async with reader_for(demo_emu) as reader:
        pages = await read_all(reader, ds, parent=parent)
    assert ids(flat(pages)) == ids(recorded(demo, ds, parent))


# --- what is asked for ---------------------------------------------------------------------------


async def test_select_and_top_are_requested(demo_emu: Emulator) -> None:
    async with reader_for(demo_emu) as reader:
        for key in ("users", "groups", "service_principals", "applications", "ca_policies"):
            await read_all(reader, BY_KEY[key])
        groups = ids(flat(await read_all(reader, BY_KEY["groups"])))
        [_ async for _ in reader.many(BY_KEY["group_members"], groups)]
    for key, path in (("users", "/v1.0/users"), ("groups", "/v1.0/groups"),
                      ("service_principals", "/v1.0/servicePrincipals"), ("applications", "/beta/applications")):
        first = graph_requests(demo_emu, path)[0]
        assert f"$select={','.join(select_for(BY_KEY[key]))}" in first.query, key
        assert f"$top={page_size(BY_KEY[key])}" in first.query, key
    user_query = graph_requests(demo_emu, "/v1.0/users")[0].query
    assert "signInActivity" in user_query and "onPremisesSyncEnabled" in user_query
    assert "$top=500" in user_query  # user-list caps pages at 500 when signInActivity is selected
    assert "onPremisesPublishing" in graph_requests(demo_emu, "/beta/applications")[0].query
    members = [r for r in demo_emu.requests if r.batch and r.path.endswith("/members")]
    assert members and all("$select=" not in r.query and "$top=999" in r.query for r in members)
    assert "$select" not in graph_requests(demo_emu, "/v1.0/identity/conditionalAccess/policies")[0].query


def test_page_sizes_are_the_documented_maxima() -> None:
    assert page_size(BY_KEY["groups"]) == 999
    assert page_size(BY_KEY["sign_ins"]) == 1000
    assert page_size(BY_KEY["users"]) == 500  # signInActivity selected
    for key in ("ca_policies", "role_definitions", "connectors", "subscribed_skus", "organization"):
        assert page_size(BY_KEY[key]) is None, key


async def test_signins_since_filters_on_created(tiny_emu: Emulator) -> None:
    since = datetime(2026, 11, 14, 0, 0, tzinfo=UTC)
    async with reader_for(tiny_emu) as reader:
        items = flat(await read_all(reader, BY_KEY["sign_ins"], options=ReadOptions(signins_since=since)))
    assert sorted(ids(items)) == ["s14", "s15", "s16"]
    query = graph_requests(tiny_emu, "/v1.0/auditLogs/signIns")[0].query
    assert "$filter=createdDateTime ge 2026-11-14T00:00:00Z" in query and "$top=1000" in query


async def test_max_items_stops_paging(tiny_emu: Emulator) -> None:
    async with reader_for(tiny_emu) as reader:
        pages = await read_all(reader, BY_KEY["sign_ins"], options=ReadOptions(max_items=4))
    assert [len(p) for p in pages] == [3, 3]
    assert len(graph_requests(tiny_emu, "/v1.0/auditLogs/signIns")) == 2


async def test_signins_of_named_accounts_only(tmp_path: Path) -> None:
    """``assess`` reads only the emergency accounts' sign-ins: by object id (userId eq) or UPN
    (userPrincipalName eq, case-insensitive, quotes doubled), ANDed with the window."""
    bg = "1f0e3d2c-0000-4000-8000-000000000001"
    signins = [{"id": f"s{i}", "createdDateTime": f"2026-11-{10 + i:02d}T08:00:00Z", "userId": uid,
                "userPrincipalName": upn}
               for i, (uid, upn) in enumerate([(bg, "bg1@contoso.onmicrosoft.com"),
                                               ("u2", "o'brien@contoso.onmicrosoft.com"),
                                               ("u3", "alice@contoso.com"), (bg, "bg1@contoso.onmicrosoft.com"),
                                               ("u3", "alice@contoso.com")])]
    emu = Emulator(write_tenant(tmp_path, {"graph/v1.0/auditLogs/signIns.json": signins}), token=TOKEN,
                   page_size=3)
    options = ReadOptions(signins_of=(bg, "O'Brien@contoso.onmicrosoft.com"),
                          signins_since=datetime(2026, 11, 11, tzinfo=UTC))
    async with reader_for(emu) as reader:
        items = flat(await read_all(reader, BY_KEY["sign_ins"], options=options))
        assert ids(items) == ["s1", "s3"]  # s0 is before the window; s2 and s4 are someone else's
        query = graph_requests(emu, "/v1.0/auditLogs/signIns")[0].query
        assert (f"$filter=(userId eq '{bg}' or userPrincipalName eq 'O''Brien@contoso.onmicrosoft.com') and "
                "createdDateTime ge 2026-11-11T00:00:00Z") in unquote(query)
        emu.requests.clear()
        assert await read_all(reader, BY_KEY["sign_ins"], options=ReadOptions(signins_of=())) == []
        assert graph_requests(emu, "/v1.0/auditLogs/signIns") == []  # no account: no request at all


# --- singletons ----------------------------------------------------------------------------------


async def test_single_unwraps_a_value_envelope(tiny_emu: Emulator) -> None:
    async with reader_for(tiny_emu) as reader:
        got = await reader.single(BY_KEY["cae_policy"])
    assert got == {"id": "cae", "isEnabled": True, "users": [], "groups": []}


async def test_missing_singleton_is_none(tiny_emu: Emulator) -> None:
    async with reader_for(tiny_emu) as reader:
        assert await reader.single(BY_KEY["gsa_ca_settings"]) is None
    assert graph_requests(tiny_emu, "/beta/networkAccess/settings/conditionalAccess")[0].status == 404


# --- throttling and service errors ---------------------------------------------------------------


async def test_429_with_retry_after_is_honoured(tiny_emu: Emulator) -> None:
    fault = tiny_emu.faults.add(Fault(r"^GET /v1\.0/users\?(?!.*skiptoken)", "throttle", times=1, retry_after=1))
    started = time.monotonic()
    async with reader_for(tiny_emu) as reader:
        items = flat(await read_all(reader, BY_KEY["users"]))
    assert fault.fired == 1
    assert time.monotonic() - started >= 1.0
    assert ids(items) == ids(users(7))
    assert [r.status for r in graph_requests(tiny_emu, "/v1.0/users")][:2] == [429, 200]


async def test_429_without_retry_after_is_retried(tiny_emu: Emulator) -> None:
    fault = tiny_emu.faults.add(Fault(r"^GET /v1\.0/users", "throttle", times=1, after=1, retry_after=None))
    async with reader_for(tiny_emu) as reader:
        items = flat(await read_all(reader, BY_KEY["users"]))
    assert fault.fired == 1 and ids(items) == ids(users(7))


async def test_429_forever_is_throttled(tiny_emu: Emulator) -> None:
    fault = tiny_emu.faults.add(Fault(r"^GET /v1\.0/users", "throttle", retry_after=None))
    async with reader_for(tiny_emu, max_retries=1) as reader:
        with pytest.raises(errors.Throttled) as caught:
            await read_all(reader, BY_KEY["users"])
    assert fault.fired == 2  # the first attempt and max_retries retries
    assert caught.value.http_status == 429 and caught.value.code == "TooManyRequests"
    assert TOKEN not in str(caught.value)


async def test_503_is_retried(tiny_emu: Emulator) -> None:
    fault = tiny_emu.faults.add(Fault(r"^GET /v1\.0/groups", "error", times=1, status=503))
    async with reader_for(tiny_emu) as reader:
        items = flat(await read_all(reader, BY_KEY["groups"]))
    assert fault.fired == 1 and ids(items) == ["g1", "g2", "g3"]


async def test_503_forever_is_a_service_failure(tiny_emu: Emulator) -> None:
    fault = tiny_emu.faults.add(Fault(r"^GET /v1\.0/groups", "error", status=503))
    async with reader_for(tiny_emu, max_retries=1) as reader:
        with pytest.raises(errors.ServiceFailed) as caught:
            await read_all(reader, BY_KEY["groups"])
    assert fault.fired == 2 and caught.value.http_status == 503


@pytest.mark.parametrize("after", [0, 1], ids=["first page", "next page"])
async def test_a_transient_500_is_retried_and_the_read_is_complete(tiny_emu: Emulator, after: int) -> None:
    """azure-core retries 500 by default; msgraph's RetryHandler on its own does not (429/503/504 only)."""
    fault = tiny_emu.faults.add(Fault(r"^GET /v1\.0/users", "error", status=500, times=1, after=after))
    async with reader_for(tiny_emu) as reader:
        items = flat(await read_all(reader, BY_KEY["users"]))
    assert fault.fired == 1 and ids(items) == ids(users(7))
    statuses = [r.status for r in graph_requests(tiny_emu, "/v1.0/users")]
    assert statuses == [200] * after + [500] + [200] * (3 - after)  # 3 pages, one of them asked twice


async def test_500_forever_is_a_service_failure_with_the_services_message(tiny_emu: Emulator) -> None:
    fault = tiny_emu.faults.add(Fault(r"^GET /v1\.0/groups", "error", status=500))
    async with reader_for(tiny_emu, max_retries=2) as reader:
        with pytest.raises(errors.ServiceFailed) as caught:
            await read_all(reader, BY_KEY["groups"])
    assert fault.fired == 3  # the first attempt and max_retries retries: bounded
    err = caught.value
    assert err.status == "failed" and err.http_status == 500 and err.code == "generalException"
    assert "General exception while processing." in str(err) and err.request_id
    assert "?" not in err.url and TOKEN not in str(err)


async def test_no_retry_when_max_retries_is_zero(tiny_emu: Emulator) -> None:
    fault = tiny_emu.faults.add(Fault(r"^GET /v1\.0/groups", "error", status=500, times=1))
    async with reader_for(tiny_emu, max_retries=0) as reader:
        with pytest.raises(errors.ServiceFailed):
            await read_all(reader, BY_KEY["groups"])
    assert fault.fired == 1


async def test_500_with_retry_after_is_honoured(tiny_emu: Emulator) -> None:
    fault = tiny_emu.faults.add(Fault(r"^GET /v1\.0/groups", "error", status=500, times=1, retry_after=1))
    started = time.monotonic()
    async with reader_for(tiny_emu) as reader:
        items = flat(await read_all(reader, BY_KEY["groups"]))
    assert fault.fired == 1 and ids(items) == ["g1", "g2", "g3"]
    assert time.monotonic() - started >= 1.0


@pytest.mark.parametrize("status", [408, 502, 504])
async def test_other_transient_statuses_are_retried(tiny_emu: Emulator, status: int) -> None:
    transport = StatusOnce(tiny_emu, r"^GET /v1\.0/groups$", status, times=2)
    async with reader_on(transport, max_retries=2) as reader:
        items = flat(await read_all(reader, BY_KEY["groups"]))
    assert transport.fired == 2 and ids(items) == ["g1", "g2", "g3"]


@pytest.mark.parametrize("status", [408, 502])
async def test_a_transient_status_for_good_is_a_service_failure(tiny_emu: Emulator, status: int) -> None:
    transport = StatusOnce(tiny_emu, r"^GET /v1\.0/groups$", status, times=None)
    async with reader_on(transport, max_retries=1) as reader:
        with pytest.raises(errors.ServiceFailed) as caught:
            await read_all(reader, BY_KEY["groups"])
    assert transport.fired == 2 and caught.value.http_status == status
    assert f"The gateway said {status}." in str(caught.value) and caught.value.status == "failed"


@pytest.mark.parametrize("status", [400, 501, 505])
async def test_statuses_azure_core_does_not_retry_are_not_retried(tiny_emu: Emulator, status: int) -> None:
    transport = StatusOnce(tiny_emu, r"^GET /v1\.0/groups$", status, times=1)
    async with reader_on(transport) as reader:
        with pytest.raises(errors.SourceError) as caught:
            await read_all(reader, BY_KEY["groups"])
    assert transport.fired == 1 and caught.value.http_status == status


def _policy_retries(status: int, method: str) -> bool:
    """What azure-core's default retry policy decides for a response without ``Retry-After``."""
    from azure.core.pipeline import PipelineResponse
    from azure.core.pipeline.policies import RetryPolicy
    from azure.core.rest import HttpRequest as CoreRequest

    class Resp:
        status_code = status
        headers: dict[str, str] = {}

    policy = RetryPolicy()
    settings = policy.configure_retries({})
    return bool(policy.is_retry(settings, PipelineResponse(CoreRequest(method, "https://x.test/"), Resp(), None)))


def test_the_retry_handler_retries_what_azure_core_retries() -> None:
    """One definition (errors.is_retryable_status), the SDK RetryHandler on it, and azure-core's policy
    agree for every status and method; the one difference: a POST answered 429 without ``Retry-After`` is
    retried (msgraph's handler always did; azure-core retries it when ``Retry-After`` is sent, as Graph
    does)."""
    from kiota_http.middleware.options import RetryHandlerOption

    from ztconsole.sources.graph import _RetryHandler

    handler = _RetryHandler(RetryHandlerOption(delay=0, max_retries=3))
    for method in ("GET", "PUT", "DELETE", "POST", "PATCH"):
        for status in range(200, 600):
            request = httpx.Request(method, "https://graph.microsoft.com/v1.0/users", content=b"{}",
                                    headers={"Content-Type": "application/json"})
            sdk = handler.should_retry(request, handler.options, httpx.Response(status, request=request))
            assert sdk == errors.is_retryable_status(status, method), (method, status)
            expected = _policy_retries(status, method) or (status == 429 and method in ("POST", "PATCH"))
            assert sdk == expected, (method, status)
    for status in (408, 429, 500, 502, 503, 504):
        assert status in errors.RETRYABLE_STATUSES
    assert 501 not in errors.RETRYABLE_STATUSES and 505 not in errors.RETRYABLE_STATUSES


async def test_connection_reset_is_retried(tiny_emu: Emulator) -> None:
    fault = tiny_emu.faults.add(Fault(r"^GET /v1\.0/users", "reset", times=1, after=1))
    async with reader_for(tiny_emu) as reader:
        items = flat(await read_all(reader, BY_KEY["users"]))
    assert fault.fired == 1 and ids(items) == ids(users(7))


async def test_connection_reset_forever_is_a_service_failure(tiny_emu: Emulator) -> None:
    fault = tiny_emu.faults.add(Fault(r"^GET /v1\.0/users", "reset"))
    async with reader_for(tiny_emu, max_retries=2) as reader:
        with pytest.raises(errors.ServiceFailed) as caught:
            await read_all(reader, BY_KEY["users"])
    assert fault.fired == 3 and caught.value.code == "ReadError"
    assert "?" not in caught.value.url


# --- broken bodies -------------------------------------------------------------------------------


async def test_malformed_json_is_a_bad_payload(tiny_emu: Emulator) -> None:
    tiny_emu.faults.add(Fault(r"^GET /v1\.0/groups", "malformed"))
    async with reader_for(tiny_emu) as reader:
        with pytest.raises(errors.BadPayload):
            await read_all(reader, BY_KEY["groups"])
        tiny_emu.faults.add(Fault(r"^GET /beta/identity/continuousAccessEvaluationPolicy", "malformed"))
        with pytest.raises(errors.BadPayload):
            await reader.single(BY_KEY["cae_policy"])


async def test_truncated_page_in_the_middle_raises_after_earlier_pages(tiny_emu: Emulator) -> None:
    tiny_emu.faults.add(Fault(r"^GET /v1\.0/users", "truncated", after=1, times=1))
    pages: list[list[Any]] = []
    async with reader_for(tiny_emu) as reader:
        with pytest.raises(errors.BadPayload):
            async for page in reader.collection(BY_KEY["users"]):
                pages.append(page)
    assert ids(flat(pages)) == ids(users(7))[:3]  # the first page, and nothing silently after it


NO_VALUE = "a collection page without a 'value' array"


def test_a_bad_payload_names_the_host_and_path_read_never_the_query() -> None:
    err = errors.bad_payload("https://graph.microsoft.com/v1.0/users?$select=id&$skiptoken=X1Y2", NO_VALUE)
    assert str(err) == f"unreadable response from graph.microsoft.com/v1.0/users: {NO_VALUE}"
    assert err.url == "https://graph.microsoft.com/v1.0/users"
    loopback = errors.bad_payload("http://127.0.0.1:8799/beta/applications/?$top=1", "not JSON")
    assert str(loopback) == "unreadable response from 127.0.0.1:8799/beta/applications: not JSON"


async def test_a_collection_without_value_names_what_was_read(tmp_path: Path) -> None:
    """The emulator serves a file that is an object without 'value' as it is (a singleton): a collection
    read then gets a page without a 'value' array, and says where it came from."""
    root = write_tenant(tmp_path, {"graph/v1.0/users.json": {"notvalue": []},
                                   "graph/v1.0/groups.json": [{"id": "g1"}],
                                   "graph/v1.0/groups/g1/members.json": {"notvalue": []}})
    emu = Emulator(root, token=TOKEN, page_size=3)
    async with reader_for(emu) as reader:
        with pytest.raises(errors.BadPayload) as caught:
            await read_all(reader, BY_KEY["users"])
        with pytest.raises(errors.BadPayload) as inner:  # inside a $batch
            [_ async for _ in reader.many(BY_KEY["group_members"], ["g1"])]
    assert str(caught.value) == f"unreadable response from graph.microsoft.com/v1.0/users: {NO_VALUE}"
    assert caught.value.url == "https://graph.microsoft.com/v1.0/users"  # no $select/$top
    assert str(inner.value) == f"unreadable response from graph.microsoft.com/v1.0/groups/g1/members: {NO_VALUE}"


async def test_the_loader_message_of_a_collection_without_value_names_the_path(tmp_path: Path) -> None:
    from ztconsole.sources.stack import RecordingSource

    root = write_tenant(tmp_path, {"graph/v1.0/users.json": {"notvalue": []}})
    tenant = await RecordingSource(root, retry_delay=0).aload(keys=["users"])
    result = tenant.results["users"]
    assert result.status == "failed"
    assert "graph.microsoft.com/v1.0/users" in result.message and NO_VALUE in result.message


@pytest.mark.parametrize("command", ["snapshot", "gaps"])
def test_the_cli_names_the_data_set_and_the_path_of_a_collection_without_value(tmp_path: Path,
                                                                                command: str) -> None:
    from ztconsole.cli import run

    (tmp_path / "tenant").mkdir()
    root = write_tenant(tmp_path / "tenant", {"graph/v1.0/users.json": {"notvalue": []},
                                              "graph/v1.0/groups.json": [{"id": "g1"}]})
    args = [command, "--tenant-dir", str(root)] + (["--out", str(tmp_path / "out")] if command == "snapshot" else [])
    out, err = io.StringIO(), io.StringIO()
    code = run(args, out=out, err=err)
    assert code != 0
    text = out.getvalue() + err.getvalue()
    # the data set by its key, title or tenant directory file (graph/v1.0/users), then what was read
    named = [line.split("graph.microsoft.com")[0] for line in text.splitlines()
             if "graph.microsoft.com/v1.0/users" in line and NO_VALUE in line]
    assert any(re.search(r"\b(users|Users|graph/v1\.0/users)\b", before) for before in named), text
    assert TOKEN not in text


# --- permission and authentication ---------------------------------------------------------------


async def test_403_is_permission_denied(tiny_emu: Emulator) -> None:
    tiny_emu.faults.add(Fault(r"^GET /v1\.0/auditLogs/signIns", "forbidden"))
    async with reader_for(tiny_emu) as reader:
        with pytest.raises(errors.PermissionDenied) as caught:
            await read_all(reader, BY_KEY["sign_ins"])
    assert caught.value.code == "Authorization_RequestDenied"
    assert "AuditLog.Read.All" in str(caught.value.with_permission(BY_KEY["sign_ins"].permission))


async def test_wrong_token_is_auth_failed(tiny_emu: Emulator) -> None:
    async with reader_for(tiny_emu, credential=StaticTokenCredential("not-the-token")) as reader:
        with pytest.raises(errors.AuthFailed) as caught:
            await read_all(reader, BY_KEY["users"])
        with pytest.raises(errors.AuthFailed):
            await reader.single(BY_KEY["cae_policy"])
    assert caught.value.http_status == 401 and "not-the-token" not in str(caught.value)


class _BrokenCredential:
    def __init__(self, exc: Exception):
        self.exc = exc
        self.calls = 0

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls += 1
        raise self.exc


@pytest.mark.parametrize("exc", [ClientAuthenticationError("AADSTS7000215: Invalid client secret provided."),
                                 RuntimeError("keyring locked")])
async def test_credential_failure_is_auth_failed(tiny_emu: Emulator, exc: Exception) -> None:
    credential = _BrokenCredential(exc)
    async with reader_for(tiny_emu, credential=credential) as reader:
        with pytest.raises(errors.AuthFailed) as caught:
            await read_all(reader, BY_KEY["users"])
        with pytest.raises(errors.AuthFailed):
            [_ async for _ in reader.many(BY_KEY["group_members"], ["g1"])]
    assert "could not get an access token" in str(caught.value)
    assert credential.calls == 2 and not tiny_emu.requests


async def test_token_scope_and_host(tiny_emu: Emulator) -> None:
    seen: list[tuple[str, ...]] = []

    class Recording(StaticTokenCredential):
        async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            seen.append(scopes)
            return await super().get_token(*scopes, **kwargs)

    async with reader_for(tiny_emu, credential=Recording(TOKEN)) as reader:
        await read_all(reader, BY_KEY["groups"])
    assert seen and set(seen) == {("https://graph.microsoft.com/.default",)}


async def test_no_token_for_another_host(tiny_emu: Emulator) -> None:
    """A next link to a foreign host gets no token (the emulator then answers 401)."""
    async with reader_for(tiny_emu) as reader:
        data = await reader._get_json("https://graph.microsoft.com/v1.0/groups")
        assert data["value"]
        with pytest.raises(errors.AuthFailed):
            await reader._get_json("https://evil.example.com/v1.0/groups")
    assert tiny_emu.requests[-1].status == 401


# --- $batch --------------------------------------------------------------------------------------


async def test_batch_mix_of_ok_404_and_throttled(tiny_emu: Emulator) -> None:
    fault = tiny_emu.faults.add(Fault(r"^GET /v1\.0/groups/g3/members", "throttle", times=1, retry_after=0))
    async with reader_for(tiny_emu) as reader:
        got = {p: v async for p, v in reader.many(BY_KEY["group_members"], ["g1", "g2", "g3", "nope"])}
    assert fault.fired == 1
    assert ids(got["g1"]) == ids(users(7))  # 7 members: two next links followed with plain GETs
    assert got["g2"] == []  # no member file: none
    assert ids(got["g3"]) == ["u000", "g1"]  # throttled once inside the batch, then read
    assert got["nope"] == []  # 404: the parent has none
    batches = graph_requests(tiny_emu, "/v1.0/$batch")
    assert len(batches) == 2  # the batch, then a smaller one for the throttled request
    follow = [r for r in graph_requests(tiny_emu, "/v1.0/groups/g1/members") if not r.batch]
    assert len(follow) == 2 and all("$skiptoken" in r.query for r in follow)


async def test_batch_singleton_none_on_404(tmp_path: Path) -> None:
    root = write_tenant(tmp_path, {
        "graph/beta/applications.json": [{"id": "a1"}, {"id": "a2"}],
        "graph/beta/applications/a1/connectorGroup.json": {"id": "cg1", "name": "Connectors West"},
    })
    emu = Emulator(root, token=TOKEN, page_size=3)
    async with reader_for(emu) as reader:
        got = {p: v async for p, v in reader.many(BY_KEY["app_connector_group"], ["a1", "a2"])}
    assert plain(got["a1"]) == {"id": "cg1", "name": "Connectors West"} and got["a2"] is None


async def test_batch_inner_throttled_forever(tiny_emu: Emulator) -> None:
    tiny_emu.faults.add(Fault(r"^GET /v1\.0/groups/g3/members", "throttle", retry_after=0))
    got: dict[str, Any] = {}
    async with reader_for(tiny_emu, max_retries=2) as reader:
        with pytest.raises(errors.Throttled):
            async for parent, items in reader.many(BY_KEY["group_members"], ["g1", "g2", "g3"]):
                got[parent] = items
    assert sorted(got) == ["g1", "g2"]  # the others of the batch came before the failure
    assert len(graph_requests(tiny_emu, "/v1.0/$batch")) == 3


async def test_batch_inner_503_then_ok_and_inner_403(tiny_emu: Emulator) -> None:
    tiny_emu.faults.add(Fault(r"^GET /v1\.0/groups/g1/members", "error", status=503, times=1))
    tiny_emu.faults.add(Fault(r"^GET /v1\.0/groups/g2/members", "forbidden"))
    got: dict[str, Any] = {}
    async with reader_for(tiny_emu) as reader:
        with pytest.raises(errors.PermissionDenied):
            async for parent, items in reader.many(BY_KEY["group_members"], ["g1", "g2", "g3"]):
                got[parent] = items
    assert ids(got["g1"]) == ids(users(7)) and ids(got["g3"]) == ["u000", "g1"]


async def test_batch_inner_malformed_is_a_bad_payload(tiny_emu: Emulator) -> None:
    tiny_emu.faults.add(Fault(r"^GET /v1\.0/groups/g3/members", "malformed"))
    got: dict[str, Any] = {}
    async with reader_for(tiny_emu) as reader:
        with pytest.raises(errors.BadPayload):
            async for parent, items in reader.many(BY_KEY["group_members"], ["g3", "g1"]):
                got[parent] = items
    assert list(got) == ["g1"]


async def test_batch_request_throttled_is_retried_by_the_sdk(tiny_emu: Emulator) -> None:
    fault = tiny_emu.faults.add(Fault(r"^POST /v1\.0/\$batch", "throttle", times=1, retry_after=0))
    async with reader_for(tiny_emu) as reader:
        got = {p: v async for p, v in reader.many(BY_KEY["group_members"], ["g3"])}
    assert fault.fired == 1 and ids(got["g3"]) == ["u000", "g1"]


async def test_batch_inner_500_is_retried_and_complete(tiny_emu: Emulator) -> None:
    fault = tiny_emu.faults.add(Fault(r"^GET /v1\.0/groups/g3/members", "error", status=500, times=1))
    async with reader_for(tiny_emu) as reader:
        got = {p: v async for p, v in reader.many(BY_KEY["group_members"], ["g1", "g2", "g3"])}
    assert fault.fired == 1
    assert ids(got["g1"]) == ids(users(7)) and got["g2"] == [] and ids(got["g3"]) == ["u000", "g1"]
    assert len(graph_requests(tiny_emu, "/v1.0/$batch")) == 2  # the batch, then one for g3 alone


async def test_batch_inner_500_honours_retry_after(tiny_emu: Emulator) -> None:
    fault = tiny_emu.faults.add(Fault(r"^GET /v1\.0/groups/g3/members", "error", status=500, times=1,
                                      retry_after=1))
    started = time.monotonic()
    async with reader_for(tiny_emu) as reader:
        got = {p: v async for p, v in reader.many(BY_KEY["group_members"], ["g3"])}
    assert fault.fired == 1 and ids(got["g3"]) == ["u000", "g1"]
    assert time.monotonic() - started >= 1.0


async def test_batch_inner_500_forever_fails_after_bounded_retries(tiny_emu: Emulator) -> None:
    fault = tiny_emu.faults.add(Fault(r"^GET /v1\.0/groups/g3/members", "error", status=500))
    got: dict[str, Any] = {}
    async with reader_for(tiny_emu, max_retries=2) as reader:
        with pytest.raises(errors.ServiceFailed) as caught:
            async for parent, items in reader.many(BY_KEY["group_members"], ["g1", "g2", "g3"]):
                got[parent] = items
    assert sorted(got) == ["g1", "g2"]  # the others of the batch came before the failure
    assert fault.fired == 3 and len(graph_requests(tiny_emu, "/v1.0/$batch")) == 3
    assert caught.value.http_status == 500 and "General exception while processing." in str(caught.value)


async def test_batch_request_500_is_retried_by_the_sdk(tiny_emu: Emulator) -> None:
    fault = tiny_emu.faults.add(Fault(r"^POST /v1\.0/\$batch", "error", status=500, times=1))
    async with reader_for(tiny_emu) as reader:
        got = {p: v async for p, v in reader.many(BY_KEY["group_members"], ["g3"])}
    assert fault.fired == 1 and ids(got["g3"]) == ["u000", "g1"]


async def test_batch_request_502_is_not_retried_as_a_post(tiny_emu: Emulator) -> None:
    """The $batch request is a POST: azure-core's rule for POST (500/503/504 only) applies to it."""
    transport = StatusOnce(tiny_emu, r"^POST /v1\.0/\$batch$", 502, times=1)
    async with reader_on(transport) as reader:
        with pytest.raises(errors.ServiceFailed):
            [_ async for _ in reader.many(BY_KEY["group_members"], ["g3"])]
    assert transport.fired == 1


async def test_batch_request_failure_raises(tiny_emu: Emulator) -> None:
    tiny_emu.faults.add(Fault(r"^POST /v1\.0/\$batch", "malformed"))
    async with reader_for(tiny_emu) as reader:
        with pytest.raises(errors.BadPayload):
            [_ async for _ in reader.many(BY_KEY["group_members"], ["g1"])]


async def test_many_batches_of_twenty_in_parallel(tmp_path: Path) -> None:
    people = users(45)
    files: dict[str, Any] = {"graph/v1.0/users.json": people}
    for person in people[::2]:
        files[f"graph/v1.0/users/{person['id']}/authentication/methods.json"] = [
            {"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": f"pw-{person['id']}"}]
    emu = Emulator(write_tenant(tmp_path, files), token=TOKEN, page_size=3)
    async with reader_for(emu, concurrency=2) as reader:
        got = {p: v async for p, v in reader.many(BY_KEY["auth_methods"], ids(people) + ["u000"])}
    assert len(got) == 45
    for i, person in enumerate(people):
        assert ids(got[person["id"]]) == ([f"pw-{person['id']}"] if i % 2 == 0 else [])
    assert len(graph_requests(emu, "/v1.0/$batch")) == -(-45 // BATCH_SIZE)  # 20 + 20 + 5


async def test_many_stops_cleanly_when_the_consumer_stops(tiny_emu: Emulator) -> None:
    async with reader_for(tiny_emu, concurrency=1) as reader:
        stream = reader.many(BY_KEY["auth_methods"], [f"u{i:03d}" for i in range(7)] + [f"x{i}" for i in range(40)])
        async for _ in stream:
            break
        await stream.aclose()


# --- the stack itself ----------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # raised inside msgraph's generated builders
async def test_typed_client_shares_the_adapter(tiny_emu: Emulator) -> None:
    async with reader_for(tiny_emu) as reader:
        assert reader.client.request_adapter is reader.adapter
        assert reader.adapter.base_url == "https://graph.microsoft.com/v1.0"
        page = await reader.client.users.get()
    assert page is not None and [u.id for u in page.value] == ids(users(7))[:3]
    assert graph_requests(tiny_emu, "/v1.0/users")[-1].status == 200


async def test_aclose_leaves_the_callers_client_open(tiny_emu: Emulator) -> None:
    async with httpx.AsyncClient(transport=EmulatorTransport(tiny_emu)) as http:
        reader = GraphReader(http, StaticTokenCredential(TOKEN), retry_delay=0)
        assert flat(await read_all(reader, BY_KEY["groups"]))
        await reader.aclose()
        assert not http.is_closed
        response = await http.get("https://graph.microsoft.com/v1.0/groups",
                                  headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200
        # a second reader on the same client works as the first did (the client was not rewired)
        async with GraphReader(http, StaticTokenCredential(TOKEN), retry_delay=0) as again:
            assert ids(flat(await read_all(again, BY_KEY["groups"]))) == ["g1", "g2", "g3"]


async def test_custom_loopback_cloud(tiny: Path) -> None:
    emu = Emulator(tiny, token=TOKEN, page_size=3, base_graph="http://127.0.0.1:8799")
    async with reader_for(emu, graph_url="http://127.0.0.1:8799/") as reader:
        items = flat(await read_all(reader, BY_KEY["users"]))
        assert reader.scopes == ["http://127.0.0.1:8799/.default"]
    assert ids(items) == ids(users(7))  # next links on the loopback host carried the token too


def test_bad_options_are_refused() -> None:
    http = httpx.AsyncClient()
    credential = StaticTokenCredential(TOKEN)
    with pytest.raises(ValueError):
        GraphReader(http, credential, max_retries=11)
    with pytest.raises(ValueError):
        GraphReader(http, credential, concurrency=0)
    with pytest.raises(ValueError):
        GraphReader(http, credential, graph_url="graph.microsoft.com")


async def test_not_a_graph_data_set_is_refused(tiny_emu: Emulator) -> None:
    async with reader_for(tiny_emu) as reader:
        with pytest.raises(ValueError):
            await read_all(reader, BY_KEY["firewalls"])
        with pytest.raises(ValueError):
            await read_all(reader, BY_KEY["group_members"])  # item-scoped: a parent is required
