"""Rollout steps 2 (``inventory``) and 3 (``apps``): what the VPN reaches today, narrowed by real traffic, and
the per-application Private Access segments that traffic justifies (issue #14, CONTRACTS §9).

**Reach** (:func:`vpn_reach`). The point-to-site client pools are the ``vpnClientAddressPool`` prefixes of the
virtual network gateways. What the pools reach is decided exactly as ZT-NET-010 decides it, with its own
functions (:mod:`ztconsole.engine.checks.network`: the routing with gateways, each NSG's view, and
:func:`~ztconsole.engine.checks.network._exposures` over :func:`~ztconsole.engine.network.nsg.admitted`), so
the two never disagree:

* a virtual network is *behind* a gateway when the pool is part of what the NSG service tag ``VirtualNetwork``
  stands for there (:meth:`~ztconsole.engine.network.routes.Routing.virtual_network_space`: the gateway's own
  network and networks peered with it that use its gateway), i.e. when Azure routes the pool's traffic there;
* an *admission* is an NSG allow rule (its own or a default rule such as ``AllowVnetInBound``) that admits part
  of the pool, on some TCP or UDP ports, to the NSG's subnets in a network behind a gateway, with priorities
  and deny rules above it taken into account;
* an *open subnet* is a workload subnet behind a gateway with no NSG at all (everything is admitted);
* the *routes* are the user-defined routes of each gateway's ``GatewaySubnet`` (CONTRACTS §5a: the pool sends
  from there).

**Evidence** (:class:`Flow`). Three sources, each parsed from text or model objects (never a file opened here):

* :func:`parse_flow_csv`: ``src,dst,port,proto`` with an optional ``count`` (header names case-insensitive);
  ``dst`` is an IP address, a CIDR prefix or an FQDN, ``port`` a number or a range ``a-b``, ``proto`` ``tcp``
  or ``udp`` (Private Access carries nothing else);
* :func:`parse_discovery_csv`: the Entra admin center's Global Secure Access *Application discovery* table
  (Microsoft Learn, "Application discovery for Global Secure Access", how-to-application-discovery). Learn
  names its columns **Destination FQDN, Destination IP, Transport protocol, Destination port, Users,
  Transactions, Devices, Sent bytes, Received bytes, Last access, First access**; it documents no exact
  export header, so columns are taken by those names (case, spaces and underscores ignored), and by the
  property names of the Graph report behind the table (beta ``discoveredApplicationSegmentReport``: ``fqdn``,
  ``ip``, ``transportProtocol``, ``port``, ``userCount``, ``transactionCount``, ``deviceCount``). Needed:
  a port, a protocol and an FQDN or IP column; ``Transactions`` is the flow's count;
* :func:`flows_from_traffic_logs`: Graph beta ``networkAccess/logs/traffic`` entries (the data set
  ``traffic_logs``, :class:`~ztconsole.model.access.NetworkAccessTraffic`: ``destinationFQDN``,
  ``destinationIp``, ``destinationPort``, ``transportProtocol``, ``sourceIp``, ``trafficType``, ``action``,
  ``transactionId``), keeping only ``trafficType == "private"``.

A bad line or entry is a :class:`LineProblem` (its line number and why); the others still count. A CSV with no
valid line at all raises :class:`FlowFileError`.

**Proposal** (:func:`propose_segments`). A flow is *in reach* when its destination address lies in an address
space behind a gateway (an FQDN with no address takes the addresses other flows give it; with none it is
*unplaced*). In-reach flows are grouped by destination host, an FQDN else an IP address (/32): one proposed
app per host, one segment per protocol and port (or port range) seen, each listing the flows that justify it
and the NSG rules that admit it today. Flows outside the reach are listed apart (not through the VPN). The
admissions, spaces and open subnets no in-reach flow uses are *admitted but unused* (candidates to close in
step 8, ``tighten``). *Overlaps*: two proposed apps with an address in common (an FQDN and its IP, two names of
one server). *Breadth*: a destination wider than one address, or a port range.

Everything is sorted: the same input gives the same output.
"""

from __future__ import annotations

import csv
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from ztconsole.engine.checks.base import CheckContext
from ztconsole.engine.checks.network import (
    EXCEPTED_SUBNETS,
    describe_exposure,
    exposures,
    network_routing,
    nsg_view,
    nsgs_in,
)
from ztconsole.engine.network.routes import Routing
from ztconsole.engine.network.sets import AddressSet, IntervalSet, PortSet
from ztconsole.model.access import NetworkAccessTraffic
from ztconsole.model.network import VirtualNetworkGateway
from ztconsole.model.tenant import Tenant

__all__ = [
    "Admission",
    "Breadth",
    "Flow",
    "FlowFileError",
    "FlowParse",
    "GatewayRoute",
    "LineProblem",
    "OpenSubnet",
    "Overlap",
    "Pool",
    "Proposal",
    "ProposedApp",
    "ProposedSegment",
    "Space",
    "VpnReach",
    "flows_from_traffic_logs",
    "parse_discovery_csv",
    "parse_flow_csv",
    "propose_segments",
    "vpn_reach",
]

Protocol = Literal["tcp", "udp"]
DestinationType = Literal["fqdn", "ipAddress", "ipRangeCidr"]
#: the transport protocols Private Access carries (Learn: TCP and UDP)
_PROTOCOLS: Final[tuple[Protocol, ...]] = ("tcp", "udp")
_ALL_PORTS: Final = PortSet(IntervalSet([(1, 65535)]))
_PROTO_NUMBERS: Final[dict[str, Protocol]] = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp"}
_FQDN: Final = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
                          r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?$", re.IGNORECASE)


# --- reach ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pool:
    """One gateway's point-to-site client address pool."""

    gateway_id: str
    gateway_name: str
    prefixes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"gateway": {"id": self.gateway_id, "name": self.gateway_name}, "prefixes": list(self.prefixes)}


@dataclass(frozen=True, slots=True)
class Space:
    """A virtual network behind a gateway: the pool's traffic is routed to its address space."""

    vnet_id: str
    vnet_name: str
    prefixes: tuple[str, ...]
    #: the gateways whose pool reaches it
    gateways: tuple[str, ...]
    addresses: AddressSet = field(compare=False, repr=False, default_factory=AddressSet.empty)

    def to_json(self) -> dict[str, Any]:
        return {"vnet": {"id": self.vnet_id, "name": self.vnet_name}, "prefixes": list(self.prefixes),
                "gateways": list(self.gateways)}


@dataclass(frozen=True, slots=True)
class Admission:
    """An NSG allow rule that admits (part of) the VPN client pool to (part of) the NSG's subnets."""

    nsg_id: str
    nsg_name: str
    rule_name: str
    rule_id: str
    priority: int
    default: bool
    protocol: Protocol
    #: the destination ports admitted, as (first, last) ranges
    ports: tuple[tuple[int, int], ...]
    #: the part of the pool admitted, and the destinations (the rule's, within the NSG's subnets)
    sources: str
    destinations: str
    #: ZT-NET-010's wording of the same admission
    detail: str
    destination_set: AddressSet = field(compare=False, repr=False, default_factory=AddressSet.empty)

    @property
    def port_text(self) -> str:
        return _ports_text(self.ports)

    def admits(self, addresses: AddressSet, port: tuple[int, int], protocol: str) -> bool:
        """Whether this admission admits part of ``addresses`` on part of ``port``."""
        return (protocol == self.protocol and any(lo <= port[1] and port[0] <= hi for lo, hi in self.ports)
                and bool((self.destination_set & addresses).ivs))

    def to_json(self) -> dict[str, Any]:
        return {"nsg": {"id": self.nsg_id, "name": self.nsg_name},
                "rule": {"id": self.rule_id, "name": self.rule_name, "priority": self.priority,
                         "default": self.default},
                "protocol": self.protocol, "ports": self.port_text, "sources": self.sources,
                "destinations": self.destinations, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class OpenSubnet:
    """A workload subnet behind a gateway with no NSG: the pool reaches every port of it."""

    subnet_id: str
    name: str
    vnet_name: str
    prefixes: tuple[str, ...]
    addresses: AddressSet = field(compare=False, repr=False, default_factory=AddressSet.empty)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.subnet_id, "name": self.name, "vnet": self.vnet_name, "prefixes": list(self.prefixes)}


@dataclass(frozen=True, slots=True)
class GatewayRoute:
    """A user-defined route of a gateway's GatewaySubnet: where the pool's traffic goes first."""

    gateway_name: str
    route_table: str
    name: str
    prefix: str
    next_hop: str

    def to_json(self) -> dict[str, Any]:
        return {"gateway": self.gateway_name, "routeTable": self.route_table, "name": self.name,
                "prefix": self.prefix, "nextHop": self.next_hop}


@dataclass(frozen=True, slots=True)
class VpnReach:
    """What the point-to-site VPN reaches today."""

    pools: tuple[Pool, ...]
    spaces: tuple[Space, ...]
    admissions: tuple[Admission, ...]
    open_subnets: tuple[OpenSubnet, ...]
    routes: tuple[GatewayRoute, ...]
    notes: tuple[str, ...] = ()

    @property
    def addresses(self) -> AddressSet:
        """Every address behind a gateway."""
        out = AddressSet.empty()
        for s in self.spaces:
            out = out | s.addresses
        return out

    @property
    def pool_addresses(self) -> AddressSet:
        return AddressSet.parse([p for pool in self.pools for p in pool.prefixes])

    def to_json(self) -> dict[str, Any]:
        return {"pools": [p.to_json() for p in self.pools], "spaces": [s.to_json() for s in self.spaces],
                "admissions": [a.to_json() for a in self.admissions],
                "openSubnets": [o.to_json() for o in self.open_subnets],
                "routes": [r.to_json() for r in self.routes], "notes": list(self.notes)}


def _ports_text(ports: Iterable[tuple[int, int]]) -> str:
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ports)


def _leaf(resource_id: str | None) -> str:
    return (resource_id or "").rstrip("/").rsplit("/", 1)[-1]


def _pools(gateways: Sequence[VirtualNetworkGateway]) -> list[Pool]:
    out: list[Pool] = []
    for g in gateways:
        conf = g.vpn_client_configuration
        prefixes = conf.vpn_client_address_pool.address_prefixes if conf and conf.vpn_client_address_pool else ()
        if prefixes:
            out.append(Pool(g.id, g.name or _leaf(g.id), tuple(prefixes)))
    return sorted(out, key=lambda p: (p.gateway_name.casefold(), p.gateway_id))


def _routes(routing: Routing, gateways: Sequence[VirtualNetworkGateway]) -> list[GatewayRoute]:
    out: list[GatewayRoute] = []
    for g in gateways:
        placement = routing.gateway_subnet(g)
        if placement is None:
            continue
        for r in routing.user_routes(placement.subnet):
            hop = r.next_hop_type + (f" {r.next_hop_ip}" if r.next_hop_ip else "")
            out.append(GatewayRoute(g.name or _leaf(g.id), r.route_table_name or _leaf(r.route_table_id),
                                    r.name or "", r.prefix, hop))
    return sorted(out, key=lambda r: (r.gateway_name, r.route_table, r.prefix, r.name))


def vpn_reach(tenant: Tenant) -> VpnReach:
    """The point-to-site pools of ``tenant``, the address spaces behind their gateways, the NSG rules that admit
    the pools there (ZT-NET-010's analysis), the subnets with no NSG there, and the GatewaySubnet routes."""
    notes: list[str] = [f"the data set {key!r} was not read completely ({tenant.status(key)})"
                        for key in ("vnet_gateways", "virtual_networks", "nsgs", "route_tables")
                        if tenant.status(key) != "ok"]
    gateways = sorted((g for group in tenant.vnet_gateways.values() for g in group), key=lambda g: g.id)
    pools = _pools(gateways)
    try:
        pool = AddressSet.parse([p for x in pools for p in x.prefixes])
    except ValueError as exc:
        notes.append(f"a VPN client address pool could not be read: {exc}")
        return VpnReach(tuple(pools), (), (), (), (), tuple(notes))
    if not pool:
        notes.append("no virtual network gateway has a point-to-site client address pool")
        return VpnReach((), (), (), (), (), tuple(notes))
    ctx = CheckContext(tenant)
    routing = network_routing(ctx, gateways=True)
    pool_sets = [(p, AddressSet.parse(p.prefixes)) for p in pools]

    spaces: list[Space] = []
    open_subnets: list[OpenSubnet] = []
    behind: set[str] = set()
    for v in sorted(routing.vnets.values(), key=lambda v: ((v.name or "").casefold(), v.id)):
        space = routing.virtual_network_space(v)
        via = tuple(p.gateway_name for p, s in pool_sets if (s & space).ivs)
        if not via:
            continue
        behind.add(v.id.casefold())
        try:
            own = AddressSet.parse(v.address_prefixes)
        except ValueError as exc:
            notes.append(f"virtual network {v.name!r}: an address prefix could not be read: {exc}")
            continue
        spaces.append(Space(v.id, v.name or _leaf(v.id), tuple(v.address_prefixes), via, own))
        for s in v.subnets:
            if s.network_security_group is not None or (s.name or "").casefold() in EXCEPTED_SUBNETS:
                continue
            try:
                addresses = AddressSet.parse(s.prefixes)
            except ValueError:
                continue
            sid = s.id or f"{v.id}/subnets/{s.name}"
            open_subnets.append(OpenSubnet(sid, s.name or _leaf(sid), v.name or _leaf(v.id), tuple(s.prefixes),
                                           addresses))

    admissions: list[Admission] = []
    for nsg in nsgs_in(ctx):
        view = nsg_view(ctx, nsg, routing)
        name = nsg.name or _leaf(nsg.id)
        if view.problem is not None:
            notes.append(f"NSG {name!r}: its rules could not be read: {view.problem}")
            continue
        if not (pool & view.vnet_space).ivs:
            continue  # the pool is not routed to this NSG's networks (ZT-NET-010 passes it for that reason)
        if view.protected is None:
            notes.append(f"NSG {name!r} is associated with no subnet that was read: what it admits is not listed")
            continue
        for proto in _PROTOCOLS:
            for e in exposures(view.inbound, pool, _ALL_PORTS, proto.upper(), view.protected, view.bounds):
                rule = e.rule
                dst = view.protected if rule.destination_asgs else rule.destinations & view.protected
                ports = tuple(IntervalSet(e.ports).pairs())
                admissions.append(Admission(
                    nsg.id, name, rule.name, rule.id, rule.priority, rule.default, proto, ports, str(e.sources),
                    str(dst), describe_exposure(view, e, proto.upper()), dst))
    admissions.sort(key=lambda a: (a.nsg_name.casefold(), a.nsg_id, a.priority, a.rule_name, a.protocol))
    return VpnReach(tuple(pools), tuple(spaces), tuple(admissions), tuple(open_subnets),
                    tuple(_routes(routing, gateways)), tuple(notes))


# --- evidence ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Flow:
    """Traffic seen: from ``src`` to a destination (an address or prefix, an FQDN, or both), on ``port`` (or
    the range ``port``-``port_end``) over ``protocol``, ``count`` times; ``source`` says where it was read
    (``flows.csv line 12``, ``GSA traffic log <transaction id>``)."""

    src: str | None
    dst_ip: str | None
    dst_fqdn: str | None
    port: int
    protocol: Protocol
    count: int
    source: str
    port_end: int | None = None
    users: int | None = None

    @property
    def ports(self) -> tuple[int, int]:
        return (self.port, self.port_end if self.port_end is not None else self.port)

    @property
    def destination(self) -> str:
        if self.dst_fqdn and self.dst_ip:
            return f"{self.dst_fqdn} ({self.dst_ip})"
        return self.dst_fqdn or self.dst_ip or ""

    def to_json(self) -> dict[str, Any]:
        return {"src": self.src, "dstIp": self.dst_ip, "dstFqdn": self.dst_fqdn,
                "port": _ports_text([self.ports]), "protocol": self.protocol, "count": self.count,
                "users": self.users, "source": self.source}


@dataclass(frozen=True, slots=True)
class LineProblem:
    """A line (or traffic log entry) that was not taken, and why."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source} line {self.line}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "line": self.line, "message": self.message}


@dataclass(frozen=True, slots=True)
class FlowParse:
    """The flows read from one source, and the lines that were not taken."""

    flows: tuple[Flow, ...]
    problems: tuple[LineProblem, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"flows": [f.to_json() for f in self.flows], "problems": [p.to_json() for p in self.problems]}


class FlowFileError(ValueError):
    """A flow file with no valid line (a wrong header, or every line bad)."""

    def __init__(self, source: str, message: str, problems: Sequence[LineProblem] = ()) -> None:
        self.source = source
        self.problems = tuple(problems)
        shown = "".join(f"; {p}" for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{source}: {message}{shown}{more}")


def _key(header: str) -> str:
    return re.sub(r"[\s_\-]", "", header.strip().lstrip("\ufeff")).casefold()


def _rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the (line number, cells) of every non-blank, non-comment line."""
    reader = csv.reader(text.lstrip("\ufeff").splitlines())
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for cells in reader:
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [_key(c) for c in cells]
            continue
        rows.append((reader.line_num, [c.strip() for c in cells]))
    return header or [], rows


def _destination(value: str) -> tuple[str | None, str | None]:
    """(address or prefix, FQDN) of a destination cell; ValueError when it is neither."""
    value = value.strip()
    if not value:
        raise ValueError("no destination")
    try:
        if "/" in value:
            net = ipaddress.ip_network(value, strict=False)
            return (str(net.network_address) if net.num_addresses == 1 else str(net)), None
        return str(ipaddress.ip_address(value)), None
    except ValueError:
        pass
    if any(ch.isdigit() for ch in value) and all(ch.isdigit() or ch in "./:" for ch in value):
        raise ValueError(f"{value!r} is not a valid IP address or prefix")
    if not _FQDN.match(value):
        raise ValueError(f"{value!r} is not an IP address, a prefix or an FQDN")
    return None, value.rstrip(".").lower()


def _address(value: str, what: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError(f"{what} {value!r} is not an IP address") from None


def _port(value: str) -> tuple[int, int | None]:
    text = value.strip()
    lo_text, sep, hi_text = text.partition("-")
    try:
        lo, hi = int(lo_text), int(hi_text) if sep else None
    except ValueError:
        raise ValueError(f"port {value!r} is not a number or a range a-b") from None
    for p in (lo, hi):
        if p is not None and not 1 <= p <= 65535:
            raise ValueError(f"port {p} is outside 1-65535")
    if hi is not None and hi < lo:
        raise ValueError(f"port range {value!r} ends before it starts")
    return lo, (None if hi == lo else hi)


def _protocol(value: str) -> Protocol:
    proto = _PROTO_NUMBERS.get(value.strip().casefold())
    if proto is None:
        raise ValueError(f"protocol {value!r} is not tcp or udp (Private Access carries TCP and UDP only)")
    return proto


def _count(value: str, what: str = "count") -> int:
    text = value.strip().replace(",", "")
    if not text:
        return 1
    try:
        n = int(float(text)) if "." in text else int(text)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a number") from None
    if n < 0:
        raise ValueError(f"{what} {value!r} is negative")
    return n


def parse_flow_csv(text: str, name: str) -> FlowParse:
    """Flows from a CSV with the header ``src,dst,port,proto`` (and optionally ``count``), in any order and
    case. ``name`` labels each flow (``NAME line N``). Raises :class:`FlowFileError` when the header lacks a
    column or no line is valid."""
    header, rows = _rows(text)
    if not header:
        raise FlowFileError(name, "empty: expected the header src,dst,port,proto")
    missing = [c for c in ("src", "dst", "port", "proto") if c not in header]
    if missing:
        raise FlowFileError(name, f"the header lacks {', '.join(missing)} (expected src,dst,port,proto[,count])")
    col = {c: header.index(c) for c in ("src", "dst", "port", "proto", "count") if c in header}
    flows: list[Flow] = []
    problems: list[LineProblem] = []
    for line, cells in rows:
        try:
            if len(cells) != len(header):
                raise ValueError(f"{len(cells)} fields where the header has {len(header)}")
            src = cells[col["src"]]
            dst_ip, dst_fqdn = _destination(cells[col["dst"]])
            port, port_end = _port(cells[col["port"]])
            proto = _protocol(cells[col["proto"]])
            count = _count(cells[col["count"]]) if "count" in col else 1
            flows.append(Flow(_address(src, "source") if src else None, dst_ip, dst_fqdn, port, proto, count,
                              f"{name} line {line}", port_end))
        except ValueError as exc:
            problems.append(LineProblem(name, line, str(exc)))
    if not flows:
        raise FlowFileError(name, "no valid flow line", problems)
    return FlowParse(tuple(flows), tuple(problems))


#: Application discovery's columns as Learn names them, and the Graph report's property names
_DISCOVERY: Final[dict[str, tuple[str, ...]]] = {
    "fqdn": ("destinationfqdn", "fqdn"),
    "ip": ("destinationip", "ip"),
    "protocol": ("transportprotocol", "protocol"),
    "port": ("destinationport", "port"),
    "users": ("users", "usercount"),
    "transactions": ("transactions", "transactioncount"),
}


def parse_discovery_csv(text: str, name: str) -> FlowParse:
    """Flows from the Global Secure Access *Application discovery* export: one flow per application segment
    (Destination FQDN and/or Destination IP, Transport protocol, Destination port; Transactions as the count,
    Users kept). Other columns (Devices, bytes, first and last access) are ignored. Raises
    :class:`FlowFileError` when a needed column is missing or no line is valid."""
    header, rows = _rows(text)
    if not header:
        raise FlowFileError(name, "empty: expected the Application discovery columns")
    col: dict[str, int] = {}
    for what, names in _DISCOVERY.items():
        for n in names:
            if n in header:
                col[what] = header.index(n)
                break
    missing = [label for what, label in (("port", "Destination port"), ("protocol", "Transport protocol"))
               if what not in col]
    if "fqdn" not in col and "ip" not in col:
        missing.append("Destination FQDN or Destination IP")
    if missing:
        raise FlowFileError(name, f"the header lacks {', '.join(missing)}")
    flows: list[Flow] = []
    problems: list[LineProblem] = []
    for line, cells in rows:
        try:
            if len(cells) != len(header):
                raise ValueError(f"{len(cells)} fields where the header has {len(header)}")
            fqdn_cell = cells[col["fqdn"]] if "fqdn" in col else ""
            ip_cell = cells[col["ip"]] if "ip" in col else ""
            if not fqdn_cell and not ip_cell:
                raise ValueError("neither a destination FQDN nor a destination IP")
            ip = _destination(ip_cell)[0] if ip_cell else None
            if ip_cell and ip is None:
                raise ValueError(f"destination IP {ip_cell!r} is not an IP address")
            fqdn = _destination(fqdn_cell)[1] if fqdn_cell else None
            if fqdn_cell and fqdn is None:  # an address in the FQDN column: take it as the address
                ip = ip or _destination(fqdn_cell)[0]
            port, port_end = _port(cells[col["port"]])
            proto = _protocol(cells[col["protocol"]])
            count = _count(cells[col["transactions"]], "transactions") if "transactions" in col else 1
            users = _count(cells[col["users"]], "users") if "users" in col and cells[col["users"]] else None
            flows.append(Flow(None, ip, fqdn, port, proto, count, f"{name} line {line}", port_end, users))
        except ValueError as exc:
            problems.append(LineProblem(name, line, str(exc)))
    if not flows:
        raise FlowFileError(name, "no valid application segment line", problems)
    return FlowParse(tuple(flows), tuple(problems))


def flows_from_traffic_logs(items: Iterable[NetworkAccessTraffic], name: str = "GSA traffic log") -> FlowParse:
    """Flows from Graph beta ``networkAccess/logs/traffic`` entries (the model's :class:`NetworkAccessTraffic`,
    ``tenant.traffic_logs``), keeping only Private Access traffic (``trafficType`` ``private``); an entry that
    cannot be a flow is a :class:`LineProblem` numbered by its position (1-based). Blocked entries are kept (an
    attempt shows a need), labelled so. No private entry at all is no error: the result is empty."""
    flows: list[Flow] = []
    problems: list[LineProblem] = []
    for n, item in enumerate(items, 1):
        if not item.is_private:
            continue
        label = f"{name} {item.transaction_id or f'entry {n}'}"
        if item.is_blocked:
            label += " (blocked)"
        try:
            ip = _destination(item.destination_ip)[0] if item.destination_ip else None
            fqdn = _destination(item.destination_fqdn)[1] if item.destination_fqdn else None
            if ip is None and fqdn is None:
                raise ValueError("neither destinationIp nor destinationFQDN")
            if item.destination_port is None:
                raise ValueError("no destinationPort")
            port, port_end = _port(str(item.destination_port))
            proto = _protocol(item.transport_protocol or "")
            src = _address(item.source_ip, "sourceIp") if item.source_ip else None
            flows.append(Flow(src, ip, fqdn, port, proto, 1, label, port_end))
        except ValueError as exc:
            problems.append(LineProblem(name, n, str(exc)))
    return FlowParse(tuple(flows), tuple(problems))


# --- proposal ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProposedSegment:
    """One Private Access application segment: a host, one protocol, one port or range; the flows that
    justify it and the NSG rules (or open subnets) that admit it from the VPN today."""

    destination_host: str
    destination_type: DestinationType
    protocol: Protocol
    ports: tuple[int, int]
    flows: tuple[Flow, ...]
    admitted_by: tuple[str, ...]

    @property
    def port_text(self) -> str:
        return _ports_text([self.ports])

    @property
    def count(self) -> int:
        return sum(f.count for f in self.flows)

    def to_json(self) -> dict[str, Any]:
        return {"destinationHost": self.destination_host, "destinationType": self.destination_type,
                "ports": [self.port_text], "protocol": self.protocol, "count": self.count,
                "justifiedBy": [f.source for f in self.flows], "admittedBy": list(self.admitted_by)}


@dataclass(frozen=True, slots=True)
class ProposedApp:
    """One proposed Private Access app: a destination host (an FQDN, else an address) with its segments."""

    name: str
    destination_host: str
    destination_type: DestinationType
    #: the addresses the flows show for the host
    addresses: tuple[str, ...]
    segments: tuple[ProposedSegment, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "destinationHost": self.destination_host,
                "destinationType": self.destination_type, "addresses": list(self.addresses),
                "segments": [s.to_json() for s in self.segments]}


@dataclass(frozen=True, slots=True)
class Overlap:
    """Two proposed apps with an address in common (the same destination proposed twice)."""

    apps: tuple[str, str]
    addresses: tuple[str, ...]
    #: the protocol/port segments both publish (ZT-PA-005 would fail on those)
    shared: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"apps": list(self.apps), "addresses": list(self.addresses), "shared": list(self.shared)}


@dataclass(frozen=True, slots=True)
class Breadth:
    """A proposed app wider than one host and one port."""

    app: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"app": self.app, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Proposal:
    """Step 3's proposal from step 2's inventory."""

    apps: tuple[ProposedApp, ...]
    #: flows whose destination is not behind a gateway: not through the VPN
    outside: tuple[Flow, ...]
    #: flows with only an FQDN no other flow gives an address for: whether the VPN reaches them is unknown
    unplaced: tuple[Flow, ...]
    #: reach no in-reach flow uses: candidates to close in step 8 (tighten)
    unused_admissions: tuple[Admission, ...]
    unused_spaces: tuple[Space, ...]
    unused_open_subnets: tuple[OpenSubnet, ...]
    overlaps: tuple[Overlap, ...]
    breadth: tuple[Breadth, ...]

    def to_json(self) -> dict[str, Any]:
        return {"apps": [a.to_json() for a in self.apps],
                "notThroughVpn": [f.to_json() for f in self.outside],
                "unplaced": [f.to_json() for f in self.unplaced],
                "admittedButUnused": {"admissions": [a.to_json() for a in self.unused_admissions],
                                      "spaces": [s.to_json() for s in self.unused_spaces],
                                      "openSubnets": [o.to_json() for o in self.unused_open_subnets]},
                "overlaps": [o.to_json() for o in self.overlaps],
                "breadth": [b.to_json() for b in self.breadth]}


def _ip_sort(value: str) -> tuple[int, int, str]:
    net = ipaddress.ip_network(value, strict=False)
    return (net.version, int(net.network_address), value)


def _addresses_of(flow: Flow, known: Mapping[str, set[str]]) -> tuple[str, ...]:
    if flow.dst_ip is not None:
        return (flow.dst_ip,)
    return tuple(sorted(known.get(flow.dst_fqdn or "", ()), key=_ip_sort))


def _is_host(address: str) -> bool:
    return ipaddress.ip_network(address, strict=False).num_addresses == 1


def propose_segments(reach: VpnReach, flows: Iterable[Flow]) -> Proposal:
    """Per-app Private Access segments for the flows the VPN carries (see the module's docstring)."""
    flows = list(flows)
    known: dict[str, set[str]] = {}
    for f in flows:
        if f.dst_fqdn and f.dst_ip:
            known.setdefault(f.dst_fqdn, set()).add(f.dst_ip)
    space = reach.addresses
    inside: list[tuple[Flow, tuple[str, ...], AddressSet]] = []
    outside: list[Flow] = []
    unplaced: list[Flow] = []
    for f in flows:
        addrs = _addresses_of(f, known)
        if not addrs:
            unplaced.append(f)
            continue
        where = AddressSet.parse(addrs)
        if (where & space).ivs:
            inside.append((f, addrs, where))
        else:
            outside.append(f)

    # group by host: the FQDN (an address other flows name by exactly one FQDN counts as that host), else the
    # address
    names_of: dict[str, set[str]] = {}
    for fqdn, ips in known.items():
        for ip in ips:
            names_of.setdefault(ip, set()).add(fqdn)
    hosts: dict[tuple[DestinationType, str], list[tuple[Flow, tuple[str, ...], AddressSet]]] = {}
    for item in inside:
        f = item[0]
        named = names_of.get(f.dst_ip or "", set())
        if f.dst_fqdn or len(named) == 1:
            key: tuple[DestinationType, str] = ("fqdn", f.dst_fqdn or next(iter(named)))
        else:
            assert f.dst_ip is not None
            key = ("ipAddress" if _is_host(f.dst_ip) else "ipRangeCidr", f.dst_ip)
        hosts.setdefault(key, []).append(item)

    def admitted_by(where: AddressSet, ports: tuple[int, int], proto: str) -> tuple[str, ...]:
        out = [f"NSG {a.nsg_name!r} rule {a.rule_name!r} ({a.priority})" for a in reach.admissions
               if a.admits(where, ports, proto)]
        out += [f"subnet {o.vnet_name}/{o.name} (no NSG)" for o in reach.open_subnets if (o.addresses & where).ivs]
        return tuple(dict.fromkeys(out))

    apps: list[ProposedApp] = []
    for (dtype, host), items in hosts.items():
        by_segment: dict[tuple[Protocol, tuple[int, int]], list[Flow]] = {}
        where = AddressSet.empty()
        addresses: set[str] = set()
        for f, addrs, w in items:
            by_segment.setdefault((f.protocol, f.ports), []).append(f)
            where = where | w
            addresses.update(addrs)
        segments = tuple(
            ProposedSegment(host, dtype, proto, ports, tuple(fs), admitted_by(where, ports, proto))
            for (proto, ports), fs in sorted(by_segment.items()))
        name = host if dtype != "ipAddress" else f"{host}/{32 if ':' not in host else 128}"
        apps.append(ProposedApp(name, host, dtype, tuple(sorted(addresses, key=_ip_sort)), segments))
    order = {"fqdn": 0, "ipAddress": 1, "ipRangeCidr": 2}
    apps.sort(key=lambda a: (order[a.destination_type],
                             _ip_sort(a.destination_host) if a.destination_type != "fqdn" else (0, 0, ""),
                             a.destination_host))

    # reach no flow uses
    used: list[tuple[Flow, AddressSet]] = [(f, w) for f, _, w in inside]
    unused_admissions = tuple(a for a in reach.admissions
                              if not any(a.admits(w, f.ports, f.protocol) for f, w in used))
    unused_spaces = tuple(s for s in reach.spaces if not any((s.addresses & w).ivs for _, w in used))
    unused_open = tuple(o for o in reach.open_subnets if not any((o.addresses & w).ivs for _, w in used))

    # the same destination proposed twice
    overlaps: list[Overlap] = []
    for i, a in enumerate(apps):
        a_set = AddressSet.parse(a.addresses)
        for b in apps[i + 1:]:
            common = a_set & AddressSet.parse(b.addresses)
            if not common.ivs:
                continue
            shared = sorted({f"{sa.protocol}/{sa.port_text}" for sa in a.segments for sb in b.segments
                             if sa.protocol == sb.protocol and sa.ports[0] <= sb.ports[1]
                             and sb.ports[0] <= sa.ports[1]})
            overlaps.append(Overlap((a.name, b.name), tuple(sorted(
                (x for x in {*a.addresses, *b.addresses} if (AddressSet.parse(x) & common).ivs), key=_ip_sort)),
                tuple(shared)))

    breadth: list[Breadth] = []
    for a in apps:
        if a.destination_type == "ipRangeCidr":
            n = ipaddress.ip_network(a.destination_host, strict=False).num_addresses
            breadth.append(Breadth(a.name, f"the destination {a.destination_host} spans {n} addresses, not one host"))
        ranges = [s for s in a.segments if s.ports[1] > s.ports[0]]
        for s in ranges:
            breadth.append(Breadth(a.name, f"{s.protocol} port range {s.port_text} "
                                           f"({s.ports[1] - s.ports[0] + 1} ports), not the ports used"))
    return Proposal(tuple(apps), tuple(outside), tuple(unplaced), unused_admissions, unused_spaces, unused_open,
                    tuple(overlaps), tuple(breadth))
