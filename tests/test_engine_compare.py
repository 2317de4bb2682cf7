"""``whatif --compare-server``: the evaluate request body, and lining up the service's answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ztconsole.engine.compare import compare, evaluate_request, scenario_fields
from ztconsole.engine.whatif import Scenario
from ztconsole.model.ca import WhatIfAnalysisResult, WhatIfRequest
from ztconsole.model.wire import parse_items, unwrap_collection

USER = "15dc174b-f34c-4588-ac45-61d6e05dce93"
SHAREPOINT = "00000003-0000-0ff1-ce00-000000000000"


@pytest.mark.parametrize("scenario", [
    Scenario(user_id=USER, app=SHAREPOINT, platform="android", client_app="browser", sign_in_risk="high",
             user_risk="high", country="US", ip="40.77.182.32", insider_risk="elevated",
             auth_flow="deviceCodeFlow", device={"isCompliant": True}),
    Scenario(user_id=USER, user_action="registerSecurityInformation"),
    Scenario(user_id=USER, auth_context="c1", client_app="mobileAppsAndDesktopClients"),
])
def test_request_body_round_trips_to_the_same_scenario(scenario: Scenario) -> None:
    body = evaluate_request(scenario)
    request = WhatIfRequest.from_wire(json.loads(json.dumps(body)))
    assert Scenario(**scenario_fields(request)) == scenario


def test_request_body_has_the_documented_shape(realworld: Path) -> None:
    documented = json.loads((realworld / "graph-ca/v1.0-conditionalaccess-evaluate-whatif-app.request.json")
                            .read_text())
    scenario = Scenario(**scenario_fields(WhatIfRequest.from_wire(documented)))
    ours = evaluate_request(scenario, applied_only=True)
    assert ours == documented


def test_disagreements_are_the_policies_judged_differently(realworld: Path) -> None:
    body = json.loads((realworld / "graph-ca/v1.0-conditionalaccess-evaluate-whatif-app.json").read_text())
    items, base = unwrap_collection(body)
    server, errors = parse_items(WhatIfAnalysisResult, items, base)
    assert not errors and len(server) >= 2
    first, second = server[0], server[1]
    local = {"policies": [
        {"id": first.id, "displayName": first.display_name, "state": first.state, "applies": True,
         "reasons": ["user is included: All users"]},
        {"id": second.id, "displayName": second.display_name, "state": second.state, "applies": False,
         "reasons": ["user risk high is not targeted"]},
    ]}
    result = compare(local, server)
    assert [d.policy_id for d in result.disagreements] == [second.id]
    out = result.to_json()
    assert first.id in out["agree"]
    assert out["disagree"][0]["server"] == {"applies": True, "analysisReasons": list(second.analysis_reason_values)}
    assert out["disagree"][0]["local"]["reasons"] == ["user risk high is not targeted"]
