"""ArmReader: the real adapter (azure-mgmt-network's pipeline on HttpxTransport) against the emulator in
process, on the demo tenant and on tiny tenants written here (page_size 3: collections span >= 3 pages)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from ztconsole.datasets import BY_KEY, DATASETS, DataSet
from ztconsole.demo import demo_dir
from ztconsole.emulator import Emulator, EmulatorTransport, Fault
from ztconsole.sources import errors
from ztconsole.sources.arm import ArmReader
from ztconsole.sources.base import ReadOptions
from ztconsole.sources.static_token import StaticTokenCredential
from ztconsole.tenantdir import load_tenant

TOKEN = "t"
ARM_DATASETS = [d for d in DATASETS if d.api == "arm"]
SUB_A = "0a1b2c3d-0000-4000-8000-00000000000a"
SUB_B = "0a1b2c3d-0000-4000-8000-00000000000b"
NSG_PATH = "GET /subscriptions/[^/]+/providers/Microsoft.Network/networkSecurityGroups"


# --- tenant directories ------------------------------------------------------------------------------


def write_tiny_tenant(root: Path, *, n: int = 7) -> Path:
    """Every ARM data set of the catalogue with ``n`` items per subscription (and per parent, for the
    first two parents of each item-scoped data set; the others have no file), in two subscriptions."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "tenant.toml").write_text(
        'format = 1\n[tenant]\nid = "6f0e2a1c-1111-4222-8333-444455556666"\ndisplay_name = "Tiny"\n'
        f'[azure]\nsubscriptions = ["{SUB_A}", "{SUB_B}"]\n[capture]\nsource = "synthetic"\n',
        encoding="utf-8")

    def write(rel: str, items: list[dict[str, Any]]) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")

    def item(rid: str, name: str, kind: str, i: int) -> dict[str, Any]:
        return {"id": rid, "name": name, "type": kind, "location": "westeurope",
                "properties": {"seq": i, "description": f"Zürich ✓ {name}",
                               "provisioningState": "Succeeded"}}

    written: dict[str, list[str]] = {}
    for ds in ARM_DATASETS:
        if ds.per_item:
            continue
        kind = ds.path.rsplit("/", 1)[-1]
        for sub in ([SUB_A, SUB_B] if ds.per_subscription else [""]):
            items = []
            for i in range(n):
                name = f"{kind.lower()}-{sub[-1:] or 't'}{i}"
                if ds.key == "resource_groups":
                    rid = f"/subscriptions/{sub}/resourceGroups/rg-{i}"
                elif ds.per_subscription:
                    provider = ds.path.split("/providers/", 1)[1]
                    rid = f"/subscriptions/{sub}/resourceGroups/rg-{i % 2}/providers/{provider}/{name}"
                else:
                    rid = f"/{ds.path}/{name}"
                items.append(item(rid, name, kind, i))
            write(ds.file_path(sub=sub), items)
            written.setdefault(ds.key, []).extend(x["id"] for x in items)
    for ds in ARM_DATASETS:
        if not ds.per_item:
            continue
        kind = ds.path.rsplit("/", 1)[-1]
        for parent in written[ds.parent][:2]:
            base = "/" + ds.api_path(parent=parent)
            write(ds.file_path(parent=parent),
                  [item(f"{base}/{kind.lower()}-{j}", f"{kind.lower()}-{j}", kind, j) for j in range(n)])
    return root


class TenantFiles:
    """What the tenant directory says each read must return (ARM paths matched case-insensitively)."""

    def __init__(self, root: Path):
        self.root = root
        self.files = {str(p.relative_to(root)).replace("\\", "/").lower(): p
                      for p in (root / "arm").rglob("*.json")}
        import tomllib
        self.subs = tomllib.loads((root / "tenant.toml").read_text())["azure"]["subscriptions"]

    def items(self, ds: DataSet, *, sub: str = "", parent: str = "") -> list[Any]:
        path = self.files.get(ds.file_path(sub=sub, parent=parent).lower())
        return json.loads(path.read_text(encoding="utf-8")) if path else []

    def parents(self, ds: DataSet) -> list[str]:
        top = BY_KEY[ds.parent]
        subs = self.subs if top.per_subscription else [""]
        return [x["id"] for sub in subs for x in self.items(top, sub=sub)]


# --- fixtures ----------------------------------------------------------------------------------------


class Stack:
    def __init__(self, root: Path, *, token: str = TOKEN, **reader: Any):
        self.emu = Emulator(root, token=TOKEN, page_size=3)
        self.http = httpx.AsyncClient(transport=EmulatorTransport(self.emu))
        reader.setdefault("retry_backoff", 0.001)
        self.reader = ArmReader(self.http, StaticTokenCredential(token), **reader)

    async def close(self) -> None:
        await self.reader.aclose()
        await self.http.aclose()


@pytest.fixture
async def make_stack(sleeps: list[float]):
    made: list[Stack] = []

    def make(root: Path, **kw: Any) -> Stack:
        made.append(Stack(root, **kw))
        return made[-1]

    yield make
    for stack in made:
        await stack.close()


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_tiny_tenant(tmp_path / "tiny")


async def read_all(reader: ArmReader, ds: DataSet, *, sub: str = "", parent: str = "") -> list[Any]:
    return [x async for page in reader.collection(ds, sub=sub, parent=parent) for x in page]


async def pages_of(reader: ArmReader, ds: DataSet, *, sub: str = "") -> list[list[Any]]:
    return [page async for page in reader.collection(ds, sub=sub)]


# --- every ARM data set, exactly ---------------------------------------------------------------------


@pytest.mark.parametrize("root_of", [lambda tmp: demo_dir(), lambda tmp: write_tiny_tenant(tmp / "tiny")],
                         ids=["demo", "tiny"])
async def test_every_arm_data_set_returns_the_tenant_files(root_of: Callable[[Path], Path], tmp_path: Path,
                                                          make_stack) -> None:
    root = root_of(tmp_path)
    files = TenantFiles(root)
    stack = make_stack(root)
    reader = stack.reader
    assert len(files.subs) == 2
    checked = 0
    for ds in ARM_DATASETS:
        if ds.per_item:
            parents = files.parents(ds)
            assert parents, ds.key
            got = {p: items async for p, items in reader.many(ds, parents)}
            assert set(got) == set(parents), ds.key
            for parent in parents:
                assert got[parent] == files.items(ds, parent=parent), (ds.key, parent)
                checked += len(got[parent])
        elif ds.per_subscription:
            for sub in files.subs:
                got = await read_all(reader, ds, sub=sub)
                assert got == files.items(ds, sub=sub), (ds.key, sub)
                checked += len(got)
        else:
            got = await read_all(reader, ds)
            assert got == files.items(ds), ds.key
            checked += len(got)
    assert checked > 20
    # nothing was throttled or failed on the way
    assert all(r.status == 200 for r in stack.emu.requests)


async def test_tiny_tenant_spans_three_pages_and_sends_the_catalogue_api_version(tiny: Path,
                                                                               make_stack) -> None:
    stack = make_stack(tiny)
    files = TenantFiles(tiny)
    for ds in ARM_DATASETS:
        stack.emu.requests.clear()
        if ds.per_item:
            parent = files.parents(ds)[0]
            pages = [p async for p in stack.reader.collection(ds, parent=parent)]
            path = "/" + ds.api_path(parent=parent)
        else:
            sub = SUB_B if ds.per_subscription else ""
            pages = await pages_of(stack.reader, ds, sub=sub)
            path = "/" + ds.api_path(sub=sub)
        assert [len(p) for p in pages] == [3, 3, 1], ds.key
        records = list(stack.emu.requests)
        assert len(records) == 3, ds.key
        for record in records:
            assert record.path.lower() == path.lower()
            query = parse_qs(record.query)
            assert query["api-version"] == [ds.version], ds.key  # exactly one, the catalogue's
        assert "$skiptoken" not in parse_qs(records[0].query)
        assert all(len(parse_qs(r.query)["$skiptoken"]) == 1 for r in records[1:])


async def test_max_items_stops_asking_for_pages(tiny: Path, make_stack) -> None:
    stack = make_stack(tiny)
    pages = [p async for p in stack.reader.collection(BY_KEY["nsgs"], sub=SUB_A,
                                                      options=ReadOptions(max_items=4))]
    assert [len(p) for p in pages] == [3, 3]
    assert len(stack.emu.requests) == 2


async def test_case_insensitive_parent_ids_and_item_scoped_404_is_empty(tiny: Path, make_stack) -> None:
    stack = make_stack(tiny)
    ds = BY_KEY["firewall_diagnostics"]
    files = TenantFiles(tiny)
    first = files.parents(ds)[0]
    missing = first.rsplit("/", 1)[0] + "/afw-that-does-not-exist"
    got = {p: items async for p, items in stack.reader.many(ds, [first.upper(), missing])}
    assert got[first.upper()] == files.items(ds, parent=first)
    assert got[missing] == []  # ARM answered 404 ResourceNotFound: a firewall without settings
    assert any(r.status == 404 for r in stack.emu.requests)
    # a third parent that exists but has no settings file: an empty collection, not an error
    third = files.parents(ds)[2]
    assert await read_all(stack.reader, ds, parent=third) == []


async def test_single_returns_the_object_or_none_on_404(tiny: Path, make_stack) -> None:
    stack = make_stack(tiny)
    files = TenantFiles(tiny)
    fw = files.items(BY_KEY["firewalls"], sub=SUB_A)[1]
    one = DataSet("one_firewall", "One firewall", "arm", "2024-05-01", fw["id"].lstrip("/"),
                  "network:AzureFirewall", shape="singleton")
    assert await stack.reader.single(one) == fw
    gone = DataSet("no_firewall", "No firewall", "arm", "2024-05-01",
                   fw["id"].lstrip("/") + "-gone", "network:AzureFirewall", shape="singleton")
    assert await stack.reader.single(gone) is None


# --- throttling, service errors, resets --------------------------------------------------------------


async def test_429_with_retry_after_then_success(tiny: Path, make_stack, sleeps: list[float]) -> None:
    stack = make_stack(tiny)
    fault = stack.emu.faults.add(Fault(NSG_PATH, "throttle", times=1, after=1, retry_after=1))
    pages = await pages_of(stack.reader, BY_KEY["nsgs"], sub=SUB_A)
    assert fault.fired == 1
    assert [x for p in pages for x in p] == TenantFiles(tiny).items(BY_KEY["nsgs"], sub=SUB_A)
    assert sleeps == [1.0]  # the pipeline waited what ARM asked for
    assert [r.status for r in stack.emu.requests] == [200, 429, 200, 200]


async def test_429_without_retry_after_backs_off_and_completes(tiny: Path, make_stack,
                                                               sleeps: list[float]) -> None:
    stack = make_stack(tiny)
    fault = stack.emu.faults.add(Fault(NSG_PATH, "throttle", times=2, retry_after=None))
    got = await read_all(stack.reader, BY_KEY["nsgs"], sub=SUB_A)
    assert fault.fired == 2
    assert got == TenantFiles(tiny).items(BY_KEY["nsgs"], sub=SUB_A)
    assert all(s < 0.1 for s in sleeps)  # exponential backoff from the (tiny) factor, no Retry-After
    assert [r.status for r in stack.emu.requests] == [429, 429, 200, 200, 200]


async def test_429_forever_is_throttled(tiny: Path, make_stack, sleeps: list[float]) -> None:
    stack = make_stack(tiny, max_retries=2)
    stack.emu.faults.add(Fault(NSG_PATH, "throttle", retry_after=1))
    with pytest.raises(errors.Throttled) as info:
        await read_all(stack.reader, BY_KEY["nsgs"], sub=SUB_A)
    err = info.value
    assert err.http_status == 429
    assert err.code == "SubscriptionRequestsThrottled"
    assert err.retry_after == 1
    assert "retry after 1 s" in str(err)
    assert err.request_id  # ARM's x-ms-request-id
    assert len(stack.emu.requests) == 3  # one try and max_retries retries
    assert sleeps == [1.0, 1.0]


async def test_a_long_retry_after_is_not_waited_for(tiny: Path, make_stack, sleeps: list[float]) -> None:
    stack = make_stack(tiny, max_retry_after=30)
    stack.emu.faults.add(Fault(NSG_PATH, "throttle", times=1, retry_after=300))
    with pytest.raises(errors.Throttled) as info:
        await read_all(stack.reader, BY_KEY["nsgs"], sub=SUB_A)
    assert info.value.retry_after == 300
    assert sleeps == []
    assert len(stack.emu.requests) == 1


async def test_503_retried_then_success_and_forever_fails(tiny: Path, make_stack) -> None:
    stack = make_stack(tiny)
    fault = stack.emu.faults.add(Fault(NSG_PATH, "error", times=2, status=503))
    got = await read_all(stack.reader, BY_KEY["nsgs"], sub=SUB_B)
    assert fault.fired == 2
    assert got == TenantFiles(tiny).items(BY_KEY["nsgs"], sub=SUB_B)

    stack.emu.faults.clear()
    stack.emu.faults.add(Fault(NSG_PATH, "error", status=503))
    with pytest.raises(errors.ServiceFailed) as info:
        await read_all(stack.reader, BY_KEY["nsgs"], sub=SUB_B)
    assert info.value.http_status == 503
    assert info.value.code == "ServiceUnavailable"


async def test_500_forever_fails(tiny: Path, make_stack) -> None:
    stack = make_stack(tiny, max_retries=1)
    stack.emu.faults.add(Fault(NSG_PATH, "error", status=500))
    with pytest.raises(errors.ServiceFailed) as info:
        await read_all(stack.reader, BY_KEY["nsgs"], sub=SUB_B)
    assert info.value.code == "InternalServerError"
    assert len(stack.emu.requests) == 2


@pytest.mark.parametrize("after", [0, 1], ids=["first page", "next page"])
async def test_a_transient_500_is_retried_and_the_read_is_complete(tiny: Path, make_stack, after: int) -> None:
    stack = make_stack(tiny)
    fault = stack.emu.faults.add(Fault(NSG_PATH, "error", status=500, times=1, after=after))
    got = await read_all(stack.reader, BY_KEY["nsgs"], sub=SUB_A)
    assert fault.fired == 1
    assert got == TenantFiles(tiny).items(BY_KEY["nsgs"], sub=SUB_A)
    assert [r.status for r in stack.emu.requests] == [200] * after + [500] + [200] * (3 - after)


async def test_500_forever_fails_after_bounded_retries_with_the_services_message(tiny: Path,
                                                                                 make_stack) -> None:
    stack = make_stack(tiny, max_retries=2)
    stack.emu.faults.add(Fault(NSG_PATH, "error", status=500))
    with pytest.raises(errors.ServiceFailed) as info:
        await read_all(stack.reader, BY_KEY["nsgs"], sub=SUB_A)
    err = info.value
    assert len(stack.emu.requests) == 3  # one try and max_retries retries
    assert err.status == "failed" and err.http_status == 500 and err.code == "InternalServerError"
    assert "Encountered internal server error" in str(err) and "?" not in err.url


async def test_500_with_retry_after_is_honoured(tiny: Path, make_stack, sleeps: list[float]) -> None:
    stack = make_stack(tiny)
    fault = stack.emu.faults.add(Fault(NSG_PATH, "error", status=500, times=1, retry_after=2))
    got = await read_all(stack.reader, BY_KEY["nsgs"], sub=SUB_A)
    assert fault.fired == 1 and len(got) == 7
    assert sleeps == [2.0]


class StatusOnce(httpx.AsyncBaseTransport):
    """Answers the requests whose path matches ``pattern`` with HTTP ``status`` (an ARM error body)
    ``times`` times (None: always); every other request goes to the emulator."""

    def __init__(self, emu: Emulator, pattern: str, status: int, times: int | None = 1):
        self.inner = EmulatorTransport(emu)
        self.pattern = re.compile(pattern)
        self.status = status
        self.times = times
        self.fired = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.pattern.search(f"{request.method} {request.url.path}") and (
                self.times is None or self.fired < self.times):
            self.fired += 1
            return httpx.Response(self.status, json={"error": {"code": f"Status{self.status}",
                                                               "message": f"The gateway said {self.status}."}})
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize(("status", "times", "ok"), [(502, 2, True), (408, 2, True), (504, 1, True),
                                                     (502, None, False), (408, None, False)])
async def test_other_transient_statuses_are_retried(tiny: Path, sleeps: list[float], status: int,
                                                    times: int | None, ok: bool) -> None:
    transport = StatusOnce(Emulator(tiny, token=TOKEN, page_size=3), NSG_PATH, status, times)
    async with httpx.AsyncClient(transport=transport) as http:
        async with ArmReader(http, StaticTokenCredential(TOKEN), max_retries=2, retry_backoff=0.001) as reader:
            if ok:
                assert len(await read_all(reader, BY_KEY["nsgs"], sub=SUB_A)) == 7
                assert transport.fired == times
            else:
                with pytest.raises(errors.ServiceFailed) as info:
                    await read_all(reader, BY_KEY["nsgs"], sub=SUB_A)
                assert transport.fired == 3 and info.value.http_status == status
                assert f"The gateway said {status}." in str(info.value)


@pytest.mark.parametrize("status", [400, 501, 505])
async def test_statuses_azure_core_does_not_retry_are_not_retried(tiny: Path, sleeps: list[float],
                                                                  status: int) -> None:
    transport = StatusOnce(Emulator(tiny, token=TOKEN, page_size=3), NSG_PATH, status, times=1)
    async with httpx.AsyncClient(transport=transport) as http:
        async with ArmReader(http, StaticTokenCredential(TOKEN), retry_backoff=0.001) as reader:
            with pytest.raises(errors.SourceError) as info:
                await read_all(reader, BY_KEY["nsgs"], sub=SUB_A)
    assert transport.fired == 1 and info.value.http_status == status


def test_the_retry_policy_retries_the_shared_retryable_statuses() -> None:
    """The ARM pipeline's policy decides as errors.is_retryable_status (the Graph reader's rule) for every
    status and method, a response without Retry-After."""
    from azure.core.pipeline import PipelineResponse
    from azure.core.rest import HttpRequest

    policy = ArmReader(httpx.AsyncClient(), StaticTokenCredential(TOKEN))._retry_policy()
    for method in ("GET", "PUT", "DELETE", "POST", "PATCH"):
        for status in range(200, 600):
            class Resp:
                status_code = status
                headers: dict[str, str] = {}

            response = PipelineResponse(HttpRequest(method, "https://management.azure.com/"), Resp(), None)
            decided = bool(policy.is_retry(policy.configure_retries({}), response))
            expected = errors.is_retryable_status(status, method)
            if method in ("POST", "PATCH") and status == 429:
                expected = False  # azure-core: a POST answered 429 only with Retry-After (ARM sends it)
            assert decided == expected, (method, status)


async def test_reset_retried_then_success_and_forever_fails(tiny: Path, make_stack) -> None:
    stack = make_stack(tiny)
    fault = stack.emu.faults.add(Fault(NSG_PATH, "reset", times=1, after=2))
    got = await read_all(stack.reader, BY_KEY["nsgs"], sub=SUB_A)
    assert fault.fired == 1
    assert got == TenantFiles(tiny).items(BY_KEY["nsgs"], sub=SUB_A)
    assert [r.status for r in stack.emu.requests] == [200, 200, None, 200]

    stack.emu.faults.clear()
    stack.emu.requests.clear()
    stack.emu.faults.add(Fault(NSG_PATH, "reset"))
    with pytest.raises(errors.ServiceFailed) as info:
        await read_all(stack.reader, BY_KEY["nsgs"], sub=SUB_A)
    assert info.value.http_status is None
    assert "management.azure.com" in str(info.value)
    assert len(stack.emu.requests) == 4  # one try and max_retries (3) retries


# --- broken bodies -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
async def test_broken_page_is_bad_payload_after_earlier_pages(tiny: Path, make_stack, kind: str) -> None:
    stack = make_stack(tiny)
    stack.emu.faults.add(Fault(NSG_PATH, kind, times=1, after=1))
    pages: list[list[Any]] = []
    with pytest.raises(errors.BadPayload) as info:
        async for page in stack.reader.collection(BY_KEY["nsgs"], sub=SUB_A):
            pages.append(page)
    assert pages == [TenantFiles(tiny).items(BY_KEY["nsgs"], sub=SUB_A)[:3]]
    assert "not JSON" in str(info.value)
    assert "?" not in info.value.url  # no skip token in messages
    assert len(stack.emu.requests) == 2  # a bad body is not retried


NO_VALUE = "a collection page without a 'value' array"


async def test_a_collection_without_value_names_what_was_read(tiny: Path, make_stack) -> None:
    (tiny / BY_KEY["nsgs"].file_path(sub=SUB_A)).write_text('{"notvalue": []}', encoding="utf-8")
    stack = make_stack(tiny)
    with pytest.raises(errors.BadPayload) as info:
        await read_all(stack.reader, BY_KEY["nsgs"], sub=SUB_A)
    path = f"management.azure.com/subscriptions/{SUB_A}/providers/Microsoft.Network/networkSecurityGroups"
    assert str(info.value) == f"unreadable response from {path}: {NO_VALUE}"
    assert "api-version" not in str(info.value) and "?" not in info.value.url


def test_the_cli_names_the_data_set_and_the_path_of_a_collection_without_value(tiny: Path,
                                                                                tmp_path: Path) -> None:
    from ztconsole.cli import run

    (tiny / BY_KEY["nsgs"].file_path(sub=SUB_A)).write_text('{"notvalue": []}', encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = run(["snapshot", "--tenant-dir", str(tiny), "--out", str(tmp_path / "out")], out=out, err=err)
    text = out.getvalue() + err.getvalue()
    assert code != 0
    path = f"management.azure.com/subscriptions/{SUB_A}/providers/Microsoft.Network/networkSecurityGroups"
    ds = BY_KEY["nsgs"]
    names = (ds.key, ds.title, ds.file_path(sub=SUB_A)[:-5], ds.file_path(sub="<sub>")[:-5])
    # the data set by its key, title or tenant directory file, then what was read
    named = [line.split(path)[0] for line in text.splitlines() if path in line and NO_VALUE in line]
    assert any(name in before for before in named for name in names), text


# --- authorization -----------------------------------------------------------------------------------


async def test_403_is_permission_denied_with_arm_code(tiny: Path, make_stack) -> None:
    stack = make_stack(tiny)
    stack.emu.faults.add(Fault("GET /subscriptions/[^/]+/providers/Microsoft.Network/azureFirewalls",
                               "forbidden"))
    with pytest.raises(errors.PermissionDenied) as info:
        await read_all(stack.reader, BY_KEY["firewalls"], sub=SUB_A)
    err = info.value
    assert err.code == "AuthorizationFailed"
    assert "AuthorizationFailed" in str(err)
    assert "Microsoft.Network/azureFirewalls/read" in str(err)
    assert str(err.with_permission("Reader")).startswith("missing permission Reader")
    assert len(stack.emu.requests) == 1  # not retried


async def test_401_is_auth_failed(tiny: Path, make_stack) -> None:
    stack = make_stack(tiny, token="not-the-token")
    with pytest.raises(errors.AuthFailed) as info:
        await read_all(stack.reader, BY_KEY["firewalls"], sub=SUB_A)
    assert info.value.http_status == 401
    assert info.value.code == "InvalidAuthenticationToken"
    assert "not-the-token" not in str(info.value)


async def test_the_token_is_never_logged(tiny: Path, caplog: pytest.LogCaptureFixture,
                                         sleeps: list[float]) -> None:
    secret = "sEcReT-tOkEn-0123456789"
    emu = Emulator(tiny, token=secret, page_size=3)
    emu.faults.add(Fault(NSG_PATH, "throttle", times=1, retry_after=1))
    caplog.set_level(logging.DEBUG)
    async with httpx.AsyncClient(transport=EmulatorTransport(emu)) as http:
        async with ArmReader(http, StaticTokenCredential(secret)) as reader:
            assert len(await read_all(reader, BY_KEY["nsgs"], sub=SUB_A)) == 7
    assert caplog.records  # the SDK's HTTP logging policy did log the requests
    assert secret not in caplog.text


async def test_a_credential_that_cannot_get_a_token_is_auth_failed(tiny: Path) -> None:
    class Broken:
        async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            raise RuntimeError("no managed identity endpoint")

    emu = Emulator(tiny, token=TOKEN, page_size=3)
    async with httpx.AsyncClient(transport=EmulatorTransport(emu)) as http:
        async with ArmReader(http, Broken()) as reader:
            with pytest.raises(errors.AuthFailed) as info:
                await read_all(reader, BY_KEY["firewalls"], sub=SUB_A)
    assert "no managed identity endpoint" in str(info.value)
    assert info.value.code == "RuntimeError"
    assert not emu.requests


# --- many(), clients, lifetimes ----------------------------------------------------------------------


async def test_many_is_concurrent_but_bounded(tiny: Path, sleeps: list[float]) -> None:
    emu = Emulator(tiny, token=TOKEN, page_size=3)
    inner = EmulatorTransport(emu)
    in_flight = 0
    peak = 0

    class Counting(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                await asyncio.sleep(0.001)
                return await inner.handle_async_request(request)
            finally:
                in_flight -= 1

    ds = BY_KEY["vnet_gateways"]
    files = TenantFiles(tiny)
    parents = files.parents(ds)  # 14 resource groups, two of them with gateways
    async with httpx.AsyncClient(transport=Counting()) as http:
        async with ArmReader(http, StaticTokenCredential(TOKEN), concurrency=3) as reader:
            got = [pair async for pair in reader.many(ds, parents + parents[:2])]  # duplicates: read once
    assert sorted(p for p, _ in got) == sorted(parents)
    assert peak == 3
    assert {p: items for p, items in got} == {p: files.items(ds, parent=p) for p in parents}


async def test_many_raises_the_first_failure_and_cancels_the_rest(tiny: Path, make_stack) -> None:
    stack = make_stack(tiny, concurrency=2)
    ds = BY_KEY["rule_collection_groups"]
    parents = TenantFiles(tiny).parents(ds)
    stack.emu.faults.add(Fault(f"GET {parents[1]}/ruleCollectionGroups", "forbidden"))
    with pytest.raises(errors.PermissionDenied):
        async for _ in stack.reader.many(ds, parents):
            pass
    assert len(stack.emu.requests) < 3 * len(parents)


async def test_clients_are_per_subscription_and_closed_but_not_the_http_client(tiny: Path) -> None:
    emu = Emulator(tiny, token=TOKEN, page_size=3)
    http = httpx.AsyncClient(transport=EmulatorTransport(emu))
    reader = ArmReader(http, StaticTokenCredential(TOKEN))
    a = reader.network_client(SUB_A)
    assert reader.network_client(SUB_A) is a
    assert reader.network_client(SUB_B) is not a
    with pytest.raises(ValueError):
        reader.network_client("")
    # a typed SDK call on the same pipeline works against the emulator
    fw = TenantFiles(tiny).items(BY_KEY["firewalls"], sub=SUB_A)[0]
    rg = fw["id"].split("/")[4]
    typed = await a.azure_firewalls.get(rg, fw["name"])
    assert typed.id == fw["id"]
    await read_all(reader, BY_KEY["entra_diagnostics"])  # the tenant-level pipeline
    await reader.aclose()
    await reader.aclose()  # idempotent
    assert not http.is_closed
    await http.aclose()


async def test_constructor_checks() -> None:
    async with httpx.AsyncClient() as http:
        check_constructor(http, StaticTokenCredential(TOKEN))


def check_constructor(http: httpx.AsyncClient, cred: StaticTokenCredential) -> None:
    with pytest.raises(ValueError, match="loopback"):
        ArmReader(http, cred, arm_url="http://arm.example.com")
    with pytest.raises(ValueError):
        ArmReader(http, cred, concurrency=0)
    reader = ArmReader(http, cred, arm_url="https://management.usgovcloudapi.net/")
    assert reader.scopes == ["https://management.usgovcloudapi.net/.default"]
    assert ArmReader(http, cred, scopes=["x/.default"]).scopes == ["x/.default"]
    with pytest.raises(ValueError):
        ArmReader(http, cred)._check(BY_KEY["nsgs"], "", "")
    with pytest.raises(ValueError):
        ArmReader(http, cred)._check(BY_KEY["users"], "", "")


# --- with a hand-made ARM (what the emulator does not do) --------------------------------------------


def mock_http(handler: Callable[[httpx.Request], Any]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_loopback_http_emulator_url_and_next_link_as_given(sleeps: list[float]) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        # the SDK's pipeline: ARM bearer auth, its user agent (ours in front), client request ids
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["user-agent"].startswith("ztconsole/")
        assert "azsdk-python-mgmt-network/" in request.headers["user-agent"]
        assert request.headers["x-ms-client-request-id"]
        if "skiptoken" not in str(request.url):
            return httpx.Response(200, json={"value": [{"id": "1"}],
                                             "nextLink": "http://127.0.0.1:8123/subscriptions/s/providers/"
                                                         "Microsoft.Network/ipGroups?api-version=2024-05-01"
                                                         "&%24skiptoken=a%2Bb%7B%7D"})
        return httpx.Response(200, json={"value": [{"id": "2"}], "nextLink": None})

    async with mock_http(handler) as http:
        async with ArmReader(http, StaticTokenCredential(TOKEN), arm_url="http://127.0.0.1:8123") as reader:
            got = await read_all(reader, BY_KEY["ip_groups"], sub="s")
    assert got == [{"id": "1"}, {"id": "2"}]
    assert seen == [
        "http://127.0.0.1:8123/subscriptions/s/providers/Microsoft.Network/ipGroups?api-version=2024-05-01",
        "http://127.0.0.1:8123/subscriptions/s/providers/Microsoft.Network/ipGroups?api-version=2024-05-01"
        "&%24skiptoken=a%2Bb%7B%7D",
    ]


async def test_next_link_to_another_host_is_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "management.azure.com"
        return httpx.Response(200, json={"value": [{"id": "1"}],
                                         "nextLink": "https://evil.example.com/steal?api-version=1"})

    async with mock_http(handler) as http, ArmReader(http, StaticTokenCredential(TOKEN)) as reader:
        pages = []
        with pytest.raises(errors.BadPayload, match="another host"):
            async for page in reader.collection(BY_KEY["ip_groups"], sub="s"):
                pages.append(page)
    assert pages == [[{"id": "1"}]]


async def test_a_repeating_next_link_stops() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"value": [], "nextLink": str(request.url)})

    async with mock_http(handler) as http, ArmReader(http, StaticTokenCredential(TOKEN)) as reader:
        with pytest.raises(errors.BadPayload, match="repeats"):
            await read_all(reader, BY_KEY["ip_groups"], sub="s")


async def test_wrong_shapes_are_bad_payload() -> None:
    bodies = iter([b"", b"[1, 2]", b'{"value": {}}', b'{"value": [], "nextLink": 5}', b"\xff\xfe"])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=next(bodies), headers={"content-type": "application/json"})

    async with mock_http(handler) as http, ArmReader(http, StaticTokenCredential(TOKEN)) as reader:
        for expected in ("empty body", "without a 'value'", "without a 'value'", "not a URL", "not JSON"):
            with pytest.raises(errors.BadPayload, match=expected):
                await read_all(reader, BY_KEY["ip_groups"], sub="s")


async def test_a_body_broken_off_after_the_headers_is_requested_again(sleeps: list[float]) -> None:
    calls = 0

    class Cut(httpx.AsyncByteStream):
        async def __aiter__(self):
            yield b'{"value": [{"id": '
            raise httpx.ReadError("connection reset by peer")

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls <= 2:
            return httpx.Response(200, headers={"content-type": "application/json"}, stream=Cut())
        return httpx.Response(200, json={"value": [{"id": "1"}]})

    async with mock_http(handler) as http, ArmReader(http, StaticTokenCredential(TOKEN)) as reader:
        assert await read_all(reader, BY_KEY["ip_groups"], sub="s") == [{"id": "1"}]
        assert calls == 3
        calls = -10  # always cut from here on
        with pytest.raises(errors.ServiceFailed, match="reset"):
            await read_all(reader, BY_KEY["ip_groups"], sub="s")
        assert calls == -10 + 4  # one try and max_retries (3) more


async def test_other_statuses_go_through_the_funnel() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": {"code": "InvalidApiVersionParameter",
                                                   "message": "The api-version '1' is invalid."}},
                              headers={"x-ms-request-id": "rid-9"})

    async with mock_http(handler) as http, ArmReader(http, StaticTokenCredential(TOKEN)) as reader:
        with pytest.raises(errors.SourceError) as info:
            await read_all(reader, BY_KEY["ip_groups"], sub="s")
    err = info.value
    assert type(err) is errors.SourceError
    assert err.code == "InvalidApiVersionParameter"
    assert "[request-id rid-9]" in str(err)
    assert "Azure Resource Manager answered HTTP 400" in str(err)


# --- writes ------------------------------------------------------------------------------------------


def _rule_url(nsg_id: str, name: str) -> str:
    return f"https://management.azure.com{nsg_id}/securityRules/{name}?api-version=2024-05-01"


async def test_a_write_puts_and_deletes_an_nsg_rule_and_the_nsg_reads_back_changed(make_stack: Any) -> None:
    stack = make_stack(demo_dir())
    reader = stack.reader
    subs = list(load_tenant(demo_dir()).info.subscriptions)
    nsgs = [n for sub in subs for n in await read_all(reader, BY_KEY["nsgs"], sub=sub)]
    nsg = next(n for n in nsgs if n["properties"].get("securityRules"))
    sub = nsg["id"].split("/")[2]
    rule = {"properties": {"protocol": "Tcp", "sourceAddressPrefix": "172.16.201.0/24", "sourcePortRange": "*",
                           "destinationAddressPrefix": "10.3.1.4/32", "destinationPortRange": "1433",
                           "access": "Allow", "priority": 4001, "direction": "Inbound"}}
    made = await reader.write("PUT", _rule_url(nsg["id"], "ztc-test"), rule)
    assert made["name"] == "ztc-test" and made["properties"]["destinationPortRange"] == "1433"

    def rules() -> Any:
        return read_all(reader, BY_KEY["nsgs"], sub=sub)

    names = {r["name"] for n in await rules() if n["id"] == nsg["id"] for r in n["properties"]["securityRules"]}
    assert "ztc-test" in names
    first = nsg["properties"]["securityRules"][0]["name"]
    assert await reader.write("DELETE", _rule_url(nsg["id"], first)) is None
    names = {r["name"] for n in await rules() if n["id"] == nsg["id"] for r in n["properties"]["securityRules"]}
    assert first not in names and "ztc-test" in names


async def test_a_write_elsewhere_or_refused_is_its_mapped_error(make_stack: Any) -> None:
    stack = make_stack(demo_dir())
    with pytest.raises(errors.ServiceFailed, match="not an ARM URL"):
        await stack.reader.write("DELETE", "https://evil.example/subscriptions/x/y?api-version=1")
    missing = ("https://management.azure.com/subscriptions/" + load_tenant(demo_dir()).info.subscriptions[0]
               + "/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/none/securityRules/r"
               + "?api-version=2024-05-01")
    with pytest.raises(errors.SourceError) as info:
        await stack.reader.write("PUT", missing, {"properties": {}})
    assert info.value.http_status == 404


class LongRunning(httpx.AsyncBaseTransport):
    """The emulator, with ARM's long-running operations: a PUT or DELETE answers 201/202 with an
    ``Azure-AsyncOperation`` to poll, which says ``InProgress`` ``polls`` times, then ``final``."""

    def __init__(self, emu: Emulator, *, polls: int = 2, final: str = "Succeeded"):
        self.inner = EmulatorTransport(emu)
        self.polls, self.final, self.seen = polls, final, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/operations/op1"):
            self.seen += 1
            status = "InProgress" if self.seen <= self.polls else self.final
            return httpx.Response(200, json={"status": status}, headers={"Retry-After": "2"})
        answer = await self.inner.handle_async_request(request)
        if request.method in ("PUT", "DELETE") and answer.status_code < 300:
            await answer.aread()
            monitor = "https://management.azure.com/providers/Microsoft.Network/locations/weu/operations/op1"
            return httpx.Response(201 if request.method == "PUT" else 202, content=answer.content,
                                  headers={"Azure-AsyncOperation": monitor, "Retry-After": "1"})
        return answer


@pytest.mark.parametrize(("final", "ok"), [("Succeeded", True), ("Failed", False)])
async def test_a_long_running_write_is_awaited_and_its_failure_raised(sleeps: list[float], final: str,
                                                                      ok: bool) -> None:
    transport = LongRunning(Emulator(demo_dir(), token=TOKEN, page_size=50), final=final)
    nsg_id = next(n.id for n in load_tenant(demo_dir()).nsgs if n.security_rules)
    async with httpx.AsyncClient(transport=transport) as http:
        async with ArmReader(http, StaticTokenCredential(TOKEN), retry_backoff=0.001) as reader:
            rule = {"properties": {"protocol": "Tcp", "sourceAddressPrefix": "*", "sourcePortRange": "*",
                                   "destinationAddressPrefix": "*", "destinationPortRange": "22", "access": "Deny",
                                   "priority": 4002, "direction": "Inbound"}}
            if ok:
                made = await reader.write("PUT", _rule_url(nsg_id, "ztc-lro"), rule)
                assert made["name"] == "ztc-lro"  # read back once the operation succeeded
                assert transport.seen == 3 and sleeps[:3] == [1.0, 2.0, 2.0]  # Retry-After honoured
            else:
                with pytest.raises(errors.ServiceFailed, match="operation failed"):
                    await reader.write("PUT", _rule_url(nsg_id, "ztc-lro"), rule)
