"""The flow tracer on plain data: NSG out, route, firewall, NSG in, P2S sources, Private Access (CONTRACTS §5a)."""

from __future__ import annotations

from typing import Any

from test_engine_routes import HUB, SPOKE, SUB, gateway, table, vnet
from ztconsole.engine.flow import FlowTracer, publishing_segments
from ztconsole.engine.network.firewall import FirewallRuleBook
from ztconsole.engine.network.routes import Routing
from ztconsole.model.access import Application, ApplicationSegment
from ztconsole.model.ca import ConditionalAccessPolicy
from ztconsole.model.network import AzureFirewall, FirewallPolicy, NetworkSecurityGroup, RuleCollectionGroup

POLICY = f"{SUB}/firewallPolicies/afwp"
FW_ID = f"{SUB}/azureFirewalls/afw"


def nsg(name: str, *rules: tuple[str, int, str, str, str, str, str]) -> NetworkSecurityGroup:
    return NetworkSecurityGroup.from_wire({"id": f"{SUB}/networkSecurityGroups/{name}", "name": name, "properties": {
        "securityRules": [{"name": n, "properties": {
            "priority": prio, "access": access, "direction": direction, "protocol": "Tcp",
            "sourceAddressPrefix": src, "destinationAddressPrefix": dst, "destinationPortRange": ports,
            "sourcePortRange": "*"}} for n, prio, access, direction, src, dst, ports in rules]}})


def with_nsgs(v: Any, mapping: dict[str, str]) -> Any:
    wire = v.to_wire() if hasattr(v, "to_wire") else None
    assert wire is not None
    for s in wire["properties"]["subnets"]:
        if s["name"] in mapping:
            s["properties"]["networkSecurityGroup"] = {"id": f"{SUB}/networkSecurityGroups/{mapping[s['name']]}"}
    return type(v).from_wire(wire)


def firewall_policy(*rules: dict[str, Any]) -> tuple[FirewallPolicy, RuleCollectionGroup]:
    pol = FirewallPolicy.from_wire({"id": POLICY, "name": "afwp", "properties": {}})
    grp = RuleCollectionGroup.from_wire({"id": f"{POLICY}/ruleCollectionGroups/net", "name": "net", "properties": {
        "priority": 100, "ruleCollections": [{"ruleCollectionType": "FirewallPolicyFilterRuleCollection",
                                              "name": "spokes", "priority": 100, "action": {"type": "Allow"},
                                              "rules": list(rules)}]}})
    return pol, grp


def net_rule(name: str, src: str, dst: str, ports: str) -> dict[str, Any]:
    return {"ruleType": "NetworkRule", "name": name, "ipProtocols": ["TCP"], "sourceAddresses": [src],
            "destinationAddresses": [dst], "destinationPorts": [ports]}


FIREWALL = AzureFirewall.from_wire({"id": FW_ID, "name": "afw", "location": "westeurope", "properties": {
    "firewallPolicy": {"id": POLICY},
    "ipConfigurations": [{"name": "ip", "properties": {"privateIPAddress": "10.0.1.4"}}]}})
RT_APP = table("rt-app", ("default", "0.0.0.0/0", "VirtualAppliance", "10.0.1.4"))
RT_GW = table("rt-gw", ("to-spoke", "10.1.0.0/16", "VirtualAppliance", "10.0.1.4"))


def tracer(*, nsgs: tuple[NetworkSecurityGroup, ...] = (), rules: tuple[dict[str, Any], ...] = (),
           apps: tuple[Application, ...] = (), policies: tuple[ConditionalAccessPolicy, ...] = (),
           gw_table: bool = False) -> FlowTracer:
    hub = HUB
    if gw_table:
        wire = hub.to_wire()
        for s in wire["properties"]["subnets"]:
            if s["name"] == "GatewaySubnet":
                s["properties"]["routeTable"] = {"id": f"{SUB}/routeTables/rt-gw"}
        hub = type(hub).from_wire(wire)
    spoke = with_nsgs(SPOKE, {"app": "nsg-app", "plain": "nsg-plain"})
    other = vnet("other", ["10.2.0.0/16"], {"web": ("10.2.1.0/24", "rt-app")})
    other = with_nsgs(other, {"web": "nsg-web"})
    routing = Routing([hub, spoke, other, ], [RT_APP, RT_GW], [gateway("172.16.201.0/24", "hub")])
    pol, grp = firewall_policy(*rules)
    book = FirewallRuleBook([pol], {POLICY.lower(): [grp]})
    return FlowTracer(routing, nsgs, [FIREWALL], book, apps, {}, policies)


ALLOW_WEB_IN = ("allow-sql", 100, "Allow", "Inbound", "10.0.0.0/8", "*", "1433")


def test_udr_to_the_firewall_then_the_destination_nsg_allows() -> None:
    t = tracer(nsgs=(nsg("nsg-app"), nsg("nsg-web", ALLOW_WEB_IN)),
               rules=(net_rule("spoke-to-web", "10.1.0.0/16", "10.2.0.0/16", "1433"),))
    r = t.trace("10.1.1.4", "10.2.1.9", 1433)
    assert [(s.layer, s.action, s.rule) for s in r.path] == [
        ("nsg-outbound", "allow", None), ("route", "nextHop", "default"), ("firewall", "allow", "spoke-to-web"),
        ("nsg-inbound", "allow", "allow-sql")]
    assert r.verdict == "allow" and r.decided_by is not None and r.decided_by.layer == "nsg-inbound"
    doc = r.to_json()
    assert list(doc) == ["flow", "verdict", "decidedBy", "path", "privateAccess"]
    assert doc["flow"] == {"src": "10.1.1.4", "dst": "10.2.1.9", "port": 1433, "protocol": "tcp"}
    assert doc["decidedBy"] == {"layer": "nsg-inbound", "resource": {
        "id": f"{SUB}/networkSecurityGroups/nsg-web", "name": "nsg-web"}, "rule": "allow-sql"}
    assert set(doc["path"][0]) == {"layer", "resource", "rule", "action", "detail"}


def test_a_deny_rule_in_the_source_nsg_decides_first() -> None:
    t = tracer(nsgs=(nsg("nsg-app", ("deny-sql-out", 100, "Deny", "Outbound", "*", "*", "1433")),
                     nsg("nsg-web", ALLOW_WEB_IN)),
               rules=(net_rule("spoke-to-web", "10.1.0.0/16", "10.2.0.0/16", "1433"),))
    r = t.trace("10.1.1.4", "10.2.1.9", 1433)
    assert r.verdict == "deny" and [s.layer for s in r.path] == ["nsg-outbound"]
    assert r.decided_by is not None and (r.decided_by.layer, r.decided_by.rule) == ("nsg-outbound", "deny-sql-out")


def test_nothing_matching_at_the_firewall_is_its_default_deny() -> None:
    t = tracer(nsgs=(nsg("nsg-web", ALLOW_WEB_IN),),
               rules=(net_rule("spoke-to-web-https", "10.1.0.0/16", "10.2.0.0/16", "443"),))
    r = t.trace("10.1.1.4", "10.2.1.9", 1433)
    assert r.verdict == "deny"
    assert r.decided_by is not None and (r.decided_by.layer, r.decided_by.rule) == ("firewall", None)
    assert "denies by default" in r.decided_by.detail
    # the source subnet names an NSG that was not read: said so, not judged
    assert [(s.layer, s.action) for s in r.path] == [("nsg-outbound", "nextHop"), ("route", "nextHop"),
                                                     ("firewall", "deny")]
    assert "not read" in r.path[0].detail


def test_peered_vnets_route_directly_and_the_destination_nsg_decides() -> None:
    t = tracer(nsgs=(nsg("nsg-plain"),))
    r = t.trace("10.0.0.10", "10.1.2.5", 22)  # hub GatewaySubnet has no table: peering route; nsg-plain default
    route = next(s for s in r.path if s.layer == "route")
    assert route.action == "nextHop" and "VNetPeering" in route.detail
    assert r.path[-1].layer == "nsg-inbound" and r.path[-1].rule is None  # the default AllowVnetInBound
    assert r.verdict == "allow"
    denied = tracer(nsgs=(nsg(
        "nsg-plain", ("deny-ssh", 100, "Deny", "Inbound", "*", "*", "22")),)).trace("10.0.0.10", "10.1.2.5", 22)
    assert denied.verdict == "deny" and denied.decided_by is not None and denied.decided_by.rule == "deny-ssh"


def test_a_point_to_site_source_sends_from_the_gateway_subnet_through_its_route_table() -> None:
    t = tracer(nsgs=(nsg("nsg-app", ("allow-p2s", 100, "Allow", "Inbound", "172.16.201.0/24", "*", "3389")),),
               rules=(net_rule("p2s-to-spoke", "172.16.201.0/24", "10.1.0.0/16", "3389"),), gw_table=True)
    r = t.trace("172.16.201.7", "10.1.1.4", 3389)
    assert [(s.layer, s.rule) for s in r.path] == [("route", "to-spoke"), ("firewall", "p2s-to-spoke"),
                                                   ("nsg-inbound", "allow-p2s")]
    assert "point-to-site" in r.path[0].detail and r.verdict == "allow"
    without_table = tracer(nsgs=(nsg("nsg-app"),)).trace("172.16.201.7", "10.1.1.4", 3389)
    assert without_table.path[0].layer == "route" and "VNetPeering" in without_table.path[0].detail


APP_ID = "11111111-2222-3333-4444-555555555555"


def pa_app() -> Application:
    return Application.from_wire({"id": "app-object", "appId": APP_ID, "displayName": "PA - SQL", "tags": [
        "PrivateAccessNonWebApplication"], "onPremisesPublishing": {"applicationType": "nonwebapp",
        "segmentsConfiguration": {"@odata.type": "#microsoft.graph.ipSegmentConfiguration", "applicationSegments": [
            {"id": "seg-ip", "destinationHost": "10.2.1.9", "destinationType": "ipAddress", "ports": ["1433-1433"],
             "protocol": "tcp"},
            {"id": "seg-cidr", "destinationHost": "10.2.0.0/16", "destinationType": "ipRangeCidr",
             "ports": ["1400-1500"], "protocol": "udp"},
            {"id": "seg-name", "destinationHost": "sql.corp.contoso.com", "destinationType": "fqdn",
             "ports": ["1433"], "protocol": "tcp"},
            {"id": "seg-suffix", "destinationHost": "contoso.com", "destinationType": "dnsSuffix",
             "ports": ["1-65535"], "protocol": "tcp"},
            {"id": "seg-range", "destinationHost": "10.2.1.1-10.2.1.20", "destinationType": "ipRange",
             "ports": ["1433"], "protocol": "tcp"}]}}})


def ca(pid: str, state: str, include: list[str], *, workload: bool = False) -> ConditionalAccessPolicy:
    cond: dict[str, Any] = {"users": {"includeUsers": ["All"]}, "applications": {"includeApplications": include},
                            "clientAppTypes": ["all"]}
    if workload:
        cond["clientApplications"] = {"includeServicePrincipals": ["ServicePrincipalsInMyTenant"]}
    return ConditionalAccessPolicy.from_wire({"id": pid, "displayName": pid, "state": state, "conditions": cond,
                                              "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}})


POLICIES = (ca("p-app", "enabled", [APP_ID]), ca("p-all", "enabled", ["All"]),
            ca("p-ro", "enabledForReportingButNotEnforced", [APP_ID]),
            ca("p-other", "enabled", ["99999999-2222-3333-4444-555555555555"]),
            ca("p-wl", "enabled", ["All"], workload=True), ca("p-off", "disabled", ["All"]))


def test_segments_publishing_the_destination_with_the_enabled_policies_of_their_app() -> None:
    t = tracer(nsgs=(nsg("nsg-web", ALLOW_WEB_IN),), rules=(net_rule("any", "10.0.0.0/8", "10.0.0.0/8", "1433"),),
               apps=(pa_app(),), policies=POLICIES)
    r = t.trace("10.1.1.4", "10.2.1.9", 1433)
    assert [(m.segment_id, m.policies) for m in r.private_access] == [
        ("seg-ip", ("p-all", "p-app")), ("seg-range", ("p-all", "p-app"))]
    assert r.to_json()["privateAccess"][0] == {"appId": APP_ID, "appName": "PA - SQL", "segmentId": "seg-ip",
                                               "policies": ["p-all", "p-app"]}
    udp = publishing_segments([pa_app()], {}, POLICIES, "10.2.7.7", 1450, "udp")
    assert [m.segment_id for m in udp] == ["seg-cidr"]
    assert publishing_segments([pa_app()], {}, POLICIES, "10.2.1.9", 1434, "tcp") == []


def test_a_name_is_matched_against_segments_only_and_the_network_path_says_it_needs_an_address() -> None:
    t = tracer(apps=(pa_app(),), policies=POLICIES)
    r = t.trace("10.1.1.4", "SQL.corp.contoso.com", 1433)
    assert [m.segment_id for m in r.private_access] == ["seg-name", "seg-suffix"]
    assert r.verdict == "deny" and r.decided_by is not None
    assert (r.decided_by.layer, r.decided_by.rule) == ("route", None) and "IP address" in r.decided_by.detail
    segs: dict[str, tuple[ApplicationSegment, ...]] = {}
    assert publishing_segments([pa_app()], segs, POLICIES, "db.fabrikam.com", 1433, "tcp") == []
