"""The whole stack — emulator, real Graph and ARM adapters, loader — against recorded tenants."""

from __future__ import annotations

from pathlib import Path

import pytest

from ztconsole.demo import demo_dir
from ztconsole.tenantdir import load_tenant

from ztconsole.emulator import Fault, FaultPlan
from ztconsole.sources.snapshot import SnapshotWriter
from ztconsole.sources.stack import RecordingSource

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
