"""One network flow traced across the layers (CONTRACTS §5a): the source subnet's NSG (outbound), the
source subnet's effective route, the Azure Firewall that route leads to, the destination subnet's NSG
(inbound); and the Private Access segments that publish the destination, with the CA policies of their apps.

* A source in a point-to-site client pool sends from its gateway's ``GatewaySubnet``: no NSG is judged
  there (Learn: NSGs are not supported on the GatewaySubnet), its route table applies if it has one.
* The firewall layer is judged when the next hop is a ``VirtualAppliance`` whose IP is an Azure Firewall's
  private IP: its policy flattened (:class:`~ztconsole.engine.network.firewall.FirewallRuleBook`: parent
  policy first, DNAT, then network, then application rules), the first matching rule decides, and nothing
  matching is Azure Firewall's default deny. Rules whose match depends on a name (a network rule's
  ``destinationFqdns``, an application rule's target FQDNs other than ``*``) never match an IP here; they are
  named in the step's detail as not judged.
* ``decidedBy`` is the first step that denies, else the last step that allows.
* A destination given as a DNS name is resolved against Private Access segments only (no DNS here): the
  route, firewall and destination NSG need an address, so the route step says so and, no network path being
  established, decides ``deny`` (rule null: no route).
* ``privateAccess``: every segment publishing the destination and port (``ipAddress``, ``ipRangeCidr``,
  ``ipRange`` for an address; ``fqdn`` (``*.`` wildcards) and ``dnsSuffix`` for a name) and protocol, with
  the ids of the **enabled** Conditional Access policies that apply to the segment's app — the policies
  that gate it today (report-only policies enforce nothing); whether a policy targets the app is decided by
  the CA rule book (:class:`~ztconsole.engine.ca.conditions.TargetCondition` over
  :func:`~ztconsole.engine.ca.conditions.app_keys`), and policies for workload identities are left out.

Pure: model objects in, a :class:`FlowResult` out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ztconsole.engine.ca.conditions import app_keys, conditions_of
from ztconsole.engine.ca.context import Context
from ztconsole.engine.network.firewall import FirewallRuleBook, FlatRule
from ztconsole.engine.network.nsg import decide, rules_of, tag_resolver
from ztconsole.engine.network.routes import Placement, RouteEntry, Routing
from ztconsole.engine.network.sets import AddressSet
from ztconsole.model.access import Application, ApplicationSegment
from ztconsole.model.ca import ConditionalAccessPolicy
from ztconsole.model.network import AzureFirewall, NetworkSecurityGroup

__all__ = ["FlowResult", "FlowTracer", "PrivateAccessMatch", "Step", "publishing_segments", "trace_flow"]

Layer = Literal["nsg-outbound", "route", "firewall", "nsg-inbound"]
Action = Literal["allow", "deny", "nextHop"]


def _name_of(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def _key(resource_id: str | None) -> str:
    return "/" + (resource_id or "").strip("/").lower()


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the path."""

    layer: Layer
    resource_id: str
    resource_name: str
    rule: str | None
    action: Action
    detail: str

    def resource(self) -> dict[str, str]:
        return {"id": self.resource_id, "name": self.resource_name}

    def to_json(self) -> dict[str, Any]:
        return {"layer": self.layer, "resource": self.resource(), "rule": self.rule, "action": self.action,
                "detail": self.detail}


@dataclass(frozen=True, slots=True)
class PrivateAccessMatch:
    app_id: str
    app_name: str
    segment_id: str
    policies: tuple[str, ...]
    #: the segment as published, for people (``10.1.1.20 tcp 3200-3299``)
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"appId": self.app_id, "appName": self.app_name, "segmentId": self.segment_id,
                "policies": list(self.policies)}


@dataclass(frozen=True, slots=True)
class FlowResult:
    src: str
    dst: str
    port: int
    protocol: str
    verdict: Literal["allow", "deny"]
    decided_by: Step | None
    path: tuple[Step, ...]
    private_access: tuple[PrivateAccessMatch, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        decided = None
        if self.decided_by is not None:
            d = self.decided_by
            decided = {"layer": d.layer, "resource": d.resource(), "rule": d.rule}
        return {"flow": {"src": self.src, "dst": self.dst, "port": self.port, "protocol": self.protocol},
                "verdict": self.verdict, "decidedBy": decided, "path": [s.to_json() for s in self.path],
                "privateAccess": [m.to_json() for m in self.private_access]}


# --- Private Access -----------------------------------------------------------------------------------------


def _host_matches(seg: ApplicationSegment, addr: ipaddress.IPv4Address | ipaddress.IPv6Address | None,
                  name: str | None) -> bool:
    host = (seg.destination_host or "").strip()
    kind = seg.destination_type
    if not host:
        return False
    try:
        if addr is not None:
            if kind == "ipAddress":
                return ipaddress.ip_address(host) == addr
            if kind == "ipRangeCidr":
                net = ipaddress.ip_network(host, strict=False)
                return net.version == addr.version and addr in net
            if kind == "ipRange":
                lo_s, _, hi_s = host.partition("-")
                lo, hi = ipaddress.ip_address(lo_s.strip()), ipaddress.ip_address(hi_s.strip())
                return lo.version == hi.version == addr.version and lo <= addr <= hi  # type: ignore[operator]
            return False
    except ValueError:
        return False
    if name is None:
        return False
    pattern = host.lower().rstrip(".")
    if kind == "fqdn":
        if pattern.startswith("*."):
            return name.endswith(pattern[1:])
        return name == pattern
    if kind == "dnsSuffix":
        suffix = pattern.lstrip("*").lstrip(".")
        return bool(suffix) and (name == suffix or name.endswith("." + suffix))
    return False


def _label(seg: ApplicationSegment) -> str:
    ports = ",".join(f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in seg.port_ranges)
    return f"{seg.destination_type or '?'} {seg.destination_host or '?'} {seg.protocol or '?'} {ports or '-'}"


def applying_policies(policies: Iterable[ConditionalAccessPolicy], app_id: str, ctx: Context | None = None
                      ) -> tuple[str, ...]:
    """Ids (sorted) of the enabled policies whose target resources include the app (client id ``app_id``), as
    the CA rule book reads them; policies for workload identities are not user sign-ins and are left out."""
    ctx = ctx if ctx is not None else Context()
    keys = app_keys(app_id.lower(), ctx)
    out: list[str] = []
    for p in policies:
        if p.state != "enabled" or p.conditions is None:
            continue
        rules = conditions_of(p.conditions)
        if rules.workload is None and rules.target.targets_apps and rules.target.holds(keys):
            out.append(p.id)
    return tuple(sorted(out))


def publishing_segments(applications: Iterable[Application], segments: Mapping[str, Sequence[ApplicationSegment]],
                        policies: Sequence[ConditionalAccessPolicy], dst: str, port: int, protocol: str,
                        ctx: Context | None = None) -> list[PrivateAccessMatch]:
    """Every segment that publishes ``dst`` (an address or a name) on ``port``/``protocol``, by app name."""
    try:
        addr: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(dst)
        name = None
    except ValueError:
        addr, name = None, dst.lower().rstrip(".")
    out: list[PrivateAccessMatch] = []
    for app in applications:
        seen: set[str] = set()
        app_segments = [*segments.get(app.id, ()), *app.segments]
        matched: list[ApplicationSegment] = []
        for seg in app_segments:
            sid = seg.id or ""
            if sid and sid in seen:
                continue
            seen.add(sid)
            if seg.protocols and protocol not in seg.protocols:
                continue
            if not any(lo <= port <= hi for lo, hi in seg.port_ranges):
                continue
            if _host_matches(seg, addr, name):
                matched.append(seg)
        if not matched:
            continue
        gating = applying_policies(policies, app.app_id, ctx) if app.app_id else ()
        for seg in matched:
            out.append(PrivateAccessMatch(app.app_id or app.id, app.display_name or app.id, seg.id or "",
                                          gating, _label(seg)))
    out.sort(key=lambda m: (m.app_name.casefold(), m.app_id, m.segment_id))
    return out


# --- the network path ---------------------------------------------------------------------------------------


class FlowTracer:
    """A tenant's network resources, indexed once, tracing flows."""

    def __init__(self, routing: Routing, nsgs: Iterable[NetworkSecurityGroup] = (),
                 firewalls: Iterable[AzureFirewall] = (), rule_book: FirewallRuleBook | None = None,
                 applications: Iterable[Application] = (),
                 segments: Mapping[str, Sequence[ApplicationSegment]] | None = None,
                 ca_policies: Sequence[ConditionalAccessPolicy] = (), ctx: Context | None = None) -> None:
        self.routing = routing
        self.nsgs = {_key(n.id): n for n in nsgs}
        self.firewalls = tuple(firewalls)
        self.rule_book = rule_book
        self.applications = tuple(applications)
        self.segments = segments or {}
        self.ca_policies = tuple(ca_policies)
        self.ctx = ctx

    def trace(self, src: str, dst: str, port: int, protocol: str = "tcp") -> FlowResult:
        """The flow from ``src`` (an IP address) to ``dst`` (an IP address or a DNS name)."""
        protocol = protocol.lower()
        ipaddress.ip_address(src)  # ValueError for a bad address
        pa = tuple(publishing_segments(self.applications, self.segments, self.ca_policies, dst, port, protocol,
                                       self.ctx))
        try:
            ipaddress.ip_address(dst)
            is_ip = True
        except ValueError:
            is_ip = False
        path = self._path(src, dst, port, protocol, is_ip)
        verdict: Literal["allow", "deny"] = "allow"
        decided: Step | None = None
        for s in path:
            if s.action == "deny":
                verdict, decided = "deny", s
                break
            if s.action == "allow":
                decided = s
        if decided is None and path:  # only next hops: the last one stands for the path
            decided = path[-1]
        return FlowResult(src, dst, port, protocol, verdict, decided, tuple(path), pa)

    # -- layers --
    def _path(self, src: str, dst: str, port: int, protocol: str, is_ip: bool) -> list[Step]:
        path: list[Step] = []
        source = self.routing.placement(src)
        via_gateway = ""
        if source is None:
            p2s = self.routing.p2s_gateway(src)
            if p2s is not None:
                gateway, source = p2s
                via_gateway = (f"{src} is in the point-to-site pool of gateway {gateway.name!r}: it sends from "
                               "the GatewaySubnet (no NSG is judged there)")
        if source is not None and not via_gateway:
            step = self._nsg(source, "Outbound", src, dst if is_ip else None, port, protocol)
            if step is not None:
                path.append(step)
                if step.action == "deny":
                    return path
        if not is_ip:
            where = source.subnet_id if source is not None else src
            path.append(Step("route", where, _name_of(where) if source is not None else src, None, "deny",
                             f"{dst} is a DNS name and ztconsole resolves no names: the route, the firewall and "
                             "the destination's NSG need an IP address; no network path is established (give "
                             "--dst an address to trace it)" + (f"; {via_gateway}" if via_gateway else "")))
            return path
        target = self.routing.placement(dst)
        if source is None:
            if target is None:
                path.append(Step("route", src, src, None, "deny",
                                 f"neither {src} nor {dst} is in a subnet of the virtual networks read (nor in a "
                                 "point-to-site pool): no route is known"))
                return path
            step = self._nsg(target, "Inbound", src, dst, port, protocol,
                             f"{src} is outside every virtual network read: only the destination's NSG is judged")
            if step is not None:
                path.append(step)
            return path
        route_step, route = self._route(source, dst, via_gateway)
        path.append(route_step)
        if route_step.action == "deny" or route is None:
            return path
        inbound_dst = dst
        if route.next_hop_type == "VirtualAppliance" and route.next_hop_ip:
            fw = self._firewall_at(route.next_hop_ip)
            if fw is not None:
                fw_step, translated = self._firewall(fw, src, dst, port, protocol)
                path.append(fw_step)
                if fw_step.action == "deny":
                    return path
                if translated:
                    inbound_dst = translated
                    target = self.routing.placement(translated)
        if target is not None:
            step = self._nsg(target, "Inbound", src, inbound_dst, port, protocol)
            if step is not None:
                path.append(step)
        return path

    def _nsg(self, where: Placement, direction: Literal["Inbound", "Outbound"], src: str, dst: str | None,
             port: int, protocol: str, note: str = "") -> Step | None:
        layer: Layer = "nsg-outbound" if direction == "Outbound" else "nsg-inbound"
        ref = where.subnet.network_security_group
        if ref is None or not ref.id:
            return None
        nsg = self.nsgs.get(_key(ref.id))
        extra = f"; {note}" if note else ""
        if nsg is None:
            return Step(layer, ref.id, _name_of(ref.id), None, "nextHop",
                        f"NSG of subnet {where.subnet.name!r} was not read: not judged{extra}")
        resolve = tag_resolver(self.routing.virtual_network_space(where.vnet))
        try:
            rules = rules_of(nsg, direction, resolve)
        except ValueError as e:
            return Step(layer, nsg.id, nsg.name or _name_of(nsg.id), None, "nextHop",
                        f"NSG not judged: {e}{extra}")
        proto = protocol.upper()
        if dst is None:  # a name: a rule decides only when it matches every destination
            for r in rules:
                if proto not in r.protocols or port not in r.destination_ports or not r.source_ports.is_any:
                    continue
                if r.uses_asgs or not r.sources.covers(AddressSet.parse(src)):
                    continue
                if not r.destinations.is_any:
                    return None
                return Step(layer, nsg.id, nsg.name or _name_of(nsg.id), None if r.default else r.name,
                            "allow" if r.access == "Allow" else "deny",
                            f"{r.name} (priority {r.priority}) {r.access.lower()}s {proto} {port} from {src} to any "
                            f"destination{extra}")
            return None
        d = decide(rules, src, dst, port, proto)
        r = d.rule
        detail = (f"{'default rule ' if r.default else ''}{r.name} (priority {r.priority}) "
                  f"{'allows' if d.access == 'Allow' else 'denies'} {proto} {src} -> {dst}:{port}")
        if d.undetermined:
            detail += ("; rules naming application security groups (membership not read) might decide first: "
                       + ", ".join(f"{u.name} ({u.priority})" for u in d.undetermined))
        return Step(layer, nsg.id, nsg.name or _name_of(nsg.id), None if r.default else r.name,
                    "allow" if d.access == "Allow" else "deny", detail + extra)

    def _route(self, source: Placement, dst: str, via_gateway: str) -> tuple[Step, RouteEntry | None]:
        subnet = source.subnet
        rt = self.routing.route_table_of(subnet)
        missing = self.routing.missing_route_table(subnet)
        route = self.routing.effective_route(subnet, dst, source.vnet)
        rid, rname = (rt.id, rt.name or _name_of(rt.id)) if rt is not None else (source.subnet_id,
                                                                              subnet.name or "")
        notes = [via_gateway] if via_gateway else []
        if missing:
            notes.append(f"route table {_name_of(missing)!r} of the subnet was not read: its routes are not known")
        tail = ("; " + "; ".join(notes)) if notes else ""
        if route is None:
            return Step("route", rid, rname, None, "deny", f"no route holds {dst}: dropped{tail}"), None
        rule = route.name if route.source == "user" else None
        if route.next_hop_type == "None":
            return Step("route", rid, rname, rule, "deny",
                        f"{route.describe()}: traffic to next hop None is dropped{tail}"), route
        detail = f"{route.describe()}"
        if route.next_hop_type == "VirtualAppliance" and route.next_hop_ip and \
                self._firewall_at(route.next_hop_ip) is None:
            detail += " (not an Azure Firewall read: the appliance is not judged)"
        return Step("route", rid, rname, rule, "nextHop", detail + tail), route

    def _firewall_at(self, ip: str) -> AzureFirewall | None:
        for fw in self.firewalls:
            if ip in fw.private_ip_addresses:
                return fw
        return None

    def _firewall(self, fw: AzureFirewall, src: str, dst: str, port: int, protocol: str
                  ) -> tuple[Step, str | None]:
        name = fw.name or _name_of(fw.id)
        if fw.firewall_policy is None or not fw.firewall_policy.id:
            return Step("firewall", fw.id, name, None, "nextHop",
                        "the firewall has no firewall policy (classic rules are not judged by flow)"), None
        if self.rule_book is None:
            return Step("firewall", fw.id, name, None, "nextHop", "firewall policies were not read"), None
        flat = self.rule_book.flatten(fw.firewall_policy.id)
        src_set, dst_set = AddressSet.parse(src), AddressSet.parse(dst)
        proto = protocol.upper()
        skipped: list[str] = []
        for r in flat.rules:
            if r.problem is not None:
                continue
            if not _matches(r, proto, port, src_set, dst_set, skipped):
                continue
            if r.action == "DNAT":
                target = r.translation or "?"
                host = target.rsplit(":", 1)[0]
                try:
                    ipaddress.ip_address(host)
                except ValueError:
                    host = ""
                return Step("firewall", fw.id, name, r.name, "allow",
                            f"DNAT rule {r.name!r} ({r.collection}) translates to {target} and allows it"
                            + _skipped(skipped)), host or None
            action: Action = "allow" if r.action == "Allow" else "deny"
            return Step("firewall", fw.id, name, r.name, action,
                        f"{r.describe()} in policy {_name_of(r.policy_id)!r} "
                        f"{'allows' if action == 'allow' else 'denies'} {proto} {src} -> {dst}:{port}"
                        + _skipped(skipped)), None
        notes = f" ({'; '.join(flat.notes)})" if flat.notes else ""
        return Step("firewall", fw.id, name, None, "deny",
                    f"no rule of policy {_name_of(flat.policy_id)!r} matches: Azure Firewall denies by default"
                    + notes + _skipped(skipped)), None


def _skipped(names: list[str]) -> str:
    if not names:
        return ""
    return "; not judged (they match by name, not address): " + ", ".join(names[:5]) + (
        f" and {len(names) - 5} more" if len(names) > 5 else "")


def _matches(r: FlatRule, proto: str, port: int, src: AddressSet, dst: AddressSet, skipped: list[str]) -> bool:
    if not r.sources.covers(src):
        return False
    if r.kind == "application":
        app = r.app
        if proto != "TCP" or app is None or port not in app.tcp_ports:
            return False
        if not r.destinations.covers(dst):
            return False
        if "*" in app.fqdns:
            return True
        skipped.append(r.name)
        return False
    ports = r.ports.get(proto)
    if proto not in r.protocols or ports is None or port not in ports:
        return False
    if r.destinations.covers(dst):
        return True
    if any(n.startswith("fqdn:") for n in r.destinations.names):
        skipped.append(r.name)
    return False


def trace_flow(tenant: Any, src: str, dst: str, port: int, protocol: str = "tcp") -> FlowResult:
    """Trace one flow through a :class:`~ztconsole.model.tenant.Tenant`'s data sets."""
    routing = Routing.of(tenant.virtual_networks, tenant.route_tables, tenant.vnet_gateways)
    book = FirewallRuleBook(tenant.firewall_policies, tenant.rule_collection_groups, tenant.ip_groups)
    tracer = FlowTracer(routing, tenant.nsgs, tenant.firewalls, book, tenant.applications, tenant.app_segments,
                        tenant.ca_policies)
    return tracer.trace(src, dst, port, protocol)
