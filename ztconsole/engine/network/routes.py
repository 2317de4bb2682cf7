"""Virtual network routing: the effective route of a subnet for a destination, the peering topology, which
subnet holds an address, and the address space the NSG service tag ``VirtualNetwork`` stands for.

Azure's rules (Microsoft Learn, "Virtual network traffic routing",
https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview):

* every subnet has the default system routes: each address range of its virtual network's address space
  with next hop ``VnetLocal`` (no route per subnet), ``0.0.0.0/0`` to ``Internet``, and ``10.0.0.0/8``,
  ``172.16.0.0/12``, ``192.168.0.0/16`` (RFC 1918) and ``100.64.0.0/10`` (RFC 6598) to ``None`` (dropped).
  When a virtual network's address space holds one of those reserved ranges exactly, its next hop becomes
  the virtual network; when the space holds a larger range that includes one, the reserved route is
  removed. Here: a reserved ``None`` route is dropped when a range of the VNet (or of a peered VNet) covers it;
  a VNet range inside it simply wins by longest prefix. When the subnet's route table overrides ``0.0.0.0/0``
  (forced tunnelling to an appliance or gateway), Learn's routing example shows the reserved ``None`` routes
  as ``Invalid`` in the effective routes: they are dropped too (a hub-and-spoke 0.0.0.0/0 UDR carries
  spoke-to-spoke traffic to the appliance);
* a peering adds a route for each address range of the peered virtual network, next hop ``VNetPeering``
  (taken here for peerings in state ``Connected``, or with no state recorded);
* a virtual network gateway adds routes (``VirtualNetworkGateway``) for what it reaches; of those ztconsole
  knows only the point-to-site client address pool: in the gateway's VNet and in peered VNets that use the
  remote gateway, unless the subnet's route table disables gateway route propagation;
* user-defined routes come from the route table associated with the subnet;
* the route whose prefix matches the destination longest wins; on an equal prefix a user-defined route beats a
  gateway (BGP) route, which beats a system route. System routes for the virtual network and its peerings are
  preferred over gateway routes even when those are more specific.

Pure: the model's objects in, plain results out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from ...model.network import RouteTable, Subnet, VirtualNetwork, VirtualNetworkGateway
from .sets import AddressSet

__all__ = [
    "RESERVED_PREFIXES",
    "Peer",
    "Placement",
    "RouteEntry",
    "Routing",
    "vnet_id_of_subnet",
]

RouteSource = Literal["user", "gateway", "system"]
_RANK: Final[dict[str, int]] = {"user": 0, "gateway": 1, "system": 2}
#: the system routes whose next hop is ``None`` (RFC 1918 and RFC 6598)
RESERVED_PREFIXES: Final = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
_Net = ipaddress.IPv4Network | ipaddress.IPv6Network
_Addr = ipaddress.IPv4Address | ipaddress.IPv6Address


def _key(resource_id: str | None) -> str:
    return "/" + (resource_id or "").strip("/").lower()


def vnet_id_of_subnet(subnet_id: str) -> str:
    """The virtual network id of a subnet id (``.../virtualNetworks/<name>/subnets/<name>``)."""
    head, sep, _ = subnet_id.rpartition("/subnets/")
    return head if sep else subnet_id


def _net(prefix: str) -> _Net | None:
    try:
        return ipaddress.ip_network(prefix.strip(), strict=False)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class RouteEntry:
    """One route of a subnet's effective routes."""

    prefix: str
    #: ``VnetLocal``, ``VNetPeering``, ``Internet``, ``None``, ``VirtualAppliance``, ``VirtualNetworkGateway``
    next_hop_type: str
    source: RouteSource
    next_hop_ip: str | None = None
    #: the user-defined route's name and id, the route table's id and name (None for system routes)
    name: str | None = None
    id: str | None = None
    route_table_id: str | None = None
    route_table_name: str | None = None
    #: for ``VNetPeering``: the peered virtual network's id
    remote_vnet_id: str | None = None

    @property
    def network(self) -> _Net:
        net = _net(self.prefix)
        assert net is not None  # entries are built only from prefixes that parse
        return net

    def contains(self, address: _Addr) -> bool:
        net = self.network
        return net.version == address.version and address in net

    def describe(self) -> str:
        hop = self.next_hop_type + (f" {self.next_hop_ip}" if self.next_hop_ip else "")
        where = (f"user-defined route {self.name!r} of route table {self.route_table_name!r}"
                 if self.source == "user" else f"{self.source} route")
        return f"{self.prefix} -> {hop} ({where})"


@dataclass(frozen=True, slots=True)
class Peer:
    """One peering of a virtual network, as read on the local side."""

    name: str
    remote_vnet_id: str
    prefixes: tuple[str, ...]
    state: str | None
    allow_forwarded_traffic: bool
    use_remote_gateways: bool
    allow_gateway_transit: bool

    @property
    def connected(self) -> bool:
        return self.state in (None, "Connected")


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an address lives: its virtual network and subnet."""

    vnet: VirtualNetwork
    subnet: Subnet

    @property
    def subnet_id(self) -> str:
        return self.subnet.id or f"{self.vnet.id}/subnets/{self.subnet.name}"


class Routing:
    """The virtual networks, route tables and gateways of a tenant, indexed for route questions."""

    def __init__(self, vnets: Iterable[VirtualNetwork], route_tables: Iterable[RouteTable] = (),
                 gateways: Iterable[VirtualNetworkGateway] = ()) -> None:
        self.vnets: dict[str, VirtualNetwork] = {_key(v.id): v for v in vnets}
        self.route_tables: dict[str, RouteTable] = {_key(t.id): t for t in route_tables}
        self.gateways: tuple[VirtualNetworkGateway, ...] = tuple(gateways)
        self._subnet_vnet: dict[str, VirtualNetwork] = {}
        for v in self.vnets.values():
            for s in v.subnets:
                self._subnet_vnet[_key(s.id or f"{v.id}/subnets/{s.name}")] = v

    @classmethod
    def of(cls, vnets: Iterable[VirtualNetwork], route_tables: Iterable[RouteTable] = (),
           gateways: Iterable[VirtualNetworkGateway] | Mapping[str, Iterable[VirtualNetworkGateway]] = ()
           ) -> Routing:
        """Like the constructor; ``gateways`` may also be :class:`Tenant`'s per-resource-group mapping."""
        if isinstance(gateways, Mapping):
            gws: list[VirtualNetworkGateway] = [g for group in gateways.values() for g in group]
        else:
            gws = list(gateways)
        return cls(vnets, route_tables, gws)

    # -- topology -------------------------------------------------------------------------------------
    def vnet(self, vnet_id: str) -> VirtualNetwork | None:
        return self.vnets.get(_key(vnet_id))

    def vnet_of(self, subnet: Subnet) -> VirtualNetwork | None:
        return self._subnet_vnet.get(_key(subnet.id)) if subnet.id else None

    def peers(self, vnet: VirtualNetwork) -> list[Peer]:
        """The peerings of ``vnet`` with the remote address space (as recorded on the peering, else the
        remote VNet's own space when it was read)."""
        out: list[Peer] = []
        for p in vnet.virtual_network_peerings:
            remote_id = p.remote_virtual_network.id if p.remote_virtual_network is not None else None
            if not remote_id:
                continue
            space = p.remote_virtual_network_address_space or p.remote_address_space
            prefixes = tuple(space.address_prefixes) if space is not None else ()
            if not prefixes:
                remote = self.vnet(remote_id)
                prefixes = tuple(remote.address_prefixes) if remote is not None else ()
            out.append(Peer(p.name or "", remote_id, prefixes, p.peering_state,
                            bool(p.allow_forwarded_traffic), bool(p.use_remote_gateways),
                            bool(p.allow_gateway_transit)))
        return out

    def topology(self) -> dict[str, tuple[str, ...]]:
        """Virtual network id -> the ids of the virtual networks it is peered with (connected peerings)."""
        return {v.id: tuple(p.remote_vnet_id for p in self.peers(v) if p.connected) for v in self.vnets.values()}

    def virtual_network_space(self, vnet: VirtualNetwork) -> AddressSet:
        """What the NSG service tag ``VirtualNetwork`` stands for in ``vnet``: its address space, the spaces
        of its connected peerings, and the point-to-site pools of the gateways it reaches."""
        prefixes = [*vnet.address_prefixes]
        for p in self.peers(vnet):
            if p.connected:
                prefixes.extend(p.prefixes)
        for _, pool in self._gateway_pools(vnet):
            prefixes.extend(pool)
        return AddressSet.parse([x for x in prefixes if _net(x) is not None])

    # -- where an address lives -----------------------------------------------------------------------
    def placement(self, ip: str) -> Placement | None:
        """The subnet holding ``ip`` (the most specific prefix over every VNet read), or None."""
        addr = ipaddress.ip_address(ip)
        best: tuple[int, Placement] | None = None
        for v in self.vnets.values():
            for s in v.subnets:
                for prefix in s.prefixes:
                    net = _net(prefix)
                    if net is not None and net.version == addr.version and addr in net and (
                            best is None or net.prefixlen > best[0]):
                        best = (net.prefixlen, Placement(v, s))
        return best[1] if best is not None else None

    def p2s_gateway(self, ip: str) -> tuple[VirtualNetworkGateway, Placement | None] | None:
        """The gateway whose point-to-site client pool holds ``ip``, with its ``GatewaySubnet`` (None when that
        subnet was not read)."""
        addr = ipaddress.ip_address(ip)
        for g in self.gateways:
            conf = g.vpn_client_configuration
            pool = conf.vpn_client_address_pool.address_prefixes if conf and conf.vpn_client_address_pool else ()
            if any((n := _net(p)) is not None and n.version == addr.version and addr in n for p in pool):
                return g, self.gateway_subnet(g)
        return None

    def gateway_subnet(self, gateway: VirtualNetworkGateway) -> Placement | None:
        for conf in gateway.ip_configurations:
            if conf.subnet is None or not conf.subnet.id:
                continue
            vnet = self.vnet(vnet_id_of_subnet(conf.subnet.id))
            if vnet is None:
                continue
            for s in vnet.subnets:
                if _key(s.id) == _key(conf.subnet.id) or (s.name or "").lower() == "gatewaysubnet":
                    return Placement(vnet, s)
        return None

    def _gateway_pools(self, vnet: VirtualNetwork) -> Iterator[tuple[VirtualNetworkGateway, tuple[str, ...]]]:
        """The P2S pools reachable through a gateway in ``vnet`` or in a peered VNet whose gateway it uses."""
        remote_gw_vnets = {_key(p.remote_vnet_id) for p in self.peers(vnet) if p.connected and p.use_remote_gateways}
        for g in self.gateways:
            conf = g.vpn_client_configuration
            pool = conf.vpn_client_address_pool.address_prefixes if conf and conf.vpn_client_address_pool else ()
            if not pool:
                continue
            home = {_key(vnet_id_of_subnet(c.subnet.id)) for c in g.ip_configurations if c.subnet and c.subnet.id}
            if _key(vnet.id) in home or home & remote_gw_vnets:
                yield g, tuple(pool)

    # -- routes ---------------------------------------------------------------------------------------
    def route_table_of(self, subnet: Subnet) -> RouteTable | None:
        return self.route_tables.get(_key(subnet.route_table.id)) if subnet.route_table is not None else None

    def missing_route_table(self, subnet: Subnet) -> str | None:
        """The id of the route table associated with ``subnet`` when it was not read."""
        rt = subnet.route_table
        if rt is not None and rt.id and _key(rt.id) not in self.route_tables:
            return rt.id
        return None

    def system_routes(self, vnet: VirtualNetwork) -> list[RouteEntry]:
        out = [RouteEntry(p, "VnetLocal", "system") for p in vnet.address_prefixes if _net(p) is not None]
        covering = [n for p in vnet.address_prefixes if (n := _net(p)) is not None]
        for peer in self.peers(vnet):
            if not peer.connected:
                continue
            for p in peer.prefixes:
                n = _net(p)
                if n is not None:
                    out.append(RouteEntry(p, "VNetPeering", "system", remote_vnet_id=peer.remote_vnet_id))
                    covering.append(n)
        out.append(RouteEntry("0.0.0.0/0", "Internet", "system"))
        for p in RESERVED_PREFIXES:
            reserved = ipaddress.ip_network(p)
            if not any(n.version == 4 and reserved.subnet_of(n) for n in covering):  # type: ignore[arg-type]
                out.append(RouteEntry(p, "None", "system"))
        return out

    def gateway_routes(self, vnet: VirtualNetwork, subnet: Subnet) -> list[RouteEntry]:
        rt = self.route_table_of(subnet)
        if rt is not None and rt.disable_bgp_route_propagation:
            return []
        return [RouteEntry(p, "VirtualNetworkGateway", "gateway", name=g.name, id=g.id)
                for g, pool in self._gateway_pools(vnet) for p in pool if _net(p) is not None]

    def user_routes(self, subnet: Subnet) -> list[RouteEntry]:
        rt = self.route_table_of(subnet)
        if rt is None:
            return []
        return [RouteEntry(r.address_prefix, r.next_hop_type or "None", "user", next_hop_ip=r.next_hop_ip_address,
                           name=r.name, id=r.id, route_table_id=rt.id, route_table_name=rt.name)
                for r in rt.routes if r.address_prefix and _net(r.address_prefix) is not None]

    def routes(self, subnet: Subnet, vnet: VirtualNetwork | None = None) -> list[RouteEntry]:
        """Every valid route of ``subnet``: user-defined, gateway and system."""
        vnet = vnet or self.vnet_of(subnet)
        system = self.system_routes(vnet) if vnet is not None else [RouteEntry("0.0.0.0/0", "Internet", "system")]
        gateway = self.gateway_routes(vnet, subnet) if vnet is not None else []
        user = self.user_routes(subnet)
        if any(r.network.version == 4 and r.network.prefixlen == 0 for r in user):
            system = [r for r in system if not (r.next_hop_type == "None" and r.prefix in RESERVED_PREFIXES)]
        return [*user, *gateway, *system]

    def effective_route(self, subnet: Subnet, ip: str, vnet: VirtualNetwork | None = None) -> RouteEntry | None:
        """The route traffic from ``subnet`` to ``ip`` takes; None when no route holds it (dropped)."""
        return _select(self.routes(subnet, vnet), ipaddress.ip_address(ip))

    def default_route(self, subnet: Subnet, vnet: VirtualNetwork | None = None) -> RouteEntry | None:
        """The route for ``0.0.0.0/0`` itself (internet egress): a user-defined one, else the system route."""
        candidates = [r for r in self.routes(subnet, vnet) if r.network.version == 4 and r.network.prefixlen == 0]
        return min(candidates, key=lambda r: _RANK[r.source]) if candidates else None


def _select(routes: Iterable[RouteEntry], addr: _Addr) -> RouteEntry | None:
    holding = [r for r in routes if r.contains(addr)]
    if not holding:
        return None
    best = min(holding, key=lambda r: (-r.network.prefixlen, _RANK[r.source]))
    if best.source == "gateway":  # the VNet's and its peerings' system routes are preferred over BGP routes
        vnet_routes = [r for r in holding if r.next_hop_type in ("VnetLocal", "VNetPeering")]
        if vnet_routes:
            return min(vnet_routes, key=lambda r: -r.network.prefixlen)
    return best
