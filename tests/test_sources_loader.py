"""The whole stack — emulator, real Graph and ARM adapters, loader — against recorded tenants."""

from __future__ import annotations

from pathlib import Path

import pytest

from ztconsole.demo import demo_dir
from ztconsole.emulator import Fault, FaultPlan
from ztconsole.sources.snapshot import SnapshotWriter
from ztconsole.sources.stack import RecordingSource
from ztconsole.tenantdir import load_tenant

pytestmark = pytest.mark.usefixtures("no_sdk_jitter")


@pytest.fixture(scope="module")
def demo_from_dir():
    return load_tenant(demo_dir())


async def test_demo_through_the_adapters_equals_the_directory(demo_from_dir) -> None:
    tenant = await RecordingSource(demo_dir(), page_size=7).aload()
    bad = {k: r.message for k, r in tenant.results.items() if r.status != "ok"}
    assert bad == {}
    for key in demo_from_dir.results:
        assert _ids(tenant.get(key)) == _ids(demo_from_dir.get(key)), key
    assert tenant == demo_from_dir


async def test_snapshot_of_the_demo_loads_equal_to_the_demo(tmp_path: Path, demo_from_dir) -> None:
    out = tmp_path / "snap"
    SnapshotWriter.prepare(out)
    writer = SnapshotWriter(out)
    source = RecordingSource(demo_dir(), page_size=50)
    await source.aload(recorder=writer)
    writer.finish(source.info)
    assert load_tenant(out) == demo_from_dir


async def test_a_forbidden_data_set_names_its_permission_and_the_others_load() -> None:
    faults = FaultPlan([Fault(match=r"GET /v1\.0/identity/conditionalAccess/policies", kind="forbidden")])
    tenant = await RecordingSource(demo_dir(), faults=faults).aload(keys=["ca_policies", "users"])
    res = tenant.results["ca_policies"]
    assert res.status == "forbidden"
    assert "Policy.Read.All" in res.message
    assert tenant.results["users"].status == "ok" and tenant.results["users"].count > 0


async def test_a_page_failing_midway_is_partial_never_complete() -> None:
    faults = FaultPlan([Fault(match=r"GET /v1\.0/users\?.*skiptoken", kind="error", status=500, after=1)])
    tenant = await RecordingSource(demo_dir(), page_size=10, faults=faults).aload(keys=["users"])
    res = tenant.results["users"]
    assert res.status == "partial"
    assert 0 < res.count < len(load_tenant(demo_dir(), keys=["users"]).users)
    assert "incomplete" in res.message


async def test_throttled_for_good_is_throttled() -> None:
    faults = FaultPlan([Fault(match=r"GET /v1\.0/groups", kind="throttle", retry_after=0)])
    tenant = await RecordingSource(demo_dir(), faults=faults, retry_delay=0.01).aload(
        keys=["groups", "organization"])
    assert tenant.results["groups"].status == "throttled"
    assert tenant.results["organization"].status == "ok"


async def test_children_of_a_failed_parent_say_why() -> None:
    faults = FaultPlan([Fault(match=r"GET /beta/applications\?", kind="error", status=503)])
    tenant = await RecordingSource(demo_dir(), faults=faults, retry_delay=0.01).aload(
        keys=["applications", "app_segments"])
    assert tenant.results["applications"].status == "failed"
    seg = tenant.results["app_segments"]
    assert seg.status == "failed" and "Applications (Private Access) could not be read" in seg.message


def _ids(value):
    if isinstance(value, dict):
        return {k: _ids(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return sorted(getattr(x, "id", None) or repr(x) for x in value)
    return getattr(value, "id", None) or repr(value)


class _Crashing:
    """A reader that raises what no reader should for some data sets, and delegates the rest."""

    def __init__(self, inner, crash: dict):
        self.api = inner.api
        self._inner = inner
        self._crash = crash

    def collection(self, ds, **kw):
        if ds.key in self._crash:
            raise self._crash[ds.key]
        return self._inner.collection(ds, **kw)

    async def single(self, ds, **kw):
        if ds.key in self._crash:
            raise self._crash[ds.key]
        return await self._inner.single(ds, **kw)

    def many(self, ds, parents, **kw):
        return self._inner.many(ds, parents, **kw)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_a_reader_that_raises_fails_its_data_set_alone() -> None:
    from ztconsole.sources.loader import Loader
    from ztconsole.sources.stack import open_recording

    crash = {"named_locations": RuntimeError("boom"), "ca_policies": RecursionError("deep"),
             "cae_policy": KeyError("x")}
    async with await open_recording(demo_dir()) as stack:
        readers = {**stack.readers, "graph": _Crashing(stack.readers["graph"], crash)}
        keys = ["named_locations", "ca_policies", "cae_policy", "users", "groups", "group_members"]
        tenant = await Loader(readers, stack.info, options=stack.options).load(keys)
    bad = {k: r.message for k, r in tenant.results.items() if r.status != "ok"}
    assert bad == {
        "named_locations": "graph/v1.0/identity/conditionalAccess/namedLocations: RuntimeError: boom",
        "ca_policies": "graph/v1.0/identity/conditionalAccess/policies: nested too deeply (deeper than the "
                       "reader's recursion limit)",
        "cae_policy": "graph/beta/identity/continuousAccessEvaluationPolicy: KeyError: 'x'"}
    assert all(tenant.results[k].status == "failed" for k in bad)
    assert tenant.results["group_members"].count > 0


async def test_a_memory_error_is_not_swallowed() -> None:
    from ztconsole.sources.loader import Loader
    from ztconsole.sources.stack import open_recording

    async with await open_recording(demo_dir()) as stack:
        readers = {**stack.readers, "graph": _Crashing(stack.readers["graph"], {"users": MemoryError()})}
        with pytest.raises(MemoryError):
            await Loader(readers, stack.info, options=stack.options).load(["users"])


async def test_the_loader_applies_the_recorded_statuses(tmp_path: Path) -> None:
    """Served by the emulator, a data set recorded as failed is an absent file (an empty collection) and
    a partial one a shorter file: the loader gives each its recorded status, and children of a parent
    recorded as failed are not read."""
    import shutil

    root = Path(shutil.copytree(demo_dir(), tmp_path / "t"))
    (root / "graph/beta/applications.json").unlink()
    with (root / "tenant.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[datasets."graph/beta/applications"]\nstatus = "failed"\nmessage = "503 three times"\n'
                 '[datasets."graph/v1.0/users"]\nstatus = "partial"\nmessage = "page 2: 503"\n')
    tenant = await RecordingSource(root).aload(keys=["applications", "app_segments", "users", "groups"])
    status = {k: (r.status, r.message) for k, r in tenant.results.items()}
    assert status["applications"] == ("failed", "503 three times")
    assert status["users"] == ("partial", "page 2: 503") and tenant.results["users"].count > 0
    assert status["app_segments"][0] == "failed" and "503 three times" in status["app_segments"][1]
    assert status["groups"] == ("ok", "")
