"""NSG evaluation: priorities, deny above allow, default rules, port ranges and lists, service tags, ASGs."""

from __future__ import annotations

from typing import Any

import pytest

from ztconsole.engine.network.nsg import admitted, decide, rules_of, tag_resolver
from ztconsole.engine.network.sets import AddressSet
from ztconsole.model.network import NetworkSecurityGroup

NSG_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg-web"
VNET = AddressSet.parse(["10.0.0.0/16", "10.1.0.0/16"])  # the VNet and a peered one
RESOLVE = tag_resolver(VNET)


def rule(name: str, priority: int, access: str = "Allow", direction: str = "Inbound", *, src: Any = "*",
         dst: Any = "*", ports: Any = "*", protocol: str = "Tcp", src_ports: Any = "*",
         asgs: tuple[str, ...] = ()) -> dict[str, Any]:
    props: dict[str, Any] = {"protocol": protocol, "access": access, "priority": priority, "direction": direction}
    for key, value in (("sourceAddressPrefix", src), ("destinationAddressPrefix", dst),
                       ("destinationPortRange", ports), ("sourcePortRange", src_ports)):
        if isinstance(value, list):
            props[key.replace("Prefix", "Prefixes").replace("Range", "Ranges")] = value
        else:
            props[key] = value
    if asgs:
        props.pop("sourceAddressPrefix")
        props["sourceApplicationSecurityGroups"] = [{"id": a} for a in asgs]
    return {"name": name, "id": f"{NSG_ID}/securityRules/{name}", "properties": props}


def nsg(*rules: dict[str, Any]) -> NetworkSecurityGroup:
    return NetworkSecurityGroup.from_wire({"id": NSG_ID, "name": "nsg-web", "location": "westeurope",
                                           "properties": {"securityRules": list(rules)}})


def inbound(*rules: dict[str, Any]) -> list[Any]:
    return rules_of(nsg(*rules), "Inbound", RESOLVE)


def test_the_lowest_priority_number_decides_so_a_deny_above_an_allow_wins() -> None:
    rules = inbound(rule("allow-rdp", 200, ports="3389"), rule("deny-rdp", 100, "Deny", ports="3389"))
    decision = decide(rules, "203.0.113.9", "10.0.1.4", 3389)
    assert (decision.access, decision.rule.name) == ("Deny", "deny-rdp")
    assert decide(rules, "203.0.113.9", "10.0.1.4", 22).rule.name == "DenyAllInBound"


def test_default_rules_apply_when_nothing_else_matches() -> None:
    rules = inbound()
    assert [r.name for r in rules] == ["AllowVnetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInBound"]
    assert decide(rules, "10.1.2.3", "10.0.1.4", 445).rule.name == "AllowVnetInBound"  # peered space
    assert decide(rules, "168.63.129.16", "10.0.1.4", 80).rule.name == "AllowAzureLoadBalancerInBound"
    assert decide(rules, "198.51.100.1", "10.0.1.4", 80).access == "Deny"
    out = rules_of(nsg(), "Outbound", RESOLVE)
    assert decide(out, "10.0.1.4", "198.51.100.1", 443).rule.name == "AllowInternetOutBound"
    assert decide(out, "10.0.1.4", "10.0.2.9", 443).rule.name == "AllowVnetOutBound"


@pytest.mark.parametrize(("ports", "port", "matches"), [
    ("3380-3390", 3389, True), ("3380-3390", 3391, False), (["22", "3389"], 3389, True),
    (["22", "5985-5986"], 5986, True), ("*", 1, True), ("443", 80, False)])
def test_port_ranges_and_lists(ports: Any, port: int, matches: bool) -> None:
    rules = inbound(rule("r", 100, ports=ports))
    assert (decide(rules, "203.0.113.9", "10.0.1.4", port).rule.name == "r") is matches


def test_service_tags_internet_and_virtual_network() -> None:
    rules = inbound(rule("from-internet", 100, src="Internet", ports="443"))
    assert decide(rules, "203.0.113.9", "10.0.1.4", 443).rule.name == "from-internet"
    assert decide(rules, "10.0.3.3", "10.0.1.4", 443).rule.name == "AllowVnetInBound"  # inside: not Internet


def test_protocols_udp_rule_does_not_match_tcp_and_esp_never_matches() -> None:
    rules = inbound(rule("udp", 100, protocol="Udp", ports="53"), rule("esp", 110, protocol="Esp"))
    assert decide(rules, "203.0.113.9", "10.0.1.4", 53, "TCP").rule.name == "DenyAllInBound"
    assert decide(rules, "203.0.113.9", "10.0.1.4", 53, "UDP").rule.name == "udp"


def test_a_rule_naming_application_security_groups_is_reported_not_guessed() -> None:
    rules = inbound(rule("from-asg", 100, asgs=("/asg/web",), ports="22"))
    decision = decide(rules, "203.0.113.9", "10.0.1.4", 22)
    assert decision.rule.name == "DenyAllInBound"
    assert [r.name for r in decision.undetermined] == ["from-asg"]


def test_admitted_names_the_rule_and_the_part_of_the_sources_it_admits() -> None:
    internet = RESOLVE("Internet")
    assert internet is not None
    rules = inbound(rule("deny-ssh-partner", 100, "Deny", src="198.51.100.0/24", ports="22"),
                    rule("allow-ssh", 200, src="*", ports=["20-23"]),
                    rule("allow-https", 300, src="Internet", ports="443"))
    (admission,) = admitted(rules, internet, 22)
    assert admission.rule.name == "allow-ssh"
    assert not admission.sources.covers(AddressSet.parse("198.51.100.7"))  # denied above it
    assert admission.sources.covers(AddressSet.parse("203.0.113.0/24"))
    assert admitted(rules, internet, 3389) == []
    # a deny from Internet above: nothing admitted from it
    closed = inbound(rule("deny-all-internet", 100, "Deny", src="Internet"), rule("allow-ssh", 200, ports="22"))
    assert admitted(closed, internet, 22) == []
    assert [a.rule.name for a in admitted(closed, AddressSet.parse("10.0.5.5"), 22)] == ["allow-ssh"]


def test_a_malformed_port_names_the_value() -> None:
    with pytest.raises(ValueError, match="http"):
        inbound(rule("bad", 100, ports="http"))
