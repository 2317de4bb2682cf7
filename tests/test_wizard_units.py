"""The rollout's write planning with plain data: placeholders filled from an answer, the application template
of each cloud, NSG priorities, CIDRs of an address set."""

from __future__ import annotations

from typing import Any

import pytest

from ztconsole.actions.apply import fill
from ztconsole.engine.network.sets import AddressSet
from ztconsole.wizard.publish import template_id
from ztconsole.wizard.retire import _free_priority


def test_placeholders_are_filled_from_the_first_answer() -> None:
    answer = {"application": {"id": "app-1", "appId": "c1"}, "servicePrincipal": {"id": "sp-1"}}
    assert fill("https://g/beta/applications/{application.id}/connectorGroup/$ref", answer) == (
        "https://g/beta/applications/app-1/connectorGroup/$ref")
    body = {"principalId": "u", "resourceId": "{servicePrincipal.id}", "ports": ["22-22"], "n": 3}
    assert fill(body, answer) == {"principalId": "u", "resourceId": "sp-1", "ports": ["22-22"], "n": 3}
    with pytest.raises(KeyError, match="application.objectId"):
        fill("{application.objectId}", answer)
    assert fill("no placeholder {here", answer) == "no placeholder {here"


@pytest.mark.parametrize(("graph", "template"), [
    ("https://graph.microsoft.com", "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"),
    ("https://graph.microsoft.us", "4602d0b4-76bb-404b-bca9-2652e1a39c6d"),
    ("https://dod-graph.microsoft.us", "4602d0b4-76bb-404b-bca9-2652e1a39c6d"),
    ("https://microsoftgraph.chinacloudapi.cn", "5a532e38-1581-4918-9658-008dc27c1d68"),
    ("http://127.0.0.1:8765", "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"),
])
def test_the_non_gallery_template_of_each_cloud(graph: str, template: str) -> None:
    assert template_id(graph) == template


def test_a_deny_goes_at_the_free_priority_just_above_the_first_rule_that_admits() -> None:
    assert _free_priority({100, 110, 120}, 120) == 119
    assert _free_priority({100, 119, 120}, 120) == 118
    assert _free_priority({100}, 101) is None  # no room above 100: the plan moves the rule or refuses
    assert _free_priority(set(), 4097) == 4096  # only AllowVnetInBound admits: the last custom priority


def test_an_address_set_as_the_fewest_cidr_prefixes() -> None:
    assert AddressSet.parse(["10.0.0.0/25", "10.0.0.128/25", "10.0.1.7"]).cidrs() == ["10.0.0.0/24", "10.0.1.7/32"]
    assert AddressSet.parse("10.0.0.1-10.0.0.6").cidrs() == ["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31",
                                                            "10.0.0.6/32"]
    assert AddressSet.parse(["2001:db8::/64"]).cidrs() == ["2001:db8::/64"]


# --- step 8: the Deny rules, on plain data ----------------------------------------------------------------


def _published(*rules: tuple[str, int, str, str, str]) -> Any:
    """The plain tenant of the inventory tests (pool 172.16.201.0/24 peered to snet-app 10.1.0.0/24 under nsg-app)
    with one Private Access app publishing 10.1.0.10 TCP 1433."""
    from test_rollout_inventory import plain_tenant
    from ztconsole.model.access import Application, ApplicationSegment
    from ztconsole.model.tenant import DataSetResult, Tenant

    base = plain_tenant(*rules)
    app = Application.from_wire({"id": "a1", "appId": "c1", "displayName": "PA SQL",
                                 "onPremisesPublishing": {"applicationType": "nonwebapp"}})
    seg = ApplicationSegment.from_wire({"id": "s1", "destinationHost": "10.1.0.10", "destinationType": "ipAddress",
                                        "ports": ["1433-1433"], "protocol": "tcp"})
    return Tenant(base.info, {**base.results, "applications": DataSetResult("applications", "ok", (app,)),
                              "app_segments": DataSetResult("app_segments", "ok", {"a1": (seg,)})})


def _tighten(tenant: Any) -> Any:
    from datetime import UTC, datetime

    from ztconsole.wizard.context import RolloutContext
    from ztconsole.wizard.retire import tighten, tighten_plan
    from ztconsole.wizard.state import fresh

    ctx = RolloutContext(tenant, fresh("00000000-0000-0000-0000-000000000001"), now=datetime(2026, 12, 7, tzinfo=UTC))
    return tighten(ctx), tighten_plan(ctx)


def test_a_deny_for_the_pool_goes_above_the_rule_that_admits_it() -> None:
    (status, detail), plan = _tighten(_published(("vnet", 200, "Allow", "VirtualNetwork", "*")))
    assert status == "ready" and "nsg-app" in detail
    (change,) = plan.changes
    props = change.request.body["properties"]
    assert (props["access"], props["direction"], props["priority"], props["protocol"]) == ("Deny", "Inbound", 199,
                                                                                          "Tcp")
    assert props["sourceAddressPrefixes"] == ["172.16.201.0/24"]
    assert props["destinationAddressPrefixes"] == ["10.1.0.10/32"] and props["destinationPortRanges"] == ["1433"]
    assert change.request.method == "PUT" and change.request.api == "arm" and not change.then


def test_with_no_room_above_the_rule_moves_down_one_and_the_deny_takes_its_place() -> None:
    (status, _), plan = _tighten(_published(("vnet", 100, "Allow", "VirtualNetwork", "*")))
    assert status == "ready"
    (change,) = plan.changes
    move, deny = change.requests
    assert move.url.split("?")[0].endswith("/securityRules/vnet") and move.body["properties"]["priority"] == 101
    assert deny.body["properties"]["priority"] == 100 and deny.body["properties"]["access"] == "Deny"
    assert change.before["moved"]["priority"] == 100  # what a rollback puts back


def test_with_no_free_number_below_the_rule_the_guard_refuses() -> None:
    (status, detail), plan = _tighten(_published(("vnet", 100, "Allow", "VirtualNetwork", "*"),
                                                 ("next", 101, "Allow", "10.0.0.0/8", "22")))
    assert status == "blocked" and "no free priority" in detail
    assert plan.refused and not plan.writes


def test_nothing_to_tighten_when_no_rule_admits_the_pool() -> None:
    (status, detail), plan = _tighten(_published(("vpn-ssh", 100, "Allow", "172.16.201.0/24", "22"),
                                                 ("DenyAll", 4000, "Deny", "*", "*")))
    assert status == "done" and "no NSG admits the VPN pool" in detail and not plan.changes
