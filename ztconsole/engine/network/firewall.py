"""Azure Firewall Policy rules, flattened into the order the firewall processes them, and what follows from
that order: any-to-any allows (ZT-NET-004), over-broad internet egress (ZT-NET-005) and rules shadowed by
or redundant with an earlier rule (ZT-NET-006).

Processing order (Learn, "Azure Firewall rule processing logic" and "Azure Firewall Policy rule sets"):

1. By rule type: every DNAT rule, then every network rule, then every application rule, whatever the
   priorities and the inheritance.
2. Within a type, the rule collection groups of the parent (base) policy come before the child's, whatever
   their priority numbers; a parent's parent before that parent.
3. Within a policy, rule collection groups by priority (100 first, 65,000 last).
4. Within a group, rule collections by priority (lowest number first).
5. Within a collection, rules top-down in the order they are listed (rules have no priority of their own;
   every rule of a collection has the collection's action).

Rules are terminating: the first match decides. A DNAT match translates and allows the traffic, and it is
not processed further by network rules. A network-rule match (allow or deny) means the application rules are
not processed for that traffic; application rules see only what no network rule matched (and only HTTP,
HTTPS and MSSQL). A rule that uses an IP group with no addresses is skipped by Azure.

Match spaces are exact where the data allows and conservative where it does not:

* addresses come from ``sourceAddresses``/``destinationAddresses`` (CIDRs, ranges, ``*``, service tags),
  and IP groups resolved through the IP groups the caller hands in; an IP group not handed in, a service
  tag the caller does not resolve and a network rule's ``destinationFqdns`` stay *symbolic* names, covered
  only by the same name or by ``*`` (see :mod:`.sets`);
* network and DNAT rules match protocols x ports: ``TCP``/``UDP`` on the destination ports, ``ICMP`` and
  ``OTHER`` (``Any`` covers every IP protocol) regardless of ports;
* application rules match ``(protocol, port)`` pairs (``Http`` 80, ``Https`` 443, ``Mssql`` 1433 when the
  port is omitted) and targets: FQDNs (``*`` is every name; ``*.contoso.com`` is treated as covering only
  ``contoso.com``'s direct children and itself as a pattern — Learn does not state how deep the wildcard
  matches, so deeper names are never claimed), FQDN tags (their ports are Microsoft's, so a tag is covered only
  by the same tag), web categories (covered by the same category or ``*``) and target URLs (the same URL, or
  an FQDN that covers its host).

Coverage (:func:`covers`) is claimed only when certain. A network rule covers an application rule only when
it matches every packet the application rule could see: its sources cover the rule's sources, its
destinations cover every address the FQDN could resolve to (``*``, or the application rule's own
``destinationAddresses``), and its TCP ports cover the rule's ports (all TCP ports for FQDN tags). A network
rule with ``destinationFqdns`` never covers an application rule (name resolution is not static). DNAT rules
never cover application rules. A rule whose values could not be read (``problem``) is neither covering nor
covered.

Shadow analysis is indexed: per dimension (source, destination, ports per protocol, application targets) a
stabbing index over the rules' interval boundaries yields, as an integer bitset, the earlier rules that
contain one point of the later rule; the intersection of those bitsets is the candidate set, checked exactly
with :func:`covers` lowest position first. The result is the one the pairwise comparison gives
(``benchmarks/bench_firewall.py`` checks this on the large generated tenant).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import xor
from typing import Final, Literal, NamedTuple

from ...model.network import (
    ApplicationRule,
    FirewallPolicy,
    FirewallPolicyFilterRuleCollection,
    FirewallPolicyNatRuleCollection,
    FirewallPolicyRule,
    IpGroup,
    NatRule,
    NetworkRule,
    RuleCollectionGroup,
)
from .sets import ADDRESS_MAX, AddressSet, IntervalSet, PortSet, ProtocolSet

__all__ = [
    "RuleKind",
    "AppMatch",
    "FlatRule",
    "FlatPolicy",
    "FirewallRuleBook",
    "EgressFinding",
    "Shadow",
    "rule_id",
    "covers",
    "classify",
    "any_any_rules",
    "broad_egress",
    "shadowed_rules",
    "APP_DEFAULT_PORTS",
]

RuleKind = Literal["dnat", "network", "application"]
_KIND_RANK: Final[dict[str, int]] = {"dnat": 0, "network": 1, "application": 2}
#: the default port of each application protocol (the port ARM stores when none is given)
APP_DEFAULT_PORTS: Final[dict[str, int]] = {"http": 80, "https": 443, "mssql": 1433}
_PORTED: Final = ("TCP", "UDP")
_UNSET_PRIORITY: Final = 65_001
_PAST: Final = {"Allow": "allowed", "Deny": "denied"}


def rule_id(group_id: str, collection: str, rule: str) -> str:
    """CONTRACTS §4: ``<rule collection group id>/ruleCollections/<collection name>/rules/<rule name>``."""
    return f"{group_id}/ruleCollections/{collection}/rules/{rule}"


@dataclass(frozen=True, slots=True)
class AppMatch:
    """What an application rule matches beyond addresses (names case-folded)."""

    protocols: frozenset[tuple[str, int]]
    fqdns: frozenset[str]
    fqdn_tags: frozenset[str]
    web_categories: frozenset[str]
    target_urls: frozenset[str]
    terminate_tls: bool
    inserts_headers: bool

    @property
    def tcp_ports(self) -> PortSet:
        """The TCP ports the rule can match: its protocols' ports, every port when it uses FQDN tags."""
        if self.fqdn_tags:
            return PortSet.any()
        return PortSet.parse([p for _, p in self.protocols])


@dataclass(frozen=True, slots=True, eq=False)
class FlatRule:
    """One rule in processing order, with its match space and action."""

    position: int
    kind: RuleKind
    id: str
    name: str
    policy_id: str
    #: True when the rule comes from a parent (base) policy of the policy flattened
    inherited: bool
    group_id: str
    group_priority: int
    collection: str
    collection_priority: int
    index: int
    #: ``Allow``, ``Deny`` or ``DNAT``
    action: str
    rule: FirewallPolicyRule
    sources: AddressSet
    destinations: AddressSet
    protocols: ProtocolSet
    #: the rule's destination ports as written (network and DNAT rules)
    port_set: PortSet
    #: per protocol the ports matched: TCP/UDP the destination ports, ICMP/OTHER every port
    ports: Mapping[str, PortSet]
    app: AppMatch | None = None
    #: DNAT: ``address-or-fqdn:port`` the traffic is translated to
    translation: str | None = None
    #: why no coverage decision is made for this rule (a value that does not parse, an empty IP group)
    problem: str | None = None

    def __repr__(self) -> str:
        return f"FlatRule(#{self.position} {self.kind} {self.name!r} {self.action})"

    def describe(self) -> str:
        return f"{self.kind} rule {self.name!r} ({self.collection} #{self.index + 1}, {self.action})"


@dataclass(frozen=True, slots=True)
class FlatPolicy:
    """A policy's rules as Azure processes them, parents' rules included."""

    policy_id: str
    #: policy ids, the root (base) policy first, this policy last
    chain: tuple[str, ...]
    rules: tuple[FlatRule, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EgressFinding:
    rule: FlatRule
    reason: str


@dataclass(frozen=True, slots=True)
class Shadow:
    """``rule`` is fully covered by the earlier ``covering`` rule.

    ``kind`` is ``shadowed`` (the covering rule has another action or effect, so this rule never decides
    anything and its intent is lost) or ``redundant`` (same effect: the rule could be removed)."""

    rule: FlatRule
    covering: FlatRule
    kind: Literal["shadowed", "redundant"]
    reason: str


# --- flattening -----------------------------------------------------------------------------------------


class _Staged(NamedTuple):
    kind: RuleKind
    policy_id: str
    inherited: bool
    group: RuleCollectionGroup
    group_priority: int
    collection: str
    collection_priority: int
    rule_index: int
    action: str
    rule: FirewallPolicyRule


class FirewallRuleBook:
    """Firewall policies, their rule collection groups and IP groups, ready to flatten.

    ``rule_collection_groups`` maps a policy id (any case) to its groups, as :class:`Tenant` gives them.
    ``service_tags`` maps a service tag name (any case) to its addresses; names not in it stay symbolic.
    """

    def __init__(
        self,
        policies: Iterable[FirewallPolicy],
        rule_collection_groups: Mapping[str, Sequence[RuleCollectionGroup]],
        ip_groups: Iterable[IpGroup] = (),
        service_tags: Mapping[str, AddressSet] | None = None,
    ) -> None:
        self.policies: dict[str, FirewallPolicy] = {p.id.lower(): p for p in policies}
        self.groups: dict[str, Sequence[RuleCollectionGroup]] = {
            k.lower(): v for k, v in rule_collection_groups.items()
        }
        self._ip_groups: dict[str, IpGroup] = {g.id.lower(): g for g in ip_groups}
        self._ip_cache: dict[str, AddressSet | str] = {}
        tags = {k.casefold(): v for k, v in (service_tags or {}).items()}
        self._resolve: Callable[[str], AddressSet | None] = lambda name: tags.get(name.casefold())

    def chain(self, policy_id: str) -> tuple[list[FirewallPolicy], list[str]]:
        """The policy and its ancestors, the root first, plus notes (missing parent, cycle)."""
        notes: list[str] = []
        out: list[FirewallPolicy] = []
        seen: set[str] = set()
        key: str | None = policy_id.lower()
        while key is not None:
            if key in seen:
                notes.append(f"policy inheritance loops at {key}")
                break
            seen.add(key)
            pol = self.policies.get(key)
            if pol is None:
                notes.append(f"parent policy {key} was not loaded: its rules are not included")
                break
            out.append(pol)
            base = pol.base_policy.id if pol.base_policy is not None else None
            key = base.lower() if base else None
        out.reverse()
        return out, notes

    def flatten_all(self) -> list[FlatPolicy]:
        return [self.flatten(p.id) for p in self.policies.values()]

    def flatten(self, policy_id: str) -> FlatPolicy:
        chain, notes = self.chain(policy_id)
        if not chain:
            return FlatPolicy(policy_id, (), (), tuple(notes))
        staged: list[tuple[tuple[int, ...], _Staged]] = []
        last = len(chain) - 1
        for depth, pol in enumerate(chain):
            groups = self.groups.get(pol.id.lower())
            if groups is None:
                if pol.rule_collection_groups:
                    notes.append(f"rule collection groups of {pol.id} were not loaded")
                continue
            for g_order, grp in enumerate(groups):
                g_pri = grp.priority if grp.priority is not None else _UNSET_PRIORITY
                for c_order, coll in enumerate(grp.rule_collections):
                    c_pri = coll.priority if coll.priority is not None else _UNSET_PRIORITY
                    if isinstance(coll, FirewallPolicyNatRuleCollection):
                        action = "DNAT"
                    elif isinstance(coll, FirewallPolicyFilterRuleCollection):
                        action = coll.action_type or ""
                    else:
                        notes.append(f"{grp.id}: rule collection {coll.name!r} of unknown type "
                                     f"{coll.rule_collection_type!r} not analysed")
                        continue
                    for r_index, rule in enumerate(coll.rules):
                        kind = _kind_of(rule)
                        if kind is None:
                            notes.append(f"{grp.id}: rule {rule.name!r} of unknown type {rule.rule_type!r} "
                                         "not analysed")
                            continue
                        key = (_KIND_RANK[kind], depth, g_pri, g_order, c_pri, c_order, r_index)
                        staged.append((key, _Staged(kind, pol.id, depth != last, grp, g_pri,
                                                    coll.name or "", c_pri, r_index, action, rule)))
        staged.sort(key=lambda item: item[0])
        rules = tuple(self._flat_rule(pos, info) for pos, (_, info) in enumerate(staged))
        return FlatPolicy(chain[-1].id, tuple(p.id for p in chain), rules, tuple(notes))

    # -- one rule --
    def _ip_group(self, ref: str) -> AddressSet | str:
        """An IP group's addresses, a symbolic name when it was not loaded, or a problem (str)."""
        key = ref.lower()
        hit = self._ip_cache.get(key)
        if hit is not None:
            return hit
        grp = self._ip_groups.get(key)
        out: AddressSet | str
        if grp is None:
            out = AddressSet.named(f"ipGroup:{key}")
        else:
            try:
                out = AddressSet.parse(grp.ip_addresses)
            except ValueError as e:
                out = f"IP group {grp.name or key}: {e}"
            else:
                if out.is_empty():
                    out = f"IP group {grp.name or key} has no addresses: Azure skips the rule"
        self._ip_cache[key] = out
        return out

    def _addresses(self, values: Sequence[str], groups: Sequence[str], fqdns: Sequence[str] = ()
                   ) -> AddressSet:
        out = AddressSet.parse(values, self._resolve)
        for g in groups:
            got = self._ip_group(g)
            if isinstance(got, str):
                raise ValueError(got)
            out = out | got
        if fqdns:
            out = out | AddressSet(names=[f"fqdn:{f.casefold()}" for f in fqdns])
        return out

    def _flat_rule(self, position: int, info: _Staged) -> FlatRule:
        rule = info.rule
        grp = info.group
        name = rule.name or ""
        coll = info.collection
        problem: str | None = None
        sources = destinations = AddressSet.empty()
        protocols = ProtocolSet()
        port_set = PortSet.empty()
        ports: dict[str, PortSet] = {}
        app: AppMatch | None = None
        translation: str | None = None
        try:
            if isinstance(rule, (NetworkRule, NatRule)):
                sources = self._addresses(rule.source_addresses, rule.source_ip_groups)
                if isinstance(rule, NetworkRule):
                    destinations = self._addresses(rule.destination_addresses, rule.destination_ip_groups,
                                                   rule.destination_fqdns)
                else:
                    destinations = self._addresses(rule.destination_addresses, ())
                    target = rule.translated_address or rule.translated_fqdn or "?"
                    translation = f"{target}:{rule.translated_port or '?'}"
                protocols = ProtocolSet.parse(rule.ip_protocols)
                port_set = PortSet.parse(rule.destination_ports)
                ports = {p: (port_set if p in _PORTED else PortSet.any()) for p in protocols}
                if not protocols:
                    problem = "no protocols"
                elif not port_set and any(p in _PORTED for p in protocols):
                    problem = "no destination ports"
            elif isinstance(rule, ApplicationRule):
                sources = self._addresses(rule.source_addresses, rule.source_ip_groups)
                destinations = (self._addresses(rule.destination_addresses, ())
                                if rule.destination_addresses else AddressSet.any())
                app = _app_match(rule)
                protocols = ProtocolSet(["TCP"])
                ports = {"TCP": app.tcp_ports}
                if not app.protocols and not app.fqdn_tags:
                    problem = "no protocols"
                elif not (app.fqdns or app.fqdn_tags or app.web_categories or app.target_urls):
                    problem = "no target FQDNs, FQDN tags, web categories or URLs"
            if problem is None and (not sources or not destinations):
                problem = "no source" if not sources else "no destination"
            action = info.action
            if problem is None and action not in ("Allow", "Deny", "DNAT"):
                problem = f"unknown action {action!r}"
        except ValueError as e:
            problem = str(e)
        return FlatRule(
            position=position, kind=info.kind,
            id=rule_id(grp.id, coll, name), name=name, policy_id=info.policy_id,
            inherited=info.inherited, group_id=grp.id, group_priority=info.group_priority,
            collection=coll, collection_priority=info.collection_priority, index=info.rule_index,
            action=info.action, rule=rule, sources=sources, destinations=destinations,
            protocols=protocols, port_set=port_set, ports=ports, app=app, translation=translation,
            problem=problem,
        )


def _kind_of(rule: FirewallPolicyRule) -> RuleKind | None:
    if isinstance(rule, NatRule):
        return "dnat"
    if isinstance(rule, NetworkRule):
        return "network"
    if isinstance(rule, ApplicationRule):
        return "application"
    return None


def _app_match(rule: ApplicationRule) -> AppMatch:
    pairs: set[tuple[str, int]] = set()
    for p in rule.protocols:
        ptype = (p.protocol_type or "").casefold()
        if ptype not in APP_DEFAULT_PORTS:
            raise ValueError(f"unknown application protocol: {p.protocol_type!r}")
        port = p.port if p.port is not None else APP_DEFAULT_PORTS[ptype]
        if not 0 <= port <= 65535:
            raise ValueError(f"application protocol port out of range: {port!r}")
        pairs.add((ptype, port))
    return AppMatch(
        protocols=frozenset(pairs),
        fqdns=frozenset(f.strip().casefold() for f in rule.target_fqdns),
        fqdn_tags=frozenset(t.casefold() for t in rule.fqdn_tags),
        web_categories=frozenset(c.casefold() for c in rule.web_categories),
        target_urls=frozenset(u.strip().casefold() for u in rule.target_urls),
        terminate_tls=bool(rule.terminate_tls),
        inserts_headers=bool(rule.http_headers_to_insert),
    )


# --- coverage ---------------------------------------------------------------------------------------------


def _fqdn_keys(name: str) -> tuple[str, ...]:
    """The patterns that cover the FQDN or pattern ``name`` (see the module docstring)."""
    if name == "*":
        return ("*",)
    if name.startswith("*."):
        return (name, "*")
    _, dot, parent = name.partition(".")
    return (name, f"*.{parent}", "*") if dot and parent else (name, "*")


def _fqdn_covered(patterns: frozenset[str], name: str) -> bool:
    return any(k in patterns for k in _fqdn_keys(name))


def _url_host(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0].split(":", 1)[0]


def _url_keys(url: str) -> tuple[str, ...]:
    return (f"url:{url}", *(f"fqdn:{k}" for k in _fqdn_keys(_url_host(url))))


def _ports_cover(a: Mapping[str, PortSet], b: Mapping[str, PortSet]) -> bool:
    for proto, ps in b.items():
        have = a.get(proto)
        if have is None or not have.covers(ps):
            return False
    return True


def _app_covers(a: AppMatch, b: AppMatch) -> bool:
    if not b.fqdn_tags <= a.fqdn_tags:
        return False
    if (b.fqdns or b.web_categories or b.target_urls) and not b.protocols <= a.protocols:
        return False
    if any(not _fqdn_covered(a.fqdns, f) for f in b.fqdns):
        return False
    if b.web_categories and "*" not in a.fqdns and not b.web_categories <= a.web_categories:
        return False
    return all(u in a.target_urls or _fqdn_covered(a.fqdns, _url_host(u)) for u in b.target_urls)


def covers(a: FlatRule, b: FlatRule) -> bool:
    """True when every flow ``b`` matches is certainly matched by ``a`` (``a`` processed first)."""
    if a.problem is not None or b.problem is not None:
        return False
    if b.kind == "application":
        if a.kind == "dnat":
            return False
        if not (a.sources.covers(b.sources) and a.destinations.covers(b.destinations)):
            return False
        if a.kind == "network":
            assert b.app is not None
            tcp = a.ports.get("TCP")
            return tcp is not None and tcp.covers(b.app.tcp_ports)
        assert a.app is not None and b.app is not None
        return _app_covers(a.app, b.app)
    if a.kind == "application" or (b.kind == "dnat" and a.kind != "dnat"):
        return False
    return (a.sources.covers(b.sources) and a.destinations.covers(b.destinations)
            and _ports_cover(a.ports, b.ports))


def classify(a: FlatRule, b: FlatRule) -> tuple[Literal["shadowed", "redundant"], str]:
    """How ``b``, covered by the earlier ``a``, is affected (call only when :func:`covers` holds)."""
    where = f"{a.kind} rule {a.name!r} in collection {a.collection!r} ({a.id})"
    if a.action != b.action:
        if a.action == "DNAT":
            return "shadowed", f"every flow it matches is translated and allowed first by DNAT {where}"
        return "shadowed", f"every flow it matches is {_PAST.get(a.action, a.action)} first by {where}"
    if a.kind == "dnat" and a.translation != b.translation:
        return "shadowed", (f"every flow it matches is translated to {a.translation} first by {where} "
                            f"(this rule translates to {b.translation})")
    if a.kind == "network" and b.kind == "application":
        assert b.app is not None
        lost = [w for w, on in (("TLS inspection", b.app.terminate_tls),
                                ("HTTP header insertion", b.app.inserts_headers)) if on]
        if lost:
            return "shadowed", (f"every flow it matches is allowed first by {where}, so application rules "
                                f"are never evaluated for it and its {' and '.join(lost)} never applies")
        return "redundant", (f"every flow it matches is allowed first by {where}; application rules are "
                             "never evaluated for it")
    return "redundant", f"every flow it matches is already {_PAST.get(a.action, a.action)} by {where}"


# --- ZT-NET-004 and ZT-NET-005 ------------------------------------------------------------------------


def any_any_rules(flat: FlatPolicy) -> list[FlatRule]:
    """Allowing network rules from any source to any destination on any port (every IPv4 address counts
    as any; the destination ports are ``*`` or ``0-65535``)."""
    return [r for r in flat.rules
            if r.kind == "network" and r.action == "Allow" and r.problem is None
            and r.sources.all_ipv4 and r.destinations.all_ipv4 and r.port_set.is_any]


def broad_egress(flat: FlatPolicy) -> list[EgressFinding]:
    """Allowing network rules to any destination (every IPv4 address) or to the ``Internet`` tag, and
    allowing application rules to the ``*`` FQDN (or web categories through ``*``)."""
    out: list[EgressFinding] = []
    for r in flat.rules:
        if r.action != "Allow" or r.problem is not None:
            continue
        if r.kind == "network":
            if r.destinations.all_ipv4:
                out.append(EgressFinding(r, f"network rule allows {r.protocols} port {r.port_set} from "
                                            f"{r.sources} to any destination"))
            elif r.destinations.has_name("Internet"):
                out.append(EgressFinding(r, f"network rule allows {r.protocols} port {r.port_set} from "
                                            f"{r.sources} to the Internet service tag"))
        elif r.kind == "application" and r.app is not None and "*" in r.app.fqdns:
            protos = ", ".join(f"{p.capitalize()}:{n}" for p, n in sorted(r.app.protocols))
            out.append(EgressFinding(r, f"application rule allows {protos} from {r.sources} to any FQDN (*)"))
    return out


# --- ZT-NET-006: the indexed shadow analysis -----------------------------------------------------------


def _segments(delta: dict[int, int]) -> tuple[list[int], list[int]]:
    """Boundaries (a sentinel below every point first) and the bitset of each elementary segment."""
    bounds = sorted(delta)
    return [-1, *bounds], [0, *accumulate([delta[b] for b in bounds], xor)]


class _Stab:
    """Which rules (a bitset) contain a given point: elementary segments between interval boundaries.

    ``bounds`` starts with a sentinel below every point (its mask is empty), so a point's segment is
    ``masks[bisect_right(bounds, point) - 1]`` without a test."""

    __slots__ = ("bounds", "masks")

    def __init__(self, members: Iterable[tuple[int, IntervalSet]]) -> None:
        delta: dict[int, int] = {}
        get = delta.get
        for bit, ivs in members:
            for lo, hi in zip(ivs.starts, ivs.ends):
                delta[lo] = get(lo, 0) ^ bit
                hi += 1
                delta[hi] = get(hi, 0) ^ bit
        self.bounds, self.masks = _segments(delta)

    def query(self, point: int) -> int:
        return self.masks[bisect_right(self.bounds, point) - 1]


class _AddrIndex:
    """A stabbing index over address intervals plus, per symbolic name, the rules that hold it."""

    __slots__ = ("bounds", "masks", "names", "full")

    def __init__(self, members: Iterable[tuple[int, AddressSet]]) -> None:
        delta: dict[int, int] = {}
        get = delta.get
        names: dict[str, int] = {}
        full = 0
        for bit, s in members:
            ivs = s.ivs
            starts, ends = ivs.starts, ivs.ends
            for lo, hi in zip(starts, ends):
                delta[lo] = get(lo, 0) ^ bit
                hi += 1
                delta[hi] = get(hi, 0) ^ bit
            if starts and starts[0] == 0 and ends[0] >= ADDRESS_MAX:  # AddressSet.is_any
                full |= bit
            for n in s.names:
                names[n] = names.get(n, 0) | bit
        self.bounds, self.masks = _segments(delta)
        self.names = names
        self.full = full

    def candidates(self, s: AddressSet) -> int:
        """Rules that can cover ``s``: contain its first address and hold each of its names (or are ``*``)."""
        starts = s.ivs.starts
        mask = self.masks[bisect_right(self.bounds, starts[0]) - 1] if starts else -1
        if s.names:
            names, full = self.names, self.full
            for n in s.names:
                mask &= names.get(n, 0) | full
        return mask


def _bits(members: Iterable[tuple[int, str]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for bit, key in members:
        out[key] = out.get(key, 0) | bit
    return out


def shadowed_rules(flat: FlatPolicy) -> list[Shadow]:
    """Every rule fully covered by a single earlier rule, with the earliest such rule.

    Same answer as comparing every pair in order, without comparing every pair (see the module docstring).
    """
    rules = flat.rules
    l3: list[tuple[int, FlatRule]] = []
    l7: list[tuple[int, FlatRule]] = []
    for r in rules:
        if r.problem is None:
            (l7 if r.kind == "application" else l3).append((1 << r.position, r))

    l3_src = _AddrIndex((b, r.sources) for b, r in l3)
    l3_dst = _AddrIndex((b, r.destinations) for b, r in l3)
    l3_ports = {p: _Stab((b, r.ports[p].ivs) for b, r in l3 if p in r.ports) for p in _PORTED}
    l3_proto = _bits((b, p) for b, r in l3 for p in r.ports)
    l3_net = _bits((b, r.kind) for b, r in l3)
    dnat_mask = l3_net.get("dnat", 0)
    net_mask = l3_net.get("network", 0)
    l3_tcp = l3_ports["TCP"]
    src_cand, dst_cand = l3_src.candidates, l3_dst.candidates
    # per (protocol, first port): the earlier-or-later rules whose ports for that protocol hold the port
    port_masks: dict[tuple[str, int], int] = {}

    out: list[Shadow] = []
    for b, r in l3:
        cand = (b - 1) & src_cand(r.sources) & dst_cand(r.destinations)
        if not cand:
            continue
        if r.kind == "dnat":
            cand &= dnat_mask
        for proto, ps in r.ports.items():  # the first protocol only: a candidate must cover it
            if proto in _PORTED:
                key = (proto, ps.ivs.starts[0])
                m = port_masks.get(key)
                if m is None:
                    m = port_masks[key] = l3_ports[proto].query(key[1])
                cand &= m
            else:
                cand &= l3_proto.get(proto, 0)
            break
        _first_covering(rules, r, cand, out)

    if not l7:
        out.sort(key=lambda s: s.rule.position)
        return out
    l7_src = _AddrIndex((b, r.sources) for b, r in l7)
    l7_dst = _AddrIndex((b, r.destinations) for b, r in l7)
    l7_targets: dict[str, int] = {}
    l7_protos: dict[tuple[str, int], int] = {}
    for b, r in l7:
        assert r.app is not None
        keys = ([f"fqdn:{f}" for f in r.app.fqdns] + [f"tag:{t}" for t in r.app.fqdn_tags]
                + [f"cat:{c}" for c in r.app.web_categories] + [f"url:{u}" for u in r.app.target_urls])
        for k in keys:
            l7_targets[k] = l7_targets.get(k, 0) | b
        for pair in r.app.protocols:
            l7_protos[pair] = l7_protos.get(pair, 0) | b
    src7, dst7 = l7_src.candidates, l7_dst.candidates
    tcp_masks: dict[int, int] = {}
    for b, r in l7:
        app = r.app
        assert app is not None
        earlier = b - 1
        point = r.ports["TCP"].ivs.starts[0]  # the application rule's TCP ports (AppMatch.tcp_ports)
        tcp = tcp_masks.get(point)
        if tcp is None:
            tcp = tcp_masks[point] = net_mask & l3_tcp.query(point)
        net = earlier & tcp
        if net:
            net &= src_cand(r.sources) & dst_cand(r.destinations)
        cand7 = earlier & src7(r.sources)
        if cand7:
            cand7 &= dst7(r.destinations)
        if cand7:
            if app.fqdns:
                f = min(app.fqdns)
                cand7 &= _union(l7_targets, [f"fqdn:{k}" for k in _fqdn_keys(f)])
            elif app.fqdn_tags:
                cand7 &= l7_targets.get(f"tag:{min(app.fqdn_tags)}", 0)
            elif app.web_categories:
                cand7 &= _union(l7_targets, [f"cat:{min(app.web_categories)}", "fqdn:*"])
            elif app.target_urls:
                cand7 &= _union(l7_targets, list(_url_keys(min(app.target_urls))))
            if app.protocols and (app.fqdns or app.web_categories or app.target_urls):
                cand7 &= l7_protos.get(min(app.protocols), 0)
        _first_covering(rules, r, net | cand7, out)
    out.sort(key=lambda s: s.rule.position)
    return out


def _first_covering(rules: Sequence[FlatRule], r: FlatRule, cand: int, out: list[Shadow]) -> None:
    """Check the candidates lowest position first; record the first that covers ``r``."""
    while cand:
        low = cand & -cand
        a = rules[low.bit_length() - 1]
        if covers(a, r):
            kind, reason = classify(a, r)
            out.append(Shadow(r, a, kind, reason))
            return
        cand ^= low


def _union(index: Mapping[str, int], keys: Iterable[str]) -> int:
    mask = 0
    for k in keys:
        mask |= index.get(k, 0)
    return mask


