"""Network security group evaluation: which rule decides a flow, and what an NSG admits.

Azure's rules for an NSG (Microsoft Learn, "Network security groups: how it works" and "security rules"):

* rules are processed in priority order, the lowest number first (100 to 4096 for a user's rules); the
  first rule whose protocol, source, source ports, destination and destination ports all match decides,
  and processing stops;
* every NSG ends with the default rules, which cannot be removed but can be overridden by a rule of a
  lower number: inbound ``AllowVnetInBound`` (65000, VirtualNetwork to VirtualNetwork),
  ``AllowAzureLoadBalancerInBound`` (65001, AzureLoadBalancer to any), ``DenyAllInBound`` (65500);
  outbound ``AllowVnetOutBound`` (65000), ``AllowInternetOutBound`` (65001, any to Internet),
  ``DenyAllOutBound`` (65500). When an NSG as read carries no default rules, these are used;
* protocols ``Tcp``, ``Udp``, ``Icmp``, ``Esp``, ``Ah`` and ``*``; a rule for ``Esp`` or ``Ah`` never
  matches TCP, UDP or ICMP traffic, the only traffic this module judges;
* service tags: ``VirtualNetwork`` is the virtual network's address space with the spaces of its peered
  networks and of connected on-premises networks; ``Internet`` is the address space outside it;
  ``AzureLoadBalancer`` is the host's probe address 168.63.129.16. The caller says what the first one is
  (:func:`tag_resolver`); other service tags stay symbolic (see :mod:`ztconsole.engine.network.sets`);
* a rule that names application security groups matches a network interface that is a member of them;
  membership is not part of what ztconsole reads, so such a rule is *undetermined* for a given address:
  it is reported beside the decision, never silently taken or skipped as if known.

Pure; the model's :class:`~ztconsole.model.network.NetworkSecurityGroup` in, plain results out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, cast

from ztconsole.engine.network.sets import AddressSet, PortSet, ProtocolSet
from ztconsole.model.network import NetworkSecurityGroup, SecurityRule

__all__ = [
    "AZURE_LOAD_BALANCER",
    "Admission",
    "Decision",
    "NsgRule",
    "admitted",
    "decide",
    "rules_of",
    "tag_resolver",
]

Direction = Literal["Inbound", "Outbound"]
Access = Literal["Allow", "Deny"]

#: The address of the AzureLoadBalancer service tag (the host's health probes)
AZURE_LOAD_BALANCER = "168.63.129.16/32"


@dataclass(frozen=True, slots=True)
class NsgRule:
    """One rule as the platform applies it."""

    name: str
    id: str
    priority: int
    direction: Direction
    access: Access
    protocols: ProtocolSet
    sources: AddressSet
    source_ports: PortSet
    destinations: AddressSet
    destination_ports: PortSet
    #: application security group ids the rule names (membership unknown: the rule is undetermined)
    source_asgs: tuple[str, ...] = ()
    destination_asgs: tuple[str, ...] = ()
    default: bool = False

    @property
    def uses_asgs(self) -> bool:
        return bool(self.source_asgs or self.destination_asgs)


def tag_resolver(virtual_network: AddressSet) -> Callable[[str], AddressSet | None]:
    """Resolve the NSG service tags whose addresses the caller knows: ``VirtualNetwork`` (the given space),
    ``Internet`` (everything outside it but the platform's 168.63.129.16), ``AzureLoadBalancer``; any other
    name stays symbolic."""
    load_balancer = AddressSet.parse(AZURE_LOAD_BALANCER)
    # the platform's virtual IP is no address of the public internet: not in Internet
    internet = AddressSet.any() - virtual_network - load_balancer

    def resolve(name: str) -> AddressSet | None:
        key = name.casefold()
        if key == "virtualnetwork":
            return virtual_network
        if key == "internet":
            return internet
        if key == "azureloadbalancer":
            return load_balancer
        return None

    return resolve


_DEFAULTS: tuple[tuple[str, int, Direction, Access, str, str], ...] = (
    ("AllowVnetInBound", 65000, "Inbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
    ("AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "AzureLoadBalancer", "*"),
    ("DenyAllInBound", 65500, "Inbound", "Deny", "*", "*"),
    ("AllowVnetOutBound", 65000, "Outbound", "Allow", "VirtualNetwork", "VirtualNetwork"),
    ("AllowInternetOutBound", 65001, "Outbound", "Allow", "*", "Internet"),
    ("DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*"),
)


def _protocols(value: str | None) -> ProtocolSet:
    if value in (None, "*"):
        return ProtocolSet.any()
    if value.upper() in ("ESP", "AH"):
        return ProtocolSet()  # never TCP, UDP or ICMP
    return ProtocolSet.parse(value)


def _memo(resolve: Callable[[str], AddressSet | None]) -> tuple[
        Callable[[Sequence[str]], AddressSet], Callable[[Sequence[str]], PortSet]]:
    """Address and port parsers that parse each distinct list once (the rules of an NSG repeat ``*``,
    ``VirtualNetwork``, ``Internet`` and their ports); the sets are immutable, so rules may share them."""
    addresses: dict[tuple[str, ...], AddressSet] = {}
    ports: dict[tuple[str, ...], PortSet] = {}

    def address_set(values: Sequence[str]) -> AddressSet:
        key = tuple(values)
        found = addresses.get(key)
        if found is None:
            found = addresses[key] = AddressSet.parse(key, resolve)
        return found

    def port_set(values: Sequence[str]) -> PortSet:
        key = tuple(values)
        found = ports.get(key)
        if found is None:
            found = ports[key] = PortSet.parse(key)
        return found

    return address_set, port_set


def _rule(r: SecurityRule, resolve: Callable[[str], AddressSet | None], *, default: bool,
          nsg_id: str, parse: tuple[Callable[[Sequence[str]], AddressSet], Callable[[Sequence[str]], PortSet]]
          | None = None) -> NsgRule | None:
    """The rule as applied; None for a rule the service would not have accepted (no priority, access or
    direction), which therefore never decides anything."""
    if r.priority is None or r.access not in ("Allow", "Deny") or r.direction not in ("Inbound", "Outbound"):
        return None
    src_asgs = tuple(a.id for a in r.source_application_security_groups if a.id)
    dst_asgs = tuple(a.id for a in r.destination_application_security_groups if a.id)
    name = r.name or ""
    address_set, port_set = parse if parse is not None else _memo(resolve)
    return NsgRule(
        name=name, id=r.id or f"{nsg_id}/securityRules/{name}", priority=r.priority,
        direction=cast(Direction, r.direction), access=cast(Access, r.access), protocols=_protocols(r.protocol),
        sources=address_set(r.source_prefixes or ("*",)) if not src_asgs else AddressSet.any(),
        source_ports=port_set(r.source_ports or ("*",)),
        destinations=address_set(r.destination_prefixes or ("*",)) if not dst_asgs else AddressSet.any(),
        destination_ports=port_set(r.destination_ports or ("*",)),
        source_asgs=src_asgs, destination_asgs=dst_asgs, default=default)


def rules_of(nsg: NetworkSecurityGroup, direction: Direction,
             resolve: Callable[[str], AddressSet | None]) -> list[NsgRule]:
    """The rules of ``nsg`` for ``direction`` in the order they are processed, the default rules last
    (those the NSG carries, else the platform's). Raises ValueError naming a malformed prefix or port."""
    nsg_id = nsg.id or ""
    parse = _memo(resolve)
    own = [x for r in nsg.security_rules
           if (x := _rule(r, resolve, default=False, nsg_id=nsg_id, parse=parse)) is not None
           and x.direction == direction]
    carried = [x for r in nsg.default_security_rules
               if (x := _rule(r, resolve, default=True, nsg_id=nsg_id, parse=parse)) is not None
               and x.direction == direction]
    if not carried:
        carried = [NsgRule(name, f"{nsg_id}/defaultSecurityRules/{name}", prio, d, access, ProtocolSet.any(),
                           AddressSet.parse(src, resolve), PortSet.any(), AddressSet.parse(dst, resolve),
                           PortSet.any(), default=True)
                   for name, prio, d, access, src, dst in _DEFAULTS if d == direction]
    own.sort(key=lambda r: r.priority)
    carried.sort(key=lambda r: r.priority)
    return own + carried


@dataclass(frozen=True, slots=True)
class Decision:
    """What an NSG does with one flow: the deciding rule, and the rules before it that name application
    security groups (they would decide instead if the address is a member)."""

    access: Access
    rule: NsgRule
    undetermined: tuple[NsgRule, ...] = ()


def decide(rules: Sequence[NsgRule], src: str, dst: str, port: int, protocol: str = "TCP",
           src_port: int | None = None) -> Decision:
    """The rule of ``rules`` (from :func:`rules_of`) that decides the flow. ``src_port`` None means any
    ephemeral port: a rule that restricts source ports matches only if it admits every one of them."""
    src_set, dst_set = AddressSet.parse(src), AddressSet.parse(dst)
    undetermined: list[NsgRule] = []
    for rule in rules:
        if protocol.upper() not in rule.protocols or port not in rule.destination_ports:
            continue
        if src_port is None:
            if not rule.source_ports.is_any:
                continue
        elif src_port not in rule.source_ports:
            continue
        if rule.uses_asgs:
            undetermined.append(rule)
            continue
        if rule.sources.covers(src_set) and rule.destinations.covers(dst_set):
            return Decision(rule.access, rule, tuple(undetermined))
    raise ValueError("no rule decides the flow: the rules given lack the default rules")


@dataclass(frozen=True, slots=True)
class Admission:
    """An allow rule that admits part of the sources asked about: which part."""

    rule: NsgRule
    sources: AddressSet


def admitted(rules: Sequence[NsgRule], sources: AddressSet, port: int, protocol: str = "TCP",
             destinations: AddressSet | None = None) -> list[Admission]:
    """Which part of ``sources`` the rules admit on ``port`` (to every address of ``destinations``, default
    any), and by which rule; exact for one port and protocol: each rule takes the part of the sources not
    decided by a rule before it (a deny rule removes it, an allow rule admits it). A rule that names
    application security groups is taken as matching (the worst case for the question "what can reach
    this"), and rules restricted to specific source ports too (a client can choose its port)."""
    remaining = sources
    out: list[Admission] = []
    for rule in rules:
        if not remaining:
            break
        if protocol.upper() not in rule.protocols or port not in rule.destination_ports:
            continue
        if destinations is not None and not rule.destinations.covers(destinations) and not rule.uses_asgs:
            continue
        part = remaining & rule.sources
        if not part:
            continue
        if rule.access == "Allow":
            out.append(Admission(rule, part))
        if rule.access == "Deny" and (rule.uses_asgs or not rule.source_ports.is_any):
            continue  # a deny that may not apply to every packet removes nothing for certain
        remaining = remaining - part
    return out


def describe(rules: Iterable[NsgRule]) -> str:
    """``name (priority)`` of each rule, for evidence."""
    return ", ".join(f"{r.name} ({r.priority})" for r in rules)
