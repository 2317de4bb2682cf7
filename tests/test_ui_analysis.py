"""The console computes the checks once per loaded tenant, off the event loop, and every pane that asks
shares that one computation (ztconsole.ui.analysis); the incomplete-data notice names each data set a pane
needs that was not read completely, with the permission to grant (ztconsole.ui.notice)."""

from __future__ import annotations

import asyncio
import json

from ztconsole.demo import demo_dir
from ztconsole.engine.checks import CheckContext, run_all
from ztconsole.model.tenant import DataSetResult
from ztconsole.tenantdir import load_tenant
from ztconsole.ui.analysis import Analysis
from ztconsole.ui.notice import describe_incomplete


async def test_one_computation_per_tenant_shared_by_every_caller() -> None:
    tenant = load_tenant(demo_dir())
    analysis = Analysis(source_args=("--demo",))
    assert analysis.ready(tenant) is None
    first, second = await asyncio.gather(analysis.assess(tenant), analysis.assess(tenant))
    assert first is second  # one computation
    assert analysis.ready(tenant) is first
    expected = run_all(CheckContext(tenant, source_args=("--demo",)))
    assert [json.dumps(f.to_json()) for f in first.findings] == [json.dumps(f.to_json()) for f in expected]
    assert set(first.maturity) == {"identity", "devices", "network"}
    bg = first.by_check("ZT-BG-001")
    assert bg and all(f.check == "ZT-BG-001" for f in bg)
    some = first.findings[0]
    assert some in first.for_resource(some.resource.id.upper())
    again = load_tenant(demo_dir())  # a new load: a new computation
    assert analysis.ready(again) is None
    assert (await analysis.assess(again)) is not first


async def test_thresholds_reach_the_checks() -> None:
    tenant = load_tenant(demo_dir())
    strict = await Analysis(thresholds={"report_only_bake_days": 0, "not_a_setting": 1}).assess(tenant)
    lax = await Analysis(thresholds={"report_only_bake_days": 100_000}).assess(tenant)
    assert {f.status for f in strict.by_check("ZT-CA-006")} != {f.status for f in lax.by_check("ZT-CA-006")}


def test_notice_names_each_incomplete_data_set_and_the_permission() -> None:
    results = {
        "ca_policies": DataSetResult("ca_policies", "ok", (), 0),
        "named_locations": DataSetResult("named_locations", "forbidden", None, 0, [],
                                         "HTTP 403 Authorization_RequestDenied"),
        "users": DataSetResult("users", "partial", (), 3, [], "incomplete: throttled (kept the 3 items read)"),
    }
    got = describe_incomplete(results, ["ca_policies", "named_locations", "users", "groups"])
    assert [status for _, status, _ in got] == ["forbidden", "partial"]  # groups: not read yet, not named
    assert "grant Policy.Read.All" in got[0][2]
    assert "kept the 3 items" in got[1][2]
