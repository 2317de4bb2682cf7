"""ZT-NET-001..015 (issue #12): a passing and a failing fixture for each check, the edge cases of NSG
evaluation (port ranges, deny above allow, prefix lists, service tags, "any" sources, peered spaces) and of
firewall rule inheritance, and the bundled demo's deliberate network flaws and good configurations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pytest

from ztconsole.engine.checks import BY_ID, CheckContext, Finding, run_check
from ztconsole.engine.checks.network import EXCEPTED_SUBNETS
from ztconsole.engine.network.firewall import rule_id
from ztconsole.model.access import Application, ApplicationSegment
from ztconsole.model.network import (
    ApplicationGateway,
    AzureFirewall,
    FirewallPolicy,
    NetworkSecurityGroup,
    RouteTable,
    RuleCollectionGroup,
    VirtualNetwork,
    VirtualNetworkGateway,
    WafPolicy,
)
from ztconsole.model.tenant import DataSetResult, Tenant, TenantInfo, arm_key

N = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network"
RG = "/subscriptions/s1/resourceGroups/rg"
_SETS = ("firewalls", "firewall_policies", "rule_collection_groups", "ip_groups", "nsgs", "route_tables",
         "virtual_networks", "vnet_gateways", "ddos_plans", "app_gateways", "waf_policies", "applications",
         "app_segments")
_PER_ITEM = ("rule_collection_groups", "vnet_gateways", "app_segments")


def tenant(*, firewalls: Iterable[AzureFirewall] = (), policies: Iterable[FirewallPolicy] = (),
           groups: Iterable[RuleCollectionGroup] = (), nsgs: Iterable[NetworkSecurityGroup] = (),
           route_tables: Iterable[RouteTable] = (), vnets: Iterable[VirtualNetwork] = (),
           gateways: Iterable[VirtualNetworkGateway] = (), app_gateways: Iterable[ApplicationGateway] = (),
           wafs: Iterable[WafPolicy] = (), apps: Iterable[Application] = (),
           segments: Mapping[str, Sequence[ApplicationSegment]] | None = None,
           statuses: Mapping[str, str] | None = None) -> Tenant:
    by_policy: dict[str, list[RuleCollectionGroup]] = {}
    for g in groups:
        by_policy.setdefault(arm_key(g.id.split("/ruleCollectionGroups/")[0]), []).append(g)
    values: dict[str, Any] = {
        "firewalls": tuple(firewalls), "firewall_policies": tuple(policies),
        "rule_collection_groups": {k: tuple(v) for k, v in by_policy.items()}, "ip_groups": (),
        "nsgs": tuple(nsgs), "route_tables": tuple(route_tables), "virtual_networks": tuple(vnets),
        "vnet_gateways": {arm_key(RG): tuple(gateways)}, "ddos_plans": (), "app_gateways": tuple(app_gateways),
        "waf_policies": tuple(wafs), "applications": tuple(apps), "app_segments": dict(segments or {}),
    }
    results = {k: DataSetResult(k, "ok", values[k]) for k in _SETS}
    for key, status in (statuses or {}).items():
        results[key] = DataSetResult(key, status, None, message="denied")  # type: ignore[arg-type]
    return Tenant(TenantInfo(id="t1", display_name="Test"), results)


def run(t: Tenant, check: str) -> list[Finding]:
    return run_check(BY_ID[check], CheckContext(t))


def by_name(findings: list[Finding]) -> dict[str, Finding]:
    return {f.resource.name: f for f in findings}


def statuses(findings: list[Finding]) -> dict[str, str]:
    return {f.resource.name: f.status for f in findings}


# --- builders ---------------------------------------------------------------------------------------------


def policy(name: str, *, tier: str = "Premium", ti: str | None = "Deny", idps: str | None = "Deny",
           ca: bool = True, base: str | None = None) -> FirewallPolicy:
    props: dict[str, Any] = {"sku": {"tier": tier}}
    if ti:
        props["threatIntelMode"] = ti
    if idps:
        props["intrusionDetection"] = {"mode": idps}
    if ca:
        props["transportSecurity"] = {"certificateAuthority": {"name": "ica", "keyVaultSecretId": "https://kv/s/ica"}}
    if base:
        props["basePolicy"] = {"id": base}
    return FirewallPolicy.from_wire({"id": f"{N}/firewallPolicies/{name}", "name": name, "properties": props})


def lst(v: Any) -> list[Any]:
    return [v] if isinstance(v, str) else list(v)


def net(name: str, src: Any = "10.1.0.0/16", dst: Any = "10.2.0.0/16", ports: Any = "443", protos: Any = "TCP"
        ) -> dict[str, Any]:
    return {"ruleType": "NetworkRule", "name": name, "ipProtocols": lst(protos), "sourceAddresses": lst(src),
            "destinationAddresses": lst(dst), "destinationPorts": lst(ports)}


def app(name: str, fqdns: Any = ("www.contoso.com",), src: str = "10.1.0.0/16", tls: bool = False) -> dict[str, Any]:
    return {"ruleType": "ApplicationRule", "name": name, "sourceAddresses": [src], "targetFqdns": lst(fqdns),
            "protocols": [{"protocolType": "Https", "port": 443}], "terminateTLS": tls}


def coll(name: str, priority: int, action: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return {"ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": name, "priority": priority,
            "action": {"type": action}, "rules": list(rules)}


def rcg(pol: FirewallPolicy, name: str, priority: int, *collections: dict[str, Any]) -> RuleCollectionGroup:
    return RuleCollectionGroup.from_wire({"id": f"{pol.id}/ruleCollectionGroups/{name}", "name": name,
                                          "properties": {"priority": priority, "ruleCollections": list(collections)}})


def fw_rule_id(pol: FirewallPolicy, group: str, collection: str, rule: str) -> str:
    return rule_id(f"{pol.id}/ruleCollectionGroups/{group}", collection, rule)


Rule = tuple[str, int, str, Any, Any]  # name, priority, access, source(s), destination port(s)


def nsg(name: str, *rules: Rule, dst: Any = "*", subnets: Sequence[str] = ()) -> NetworkSecurityGroup:
    nid = f"{N}/networkSecurityGroups/{name}"
    out = []
    for rname, prio, access, src, ports in rules:
        srcs, prts, dsts = lst(src), lst(ports), lst(dst)
        props: dict[str, Any] = {"priority": prio, "access": access, "direction": "Inbound", "protocol": "Tcp",
                                 "sourcePortRange": "*"}
        props.update({"sourceAddressPrefix": srcs[0]} if len(srcs) == 1 else {"sourceAddressPrefixes": srcs})
        props.update({"destinationPortRange": prts[0]} if len(prts) == 1 else {"destinationPortRanges": prts})
        props.update({"destinationAddressPrefix": dsts[0]} if len(dsts) == 1 else {"destinationAddressPrefixes": dsts})
        out.append({"id": f"{nid}/securityRules/{rname}", "name": rname, "properties": props})
    return NetworkSecurityGroup.from_wire({"id": nid, "name": name, "properties": {
        "securityRules": out, "subnets": [{"id": s} for s in subnets]}})


def vnet_id(name: str) -> str:
    return f"{N}/virtualNetworks/{name}"


def subnet_id(vnet: str, name: str) -> str:
    return f"{vnet_id(vnet)}/subnets/{name}"


def vnet(name: str, prefix: str, subnets: Sequence[tuple[str, str, str | None, str | None]] = (),
         peers: Sequence[tuple[str, str]] = (), ddos: bool = False) -> VirtualNetwork:
    """``subnets``: (name, prefix, NSG name, route table name); ``peers``: (remote VNet name, its prefix)."""
    subs = []
    for sname, sprefix, nsg_name, rt in subnets:
        props: dict[str, Any] = {"addressPrefix": sprefix}
        if nsg_name:
            props["networkSecurityGroup"] = {"id": f"{N}/networkSecurityGroups/{nsg_name}"}
        if rt:
            props["routeTable"] = {"id": f"{N}/routeTables/{rt}"}
        subs.append({"id": subnet_id(name, sname), "name": sname, "properties": props})
    peerings = [{"id": f"{vnet_id(name)}/virtualNetworkPeerings/to-{r}", "name": f"to-{r}", "properties": {
        "remoteVirtualNetwork": {"id": vnet_id(r)}, "peeringState": "Connected",
        "remoteAddressSpace": {"addressPrefixes": [p]}}} for r, p in peers]
    props2: dict[str, Any] = {"addressSpace": {"addressPrefixes": [prefix]}, "subnets": subs,
                              "virtualNetworkPeerings": peerings, "enableDdosProtection": ddos}
    if ddos:
        props2["ddosProtectionPlan"] = {"id": f"{N}/ddosProtectionPlans/ddos"}
    return VirtualNetwork.from_wire({"id": vnet_id(name), "name": name, "properties": props2})


def route_table(name: str, *routes: tuple[str, str, str | None]) -> RouteTable:
    rid = f"{N}/routeTables/{name}"
    return RouteTable.from_wire({"id": rid, "name": name, "properties": {"routes": [
        {"id": f"{rid}/routes/r{i}", "name": f"r{i}", "properties": {
            "addressPrefix": p, "nextHopType": hop, **({"nextHopIpAddress": ip} if ip else {})}}
        for i, (p, hop, ip) in enumerate(routes)]}})


def firewall(name: str, vnet_name: str, ip: str, *, policy_id: str | None = None,
             classic: Mapping[str, Any] | None = None) -> AzureFirewall:
    fid = f"{N}/azureFirewalls/{name}"
    props: dict[str, Any] = {"sku": {"name": "AZFW_VNet", "tier": "Premium"}, "ipConfigurations": [{
        "id": f"{fid}/azureFirewallIpConfigurations/c", "name": "c", "properties": {
            "privateIPAddress": ip, "subnet": {"id": subnet_id(vnet_name, "AzureFirewallSubnet")},
            "publicIPAddress": {"id": f"{N}/publicIPAddresses/pip-{name}"}}}]}
    if policy_id:
        props["firewallPolicy"] = {"id": policy_id}
    props.update(classic or {})
    return AzureFirewall.from_wire({"id": fid, "name": name, "properties": props})


def classic_net(name: str, src: str, dst: str, ports: str, protos: str = "Any") -> dict[str, Any]:
    return {"networkRuleCollections": [{"id": "c1", "name": "legacy", "properties": {
        "priority": 100, "action": {"type": "Allow"}, "rules": [
            {"name": name, "protocols": [protos], "sourceAddresses": [src], "destinationAddresses": [dst],
             "destinationPorts": [ports]}]}}]}


# --- ZT-NET-001 .. 003 -------------------------------------------------------------------------------------


def test_001_threat_intelligence_deny_passes_and_alert_or_off_fail() -> None:
    found = by_name(run(tenant(policies=[policy("good"), policy("alert", ti="Alert"), policy("off", ti="Off")]),
                        "ZT-NET-001"))
    assert {k: f.status for k, f in found.items()} == {"good": "pass", "alert": "fail", "off": "fail"}
    assert "threatIntelMode is Alert" in found["alert"].evidence and "logged, not denied" in found["alert"].evidence
    assert found["alert"].resource.type == "firewallPolicy" and found["alert"].resource.id.endswith("/alert")
    assert "Alert and deny" in found["alert"].remediation


def test_001_without_policies_skips_with_the_reason() -> None:
    [f] = run(tenant(), "ZT-NET-001")
    assert f.status == "skip" and "no firewall policies" in f.evidence


def test_002_premium_idps_deny_passes_alert_fails_and_standard_is_not_judged() -> None:
    t = tenant(policies=[policy("p1"), policy("p2", idps="Alert"), policy("std", tier="Standard", idps=None)])
    assert statuses(run(t, "ZT-NET-002")) == {"p1": "pass", "p2": "fail"}
    [f] = run(tenant(policies=[policy("std", tier="Standard")]), "ZT-NET-002")
    assert f.status == "skip" and "no Premium" in f.evidence


def test_003_tls_inspection_needs_a_ca_and_terminating_application_rules() -> None:
    good, no_ca, no_tls, empty = (policy("good"), policy("noca", ca=False), policy("notls"), policy("empty"))
    groups = [rcg(good, "g", 100, coll("apps", 100, "Allow", app("a1", tls=True), app("m365", ("*.office.com",)))),
              rcg(no_ca, "g", 100, coll("apps", 100, "Allow", app("a1", tls=True))),
              rcg(no_tls, "g", 100, coll("apps", 100, "Allow", app("a1")))]
    found = by_name(run(tenant(policies=[good, no_ca, no_tls, empty], groups=groups), "ZT-NET-003"))
    assert {k: f.status for k, f in found.items()} == {"good": "pass", "noca": "fail", "notls": "fail",
                                                        "empty": "warn"}
    assert "1 of 2" in found["good"].evidence and "m365" in found["good"].evidence
    assert "certificateAuthority" in found["noca"].evidence
    assert "none of the 1 allowing application rules" in found["notls"].evidence


def test_003_inherited_application_rules_count_for_the_child() -> None:
    parent = policy("parent")
    child = policy("child", base=parent.id)
    groups = [rcg(parent, "g", 100, coll("apps", 100, "Allow", app("a1", tls=True)))]
    assert statuses(run(tenant(policies=[parent, child], groups=groups), "ZT-NET-003")) == {
        "parent": "pass", "child": "pass"}


# --- ZT-NET-004 .. 006 -------------------------------------------------------------------------------------


def test_004_any_to_any_rule_fails_with_its_rule_id_and_a_clean_policy_passes() -> None:
    bad, good = policy("bad"), policy("good")
    groups = [rcg(bad, "g", 100, coll("c", 100, "Allow", net("ok"), net("AllowAll", "*", "*", "*", "Any"))),
              rcg(good, "g", 100, coll("c", 100, "Allow", net("ok")))]
    found = run(tenant(policies=[bad, good], groups=groups), "ZT-NET-004")
    assert statuses(found) == {"AllowAll": "fail", "good": "pass"}
    rule = next(f for f in found if f.status == "fail")
    assert rule.resource.id == fw_rule_id(bad, "g", "c", "AllowAll")
    assert rule.resource.type == "firewallPolicyRule" and "'bad'" in rule.evidence


def test_004_and_005_judge_classic_rule_collections_too() -> None:
    legacy = firewall("afw-legacy", "hub", "10.0.1.4", classic=classic_net("any-any", "*", "*", "*"))
    t = tenant(firewalls=[legacy])
    [f4] = run(t, "ZT-NET-004")
    assert f4.status == "fail" and "any-any" in f4.evidence and "afw-legacy" in f4.evidence
    [f5] = run(t, "ZT-NET-005")
    assert f5.status == "fail"
    fine = firewall("afw-fine", "hub", "10.0.1.4", classic=classic_net("web", "10.0.0.0/8", "10.2.0.0/16", "443"))
    assert statuses(run(tenant(firewalls=[fine]), "ZT-NET-004")) == {"afw-fine": "pass"}
    assert statuses(run(tenant(firewalls=[fine]), "ZT-NET-005")) == {"afw-fine": "pass"}


def test_005_network_rules_to_any_destination_and_star_fqdns_fail_fqdn_rules_pass() -> None:
    bad, good = policy("bad"), policy("good")
    groups = [rcg(bad, "g", 100, coll("n", 100, "Allow", net("to-any", dst="*")),
                  coll("a", 200, "Allow", app("star", ("*",)))),
              rcg(good, "g", 100, coll("a", 100, "Allow", app("github", ("github.com",))))]
    found = by_name(run(tenant(policies=[bad, good], groups=groups), "ZT-NET-005"))
    assert {k: f.status for k, f in found.items()} == {"to-any": "fail", "star": "fail", "good": "pass"}
    assert "any destination" in found["to-any"].evidence and "any FQDN" in found["star"].evidence


def test_006_redundant_rule_warns_and_shadowed_deny_fails_naming_the_covering_rule() -> None:
    p = policy("p")
    groups = [rcg(p, "g", 100,
                  coll("allow", 100, "Allow", net("wide", "10.1.0.0/16"), net("narrow", "10.1.1.0/24")),
                  coll("deny", 200, "Deny", net("deny-late", "10.1.2.0/24")))]
    found = by_name(run(tenant(policies=[p], groups=groups), "ZT-NET-006"))
    assert found["narrow"].status == "warn" and found["deny-late"].status == "fail"
    assert "'wide'" in found["narrow"].evidence and fw_rule_id(p, "g", "allow", "wide") in found["narrow"].evidence
    assert found["narrow"].resource.id == fw_rule_id(p, "g", "allow", "narrow")
    assert "redundant" in found["narrow"].evidence and "shadowed" in found["deny-late"].evidence
    assert "p" not in found  # no pass finding for a policy that has findings


def test_006_clean_policy_passes() -> None:
    p = policy("p")
    groups = [rcg(p, "g", 100, coll("allow", 100, "Allow", net("a", "10.1.0.0/24"), net("b", "10.1.1.0/24")))]
    assert statuses(run(tenant(policies=[p], groups=groups), "ZT-NET-006")) == {"p": "pass"}


def test_006_inherited_rules_are_reported_once_at_the_policy_that_owns_them() -> None:
    parent = policy("parent")
    child = policy("child", base=parent.id)
    groups = [rcg(parent, "base", 100, coll("allow", 100, "Allow", net("wide"), net("dup"))),
              rcg(child, "own", 100, coll("allow", 100, "Allow", net("child-dup"), net("child-ok", dst="10.9.0.0/16")))]
    found = run(tenant(policies=[parent, child], groups=groups), "ZT-NET-006")
    names = [f.resource.name for f in found if f.status != "pass"]
    assert sorted(names) == ["child-dup", "dup"]  # "dup" once, though both flattenings contain it
    dup = next(f for f in found if f.resource.name == "dup")
    assert "in policy 'parent'" in dup.evidence
    child_dup = next(f for f in found if f.resource.name == "child-dup")
    assert "inherited from policy 'parent'" in child_dup.evidence  # the covering rule is the parent's


def test_006_a_parent_rule_shadowed_only_in_a_child_is_reported_once_naming_the_child() -> None:
    parent = policy("parent")
    child = policy("child", base=parent.id)
    groups = [rcg(parent, "base", 100, coll("apps", 100, "Allow", app("inspect", tls=True))),
              rcg(child, "own", 65000, coll("temp", 100, "Allow", net("allow-all", "*", "*", "*", "Any")))]
    found = run(tenant(policies=[parent, child], groups=groups), "ZT-NET-006")
    assert statuses(found) == {"parent": "pass", "inspect": "fail"}
    f = next(f for f in found if f.resource.name == "inspect")
    assert "as processed in child policy 'child'" in f.evidence and "TLS inspection" in f.evidence


# --- ZT-NET-007, 008 ---------------------------------------------------------------------------------------

SPOKE = "vnet-spoke"


def spoke(*nsgs_by_subnet: tuple[str, str], peers: Sequence[tuple[str, str]] = ()) -> VirtualNetwork:
    return vnet(SPOKE, "10.1.0.0/16", [(s, f"10.1.{i}.0/24", n, None) for i, (s, n) in enumerate(nsgs_by_subnet)],
                peers=peers)


def judge(check: str, *rules: Rule, dst: Any = "*", peers: Sequence[tuple[str, str]] = ()) -> Finding:
    [f] = run(tenant(nsgs=[nsg("nsg-a", *rules, dst=dst)], vnets=[spoke(("snet-a", "nsg-a"), peers=peers)]), check)
    return f


@pytest.mark.parametrize(("source", "status"), [
    ("Internet", "fail"), ("*", "fail"), ("0.0.0.0/0", "fail"), ("203.0.113.7", "fail"),
    ("10.1.0.0/16", "pass"), ("VirtualNetwork", "pass"), ("10.100.0.0/16", "pass"), ("AzureLoadBalancer", "pass"),
])
def test_007_rdp_from_internet_or_any_source_fails_from_inside_passes(source: str, status: str) -> None:
    f = judge("ZT-NET-007", ("rdp", 100, "Allow", source, "3389"))
    assert f.status == status, f.evidence
    if status == "fail":
        assert "'rdp' (priority 100) admits TCP 3389" in f.evidence and source in f.evidence


def test_007_a_port_range_admitting_3389_fails() -> None:
    f = judge("ZT-NET-007", ("range", 100, "Allow", "Internet", "3380-3390"))
    assert f.status == "fail" and "TCP 3389" in f.evidence


def test_007_a_deny_rule_above_the_allow_decides_first() -> None:
    f = judge("ZT-NET-007", ("deny-mgmt", 100, "Deny", "Internet", ["22", "3389", "5985-5986"]),
              ("allow-any", 200, "Allow", "*", ["22", "3389", "5985-5986"]))
    assert f.status == "pass", f.evidence
    # the same deny below the allow decides nothing
    f = judge("ZT-NET-007", ("deny-mgmt", 300, "Deny", "Internet", ["22", "3389"]),
              ("allow-any", 200, "Allow", "*", ["22"]))
    assert f.status == "fail" and "TCP 22" in f.evidence


def test_007_a_partial_deny_leaves_the_rest_admitted() -> None:
    f = judge("ZT-NET-007", ("deny-some", 100, "Deny", "203.0.113.0/24", "22"),
              ("allow-any", 200, "Allow", "*", "22"))
    assert f.status == "fail" and "allow-any" in f.evidence and "deny-some" not in f.evidence


def test_007_a_deny_to_part_of_the_subnet_does_not_hide_an_allow_to_the_rest() -> None:
    nsg_a = nsg("nsg-a", ("deny-host", 100, "Deny", "*", "22"), dst="10.1.0.4")
    allow = nsg("nsg-a", ("allow-subnet", 200, "Allow", "*", "22"), dst="10.1.0.0/24")
    both = NetworkSecurityGroup.from_wire({"id": nsg_a.id, "name": "nsg-a", "properties": {"securityRules": [
        *nsg_a.to_wire()["properties"]["securityRules"], *allow.to_wire()["properties"]["securityRules"]]}})
    [f] = run(tenant(nsgs=[both], vnets=[spoke(("snet-a", "nsg-a"))]), "ZT-NET-007")
    assert f.status == "fail" and "allow-subnet" in f.evidence


def test_007_prefix_lists_and_port_lists() -> None:
    f = judge("ZT-NET-007", ("list", 100, "Allow", ["10.1.0.0/16", "198.51.100.0/24"], ["80", "5986"]))
    assert f.status == "fail" and "5986" in f.evidence and "198.51.100.0/24" in f.evidence
    assert judge("ZT-NET-007", ("list", 100, "Allow", ["10.1.0.0/16", "10.2.0.0/16"], ["22", "3389"])
                 ).status == "pass"


def test_007_peered_address_space_is_not_internet() -> None:
    f = judge("ZT-NET-007", ("from-hub", 100, "Allow", "10.0.2.0/26", "3389"), peers=[("vnet-hub", "10.0.0.0/16")])
    assert f.status == "pass"


def test_007_an_nsg_on_no_subnet_is_judged_with_a_note() -> None:
    [f] = run(tenant(nsgs=[nsg("loose", ("rdp", 100, "Allow", "Internet", "3389"))]), "ZT-NET-007")
    assert f.status == "fail" and "not associated with a subnet" in f.evidence


def test_007_skips_without_nsgs_and_when_the_nsgs_cannot_be_read() -> None:
    [f] = run(tenant(), "ZT-NET-007")
    assert f.status == "skip" and "no network security groups" in f.evidence
    [f] = run(tenant(statuses={"nsgs": "forbidden"}), "ZT-NET-007")
    assert f.status == "skip" and "permission" in f.evidence


def test_008_cleartext_from_internet_fails_smb_from_on_premises_warns_https_passes() -> None:
    f = judge("ZT-NET-008", ("http", 100, "Allow", "Internet", "80"))
    assert f.status == "fail" and "TCP 80" in f.evidence
    assert judge("ZT-NET-008", ("telnet", 100, "Allow", "*", "20-23")).status == "fail"
    assert judge("ZT-NET-008", ("smb", 100, "Allow", "Internet", "445")).status == "fail"
    f = judge("ZT-NET-008", ("smb", 100, "Allow", "10.100.0.0/16", "445"))
    assert f.status == "warn" and "10.100.0.0/16" in f.evidence
    assert judge("ZT-NET-008", ("http", 100, "Allow", "10.100.0.0/16", "80")).status == "pass"
    assert judge("ZT-NET-008", ("https", 100, "Allow", "Internet", "443")).status == "pass"
    assert judge("ZT-NET-008", ("smb", 100, "Allow", "10.1.0.0/16", "445")).status == "pass"


# --- ZT-NET-009 -------------------------------------------------------------------------------------------

FW_IP = "10.0.1.4"


def hub() -> VirtualNetwork:
    return vnet("vnet-hub", "10.0.0.0/16", [("AzureFirewallSubnet", "10.0.1.0/26", None, None),
                                            ("GatewaySubnet", "10.0.0.0/27", None, None)],
                peers=[("spoke-a", "10.1.0.0/16"), ("spoke-b", "10.2.0.0/16")])


def test_009_spoke_through_the_firewall_passes_internet_egress_and_spoke_peering_fail() -> None:
    fw = firewall("afw-hub", "vnet-hub", FW_IP, policy_id=f"{N}/firewallPolicies/p")
    rt_fw = route_table("rt-fw", ("0.0.0.0/0", "VirtualAppliance", FW_IP))
    rt_nva = route_table("rt-nva", ("0.0.0.0/0", "VirtualAppliance", "10.0.5.4"))
    a = vnet("spoke-a", "10.1.0.0/16", [("snet-app", "10.1.1.0/24", None, "rt-fw")],
             peers=[("vnet-hub", "10.0.0.0/16")])
    b = vnet("spoke-b", "10.2.0.0/16", [("snet-web", "10.2.1.0/24", None, None)],
             peers=[("vnet-hub", "10.0.0.0/16"), ("spoke-c", "10.3.0.0/16")])
    c = vnet("spoke-c", "10.3.0.0/16", [("snet-x", "10.3.1.0/24", None, "rt-fw")],
             peers=[("vnet-hub", "10.0.0.0/16"), ("spoke-b", "10.2.0.0/16")])
    d = vnet("spoke-d", "10.4.0.0/16", [("snet-y", "10.4.1.0/24", None, "rt-nva")], peers=[("vnet-hub", "10.0.0.0/16")])
    found = by_name(run(tenant(firewalls=[fw], vnets=[hub(), a, b, c, d], route_tables=[rt_fw, rt_nva]), "ZT-NET-009"))
    assert {k: f.status for k, f in found.items()} == {"vnet-hub": "pass", "spoke-a": "pass", "spoke-b": "fail",
                                                        "spoke-c": "fail", "spoke-d": "warn"}
    assert "0.0.0.0/0 -> Internet" in found["spoke-b"].evidence
    assert "spoke-b" in found["spoke-c"].evidence and "holds no firewall" in found["spoke-c"].evidence
    assert "afw-hub (10.0.1.4)" in found["spoke-a"].evidence
    assert "10.0.5.4" in found["spoke-d"].evidence
    assert found["spoke-a"].resource.type == "virtualNetwork"


def test_009_skips_without_virtual_networks() -> None:
    [f] = run(tenant(), "ZT-NET-009")
    assert f.status == "skip"


# --- ZT-NET-010 -------------------------------------------------------------------------------------------

POOL = "172.16.201.0/24"


def vpn_gateway() -> VirtualNetworkGateway:
    gid = f"{N}/virtualNetworkGateways/vgw"
    return VirtualNetworkGateway.from_wire({"id": gid, "name": "vgw", "properties": {
        "ipConfigurations": [{"id": f"{gid}/ipConfigurations/d", "name": "d", "properties": {
            "subnet": {"id": subnet_id("vnet-hub", "GatewaySubnet")},
            "publicIPAddress": {"id": f"{N}/publicIPAddresses/pip-vgw"}}}],
        "vpnClientConfiguration": {"vpnClientAddressPool": {"addressPrefixes": [POOL]}}}})


def pa_app(host: str = "10.1.0.10", ports: str = "1433") -> tuple[Application, dict[str, list[ApplicationSegment]]]:
    a = Application.from_wire({"id": "app1", "appId": "appid1", "displayName": "PA SQL",
                               "tags": ["PrivateAccessNonWebApplication"]})
    seg = ApplicationSegment.from_wire({"id": "s1", "destinationHost": host, "destinationType": "ipAddress",
                                        "ports": [ports], "protocol": "tcp"})
    return a, {"app1": [seg]}


def spoke_using_gateway() -> VirtualNetwork:
    v = vnet(SPOKE, "10.1.0.0/16", [("snet-a", "10.1.0.0/24", "nsg-a", None)], peers=[("vnet-hub", "10.0.0.0/16")])
    wire = v.to_wire()
    wire["properties"]["virtualNetworkPeerings"][0]["properties"]["useRemoteGateways"] = True
    return VirtualNetwork.from_wire(wire)


def pa_tenant(*rules: Rule, apps: bool = True, peered: bool = True) -> Tenant:
    a, segs = pa_app()
    v = spoke_using_gateway() if peered else spoke(("snet-a", "nsg-a"))
    return tenant(nsgs=[nsg("nsg-a", *rules)], vnets=[hub(), v], gateways=[vpn_gateway()],
                  apps=[a] if apps else [], segments=segs if apps else {})


DENY_ALL = ("DenyAllInbound", 4096, "Deny", "*", "*")


def test_010_nsg_admitting_the_vpn_pool_to_a_published_destination_fails() -> None:
    [f] = run(pa_tenant(("vpn", 100, "Allow", POOL, ["1433", "3389"]), DENY_ALL), "ZT-NET-010")
    assert f.status == "fail" and "'vpn'" in f.evidence and "10.1.0.10:1433/tcp" in f.evidence
    assert "PA SQL" in f.evidence


def test_010_the_virtual_network_tag_includes_the_pool_through_the_gateway() -> None:
    [f] = run(pa_tenant(), "ZT-NET-010")  # only the default rules: AllowVnetInBound admits the pool
    assert f.status == "fail" and "AllowVnetInBound" in f.evidence


def test_010_passes_once_the_pool_is_no_longer_admitted() -> None:
    [f] = run(pa_tenant(("vpn", 100, "Allow", POOL, "3389"), DENY_ALL), "ZT-NET-010")
    assert f.status == "pass", f.evidence
    [f] = run(pa_tenant(("deny-vpn", 100, "Deny", POOL, "*"), ("vnet", 200, "Allow", "VirtualNetwork", "*")),
              "ZT-NET-010")
    assert f.status == "pass", f.evidence


def test_010_passes_where_the_pool_is_not_routed_and_skips_before_ztna() -> None:
    [f] = run(pa_tenant(("vpn", 100, "Allow", POOL, "1433"), peered=False), "ZT-NET-010")
    assert f.status == "pass" and "not routed" in f.evidence
    [f] = run(pa_tenant(("vpn", 100, "Allow", POOL, "1433"), apps=False), "ZT-NET-010")
    assert f.status == "skip" and "Private Access is not in use" in f.evidence


# --- ZT-NET-011, 012 --------------------------------------------------------------------------------------


def test_011_workload_subnets_need_an_nsg_special_subnets_are_excepted() -> None:
    v = vnet("vnet-hub", "10.0.0.0/16", [(name, f"10.0.{i}.0/26", None, None) for i, name in enumerate(
        ("GatewaySubnet", "AzureFirewallSubnet", "AzureFirewallManagementSubnet", "AzureBastionSubnet",
         "RouteServerSubnet"))] + [("snet-ok", "10.0.10.0/24", "nsg-a", None),
                                   ("snet-bare", "10.0.11.0/24", None, None)])
    found = by_name(run(tenant(vnets=[v]), "ZT-NET-011"))
    assert {k: f.status for k, f in found.items()} == {"snet-ok": "pass", "snet-bare": "fail"}
    assert found["snet-bare"].resource.id == subnet_id("vnet-hub", "snet-bare")
    assert "10.0.11.0/24" in found["snet-bare"].evidence
    assert len(EXCEPTED_SUBNETS) == 5
    [f] = run(tenant(vnets=[vnet("v", "10.0.0.0/16", [("GatewaySubnet", "10.0.0.0/27", None, None)])]), "ZT-NET-011")
    assert f.status == "skip"


def test_012_public_endpoints_need_ddos_protection() -> None:
    fw = firewall("afw", "vnet-hub", FW_IP)
    protected = vnet("vnet-hub", "10.0.0.0/16", [("AzureFirewallSubnet", "10.0.1.0/26", None, None)], ddos=True)
    t = tenant(firewalls=[fw], vnets=[protected, spoke(("snet-a", "nsg-a"))])
    assert statuses(run(t, "ZT-NET-012")) == {"vnet-hub": "pass", SPOKE: "pass"}
    exposed = vnet("vnet-hub", "10.0.0.0/16", [("AzureFirewallSubnet", "10.0.1.0/26", None, None)])
    [f] = run(tenant(firewalls=[fw], vnets=[exposed]), "ZT-NET-012")
    assert f.status == "fail" and "pip-afw" in f.evidence and "no DDoS protection plan" in f.evidence


# --- ZT-NET-013, 014 --------------------------------------------------------------------------------------


def agw(name: str, ssl: Mapping[str, Any] | None, *, waf: str | None = None, profiles: Sequence[Mapping[str, Any]] = (),
        legacy_waf: Mapping[str, Any] | None = None, tier: str = "WAF_v2") -> ApplicationGateway:
    aid = f"{N}/applicationGateways/{name}"
    props: dict[str, Any] = {"sku": {"name": tier, "tier": tier}, "gatewayIPConfigurations": [
        {"id": f"{aid}/gatewayIPConfigurations/c", "name": "c", "properties": {"subnet": {
            "id": subnet_id(SPOKE, "snet-agw")}}}],
        "frontendIPConfigurations": [{"id": f"{aid}/frontendIPConfigurations/f", "name": "f", "properties": {
            "publicIPAddress": {"id": f"{N}/publicIPAddresses/pip-{name}"}}}],
        "sslProfiles": [{"id": f"{aid}/sslProfiles/p{i}", "name": f"p{i}", "properties": {"sslPolicy": dict(p)}}
                        for i, p in enumerate(profiles)]}
    if ssl is not None:
        props["sslPolicy"] = dict(ssl)
    if waf:
        props["firewallPolicy"] = {"id": f"{N}/ApplicationGatewayWebApplicationFirewallPolicies/{waf}"}
    if legacy_waf is not None:
        props["webApplicationFirewallConfiguration"] = dict(legacy_waf)
    return ApplicationGateway.from_wire({"id": aid, "name": name, "properties": props})


def predefined(name: str) -> dict[str, str]:
    return {"policyType": "Predefined", "policyName": name}


def test_013_tls_policies() -> None:
    gws = [agw("g2022s", predefined("AppGwSslPolicy20220101S")), agw("g2017s", predefined("AppGwSslPolicy20170401S")),
           agw("g2015", predefined("AppGwSslPolicy20150501")), agw("g2017", predefined("AppGwSslPolicy20170401")),
           agw("custom12", {"policyType": "CustomV2", "minProtocolVersion": "TLSv1_2"}),
           agw("custom10", {"policyType": "Custom", "minProtocolVersion": "TLSv1_0"}),
           agw("unset", None),
           agw("profile-old", predefined("AppGwSslPolicy20220101"), profiles=[predefined("AppGwSslPolicy20150501")])]
    found = by_name(run(tenant(app_gateways=gws), "ZT-NET-013"))
    assert {k: f.status for k, f in found.items()} == {
        "g2022s": "pass", "g2017s": "pass", "g2015": "fail", "g2017": "fail", "custom12": "pass", "custom10": "fail",
        "unset": "warn", "profile-old": "fail"}
    assert "AppGwSslPolicy20150501 (minimum TLSv1_0)" in found["g2015"].evidence
    assert "SSL profile p0" in found["profile-old"].evidence
    assert "AppGwSslPolicy20220101S" in found["g2015"].remediation
    [f] = run(tenant(), "ZT-NET-013")
    assert f.status == "skip" and "no application gateways" in f.evidence


def waf_policy(name: str, mode: str, *sets: tuple[str, str]) -> WafPolicy:
    return WafPolicy.from_wire({"id": f"{N}/ApplicationGatewayWebApplicationFirewallPolicies/{name}", "name": name,
                                "properties": {"policySettings": {"state": "Enabled", "mode": mode},
                                               "managedRules": {"managedRuleSets": [
                                                   {"ruleSetType": t, "ruleSetVersion": v} for t, v in sets]}}})


DRS, BOT = ("Microsoft_DefaultRuleSet", "2.1"), ("Microsoft_BotManagerRuleSet", "1.0")


def test_014_waf_prevention_current_rule_set_and_bot_protection() -> None:
    wafs = [waf_policy("good", "Prevention", DRS, BOT), waf_policy("detect", "Detection", DRS, BOT),
            waf_policy("nobot", "Prevention", DRS), waf_policy("old", "Prevention", ("OWASP", "3.0"), BOT),
            waf_policy("crs32", "Prevention", ("OWASP", "3.2"), BOT)]
    gws = [agw(f"agw-{w.name}", predefined("AppGwSslPolicy20220101S"), waf=w.name) for w in wafs]
    gws += [agw("agw-none", None, tier="Standard_v2"),
            agw("agw-legacy", None, legacy_waf={"enabled": True, "firewallMode": "Prevention",
                                                "ruleSetType": "OWASP", "ruleSetVersion": "3.2"})]
    found = by_name(run(tenant(app_gateways=gws, wafs=wafs), "ZT-NET-014"))
    assert {k: f.status for k, f in found.items()} == {
        "agw-good": "pass", "agw-detect": "fail", "agw-nobot": "fail", "agw-old": "fail", "agw-crs32": "pass",
        "agw-none": "fail", "agw-legacy": "fail"}
    assert "mode is Detection" in found["agw-detect"].evidence
    assert "Microsoft_BotManagerRuleSet" in found["agw-nobot"].evidence
    assert "OWASP 3.0" in found["agw-old"].evidence
    assert "no web application firewall" in found["agw-none"].evidence
    assert "legacy WAF configuration" in found["agw-legacy"].evidence


def test_014_a_waf_policy_that_was_not_read_warns() -> None:
    [f] = run(tenant(app_gateways=[agw("a", None, waf="missing")]), "ZT-NET-014")
    assert f.status == "warn" and "was not read" in f.evidence


# --- ZT-NET-015 -------------------------------------------------------------------------------------------


def test_015_firewall_policy_passes_classic_rules_fail() -> None:
    good = firewall("afw-good", "vnet-hub", FW_IP, policy_id=f"{N}/firewallPolicies/p")
    bad = firewall("afw-classic", "vnet-legacy", "10.250.0.4", classic=classic_net("r", "*", "*", "*"))
    bare = firewall("afw-bare", "vnet-x", "10.9.0.4")
    found = by_name(run(tenant(firewalls=[good, bad, bare]), "ZT-NET-015"))
    assert {k: f.status for k, f in found.items()} == {"afw-good": "pass", "afw-classic": "fail", "afw-bare": "fail"}
    assert "1 network" in found["afw-classic"].evidence and found["afw-classic"].resource.type == "azureFirewall"
    [f] = run(tenant(), "ZT-NET-015")
    assert f.status == "skip"


# --- the bundled demo ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> list[Finding]:
    from ztconsole.demo import demo_dir
    from ztconsole.engine.checks import run_checks
    from ztconsole.tenantdir.reader import load_tenant

    checks = [BY_ID[f"ZT-NET-{i:03d}"] for i in range(1, 16)]
    return run_checks(CheckContext(load_tenant(demo_dir()), source_args=("--demo",)), checks)


def of(findings: list[Finding], check: str) -> dict[str, str]:
    return {f.resource.name: f.status for f in findings if f.check == check}


def test_demo_firewall_policies(demo: list[Finding]) -> None:
    assert of(demo, "ZT-NET-001") == {"afwp-contoso-hub-weu": "pass", "afwp-contoso-parent-premium": "fail",
                                      "afwp-contoso-dev-standard": "fail"}
    assert of(demo, "ZT-NET-002") == {"afwp-contoso-hub-weu": "pass", "afwp-contoso-parent-premium": "pass"}
    assert of(demo, "ZT-NET-003") == {"afwp-contoso-hub-weu": "pass", "afwp-contoso-parent-premium": "pass"}
    n4 = of(demo, "ZT-NET-004")
    assert n4["afwp-contoso-parent-premium"] == "pass"
    assert n4["TEMP-AllowAll-Troubleshooting"] == "fail" and n4["any-any-legacy"] == "fail"
    n5 = of(demo, "ZT-NET-005")
    assert n5["Allow-HTTPS-Any-Internet"] == "fail" and n5["afwp-contoso-parent-premium"] == "pass"
    assert not any(name.startswith("Allow-GitHub") for name in n5)  # FQDN application rules are the good way


def test_demo_shadowed_and_redundant_rules(demo: list[Finding]) -> None:
    n6 = of(demo, "ZT-NET-006")
    for name in ("Allow-Web01-To-SQL", "Allow-WebApi-To-SQL-Copy", "Deny-HTTP-To-Internet", "Allow-GitHub-SAP-Dev"):
        assert n6[name] in ("fail", "warn"), name
    assert n6["Deny-HTTP-To-Internet"] == "fail"  # a deny that never applies
    assert n6["Allow-Web01-To-SQL"] == "warn"  # the same effect as the rule before it
    assert n6["Deny-Gambling-Adult"] == "fail"  # application rules behind TEMP-AllowAll-Troubleshooting
    assert n6["afwp-contoso-parent-premium"] == "pass"
    for name in ("Allow-WebTier-To-SQL", "Allow-SAP-To-DataPlatform", "Allow-OnPrem-To-SAP"):
        assert name not in n6  # most network rules are fine
    ids = [f.resource.id for f in demo if f.check == "ZT-NET-006"]
    assert len(ids) == len(set(ids))  # parent rules reported once


def test_demo_nsgs(demo: list[Finding]) -> None:
    n7 = of(demo, "ZT-NET-007")
    assert n7["nsg-snet-sap-app-weu"] == "pass" and n7["nsg-snet-jumphost-weu"] == "fail"
    assert [k for k, v in n7.items() if v != "pass"] == ["nsg-snet-jumphost-weu"]
    n8 = of(demo, "ZT-NET-008")
    assert n8["nsg-snet-appgw-weu"] == "pass"
    assert n8["nsg-snet-web-weu"] == "fail" and n8["nsg-snet-dmz-legacy-weu"] == "fail"
    assert of(demo, "ZT-NET-010")["nsg-snet-data-weu"] == "fail"
    data = next(f for f in demo if f.check == "ZT-NET-010" and f.resource.name == "nsg-snet-data-weu")
    assert "Allow-VPN-P2S-Users" in data.evidence and "10.3.1.10:1433" in data.evidence
    assert of(demo, "ZT-NET-010")["nsg-snet-dmz-legacy-weu"] == "pass"  # the pool is not routed there


def test_demo_routing_subnets_and_ddos(demo: list[Finding]) -> None:
    n9 = of(demo, "ZT-NET-009")
    assert n9["vnet-spoke-sap-weu"] == "pass" and n9["vnet-hub-weu"] == "pass"
    assert n9["vnet-spoke-web-weu"] == "fail" and n9["vnet-spoke-data-weu"] == "fail"
    n11 = of(demo, "ZT-NET-011")
    assert n11["snet-api"] == "fail" and [k for k, v in n11.items() if v != "pass"] == ["snet-api"]
    assert not EXCEPTED_SUBNETS & {k.casefold() for k in n11}
    n12 = of(demo, "ZT-NET-012")
    assert n12["vnet-hub-weu"] == "pass"
    assert n12["vnet-spoke-web-weu"] == "fail" and n12["vnet-legacy-dmz-weu"] == "fail"


def test_demo_gateways_and_firewalls(demo: list[Finding]) -> None:
    assert of(demo, "ZT-NET-013") == {"agw-contoso-web-weu": "pass", "agw-contoso-legacy-weu": "fail"}
    assert of(demo, "ZT-NET-014") == {"agw-contoso-web-weu": "pass", "agw-contoso-legacy-weu": "fail"}
    assert of(demo, "ZT-NET-015") == {"afw-hub-weu": "pass", "afw-legacy-dmz-weu": "fail"}


def test_demo_every_network_check_judges_and_none_errs(demo: list[Finding]) -> None:
    assert {f.check for f in demo} == {f"ZT-NET-{i:03d}" for i in range(1, 16)}
    assert [f for f in demo if f.status in ("skip", "error")] == []
    for f in demo:
        assert f.evidence and f.remediation and f.principle, f
