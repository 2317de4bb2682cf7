"""Effective routes: system routes, peerings, user-defined routes, longest prefix, UDR over system."""

from __future__ import annotations

from typing import Any

from ztconsole.engine.network.routes import Routing
from ztconsole.engine.network.sets import AddressSet
from ztconsole.model.network import RouteTable, VirtualNetwork, VirtualNetworkGateway

SUB = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network"


def vnet(name: str, space: list[str], subnets: dict[str, tuple[str, str | None]],
         peers: dict[str, list[str]] | None = None) -> VirtualNetwork:
    vid = f"{SUB}/virtualNetworks/{name}"
    return VirtualNetwork.from_wire({
        "id": vid, "name": name, "location": "westeurope",
        "properties": {
            "addressSpace": {"addressPrefixes": space},
            "subnets": [{"id": f"{vid}/subnets/{s}", "name": s, "properties": {
                "addressPrefix": prefix, **({"routeTable": {"id": f"{SUB}/routeTables/{rt}"}} if rt else {})}}
                for s, (prefix, rt) in subnets.items()],
            "virtualNetworkPeerings": [{"name": f"to-{remote}", "properties": {
                "remoteVirtualNetwork": {"id": f"{SUB}/virtualNetworks/{remote}"}, "peeringState": "Connected",
                "remoteAddressSpace": {"addressPrefixes": prefixes}}} for remote, prefixes in (peers or {}).items()],
        }})


def table(name: str, *routes: tuple[str, str, str, str | None], no_bgp: bool = False) -> RouteTable:
    return RouteTable.from_wire({"id": f"{SUB}/routeTables/{name}", "name": name, "location": "westeurope",
                                 "properties": {"disableBgpRoutePropagation": no_bgp, "routes": [
                                     {"name": n, "id": f"{SUB}/routeTables/{name}/routes/{n}", "properties": {
                                         "addressPrefix": p, "nextHopType": t,
                                         **({"nextHopIpAddress": ip} if ip else {})}} for n, p, t, ip in routes]}})


def gateway(pool: str, vnet_name: str) -> VirtualNetworkGateway:
    return VirtualNetworkGateway.from_wire({
        "id": f"{SUB}/virtualNetworkGateways/vgw", "name": "vgw", "location": "westeurope",
        "properties": {"gatewayType": "Vpn", "vpnClientConfiguration": {"vpnClientAddressPool": {
            "addressPrefixes": [pool]}}, "ipConfigurations": [{"name": "ip", "properties": {"subnet": {
                "id": f"{SUB}/virtualNetworks/{vnet_name}/subnets/GatewaySubnet"}}}]}})


HUB = vnet("hub", ["10.0.0.0/16"],
           {"GatewaySubnet": ("10.0.0.0/27", None), "AzureFirewallSubnet": ("10.0.1.0/26", None)},
           {"spoke": ["10.1.0.0/16"]})
SPOKE = vnet("spoke", ["10.1.0.0/16"], {"app": ("10.1.1.0/24", "rt-app"), "plain": ("10.1.2.0/24", None)},
             {"hub": ["10.0.0.0/16"]})
OTHER = vnet("other", ["10.2.0.0/16"], {"web": ("10.2.1.0/24", None)})
RT_APP = table("rt-app", ("default", "0.0.0.0/0", "VirtualAppliance", "10.0.1.4"),
               ("hub-direct", "10.0.0.0/16", "VnetLocal", None), ("blackhole", "10.1.2.0/24", "None", None))


def routing(*tables: RouteTable, gateways: Any = ()) -> Routing:
    return Routing([HUB, SPOKE, OTHER], tables, gateways)


def subnet(v: VirtualNetwork, name: str) -> Any:
    return next(s for s in v.subnets if s.name == name)


def test_system_routes_vnet_local_peering_internet_and_reserved_none() -> None:
    r = routing()
    plain = subnet(SPOKE, "plain")
    got = {ip: (e.next_hop_type if (e := r.effective_route(plain, ip)) else None)
           for ip in ("10.1.1.9", "10.0.0.5", "10.2.1.4", "8.8.8.8", "192.168.1.1", "100.64.0.1", "172.20.0.1")}
    assert got == {"10.1.1.9": "VnetLocal", "10.0.0.5": "VNetPeering", "10.2.1.4": "None", "8.8.8.8": "Internet",
                   "192.168.1.1": "None", "100.64.0.1": "None", "172.20.0.1": "None"}


def test_longest_prefix_wins_and_user_route_beats_system_on_equal_prefix() -> None:
    r = routing(RT_APP)
    app = subnet(SPOKE, "app")
    default = r.effective_route(app, "8.8.8.8")
    assert default is not None and (default.source, default.next_hop_type, default.next_hop_ip) == (
        "user", "VirtualAppliance", "10.0.1.4")
    hub = r.effective_route(app, "10.0.0.5")  # UDR 10.0.0.0/16 VnetLocal vs peering 10.0.0.0/16: the UDR
    assert hub is not None and (hub.source, hub.name) == ("user", "hub-direct")
    local = r.effective_route(app, "10.1.1.9")  # the VNet's /16 is longer than the UDR's /0
    assert local is not None and local.next_hop_type == "VnetLocal" and local.source == "system"
    dropped = r.effective_route(app, "10.1.2.7")  # a /24 UDR to None beats the VNet's /16
    assert dropped is not None and dropped.next_hop_type == "None" and dropped.name == "blackhole"


def test_a_default_udr_invalidates_the_reserved_none_routes() -> None:
    r = routing(RT_APP)
    spoke_to_other = r.effective_route(subnet(SPOKE, "app"), "10.2.1.4")
    assert spoke_to_other is not None and spoke_to_other.next_hop_type == "VirtualAppliance"


def test_default_route() -> None:
    r = routing(RT_APP)
    udr = r.default_route(subnet(SPOKE, "app"))
    assert udr is not None and udr.name == "default"
    system = r.default_route(subnet(SPOKE, "plain"))
    assert system is not None and (system.source, system.next_hop_type) == ("system", "Internet")


def test_topology_placement_and_virtual_network_space() -> None:
    r = routing()
    topo = r.topology()
    assert topo[HUB.id] == (SPOKE.id,) and topo[OTHER.id] == ()
    where = r.placement("10.1.1.20")
    assert where is not None and where.subnet.name == "app" and where.vnet.name == "spoke"
    assert r.placement("10.9.0.1") is None
    assert r.virtual_network_space(SPOKE) == AddressSet.parse(["10.1.0.0/16", "10.0.0.0/16"])


def test_point_to_site_pool_lives_in_the_gateway_subnet_and_is_routed_through_the_gateway() -> None:
    r = routing(gateways=[gateway("172.16.201.0/24", "hub")])
    hit = r.p2s_gateway("172.16.201.9")
    assert hit is not None and hit[1] is not None and hit[1].subnet.name == "GatewaySubnet"
    assert r.p2s_gateway("172.16.202.9") is None
    back = r.effective_route(subnet(HUB, "AzureFirewallSubnet"), "172.16.201.9")
    assert back is not None and back.next_hop_type == "VirtualNetworkGateway"
    assert "172.16.201.9" in str(r.virtual_network_space(HUB)) or r.virtual_network_space(HUB).covers(
        AddressSet.parse("172.16.201.9"))


def test_a_route_table_not_read_is_named() -> None:
    r = routing()
    assert r.missing_route_table(subnet(SPOKE, "app")) == f"{SUB}/routeTables/rt-app"
