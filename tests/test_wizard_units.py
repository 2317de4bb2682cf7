"""The rollout's write planning with plain data: placeholders filled from an answer, the application template
of each cloud, NSG priorities, CIDRs of an address set."""

from __future__ import annotations

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
