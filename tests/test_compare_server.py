"""What If against the service: the real Graph adapter posts the scenario to the emulator's
``/identity/conditionalAccess/evaluate`` and the comparison names the policies judged differently."""

from __future__ import annotations

import httpx
import pytest

from ztconsole.commands.whatif_input import resolve_scenario
from ztconsole.demo import demo_dir
from ztconsole.emulator import Emulator, EmulatorTransport
from ztconsole.engine.compare import compare, evaluate_request
from ztconsole.engine.whatif import Context, what_if
from ztconsole.model.ca import WhatIfAnalysisResult
from ztconsole.model.wire import parse_items
from ztconsole.sources.graph import GraphReader
from ztconsole.sources.stack import recorded_what_if
from ztconsole.sources.static_token import StaticTokenCredential
from ztconsole.tenantdir import load_tenant


@pytest.fixture(scope="module")
def demo():
    tenant = load_tenant(demo_dir())
    return tenant, Context.from_tenant(tenant, break_glass=tenant.info.break_glass)


async def server_answer(emu: Emulator, scenario) -> list:
    async with httpx.AsyncClient(transport=EmulatorTransport(emu)) as http:
        reader = GraphReader(http, StaticTokenCredential("t"))
        try:
            raw = await reader.evaluate(evaluate_request(scenario))
        finally:
            await reader.aclose()
    objs, errors = parse_items(WhatIfAnalysisResult, raw)
    assert errors == []
    return objs


async def test_service_and_local_agree_then_a_disagreement_is_named(demo) -> None:
    tenant, ctx = demo
    for user in tenant.users:  # a user some enabled policy applies to (not an emergency access account)
        scenario = resolve_scenario(ctx, user=user.id, app="Office365", platform="iOS", ip="203.0.113.9")
        local = what_if(tenant.ca_policies, scenario, ctx).to_json()
        if local["summary"]["applied"]:
            break
    emu = Emulator(demo_dir(), token="t", what_if=recorded_what_if(demo_dir()))

    server = await server_answer(emu, scenario)
    assert len(server) == len(tenant.ca_policies)
    assert compare(local, server).disagreements == ()

    victim = next(p for p in local["policies"] if p["applies"])
    emu.state.evaluate_overrides[victim["id"]] = {"policyApplies": False, "analysisReasons": "location"}
    result = compare(local, await server_answer(emu, scenario))
    assert [d.policy_id for d in result.disagreements] == [victim["id"]]
    assert result.disagreements[0].server_reasons == ("location",)
    assert result.disagreements[0].local_reasons  # the local side says why it applies


async def test_a_policy_that_does_not_apply_carries_the_condition_kinds(demo) -> None:
    tenant, ctx = demo
    user = next(u for u in tenant.users if (u.user_type or "") == "Member" and u.account_enabled)
    scenario = resolve_scenario(ctx, user=user.id, app="Office365", client_app="exchangeActiveSync")
    server = await server_answer(Emulator(demo_dir(), token="t", what_if=recorded_what_if(demo_dir())), scenario)
    not_applying = [r for r in server if not r.policy_applies]
    assert not_applying and all(r.analysis_reason_values and r.analysis_reason_values != ("notSet",)
                                for r in not_applying)


async def test_an_emulator_without_an_evaluator_does_not_serve_what_if(demo) -> None:
    """The emulator is a server, not an analyst: What If is answered only by the evaluator it is given."""
    tenant, ctx = demo
    scenario = resolve_scenario(ctx, user=tenant.users[0].id, app="Office365")
    async with httpx.AsyncClient(transport=EmulatorTransport(Emulator(demo_dir(), token="t")),
                                 base_url="https://graph.microsoft.com") as http:
        r = await http.post("/v1.0/identity/conditionalAccess/evaluate", json=evaluate_request(scenario),
                            headers={"Authorization": "Bearer t"})
    assert r.status_code == 501 and r.json()["error"]["code"] == "NotImplemented"
