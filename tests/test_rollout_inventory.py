"""Rollout steps 2 and 3 (issue #14): what the VPN reaches (the demo's pool and the NSG rules ZT-NET-010
reports), the flow evidence parsers (flow CSV, Application discovery export, GSA traffic logs) and the
per-app segment proposal (host /32, the ports used, justifications, outside reach, unused reach, overlaps,
breadth), on the demo and on plain-data tenants."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from ztconsole.engine.checks import BY_ID, CheckContext, run_check
from ztconsole.engine.rollout.inventory import (
    Flow,
    FlowFileError,
    VpnReach,
    flows_from_traffic_logs,
    parse_discovery_csv,
    parse_flow_csv,
    propose_segments,
    vpn_reach,
)
from ztconsole.model.access import NetworkAccessTraffic
from ztconsole.model.network import NetworkSecurityGroup, VirtualNetwork, VirtualNetworkGateway
from ztconsole.model.tenant import DataSetResult, Tenant, TenantInfo, arm_key

N = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network"
POOL = "172.16.201.0/24"


# --- plain-data tenants -------------------------------------------------------------------------------------


def _vnet(name: str, prefix: str, subnets: list[tuple[str, str, str | None]], peer: tuple[str, str] | None = None,
          use_remote_gateways: bool = False) -> VirtualNetwork:
    vid = f"{N}/virtualNetworks/{name}"
    subs = [{"id": f"{vid}/subnets/{s}", "name": s, "properties": {
        "addressPrefix": p, **({"networkSecurityGroup": {"id": f"{N}/networkSecurityGroups/{n}"}} if n else {})}}
        for s, p, n in subnets]
    peerings = [] if peer is None else [{"id": f"{vid}/virtualNetworkPeerings/p", "name": "p", "properties": {
        "remoteVirtualNetwork": {"id": f"{N}/virtualNetworks/{peer[0]}"}, "peeringState": "Connected",
        "useRemoteGateways": use_remote_gateways, "remoteAddressSpace": {"addressPrefixes": [peer[1]]}}}]
    return VirtualNetwork.from_wire({"id": vid, "name": name, "properties": {
        "addressSpace": {"addressPrefixes": [prefix]}, "subnets": subs, "virtualNetworkPeerings": peerings}})


def _nsg(name: str, *rules: tuple[str, int, str, str, str], subnet: str) -> NetworkSecurityGroup:
    nid = f"{N}/networkSecurityGroups/{name}"
    return NetworkSecurityGroup.from_wire({"id": nid, "name": name, "properties": {
        "subnets": [{"id": subnet}],
        "securityRules": [{"id": f"{nid}/securityRules/{r}", "name": r, "properties": {
            "priority": prio, "access": access, "direction": "Inbound",
            "protocol": "*" if access == "Deny" else "Tcp",
            "sourcePortRange": "*", "sourceAddressPrefix": src, "destinationPortRange": ports,
            "destinationAddressPrefix": "*"}} for r, prio, access, src, ports in rules]}})


def _gateway(pool: str | None = POOL) -> VirtualNetworkGateway:
    gid = f"{N}/virtualNetworkGateways/vgw"
    props: dict[str, Any] = {"ipConfigurations": [{"id": f"{gid}/ipConfigurations/d", "name": "d", "properties": {
        "subnet": {"id": f"{N}/virtualNetworks/vnet-hub/subnets/GatewaySubnet"}}}]}
    if pool:
        props["vpnClientConfiguration"] = {"vpnClientAddressPool": {"addressPrefixes": [pool]}}
    return VirtualNetworkGateway.from_wire({"id": gid, "name": "vgw", "properties": props})


DENY_ALL = ("DenyAll", 4096, "Deny", "*", "*")


def plain_tenant(*rules: tuple[str, int, str, str, str], pool: str | None = POOL, peered: bool = True,
                 open_subnet: bool = False) -> Tenant:
    """hub 10.0.0.0/16 with the gateway; spoke 10.1.0.0/16 (snet-app 10.1.0.0/24 under nsg-app, and optionally
    snet-open 10.1.9.0/24 with no NSG) peered with the hub using its gateway; lone 10.9.0.0/16 not peered."""
    hub = _vnet("vnet-hub", "10.0.0.0/16", [("GatewaySubnet", "10.0.0.0/27", None)], peer=("vnet-spoke", "10.1.0.0/16"))
    subnets: list[tuple[str, str, str | None]] = [("snet-app", "10.1.0.0/24", "nsg-app")]
    if open_subnet:
        subnets.append(("snet-open", "10.1.9.0/24", None))
    spoke = _vnet("vnet-spoke", "10.1.0.0/16", subnets, peer=("vnet-hub", "10.0.0.0/16") if peered else None,
                  use_remote_gateways=True)
    lone = _vnet("vnet-lone", "10.9.0.0/16", [("snet-x", "10.9.0.0/24", None)])
    nsgs = (_nsg("nsg-app", *rules, subnet=f"{N}/virtualNetworks/vnet-spoke/subnets/snet-app"),)
    values: dict[str, Any] = {"nsgs": nsgs, "virtual_networks": (hub, spoke, lone), "route_tables": (),
                              "vnet_gateways": {arm_key("/subscriptions/s1/resourceGroups/rg"): (_gateway(pool),)}}
    return Tenant(TenantInfo(id="t1", display_name="Test"), {k: DataSetResult(k, "ok", v) for k, v in values.items()})


def flow(dst: str, port: int, proto: str = "tcp", *, fqdn: str | None = None, label: str = "f",
         port_end: int | None = None, count: int = 1) -> Flow:
    return Flow("172.16.201.5", dst or None, fqdn, port, proto, count, label, port_end)  # type: ignore[arg-type]


# --- reach ------------------------------------------------------------------------------------------------


@cache
def demo_reach() -> VpnReach:
    from ztconsole.demo import demo_dir
    from ztconsole.tenantdir import load_tenant

    return vpn_reach(load_tenant(demo_dir()))


@cache
def demo_net010() -> dict[str, str]:
    from ztconsole.demo import demo_dir
    from ztconsole.tenantdir import load_tenant

    findings = run_check(BY_ID["ZT-NET-010"], CheckContext(load_tenant(demo_dir())))
    return {f.resource.name: f.evidence for f in findings if f.status == "fail"}


def test_demo_reach_finds_the_pool_and_the_nsg_rules_zt_net_010_reports() -> None:
    reach = demo_reach()
    assert [(p.gateway_name, p.prefixes) for p in reach.pools] == [("vgw-hub-weu", (POOL,))]
    assert {s.vnet_name for s in reach.spaces} == {"vnet-hub-weu", "vnet-spoke-data-weu", "vnet-spoke-sap-weu",
                                                   "vnet-spoke-web-weu"}  # not the legacy DMZ network
    failing = demo_net010()
    assert {a.nsg_name for a in reach.admissions} == set(failing)
    for a in reach.admissions:  # every admission names a rule the check names for that NSG
        assert f"'{a.rule_name}' (priority {a.priority})" in failing[a.nsg_name]
    sql = [a for a in reach.admissions if a.rule_name == "Allow-VPN-P2S-Users"]
    assert [(a.nsg_name, a.protocol, a.port_text, a.destinations) for a in sql] == [
        ("nsg-snet-data-weu", "tcp", "1433,3389", "10.3.1.0/24")]
    assert {r.next_hop for r in reach.routes} == {"VirtualAppliance 10.0.1.4"}
    json.dumps(reach.to_json())


def test_plain_reach_admission_deny_and_routing() -> None:
    reach = vpn_reach(plain_tenant(("vpn", 100, "Allow", POOL, "1433"), DENY_ALL))
    assert [(a.rule_name, a.protocol, a.port_text, a.destinations) for a in reach.admissions] == [
        ("vpn", "tcp", "1433", "10.1.0.0/24")]
    assert [s.vnet_name for s in reach.spaces] == ["vnet-hub", "vnet-spoke"]
    # a deny above the allow: nothing admitted
    assert vpn_reach(plain_tenant(("deny", 90, "Deny", POOL, "*"), ("vpn", 100, "Allow", POOL, "1433"),
                                  DENY_ALL)).admissions == ()
    # no peering: the spoke is not behind the gateway, its NSG not judged
    lone = vpn_reach(plain_tenant(("vpn", 100, "Allow", POOL, "1433"), peered=False))
    assert [s.vnet_name for s in lone.spaces] == ["vnet-hub"] and lone.admissions == ()
    # only the default rules: AllowVnetInBound admits the pool on every port, TCP and UDP
    default = vpn_reach(plain_tenant())
    assert {(a.rule_name, a.protocol, a.port_text) for a in default.admissions} == {
        ("AllowVnetInBound", "tcp", "1-65535"), ("AllowVnetInBound", "udp", "1-65535")}


def test_plain_reach_without_a_pool_and_open_subnets() -> None:
    none = vpn_reach(plain_tenant(pool=None))
    assert none.pools == () and none.spaces == () and "no virtual network gateway" in none.notes[0]
    bad = vpn_reach(plain_tenant(pool="172.16.999.0/24"))
    assert bad.spaces == () and "could not be read" in bad.notes[0]
    opened = vpn_reach(plain_tenant(DENY_ALL, open_subnet=True))
    assert [o.name for o in opened.open_subnets] == ["snet-open"]  # GatewaySubnet is excepted


# --- flow CSV ---------------------------------------------------------------------------------------------


def test_flow_csv_good_and_bad_lines_with_line_numbers() -> None:
    text = ("SRC,Dst,Port,Proto,Count\n"
            "172.16.201.5,10.1.0.10,1433,tcp,12\n"
            "\n"
            "# a comment\n"
            "172.16.201.6,sql.contoso.local,1433,TCP,\n"
            "172.16.201.7,10.1.0.11,99999,tcp,1\n"
            "172.16.201.7,10.1.0.11,443,icmp,1\n"
            "nope,10.1.0.11,443,tcp,1\n"
            "172.16.201.7,10.1.0,443,tcp,1\n"
            "172.16.201.7,10.1.0.12,443,tcp\n"
            "172.16.201.7,10.1.0.12,49152-65535,udp,3\n")
    parsed = parse_flow_csv(text, "flows.csv")
    assert [(f.dst_ip, f.dst_fqdn, f.ports, f.protocol, f.count, f.source) for f in parsed.flows] == [
        ("10.1.0.10", None, (1433, 1433), "tcp", 12, "flows.csv line 2"),
        (None, "sql.contoso.local", (1433, 1433), "tcp", 1, "flows.csv line 5"),
        ("10.1.0.12", None, (49152, 65535), "udp", 3, "flows.csv line 11")]
    problems = {p.line: p.message for p in parsed.problems}
    assert sorted(problems) == [6, 7, 8, 9, 10]
    assert "outside 1-65535" in problems[6] and "tcp or udp" in problems[7]
    assert "source 'nope'" in problems[8] and "not a valid IP" in problems[9] and "fields" in problems[10]
    assert str(parsed.problems[0]).startswith("flows.csv line 6:")


def test_flow_csv_without_a_valid_line_or_header_is_an_error() -> None:
    with pytest.raises(FlowFileError, match=r"no valid flow line; flows.csv line 2: port 'x'"):
        parse_flow_csv("src,dst,port,proto\n1.2.3.4,10.0.0.1,x,tcp\n", "flows.csv")
    with pytest.raises(FlowFileError, match="lacks proto"):
        parse_flow_csv("src,dst,port\n1.2.3.4,10.0.0.1,443\n", "flows.csv")
    with pytest.raises(FlowFileError, match="empty"):
        parse_flow_csv("\n\n", "flows.csv")


# --- Application discovery export ---------------------------------------------------------------------------


def test_discovery_csv_by_the_column_names_learn_gives() -> None:
    text = ("\ufeffDestination FQDN,Destination IP,Transport protocol,Destination port,Users,Transactions,Devices,"
            "Sent bytes,Received bytes,Last access,First access\n"
            "filesrv.contoso.com,10.1.0.20,TCP,445,12,3401,14,1000,2000,2026-11-20,2026-10-22\n"
            ",10.1.0.21,UDP,53,2,\"1,200\",2,1,1,2026-11-20,2026-10-22\n"
            "portal.contoso.com,,TCP,443,40,900,41,1,1,2026-11-20,2026-10-22\n"
            ",,TCP,443,1,1,1,1,1,x,x\n"
            "bad.contoso.com,10.1.0.22,TCP,http,1,1,1,1,1,x,x\n")
    parsed = parse_discovery_csv(text, "discovery.csv")
    assert [(f.dst_fqdn, f.dst_ip, f.protocol, f.port, f.count, f.users) for f in parsed.flows] == [
        ("filesrv.contoso.com", "10.1.0.20", "tcp", 445, 3401, 12),
        (None, "10.1.0.21", "udp", 53, 1200, 2),
        ("portal.contoso.com", None, "tcp", 443, 900, 40)]
    assert [(p.line, p.source) for p in parsed.problems] == [(5, "discovery.csv"), (6, "discovery.csv")]
    assert "neither" in parsed.problems[0].message and "port 'http'" in parsed.problems[1].message


def test_discovery_csv_takes_the_graph_report_names_and_needs_port_protocol_and_a_destination() -> None:
    parsed = parse_discovery_csv("fqdn,ip,port,transportProtocol,userCount,transactionCount\n"
                                 "db.contoso.com,10.1.0.30,5432,tcp,3,70\n", "report.csv")
    assert [(f.dst_fqdn, f.dst_ip, f.port, f.count, f.users) for f in parsed.flows] == [
        ("db.contoso.com", "10.1.0.30", 5432, 70, 3)]
    with pytest.raises(FlowFileError, match="Transport protocol, Destination FQDN or Destination IP"):
        parse_discovery_csv("Destination port,Users\n443,1\n", "discovery.csv")


# --- traffic logs ---------------------------------------------------------------------------------------------


def test_traffic_logs_keep_private_traffic_only() -> None:
    items = [
        {"transactionId": "t1", "trafficType": "private", "destinationFQDN": "sql.contoso.local",
         "destinationIp": "10.1.0.10", "destinationPort": 1433, "transportProtocol": "tcp",
         "sourceIp": "100.64.1.2", "action": "allow"},
        {"transactionId": "t2", "trafficType": "internet", "destinationFQDN": "www.bing.com",
         "destinationIp": "13.107.21.200", "destinationPort": 443, "transportProtocol": "tcp"},
        {"transactionId": "t3", "trafficType": "microsoft365", "destinationIp": "52.96.0.1",
         "destinationPort": 443, "transportProtocol": "tcp"},
        {"transactionId": "t4", "trafficType": "private", "destinationIp": "10.1.0.11", "destinationPort": 3389,
         "transportProtocol": "tcp", "action": "block"},
        {"transactionId": "t5", "trafficType": "private", "destinationIp": "10.1.0.12", "destinationPort": 0,
         "transportProtocol": "tcp"},
        {"transactionId": "t6", "trafficType": "private", "destinationIp": "10.1.0.12", "destinationPort": 53,
         "transportProtocol": "icmp"},
    ]
    parsed = flows_from_traffic_logs([NetworkAccessTraffic.from_wire(item) for item in items])
    assert [(f.dst_fqdn, f.dst_ip, f.port, f.src, f.source) for f in parsed.flows] == [
        ("sql.contoso.local", "10.1.0.10", 1433, "100.64.1.2", "GSA traffic log t1"),
        (None, "10.1.0.11", 3389, None, "GSA traffic log t4 (blocked)")]
    assert [p.line for p in parsed.problems] == [5, 6]
    assert flows_from_traffic_logs([]).flows == ()


# --- proposals ------------------------------------------------------------------------------------------------


def test_proposal_host_32_with_only_the_used_ports_and_its_justification() -> None:
    reach = vpn_reach(plain_tenant(("vpn", 100, "Allow", POOL, "1433"), DENY_ALL))
    flows = [flow("10.1.0.10", 1433, label="a line 2"), flow("10.1.0.10", 1433, label="a line 3", count=4),
             flow("10.1.0.10", 53, "udp", label="a line 4")]
    p = propose_segments(reach, flows)
    [app] = p.apps
    assert (app.name, app.destination_type, app.destination_host) == ("10.1.0.10/32", "ipAddress", "10.1.0.10")
    assert [(s.protocol, s.port_text, [f.source for f in s.flows], s.count) for s in app.segments] == [
        ("tcp", "1433", ["a line 2", "a line 3"], 5), ("udp", "53", ["a line 4"], 1)]
    assert app.segments[0].admitted_by == ("NSG 'nsg-app' rule 'vpn' (100)",)
    assert app.segments[1].admitted_by == ()  # no rule admits UDP 53 today
    assert p.overlaps == () and p.breadth == () and p.unused_admissions == ()
    out = p.to_json()
    assert out["apps"][0]["segments"][0]["justifiedBy"] == ["a line 2", "a line 3"]
    assert out["apps"][0]["segments"][0]["ports"] == ["1433"]


def test_proposal_lists_outside_unplaced_and_unused_reach() -> None:
    reach = vpn_reach(plain_tenant(("vpn", 100, "Allow", POOL, "1433"), ("web", 110, "Allow", POOL, "443"),
                                   DENY_ALL, open_subnet=True))
    flows = [flow("10.1.0.10", 1433, label="in"), flow("10.9.0.4", 1433, label="lone"),
             flow("192.0.2.1", 443, label="internet"), flow("", 443, fqdn="nowhere.contoso.com", label="fqdn")]
    p = propose_segments(reach, flows)
    assert [a.name for a in p.apps] == ["10.1.0.10/32"]
    assert [f.source for f in p.outside] == ["lone", "internet"]
    assert [f.source for f in p.unplaced] == ["fqdn"]
    assert [a.rule_name for a in p.unused_admissions] == ["web"]
    assert [s.vnet_name for s in p.unused_spaces] == ["vnet-hub"]
    assert [o.name for o in p.unused_open_subnets] == ["snet-open"]
    used = propose_segments(reach, [*flows, flow("10.1.9.7", 8080, label="open")])
    assert used.unused_open_subnets == ()
    assert used.apps[1].segments[0].admitted_by == ("subnet vnet-spoke/snet-open (no NSG)",)
    assert propose_segments(reach, []).apps == () and len(propose_segments(reach, []).unused_admissions) == 2


def test_proposal_takes_an_address_named_by_one_fqdn_as_that_host() -> None:
    reach = vpn_reach(plain_tenant(("vpn", 100, "Allow", POOL, "1433"), DENY_ALL))
    flows = [flow("10.1.0.10", 1433, fqdn="sql.contoso.local", label="gsa"), flow("10.1.0.10", 1433, label="csv"),
             flow("", 1433, fqdn="sql.contoso.local", label="fqdn only"), flow("10.1.0.11", 1433, label="other")]
    p = propose_segments(reach, flows)
    assert [a.name for a in p.apps] == ["sql.contoso.local", "10.1.0.11/32"]  # not the same host twice
    sql = p.apps[0]
    assert sql.addresses == ("10.1.0.10",)
    assert [f.source for f in sql.segments[0].flows] == ["gsa", "csv", "fqdn only"]  # the FQDN took the address
    assert p.overlaps == ()
    # an address two FQDNs name stays itself (which host it is cannot be told), and overlaps both
    two = [*flows, flow("10.1.0.10", 1433, fqdn="sql-alias.contoso.local", label="alias")]
    q = propose_segments(reach, two)
    assert [a.name for a in q.apps] == ["sql-alias.contoso.local", "sql.contoso.local", "10.1.0.10/32",
                                        "10.1.0.11/32"]
    assert {o.apps for o in q.overlaps} == {("sql-alias.contoso.local", "sql.contoso.local"),
                                            ("sql-alias.contoso.local", "10.1.0.10/32"),
                                            ("sql.contoso.local", "10.1.0.10/32")}


def test_proposal_flags_breadth_prefixes_and_port_ranges() -> None:
    reach = vpn_reach(plain_tenant())
    flows = [flow("10.1.0.16/28", 445, label="prefix"), flow("10.1.0.20", 49152, port_end=65535, label="rpc"),
             flow("10.1.0.20", 135, label="epmap")]
    p = propose_segments(reach, flows)
    assert [(a.name, a.destination_type) for a in p.apps] == [("10.1.0.20/32", "ipAddress"),
                                                              ("10.1.0.16/28", "ipRangeCidr")]
    assert [(b.app, b.reason.split(" ")[:3]) for b in p.breadth] == [
        ("10.1.0.20/32", ["tcp", "port", "range"]), ("10.1.0.16/28", ["the", "destination", "10.1.0.16/28"])]
    assert "16384 ports" in p.breadth[0].reason and "16 addresses" in p.breadth[1].reason
    # the /28 holds 10.1.0.20: the same destination proposed twice, on no common port
    assert [(o.apps, o.addresses, o.shared) for o in p.overlaps] == [
        (("10.1.0.20/32", "10.1.0.16/28"), ("10.1.0.16/28", "10.1.0.20"), ())]
    assert propose_segments(reach, flows[2:]).breadth == ()


def test_proposal_order_is_deterministic_and_json_serialisable() -> None:
    reach = vpn_reach(plain_tenant())
    flows = [flow("10.1.0.30", 443, label="b"), flow("10.1.0.4", 443, label="a"),
             flow("", 443, fqdn="app.contoso.com", label="c"), flow("10.1.0.4", 22, label="d")]
    first = propose_segments(reach, flows)
    assert [a.name for a in first.apps] == ["10.1.0.4/32", "10.1.0.30/32"]  # numeric, not text order
    assert [s.port_text for s in first.apps[0].segments] == ["22", "443"]
    assert json.dumps(first.to_json()) == json.dumps(propose_segments(reach, list(flows)).to_json())
