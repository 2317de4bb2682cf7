"""ZT-NET-001..015: Azure Firewall, firewall policies, NSGs, routing, DDoS, Application Gateway (CONTRACTS §6).

What each check judges (CONTRACTS §4), and how it decides where §6 leaves room:

* ZT-NET-001 (each firewall policy): ``threatIntelMode`` must be ``Deny`` ("Alert and deny"); ``Alert`` or
  ``Off`` fails. Each policy is judged by its own setting.
* ZT-NET-002 (each Premium policy): ``intrusionDetection.mode`` must be ``Deny``; ``Alert``, ``Off`` or unset
  fails. No Premium policy: ``skip``.
* ZT-NET-003 (each Premium policy): TLS inspection needs the policy's intermediate CA
  (``transportSecurity.certificateAuthority``) and application rules that terminate TLS. ``fail``: no CA, or
  no application rule (own or inherited) terminates TLS; ``warn``: a CA but no application rule at all;
  ``pass`` otherwise, naming how many application rules are not inspected (bypassing categories such as
  finance or health traffic is a legitimate choice, so those alone never fail).
* ZT-NET-004, 005 (each rule found, ``fail``; a ``pass`` per policy and per classic firewall without one):
  :func:`~ztconsole.engine.network.firewall.any_any_rules` and :func:`~.firewall.broad_egress`, a rule
  reported at the policy that owns it; classic rule collections of a firewall judged alike.
* ZT-NET-006 (each shadowed or redundant rule; a ``pass`` per policy without one):
  :func:`~.firewall.shadowed_rules`. A *shadowed* rule (covered by an earlier rule with another action or
  effect: its intent is lost) is ``fail``; a *redundant* rule (same effect, removable) is ``warn``. Policies
  are taken root (base) first and each rule is reported once: at the policy that owns it when it is covered
  there, else at the first child policy in which it is (the evidence names that policy).
* ZT-NET-007, 008 (each NSG): inbound rules as Azure applies them (:func:`~ztconsole.engine.network.nsg.
  admitted`: priorities, deny rules, port ranges, prefix lists, default rules), with the ``VirtualNetwork``
  and ``Internet`` tags resolved from the address spaces of the VNets of the NSG's subnets plus their peered
  spaces. "From Internet" asks about every public address (any source outside those spaces and outside the
  private, shared and link-local ranges): a rule from ``*``, ``0.0.0.0/0`` or ``Internet`` admits it.
  Destinations are judged address by address over the NSG's subnets (a deny to part of a subnet does not
  hide an allow to the rest). ZT-NET-007: TCP 22, 3389, 5985, 5986 from Internet: ``fail``.
  ZT-NET-008: TCP 21, 23, 80 from Internet, or 110, 143, 445 from Internet: ``fail``; 110, 143, 445 only from
  private space outside the VNet (on-premises): ``warn``.
* ZT-NET-009 (each virtual network): every workload subnet's ``0.0.0.0/0`` route must be a
  ``VirtualAppliance`` whose next hop is an Azure Firewall's private IP (an appliance IP that is no firewall
  read here: ``warn``), and a spoke (a VNet holding no firewall) peers (connected peerings) only with VNets
  that hold one. A VNet that holds a firewall is a hub: its workload subnets are judged, its peerings not.
* ZT-NET-010 (each NSG), only once Private Access publishes applications: the NSG must not admit the
  point-to-site client pool to an IP destination (address, port, protocol) a Private Access app publishes,
  within the NSG's subnets; the ``VirtualNetwork`` tag includes the pool where Azure routes it (the gateway's
  VNet and VNets peered with it using its gateway), and an NSG of a VNet the pool is not routed to passes.
* ZT-NET-011 (each subnet): an NSG is associated, except on GatewaySubnet, AzureFirewallSubnet,
  AzureFirewallManagementSubnet, RouteServerSubnet (NSGs unsupported there) and AzureBastionSubnet (§6).
* ZT-NET-012 (each virtual network): a VNet holding a public endpoint (an Azure Firewall, application
  gateway or virtual network gateway with a public IP: the resources ztconsole reads of those DDoS Protection
  covers) has a DDoS protection plan enabled; a VNet without one passes, saying so.
* ZT-NET-013 (each application gateway): the gateway SSL policy and every SSL profile's policy allow only
  TLS 1.2 or later: predefined AppGwSslPolicy20170401S, 20220101, 20220101S, or a custom policy with
  minimum TLSv1_2/TLSv1_3. No policy recorded: the default depends on the API version that created the
  gateway (``warn``, unless ``defaultPredefinedSslPolicy`` says which).
* ZT-NET-014 (each application gateway): every WAF policy that applies (gateway, listeners) is enabled, in
  Prevention mode, with Microsoft_DefaultRuleSet 2.1 or later (or OWASP CRS 3.2 or later) and
  Microsoft_BotManagerRuleSet. A gateway with only the legacy WAF configuration has no bot manager: ``fail``.
* ZT-NET-015 (each Azure Firewall): a Firewall Policy and no classic rule collections.

Microsoft Learn: Azure Firewall threat intelligence and Premium features (IDPS Alert / Alert and deny, TLS
inspection with an intermediate CA), rule processing, NSG security rules and service tags, Application
Gateway TLS policy overview (TLS 1.0/1.1 support ends 31 August 2025), WAF on Application Gateway (DRS 2.1,
bot manager 1.x), Azure DDoS Protection.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Final, TypeVar

from ztconsole.engine.checks.base import CheckContext, Outcome, Resource, Status
from ztconsole.engine.network.firewall import (
    FirewallRuleBook,
    FlatPolicy,
    FlatRule,
    any_any_rules,
    broad_egress,
    shadowed_rules,
)
from ztconsole.engine.network.nsg import (
    AZURE_LOAD_BALANCER,
    Admission,
    NsgRule,
    admitted,
    rules_of,
    tag_resolver,
)
from ztconsole.engine.network.routes import Routing, vnet_id_of_subnet
from ztconsole.engine.network.sets import AddressSet, IntervalSet, PortSet
from ztconsole.model.access import ApplicationSegment
from ztconsole.model.network import (
    ApplicationGateway,
    ApplicationGatewaySslPolicy,
    AzureFirewall,
    FirewallPolicy,
    NetworkSecurityGroup,
    SecurityRule,
    Subnet,
    VirtualNetwork,
    VirtualNetworkGateway,
    WafPolicy,
)

__all__ = [
    "EXCEPTED_SUBNETS", "describe_exposure", "exposures", "network_routing", "nsg_view", "nsgs_in",
    "net001", "net002", "net003", "net004", "net005", "net006", "net007", "net008", "net009", "net010",
    "net011", "net012", "net013", "net014", "net015",
]

#: subnets that need no NSG (ZT-NET-011): NSGs are unsupported on the first four; §6 excepts Bastion's
EXCEPTED_SUBNETS: Final = frozenset(s.casefold() for s in (
    "GatewaySubnet", "AzureFirewallSubnet", "AzureFirewallManagementSubnet", "RouteServerSubnet",
    "AzureBastionSubnet"))
#: addresses that are not on the public internet: RFC 1918, RFC 6598 shared space, loopback, link-local, ULA
_NOT_PUBLIC: Final = AddressSet.parse(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                                       "127.0.0.0/8", "169.254.0.0/16", "::1/128", "fc00::/7", "fe80::/10"])
_MGMT_PORTS: Final = ("22", "3389", "5985", "5986")
_CLEARTEXT_INTERNET: Final = ("21", "23", "80")
_CLEARTEXT_OUTSIDE: Final = ("110", "143", "445")
_MAX_LISTED = 8

_T = TypeVar("_T")


def _cached(ctx: CheckContext, key: str, build: Callable[[], _T]) -> _T:
    """One value per context shared by the checks of a run (the rule book, the routing)."""
    store: dict[str, Any] = ctx.__dict__.setdefault("_network_cache", {})
    if key not in store:
        store[key] = build()
    value: _T = store[key]
    return value


def _key(resource_id: str | None) -> str:
    return "/" + (resource_id or "").strip("/").lower()


def _leaf(resource_id: str | None) -> str:
    return (resource_id or "").rstrip("/").rsplit("/", 1)[-1]


def _listed(items: Sequence[str], limit: int = _MAX_LISTED) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# --- firewall policies ------------------------------------------------------------------------------------


def _policy_resource(p: FirewallPolicy) -> Resource:
    return Resource("firewallPolicy", p.id, p.name or _leaf(p.id))


def firewall_resource(fw: AzureFirewall) -> Resource:
    return Resource("azureFirewall", fw.id, fw.name or _leaf(fw.id))


def _book(ctx: CheckContext) -> FirewallRuleBook:
    t = ctx.tenant
    return _cached(ctx, "book", lambda: FirewallRuleBook(t.firewall_policies, t.rule_collection_groups,
                                                          t.ip_groups))


def _flat(ctx: CheckContext, policy: FirewallPolicy) -> FlatPolicy:
    return _cached(ctx, f"flat:{_key(policy.id)}", lambda: _book(ctx).flatten(policy.id))


def _policies_root_first(ctx: CheckContext) -> list[FirewallPolicy]:
    book = _book(ctx)
    return sorted(ctx.tenant.firewall_policies,
                  key=lambda p: (len(book.chain(p.id)[0]), (p.name or "").casefold(), p.id))


def _policy_name(ctx: CheckContext, policy_id: str) -> str:
    pol = _book(ctx).policies.get(policy_id.lower())
    return (pol.name if pol is not None else None) or _leaf(policy_id)


def _rule_resource(r: FlatRule) -> Resource:
    return Resource("firewallPolicyRule", r.id, r.name)


def _notes(flat: FlatPolicy) -> str:
    return f" Notes: {'; '.join(flat.notes)}." if flat.notes else ""


def _no_policies(ctx: CheckContext) -> Outcome:
    return Outcome("skip", ctx.tenant_resource, "no firewall policies: nothing to judge")


def net001(ctx: CheckContext) -> Iterator[Outcome]:
    policies = _policies_root_first(ctx)
    if not policies:
        yield _no_policies(ctx)
        return
    for p in policies:
        mode = p.threat_intel_mode
        if mode == "Deny":
            yield Outcome("pass", _policy_resource(p), "threatIntelMode is Deny (alert and deny): traffic to and "
                          "from known-malicious addresses and domains is denied")
        else:
            what = {"Alert": "alert only: traffic to known-malicious addresses and domains is logged, not denied",
                    "Off": "threat intelligence filtering is off"}.get(mode or "", "not set (Azure's default is "
                                                                               "Alert: logged, not denied)")
            yield Outcome("fail", _policy_resource(p), f"threatIntelMode is {mode or 'not set'}: {what}",
                          f"Set threat intelligence mode to 'Alert and deny' on firewall policy {p.name!r} "
                          "(Firewall Manager > the policy > Threat Intelligence), allowing exceptions only through "
                          "the threat intelligence allowlist.")


def _premium(ctx: CheckContext) -> list[FirewallPolicy]:
    return [p for p in _policies_root_first(ctx) if p.sku_tier == "Premium"]


def _no_premium(ctx: CheckContext) -> Outcome:
    n = len(ctx.tenant.firewall_policies)
    return Outcome("skip", ctx.tenant_resource, f"no Premium firewall policy among {n} firewall policies: IDPS and "
                   "TLS inspection are Premium features")


def net002(ctx: CheckContext) -> Iterator[Outcome]:
    premium = _premium(ctx)
    if not premium:
        yield _no_premium(ctx)
        return
    for p in premium:
        ids = p.intrusion_detection
        mode = ids.mode if ids is not None else None
        if mode == "Deny":
            yield Outcome("pass", _policy_resource(p), "intrusionDetection.mode is Deny (alert and deny): "
                          "matching signatures are blocked")
        else:
            what = ("alert only: matching signatures are logged, not blocked" if mode == "Alert"
                    else "IDPS is off" if mode == "Off" else "IDPS is not configured")
            yield Outcome("fail", _policy_resource(p), f"intrusionDetection.mode is {mode or 'not set'}: {what}",
                          f"Set IDPS to 'Alert and deny' on Premium policy {p.name!r} (the policy > IDPS), "
                          "tuning false positives with signature overrides or bypass rules.")


def net003(ctx: CheckContext) -> Iterator[Outcome]:
    premium = _premium(ctx)
    if not premium:
        yield _no_premium(ctx)
        return
    for p in premium:
        res = _policy_resource(p)
        flat = _flat(ctx, p)
        apps = [r for r in flat.rules if r.kind == "application" and r.action == "Allow"]
        inspected = [r for r in apps if r.app is not None and r.app.terminate_tls]
        ca = p.certificate_authority
        fix = (f"Configure TLS inspection on Premium policy {p.name!r}: an intermediate CA certificate in Key Vault "
               "(the policy > TLS inspection), then enable 'TLS inspection' on the application rules for HTTPS "
               "destinations.")
        if ca is None or not (ca.key_vault_secret_id or ca.name):
            yield Outcome("fail", res, "no certificate authority for TLS inspection (transportSecurity."
                          "certificateAuthority is not set): outbound TLS is not inspected", fix)
        elif not apps:
            yield Outcome("warn", res, f"certificate authority {ca.name!r} is configured, but the policy has no "
                          "allowing application rule (its parents' included), so no outbound TLS is inspected."
                          + _notes(flat), fix)
        elif not inspected:
            yield Outcome("fail", res, f"certificate authority {ca.name!r} is configured, but none of the {len(apps)} "
                          f"allowing application rules (parents' included) terminates TLS.{_notes(flat)}", fix)
        else:
            bypass = [r.name for r in apps if r not in inspected]
            extra = (f"; not inspected (bypass by choice): {_listed(bypass)}" if bypass else "")
            yield Outcome("pass", res, f"certificate authority {ca.name!r}; {len(inspected)} of {len(apps)} allowing "
                          f"application rules terminate TLS{extra}.{_notes(flat)}")


# --- classic rule collections (ZT-NET-004, 005) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ClassicRule:
    id: str
    name: str
    collection: str
    kind: str  # "network" or "application"
    sources: AddressSet
    destinations: AddressSet
    ports: PortSet
    fqdns: tuple[str, ...] = ()


def _classic_rules(fw: AzureFirewall) -> tuple[list[_ClassicRule], list[str]]:
    """The allowing classic network and application rules of ``fw``, and the rules that could not be read."""
    out: list[_ClassicRule] = []
    problems: list[str] = []
    for coll in fw.network_rule_collections:
        if coll.action_type != "Allow":
            continue
        for r in coll.rules:
            rid = f"{fw.id}/networkRuleCollections/{coll.name}/rules/{r.name}"
            try:
                src = AddressSet.parse(r.source_addresses) | AddressSet(
                    names=[f"ipGroup:{g}" for g in r.source_ip_groups])
                dst = AddressSet.parse(r.destination_addresses) | AddressSet(
                    names=[*(f"ipGroup:{g}" for g in r.destination_ip_groups),
                           *(f"fqdn:{f}" for f in r.destination_fqdns)])
                ports = PortSet.parse(r.destination_ports)
            except ValueError as e:
                problems.append(f"{r.name}: {e}")
                continue
            out.append(_ClassicRule(rid, r.name or "", coll.name or "", "network", src, dst, ports))
    for acoll in fw.application_rule_collections:
        if acoll.action_type != "Allow":
            continue
        for a in acoll.rules:
            rid = f"{fw.id}/applicationRuleCollections/{acoll.name}/rules/{a.name}"
            try:
                src = AddressSet.parse(a.source_addresses)
            except ValueError as e:
                problems.append(f"{a.name}: {e}")
                continue
            out.append(_ClassicRule(rid, a.name or "", acoll.name or "", "application", src, AddressSet.any(),
                                    PortSet.parse([p.port for p in a.protocols if p.port is not None] or "*"),
                                    tuple(f.strip().casefold() for f in a.target_fqdns)))
    return out, problems


def _classic_firewalls(ctx: CheckContext) -> list[AzureFirewall]:
    return sorted((fw for fw in ctx.tenant.firewalls if fw.has_classic_rules),
                  key=lambda f: ((f.name or "").casefold(), f.id))


def _classic_outcome(fw: AzureFirewall, bad: list[tuple[_ClassicRule, str]], problems: list[str], what: str,
                     fix: str) -> Iterator[Outcome]:
    for rule, why in bad:
        yield Outcome("fail", Resource("azureFirewallRule", rule.id, rule.name),
                      f"classic {rule.kind} rule {rule.name!r} (collection {rule.collection!r}) of firewall "
                      f"{fw.name!r}: {why}", fix)
    if not bad:
        unread = f" ({len(problems)} rules not read: {_listed(problems, 3)})" if problems else ""
        yield Outcome("pass", firewall_resource(fw), f"no classic rule collection of the firewall {what}{unread}")


def net004(ctx: CheckContext) -> Iterator[Outcome]:
    policies = _policies_root_first(ctx)
    classic = _classic_firewalls(ctx)
    if not policies and not classic:
        yield Outcome("skip", ctx.tenant_resource, "no firewall policies and no classic firewall rules")
        return
    for p in policies:
        flat = _flat(ctx, p)
        found = [r for r in any_any_rules(flat) if not r.inherited]
        for r in found:
            yield Outcome("fail", _rule_resource(r),
                          f"{r.describe()} in policy {p.name!r} allows {r.protocols} from {r.sources} to "
                          f"{r.destinations} on every port ({r.port_set})",
                          f"Delete rule {r.name!r} (collection {r.collection!r}) or narrow it to the sources, "
                          "destinations and ports that need it.")
        if not found:
            own = sum(1 for r in flat.rules if not r.inherited)
            yield Outcome("pass", _policy_resource(p), f"none of the policy's {own} rules allows any source to any "
                          f"destination on any port.{_notes(flat)}")
    for fw in classic:
        rules, problems = _classic_rules(fw)
        bad = [(r, f"allows {r.sources} to {r.destinations} on every port") for r in rules
               if r.kind == "network" and r.sources.all_ipv4 and r.destinations.all_ipv4 and r.ports.is_any]
        yield from _classic_outcome(fw, bad, problems, "allows any source to any destination on any port",
                                    "Delete the any-to-any rule (and migrate the firewall to a Firewall Policy).")


def net005(ctx: CheckContext) -> Iterator[Outcome]:
    policies = _policies_root_first(ctx)
    classic = _classic_firewalls(ctx)
    if not policies and not classic:
        yield Outcome("skip", ctx.tenant_resource, "no firewall policies and no classic firewall rules")
        return
    fix = ("Replace the rule with application rules that allow the FQDNs (or FQDN tags and web categories) the "
           "workload needs, and let the firewall deny the rest.")
    for p in policies:
        flat = _flat(ctx, p)
        found = [e for e in broad_egress(flat) if not e.rule.inherited]
        for e in found:
            yield Outcome("fail", _rule_resource(e.rule), f"{e.rule.describe()} in policy {p.name!r}: {e.reason}",
                          fix)
        if not found:
            yield Outcome("pass", _policy_resource(p), "internet egress is allowed only by application rules naming "
                          f"FQDNs, tags or categories (no network rule to any destination or the Internet tag, no '*' "
                          f"FQDN).{_notes(flat)}")
    for fw in classic:
        rules, problems = _classic_rules(fw)
        bad: list[tuple[_ClassicRule, str]] = []
        for r in rules:
            if r.kind == "network" and (r.destinations.all_ipv4 or r.destinations.has_name("Internet")):
                bad.append((r, f"allows port {r.ports} from {r.sources} to {r.destinations}"))
            elif r.kind == "application" and "*" in r.fqdns:
                bad.append((r, f"allows {r.sources} to any FQDN (*)"))
        yield from _classic_outcome(fw, bad, problems, "allows egress to any destination or any FQDN", fix)


def net006(ctx: CheckContext) -> Iterator[Outcome]:
    policies = _policies_root_first(ctx)
    if not policies:
        yield _no_policies(ctx)
        return
    reported: set[str] = set()
    for p in policies:
        flat = _flat(ctx, p)
        found = [s for s in shadowed_rules(flat) if s.rule.id.lower() not in reported]
        for s in found:
            reported.add(s.rule.id.lower())
            r, c = s.rule, s.covering
            owner = _policy_name(ctx, r.policy_id)
            where = (f"in policy {owner!r}" if not r.inherited
                     else f"of parent policy {owner!r}, as processed in child policy {p.name!r}")
            cover_from = f" (inherited from policy {_policy_name(ctx, c.policy_id)!r})" if c.inherited else ""
            evidence = f"{s.kind}: {r.describe()} {where}: {s.reason}{cover_from}"
            if s.kind == "shadowed":
                fix = (f"Rule {r.name!r} never takes effect. If its action is intended, move it (or the part of "
                       f"{c.name!r} it contradicts) so it is processed first: DNAT, then network, then application "
                       "rules; parent policy first; lower group and collection priority numbers first. Else delete it.")
                yield Outcome("fail", _rule_resource(r), evidence, fix)
            else:
                yield Outcome("warn", _rule_resource(r), evidence,
                              f"Delete rule {r.name!r}: {c.name!r} already has the same effect on every flow it "
                              "matches (or narrow the earlier rule if this one was meant to be the only grant).")
        if not found:
            own = sum(1 for r in flat.rules if not r.inherited)
            yield Outcome("pass", _policy_resource(p), f"no rule is shadowed or redundant ({own} own rules, "
                          f"{len(flat.rules)} as processed with inherited ones; inherited rules are reported at the "
                          f"policy that owns them).{_notes(flat)}")


# --- NSGs -------------------------------------------------------------------------------------------------


def network_routing(ctx: CheckContext, *, gateways: bool = False) -> Routing:
    t = ctx.tenant

    def build() -> Routing:
        gws: list[VirtualNetworkGateway] = ([g for group in t.vnet_gateways.values() for g in group]
                                            if gateways else [])
        tables = t.route_tables if t.status("route_tables") == "ok" else ()
        return Routing(t.virtual_networks, tables, gws)
    return _cached(ctx, f"routing:{gateways}", build)


@dataclass
class _NsgView:
    nsg: NetworkSecurityGroup
    #: what the VirtualNetwork tag stands for
    vnet_space: AddressSet
    #: the addresses the NSG protects (its subnets' prefixes); None when unknown (no subnet)
    protected: AddressSet | None
    inbound: list[NsgRule] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problem: str | None = None

    @cached_property
    def bounds(self) -> tuple[list[int], list[int]]:
        """:func:`_rule_bounds` of ``inbound`` (computed once: the checks only read the view)."""
        return _rule_bounds(self.inbound)

    @property
    def public(self) -> AddressSet:
        """Every public address outside the VNet (the Internet sources asked about)."""
        return AddressSet.any() - self.vnet_space - _NOT_PUBLIC - AddressSet.parse(AZURE_LOAD_BALANCER)

    @property
    def outside(self) -> AddressSet:
        """Every address outside the VNet (and not the platform's load balancer)."""
        return AddressSet.any() - self.vnet_space - AddressSet.parse(AZURE_LOAD_BALANCER)


def _nsg_resource(nsg: NetworkSecurityGroup) -> Resource:
    return Resource("networkSecurityGroup", nsg.id, nsg.name or _leaf(nsg.id))


def _subnet_index(ctx: CheckContext, routing: Routing) -> tuple[
        list[tuple[str, VirtualNetwork, Any, str | None]], dict[str, list[int]], dict[str, list[int]]]:
    """Every subnet of ``routing``'s networks in order (its key, network, subnet, attached NSG key), with the
    positions of each subnet key and of each attached NSG key (shared by the checks of a run)."""
    def build() -> tuple[list[tuple[str, VirtualNetwork, Any, str | None]], dict[str, list[int]],
                         dict[str, list[int]]]:
        entries: list[tuple[str, VirtualNetwork, Any, str | None]] = []
        by_sid: dict[str, list[int]] = {}
        by_nsg: dict[str, list[int]] = {}
        for v in routing.vnets.values():
            for s in v.subnets:
                sid = _key(s.id or f"{v.id}/subnets/{s.name}")
                att = _key(s.network_security_group.id) if s.network_security_group is not None else None
                by_sid.setdefault(sid, []).append(len(entries))
                if att is not None:
                    by_nsg.setdefault(att, []).append(len(entries))
                entries.append((sid, v, s, att))
        return entries, by_sid, by_nsg
    return _cached(ctx, f"subnets:{id(routing)}", build)


def nsg_view(ctx: CheckContext, nsg: NetworkSecurityGroup, routing: Routing) -> _NsgView:
    """The NSG as the checks judge it (built once per routing and NSG in a run; the checks only read it)."""
    views: dict[int, _NsgView] = _cached(ctx, f"nsg-views:{id(routing)}", dict)
    view = views.get(id(nsg))
    if view is None:
        view = views[id(nsg)] = _build_nsg_view(ctx, nsg, routing)
    return view


def _build_nsg_view(ctx: CheckContext, nsg: NetworkSecurityGroup, routing: Routing) -> _NsgView:
    subnet_ids = {_key(s.id) for s in nsg.subnets if s.id}
    vnets: dict[str, VirtualNetwork] = {}
    prefixes: list[str] = []
    entries, by_sid, by_nsg = _subnet_index(ctx, routing)
    nkey = _key(nsg.id)
    # only the subnets listed or attached can match: the rest of every network is not visited
    candidates = {i for sid in subnet_ids for i in by_sid.get(sid, ())}
    candidates.update(by_nsg.get(nkey, ()))
    for i in sorted(candidates):
        sid, v, s, att = entries[i]
        attached = att is not None and att == nkey
        if sid in subnet_ids or attached:
            subnet_ids.discard(sid)
            vnets[_key(v.id)] = v
            prefixes.extend(s.prefixes)
    notes = [f"subnet {_leaf(vnet_id_of_subnet(s))}/{_leaf(s)} was not read" for s in sorted(subnet_ids)]
    if vnets:
        space = AddressSet.empty()
        for v in vnets.values():
            space = space | routing.virtual_network_space(v)
        try:
            protected: AddressSet | None = AddressSet.parse(prefixes)
        except ValueError:
            protected = None
    else:
        space = _NOT_PUBLIC
        protected = None
        notes.append("not associated with a subnet that was read: the VirtualNetwork tag is taken as the private "
                     "address ranges")
    view = _NsgView(nsg, space, protected, notes=notes)
    # the rules depend on the NSG and what VirtualNetwork stands for alone: parsed once per run for both
    # routings (with and without gateways) when the space is the same
    parsed: dict[tuple[Any, ...], tuple[list[NsgRule], str | None]] = _cached(ctx, "nsg-inbound", dict)
    key = (id(nsg), space.ivs.starts, space.ivs.ends, str(space))
    found = parsed.get(key)
    if found is None:
        try:
            # a source application security group holds network interfaces of the virtual network (Learn: an
            # ASG's members are in one VNet), never an address outside it: its worst case is the VNet space
            found = ([replace(r, sources=r.sources & space) if r.source_asgs else r
                      for r in rules_of(nsg, "Inbound", tag_resolver(space))], None)
        except ValueError as e:
            found = ([], str(e))
        parsed[key] = found
    view.inbound = list(found[0])
    view.problem = found[1]
    return view


def _span(ivs: IntervalSet) -> tuple[int, int]:
    """The lowest and highest member of ``ivs`` (``(0, -1)`` when empty: no point lies in it)."""
    return (ivs.starts[0], ivs.ends[-1]) if ivs.starts else (0, -1)


def _bounds(cuts: Iterable[IntervalSet]) -> list[int]:
    """Every boundary of ``cuts`` (where an interval begins, and just after one ends), ascending."""
    bounds: set[int] = set()
    for c in cuts:
        bounds.update(c.starts)
        bounds.update([hi + 1 for hi in c.ends])
    return sorted(bounds)


def _rule_bounds(rules: Sequence[NsgRule]) -> tuple[list[int], list[int]]:
    """The :func:`_bounds` of the rules' destination ports and of their destinations."""
    return _bounds(r.destination_ports.ivs for r in rules), _bounds(r.destinations.ivs for r in rules)


def _points(space: IntervalSet, ordered: list[int]) -> list[tuple[int, int]]:
    """``space`` split at every boundary of ``ordered`` (from :func:`_bounds` of some cuts): pieces every cut
    holds whole or not at all."""
    out: list[tuple[int, int]] = []
    for lo, hi in space.pairs():
        start = lo
        for b in ordered[bisect_right(ordered, lo):bisect_right(ordered, hi)]:  # lo < b <= hi, ascending
            out.append((start, b - 1))
            start = b
        out.append((start, hi))
    return out


@dataclass
class _Exposure:
    rule: NsgRule
    ports: list[tuple[int, int]] = field(default_factory=list)
    sources: AddressSet = field(default_factory=AddressSet.empty)

    def port_text(self) -> str:
        return str(PortSet(IntervalSet(self.ports)))


def exposures(rules: Sequence[NsgRule], sources: AddressSet, ports: PortSet, protocol: str,
               destinations: AddressSet | None,
               bounds: tuple[list[int], list[int]] | None = None) -> list[_Exposure]:
    """Which rules admit part of ``sources`` on some of ``ports`` to some address of ``destinations`` (None:
    any), exactly: ports and destinations are split where any rule's ranges begin or end, and each piece is
    asked of :func:`admitted` with one representative. ``bounds``: :func:`_rule_bounds` of ``rules`` when the
    caller has it."""
    port_bounds, dest_bounds = bounds if bounds is not None else _rule_bounds(rules)
    port_pieces = _points(ports.ivs, port_bounds)
    if destinations is None:
        dest_space = AddressSet.any().ivs
    else:
        dest_space = destinations.ivs
    dest_pieces = _points(dest_space, dest_bounds)
    # which rules each port piece and each destination piece let through (what admitted() skips for them):
    # pieces let through by the same rules get the same answer, asked once with only those rules
    proto = protocol.upper()
    live = [r for r in rules if proto in r.protocols]
    points = [AddressSet(IntervalSet([(dlo, dlo)])) for dlo, _ in dest_pieces]
    by_dest = [frozenset(i for i, r in enumerate(live) if r.uses_asgs or r.destinations.covers(point))
               for point in points]
    answers: dict[tuple[int, ...], list[Admission]] = {}
    found: dict[int, _Exposure] = {}
    for plo, phi in port_pieces:
        by_port = [i for i, r in enumerate(live) if plo in r.destination_ports]
        for point, through in zip(points, by_dest):
            key = tuple(i for i in by_port if i in through)
            answer = answers.get(key)
            if answer is None:
                answer = answers[key] = admitted([live[i] for i in key], sources, plo, protocol, destinations=point)
            for adm in answer:
                exp = found.setdefault(id(adm.rule), _Exposure(adm.rule))
                if (plo, phi) not in exp.ports:
                    exp.ports.append((plo, phi))
                exp.sources = exp.sources | adm.sources
    return sorted(found.values(), key=lambda e: e.rule.priority)


def _written(nsg: NetworkSecurityGroup, rule: NsgRule) -> SecurityRule | None:
    for r in (*nsg.security_rules, *nsg.default_security_rules):
        if r.name == rule.name:
            return r
    return None


def describe_exposure(view: _NsgView, exp: _Exposure, protocol: str, sources_label: str | None = None) -> str:
    rule = exp.rule
    written = _written(view.nsg, rule)
    src = sources_label or (", ".join(written.source_prefixes) if written is not None and written.source_prefixes
                            else str(rule.sources))
    if rule.source_asgs:
        src += " (application security groups)"
    kind = "default rule " if rule.default else "rule "
    return f"{kind}{rule.name!r} (priority {rule.priority}) admits {protocol} {exp.port_text()} from {src}"


def nsgs_in(ctx: CheckContext) -> list[NetworkSecurityGroup]:
    return sorted(ctx.tenant.nsgs, key=lambda n: ((n.name or "").casefold(), n.id))


def _view_notes(view: _NsgView) -> str:
    return f" Notes: {'; '.join(view.notes)}." if view.notes else ""


def _unreadable(view: _NsgView) -> Outcome:
    return Outcome("error", _nsg_resource(view.nsg), f"the NSG's rules could not be read: {view.problem}",
                   "Correct the malformed rule (its address prefix or port) and read the tenant again.")


def _tag_exposures(view: _NsgView, ports: PortSet) -> list[str]:
    """Allow rules that admit ``ports`` from a service tag resolved nowhere offline (``AzureCloud``,
    ``Storage``, ...: Microsoft's public ranges, reachable by any Azure customer), each described; a deny
    rule above that covers every public address (``Internet``, ``*``) denies the tag too."""
    tags = sorted({n for r in view.inbound if r.access == "Allow" for n in r.sources.names})
    if not tags:
        return []
    public = view.public
    out: list[str] = []
    for tag in tags:
        named = AddressSet.named(tag)
        rules = [replace(r, sources=r.sources | named) if r.access == "Deny" and r.sources.covers(public) else r
                 for r in view.inbound]
        found = exposures(rules, named, ports, "TCP", view.protected, view.bounds)
        out += [describe_exposure(view, e, "TCP") for e in found]
    return out


def net007(ctx: CheckContext) -> Iterator[Outcome]:
    nsgs = nsgs_in(ctx)
    if not nsgs:
        yield Outcome("skip", ctx.tenant_resource, "no network security groups")
        return
    routing = network_routing(ctx)
    ports = PortSet.parse(_MGMT_PORTS)
    for nsg in nsgs:
        view = nsg_view(ctx, nsg, routing)
        if view.problem is not None:
            yield _unreadable(view)
            continue
        found = exposures(view.inbound, view.public, ports, "TCP", view.protected, view.bounds)
        res = _nsg_resource(nsg)
        if found:
            yield Outcome("fail", res, "management ports are reachable from the Internet: "
                          + "; ".join(describe_exposure(view, e, "TCP") for e in found) + "." + _view_notes(view),
                          "Delete or narrow the rules named (sources to Azure Bastion's subnet or the admins' "
                          "private ranges), or put a Deny rule for 22, 3389, 5985-5986 from Internet above them; use "
                          "Azure Bastion or just-in-time VM access instead of exposing management ports.")
        elif tagged := _tag_exposures(view, ports):
            yield Outcome("warn", res, "management ports are admitted from public Azure service tags (addresses "
                          "any Azure customer may hold; not resolved offline): " + "; ".join(tagged) + "."
                          + _view_notes(view),
                          "Narrow the rules named to the admins' private ranges or Azure Bastion's subnet.")
        else:
            yield Outcome("pass", res, "no inbound rule admits TCP 22, 3389, 5985 or 5986 from any public address "
                          f"(priorities, deny rules, ranges and prefix lists applied).{_view_notes(view)}")


def net008(ctx: CheckContext) -> Iterator[Outcome]:
    nsgs = nsgs_in(ctx)
    if not nsgs:
        yield Outcome("skip", ctx.tenant_resource, "no network security groups")
        return
    routing = network_routing(ctx)
    for nsg in nsgs:
        view = nsg_view(ctx, nsg, routing)
        if view.problem is not None:
            yield _unreadable(view)
            continue
        public = view.public
        failing = [describe_exposure(view, e, "TCP") for e in
                   exposures(view.inbound, public, PortSet.parse(_CLEARTEXT_INTERNET + _CLEARTEXT_OUTSIDE), "TCP",
                              view.protected, view.bounds)]
        internal = view.outside - public
        warning = [describe_exposure(view, e, "TCP", str(e.sources)) for e in
                   exposures(view.inbound, internal, PortSet.parse(_CLEARTEXT_OUTSIDE), "TCP", view.protected,
                              view.bounds)]
        res = _nsg_resource(nsg)
        fix = ("Delete or narrow the rules named: serve web traffic over HTTPS (443) only, replace FTP, Telnet, POP3 "
               "and IMAP with their TLS versions or SFTP/SSH, and keep SMB (445) inside the virtual network.")
        if failing:
            more = f" Also from private space outside the VNet: {'; '.join(warning)}." if warning else ""
            yield Outcome("fail", res, "cleartext legacy protocols are admitted from the Internet: "
                          + "; ".join(failing) + "." + more + _view_notes(view), fix)
        elif tagged := _tag_exposures(view, PortSet.parse(_CLEARTEXT_INTERNET + _CLEARTEXT_OUTSIDE)):
            yield Outcome("warn", res, "cleartext legacy protocols are admitted from public Azure service tags "
                          "(addresses outside the virtual network; not resolved offline): " + "; ".join(tagged) + "."
                          + _view_notes(view), fix)
        elif warning:
            yield Outcome("warn", res, "POP3, IMAP or SMB is admitted from private address space outside the "
                          "virtual network (on-premises or other networks): " + "; ".join(warning) + "."
                          + _view_notes(view), fix)
        else:
            yield Outcome("pass", res, "no inbound rule admits TCP 21, 23 or 80 from the Internet, nor 110, 143 or 445 "
                          f"from outside the virtual network.{_view_notes(view)}")


# --- routing (ZT-NET-009) ---------------------------------------------------------------------------------


def _vnets(ctx: CheckContext) -> list[VirtualNetwork]:
    return sorted(ctx.tenant.virtual_networks, key=lambda v: ((v.name or "").casefold(), v.id))


def vnet_resource(v: VirtualNetwork) -> Resource:
    return Resource("virtualNetwork", v.id, v.name or _leaf(v.id))


def _workload(subnet: Subnet) -> bool:
    return (subnet.name or "").casefold() not in EXCEPTED_SUBNETS


def _firewall_vnets(ctx: CheckContext) -> dict[str, list[AzureFirewall]]:
    out: dict[str, list[AzureFirewall]] = {}
    for fw in ctx.tenant.firewalls:
        for conf in fw.ip_configurations:
            if conf.subnet is not None and conf.subnet.id:
                out.setdefault(_key(vnet_id_of_subnet(conf.subnet.id)), []).append(fw)
    return out


def net009(ctx: CheckContext) -> Iterator[Outcome]:
    vnets = _vnets(ctx)
    if not vnets:
        yield Outcome("skip", ctx.tenant_resource, "no virtual networks")
        return
    routing = network_routing(ctx)
    hubs = _firewall_vnets(ctx)
    fw_ips = {ip: fw for fw in ctx.tenant.firewalls for ip in fw.private_ip_addresses}
    for v in vnets:
        res = vnet_resource(v)
        is_hub = _key(v.id) in hubs
        bad: list[str] = []
        unsure: list[str] = []
        good: list[str] = []
        for s in v.subnets:
            if not _workload(s):
                continue
            missing = routing.missing_route_table(s)
            if missing:
                unsure.append(f"subnet {s.name}: its route table {_leaf(missing)} was not read")
                continue
            route = routing.default_route(s, v)
            if route is None:
                bad.append(f"subnet {s.name}: no route for 0.0.0.0/0")
            elif route.next_hop_type == "VirtualAppliance" and route.next_hop_ip in fw_ips:
                good.append(f"{s.name} -> firewall {fw_ips[route.next_hop_ip].name} ({route.next_hop_ip})")
            elif route.next_hop_type == "VirtualAppliance":
                unsure.append(f"subnet {s.name}: {route.describe()}, an appliance that is no Azure Firewall read here")
            else:
                bad.append(f"subnet {s.name}: {route.describe()}")
        if not is_hub:
            for peer in routing.peers(v):
                if peer.connected and _key(peer.remote_vnet_id) not in hubs:
                    remote = routing.vnet(peer.remote_vnet_id)
                    name = (remote.name if remote is not None else None) or _leaf(peer.remote_vnet_id)
                    bad.append(f"peering {peer.name!r} with {name}, which holds no firewall (spoke-to-spoke "
                               "traffic bypasses the hub)")
        role = (f"hub (holds firewall {', '.join(sorted(f.name or _leaf(f.id) for f in hubs[_key(v.id)]))})"
                if is_hub else "spoke")
        if bad:
            yield Outcome("fail", res, f"{role}: " + "; ".join(bad + unsure) + ".",
                          "Associate a route table with every workload subnet whose 0.0.0.0/0 route has next hop type "
                          "Virtual appliance and the hub firewall's private IP; remove spoke-to-spoke peerings and "
                          "route spoke-to-spoke traffic through the hub firewall.")
        elif unsure:
            yield Outcome("warn", res, f"{role}: " + "; ".join(unsure) + ".",
                          "Make sure the appliance is the hub firewall (or read the missing route table).")
        elif not good:
            yield Outcome("pass", res, f"{role} without workload subnets" + ("" if is_hub else
                                                                           ", peered only with hubs") + ".")
        else:
            peers = "" if is_hub else "; peered only with hub networks"
            yield Outcome("pass", res, f"{role}: 0.0.0.0/0 of every workload subnet goes through the firewall "
                          f"({_listed(good)}){peers}.")


# --- ZT-NET-010 -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Published:
    app: str
    label: str
    destinations: AddressSet
    ports: PortSet
    protocols: tuple[str, ...]


_IP_TYPES: Final = ("ipAddress", "ipRange", "ipRangeCidr")


def _published(ctx: CheckContext) -> tuple[int, list[_Published]]:
    t = ctx.tenant
    apps = [a for a in t.applications if a.is_private_access]
    out: list[_Published] = []
    for app in apps:
        seen: set[str] = set()
        segments: list[ApplicationSegment] = [*t.app_segments.get(app.id, ()), *app.segments]
        for seg in segments:
            if seg.id and seg.id in seen:
                continue
            seen.add(seg.id or "")
            if seg.destination_type not in _IP_TYPES or not seg.destination_host or not seg.port_ranges:
                continue
            try:
                dst = AddressSet.parse(seg.destination_host)
            except ValueError:
                continue
            ports = PortSet(IntervalSet(seg.port_ranges))
            protos = tuple(p.upper() for p in seg.protocols) or ("TCP",)
            label = f"{seg.destination_host}:{ports}/{'+'.join(p.lower() for p in protos)}"
            out.append(_Published(app.display_name or app.id, label, dst, ports, protos))
    return len(apps), out


@dataclass(frozen=True, slots=True)
class PoolHit:
    """One way the VPN client pool still reaches a destination Private Access publishes, through one NSG."""

    rule: NsgRule
    protocol: str
    #: the exposed ports, the part of the pool admitted, and the published destinations it reaches (within the
    #: NSG's subnets)
    ports: PortSet
    sources: AddressSet
    destinations: AddressSet
    published: _Published
    text: str


@dataclass(frozen=True, slots=True)
class PoolReach:
    """ZT-NET-010's reading of one NSG: whether the pool is routed to it, and every :class:`PoolHit`."""

    nsg: NetworkSecurityGroup
    routed: bool
    hits: tuple[PoolHit, ...]
    notes: str
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class PoolReport:
    """(Why there is nothing to judge, else None; the pool; each NSG's :class:`PoolReach`)."""

    skip: str | None
    error: str | None
    pool: AddressSet
    nsgs: tuple[PoolReach, ...]


def pool_reach(ctx: CheckContext) -> PoolReport:
    """Where NSGs still admit the VPN client pool to destinations Private Access publishes (ZT-NET-010, and
    the rollout's step 8, which closes them)."""
    return _cached(ctx, "pool-reach", lambda: _pool_reach(ctx))


def _pool_reach(ctx: CheckContext) -> PoolReport:
    none = AddressSet.empty()
    n_apps, published = _published(ctx)
    if not n_apps:
        return PoolReport("Private Access is not in use (no Private Access application): this check applies after "
                          "ZTNA", None, none, ())
    if not published:
        return PoolReport(f"{n_apps} Private Access applications publish no IP destination (only FQDNs or DNS "
                          "suffixes, which NSG rules cannot name)", None, none, ())
    gateways = [g for group in ctx.tenant.vnet_gateways.values() for g in group]
    pools: list[str] = []
    for g in gateways:
        conf = g.vpn_client_configuration
        if conf is not None and conf.vpn_client_address_pool is not None:
            pools.extend(conf.vpn_client_address_pool.address_prefixes)
    try:
        pool = AddressSet.parse(pools)
    except ValueError as exc:
        return PoolReport(None, f"a VPN client address pool could not be read: {exc}", none, ())
    if not pool:
        return PoolReport("no virtual network gateway has a point-to-site client address pool: there is no VPN "
                          "pool to retire", None, none, ())
    nsgs = nsgs_in(ctx)
    if not nsgs:
        return PoolReport("no network security groups", None, pool, ())
    routing = network_routing(ctx, gateways=True)
    spans = [_span(pub.destinations.ivs) for pub in published]
    out: list[PoolReach] = []
    for nsg in nsgs:
        view = nsg_view(ctx, nsg, routing)
        if view.problem is not None:
            out.append(PoolReach(nsg, True, (), _view_notes(view), view.problem))
            continue
        if not (pool & view.vnet_space).ivs:
            out.append(PoolReach(nsg, False, (), _view_notes(view)))
            continue
        hits: list[PoolHit] = []
        protected = view.protected
        lo, hi = _span(protected.ivs) if protected is not None else (0, -1)
        for pub, (p_lo, p_hi) in zip(published, spans):
            if protected is not None:
                if p_hi < lo or p_lo > hi:  # no address in common: the intersection below has none
                    continue
            dst = pub.destinations if protected is None else pub.destinations & protected
            if not dst.ivs:
                continue
            for proto in pub.protocols:
                for e in exposures(view.inbound, pool, pub.ports, proto, dst, view.bounds):
                    text = (f"{describe_exposure(view, e, proto)} (the pool's {e.sources}) to {pub.label} "
                            f"(published by {pub.app!r})")
                    hits.append(PoolHit(e.rule, proto, PortSet(IntervalSet(sorted(e.ports))), e.sources, dst, pub,
                                        text))
        out.append(PoolReach(nsg, True, tuple(hits), _view_notes(view)))
    return PoolReport(None, None, pool, tuple(out))


def net010(ctx: CheckContext) -> Iterator[Outcome]:
    report = pool_reach(ctx)
    if report.error is not None:
        yield Outcome("error", ctx.tenant_resource, report.error)
        return
    if report.skip is not None:
        yield Outcome("skip", ctx.tenant_resource, report.skip)
        return
    pool = report.pool
    for reach in report.nsgs:
        res = _nsg_resource(reach.nsg)
        if reach.problem is not None:
            yield Outcome("error", res, f"the NSG's rules could not be read: {reach.problem}",
                          "Correct the malformed rule (its address prefix or port) and read the tenant again.")
        elif not reach.routed:
            yield Outcome("pass", res, f"the VPN client pool {pool} is not routed to this NSG's virtual network "
                          "(neither the gateway's network nor peered with it using its gateway)." + reach.notes)
        elif reach.hits:
            yield Outcome("fail", res, f"the VPN client pool {pool} still reaches destinations Private Access "
                          f"publishes: {'; '.join(h.text for h in reach.hits)}.{reach.notes}",
                          "Remove the rules that admit the point-to-site pool (or add a Deny for the pool above "
                          "them and above AllowVnetInBound) now that Private Access publishes these destinations.")
        else:
            yield Outcome("pass", res, f"the VPN client pool {pool} is not admitted to any destination Private Access "
                          f"publishes within this NSG's subnets.{reach.notes}")


# --- ZT-NET-011, 012 ------------------------------------------------------------------------------------------


def net011(ctx: CheckContext) -> Iterator[Outcome]:
    vnets = _vnets(ctx)
    judged = [(v, s) for v in vnets for s in v.subnets if _workload(s)]
    if not judged:
        yield Outcome("skip", ctx.tenant_resource, "no workload subnets (no virtual networks, or only gateway, "
                      "firewall, Bastion and Route Server subnets)")
        return
    for v, s in judged:
        res = Resource("subnet", s.id or f"{v.id}/subnets/{s.name}", s.name or _leaf(s.id))
        nsg = s.network_security_group
        if nsg is not None and nsg.id:
            yield Outcome("pass", res, f"subnet {s.name} of {v.name} has NSG {_leaf(nsg.id)}")
        else:
            yield Outcome("fail", res, f"subnet {s.name} ({', '.join(s.prefixes)}) of virtual network {v.name} has no "
                          "network security group: nothing filters traffic to and from it inside the network",
                          f"Associate a network security group with subnet {s.name} (deny by default, allow what "
                          "the workload needs).")


def _public_endpoints(ctx: CheckContext) -> dict[str, list[str]]:
    """Virtual network key -> the resources in it that hold a public IP address."""
    out: dict[str, list[str]] = {}

    def add(subnet_id: str | None, what: str) -> None:
        if subnet_id:
            out.setdefault(_key(vnet_id_of_subnet(subnet_id)), []).append(what)

    t = ctx.tenant
    for fw in t.firewalls:
        for conf in (*fw.ip_configurations, *((fw.management_ip_configuration,)
                                              if fw.management_ip_configuration else ())):
            if conf.public_ip_address is not None and conf.subnet is not None:
                add(conf.subnet.id, f"Azure Firewall {fw.name} (public IP {_leaf(conf.public_ip_address.id)})")
    for agw in t.app_gateways:
        pips = [fe.public_ip_address.id for fe in agw.frontend_ip_configurations if fe.public_ip_address is not None]
        if pips:
            for gc in agw.gateway_ip_configurations:
                if gc.subnet is not None:
                    add(gc.subnet.id, f"application gateway {agw.name} (public IP "
                                      f"{', '.join(_leaf(p) for p in pips)})")
    for group in t.vnet_gateways.values():
        for g in group:
            for gconf in g.ip_configurations:
                if gconf.public_ip_address is not None and gconf.subnet is not None:
                    add(gconf.subnet.id, f"virtual network gateway {g.name} (public IP "
                                         f"{_leaf(gconf.public_ip_address.id)})")
    return out


def net012(ctx: CheckContext) -> Iterator[Outcome]:
    vnets = _vnets(ctx)
    if not vnets:
        yield Outcome("skip", ctx.tenant_resource, "no virtual networks")
        return
    public = _public_endpoints(ctx)
    for v in vnets:
        res = vnet_resource(v)
        endpoints = sorted(set(public.get(_key(v.id), [])))
        plan = v.ddos_protection_plan.id if v.ddos_protection_plan is not None else None
        protected = bool(plan) and v.enable_ddos_protection is not False
        if not endpoints:
            yield Outcome("pass", res, "no public endpoint in this virtual network (no Azure Firewall, application "
                          "gateway or VPN gateway with a public IP)"
                          + (f"; DDoS protection plan {_leaf(plan)}" if protected else ""))
        elif protected:
            yield Outcome("pass", res, f"DDoS protection plan {_leaf(plan)} protects the public endpoints: "
                          f"{_listed(endpoints)}")
        else:
            state = ("a DDoS protection plan is linked but enableDdosProtection is false" if plan
                     else "no DDoS protection plan")
            yield Outcome("fail", res, f"{state}, while the network holds public endpoints: {_listed(endpoints)}",
                          f"Link virtual network {v.name} to a DDoS Network Protection plan (or enable DDoS IP "
                          "Protection on each public IP).")


# --- Application Gateway (ZT-NET-013, 014) --------------------------------------------------------------------

#: the minimum TLS version of each predefined policy (Learn, "Application Gateway TLS policy overview")
_PREDEFINED_MIN: Final = {"appgwsslpolicy20150501": "TLSv1_0", "appgwsslpolicy20170401": "TLSv1_1",
                          "appgwsslpolicy20170401s": "TLSv1_2", "appgwsslpolicy20220101": "TLSv1_2",
                          "appgwsslpolicy20220101s": "TLSv1_2"}
_TLS_ORDER: Final = ("TLSv1_0", "TLSv1_1", "TLSv1_2", "TLSv1_3")


def _agw_resource(agw: ApplicationGateway) -> Resource:
    return Resource("applicationGateway", agw.id, agw.name or _leaf(agw.id))


def _ssl_verdict(policy: ApplicationGatewaySslPolicy | None, default: str | None) -> tuple[Status, str]:
    empty = policy is None or not (policy.policy_type or policy.policy_name or policy.min_protocol_version
                                   or policy.disabled_ssl_protocols or policy.cipher_suites)
    if empty:
        if default:
            minimum = _PREDEFINED_MIN.get(default.casefold())
            if minimum is None:
                return "warn", f"no SSL policy set; default policy {default} is unknown to ztconsole"
            ok = _TLS_ORDER.index(minimum) >= 2
            return ("pass" if ok else "fail"), f"no SSL policy set: default {default} (minimum {minimum})"
        return "warn", ("no SSL policy set: the default depends on the API version that created the gateway "
                        "(AppGwSslPolicy20150501, TLS 1.0, before 2023-02-01; AppGwSslPolicy20220101 after)")
    assert policy is not None
    name = policy.policy_name
    if (policy.policy_type == "Predefined" or (policy.policy_type is None and name)) and name:
        minimum = _PREDEFINED_MIN.get(name.casefold())
        if minimum is None:
            return "warn", f"predefined policy {name} is unknown to ztconsole"
        ok = _TLS_ORDER.index(minimum) >= 2
        return ("pass" if ok else "fail"), f"predefined {name} (minimum {minimum})"
    minimum = policy.min_protocol_version
    if minimum is None:
        disabled = set(policy.disabled_ssl_protocols)
        minimum = next((v for v in _TLS_ORDER if v not in disabled), None)
    kind = policy.policy_type or "custom"
    if minimum is None or minimum not in _TLS_ORDER:
        return "fail", f"{kind} policy with no minimum protocol version"
    ok = _TLS_ORDER.index(minimum) >= 2
    return ("pass" if ok else "fail"), f"{kind} policy, minimum {minimum}"


def net013(ctx: CheckContext) -> Iterator[Outcome]:
    gateways = sorted(ctx.tenant.app_gateways, key=lambda a: ((a.name or "").casefold(), a.id))
    if not gateways:
        yield Outcome("skip", ctx.tenant_resource, "no application gateways")
        return
    rank: dict[Status, int] = {"pass": 0, "warn": 1, "fail": 2}
    for agw in gateways:
        verdicts = [("gateway", *_ssl_verdict(agw.ssl_policy, agw.default_predefined_ssl_policy))]
        for prof in agw.ssl_profiles:
            if prof.ssl_policy is not None:
                verdicts.append((f"SSL profile {prof.name}", *_ssl_verdict(prof.ssl_policy, None)))
        worst: Status = max((v[1] for v in verdicts), key=lambda s: rank.get(s, 0))
        text = "; ".join(f"{where}: {why}" for where, _, why in verdicts)
        yield Outcome(worst, _agw_resource(agw), text,
                      None if worst == "pass" else
                      f"Set the TLS policy of {agw.name} (and of each SSL profile) to the predefined "
                      "AppGwSslPolicy20220101S or AppGwSslPolicy20220101 (or a CustomV2 policy with minimum "
                      "TLSv1_2): TLS 1.0 and 1.1 are deprecated.")


def _version(text: str | None) -> tuple[int, ...]:
    parts: list[int] = []
    for p in (text or "").split("."):
        if not p.isdigit():
            break
        parts.append(int(p))
    return tuple(parts)


def _current_core(rule_set: str, version: str) -> bool:
    """Microsoft_DefaultRuleSet 2.1 or later, or OWASP (CRS) 3.2 or later."""
    return ((rule_set == "Microsoft_DefaultRuleSet" and _version(version) >= (2, 1))
            or (rule_set == "OWASP" and _version(version) >= (3, 2)))


def _waf_problems(policy: WafPolicy) -> list[str]:
    problems: list[str] = []
    settings = policy.policy_settings
    if settings is not None and settings.state == "Disabled":
        problems.append("the policy is disabled")
    mode = settings.mode if settings is not None else None
    if mode != "Prevention":
        problems.append(f"mode is {mode or 'not set'} (requests are logged, not blocked)" if mode == "Detection"
                        else f"mode is {mode or 'not set'}")
    sets = [(s.rule_set_type or "", s.rule_set_version or "") for s in policy.managed_rule_sets]
    core_ok = any(_current_core(t, v) for t, v in sets)
    if not core_ok:
        have = ", ".join(f"{t} {v}" for t, v in sets if t != "Microsoft_BotManagerRuleSet") or "none"
        problems.append(f"managed rule set is {have}, not DRS 2.1 or later (or CRS 3.2 or later)")
    if not any(t == "Microsoft_BotManagerRuleSet" for t, _ in sets):
        problems.append("no bot protection (Microsoft_BotManagerRuleSet)")
    return problems


def _waf_summary(policy: WafPolicy) -> str:
    mode = policy.policy_settings.mode if policy.policy_settings is not None else None
    sets = ", ".join(f"{s.rule_set_type} {s.rule_set_version}" for s in policy.managed_rule_sets) or "no rule sets"
    return f"{mode or 'mode not set'}, {sets}"


def net014(ctx: CheckContext) -> Iterator[Outcome]:
    gateways = sorted(ctx.tenant.app_gateways, key=lambda a: ((a.name or "").casefold(), a.id))
    if not gateways:
        yield Outcome("skip", ctx.tenant_resource, "no application gateways")
        return
    by_id = {_key(w.id): w for w in ctx.tenant.waf_policies}
    back: dict[str, list[WafPolicy]] = {}
    for w in ctx.tenant.waf_policies:
        for gw_ref in w.application_gateways:
            back.setdefault(_key(gw_ref.id), []).append(w)
    fix = ("Associate a WAF policy in Prevention mode with Microsoft_DefaultRuleSet 2.1 (or later) and "
           "Microsoft_BotManagerRuleSet, after tuning exclusions in Detection mode.")
    for agw in gateways:
        res = _agw_resource(agw)
        refs: list[tuple[str, str]] = []
        if agw.firewall_policy is not None and agw.firewall_policy.id:
            refs.append(("gateway", agw.firewall_policy.id))
        for lst in agw.http_listeners:
            if lst.firewall_policy is not None and lst.firewall_policy.id:
                refs.append((f"listener {lst.name}", lst.firewall_policy.id))
        if not refs:
            refs = [("gateway", w.id) for w in back.get(_key(agw.id), [])]
        problems: list[str] = []
        good: list[str] = []
        unread: list[str] = []
        for where, ref in dict.fromkeys(refs):
            pol = by_id.get(_key(ref))
            if pol is None:
                unread.append(f"{where}: WAF policy {_leaf(ref)} was not read")
                continue
            found = _waf_problems(pol)
            label = f"{where}: WAF policy {pol.name} ({_waf_summary(pol)})"
            (problems if found else good).append(label + (": " + "; ".join(found) if found else ""))
        if not refs:
            legacy = agw.web_application_firewall_configuration
            if legacy is not None and legacy.enabled:
                ver = f"{legacy.rule_set_type} {legacy.rule_set_version}"
                issues = ([] if legacy.firewall_mode == "Prevention"
                          else [f"mode is {legacy.firewall_mode or 'not set'}"])
                if not _current_core(legacy.rule_set_type or "", legacy.rule_set_version or ""):
                    issues.append(f"rule set {ver} is not current")
                issues.append("no bot protection: the legacy WAF configuration has no bot manager rule set")
                problems.append(f"legacy WAF configuration ({legacy.firewall_mode}, {ver}): {'; '.join(issues)}")
            else:
                tier = agw.sku.tier if agw.sku is not None else None
                problems.append(f"no web application firewall (SKU tier {tier or 'unknown'}, no WAF policy)")
        if problems:
            yield Outcome("fail", res, "; ".join(problems + unread + good), fix)
        elif unread:
            yield Outcome("warn", res, "; ".join(unread + good), "Read the WAF policies named and run again.")
        else:
            yield Outcome("pass", res, "; ".join(good))


# --- ZT-NET-015 -----------------------------------------------------------------------------------------------


def net015(ctx: CheckContext) -> Iterator[Outcome]:
    firewalls = sorted(ctx.tenant.firewalls, key=lambda f: ((f.name or "").casefold(), f.id))
    if not firewalls:
        yield Outcome("skip", ctx.tenant_resource, "no Azure Firewalls")
        return
    for fw in firewalls:
        res = firewall_resource(fw)
        policy = fw.firewall_policy.id if fw.firewall_policy is not None else None
        if fw.has_classic_rules:
            counts = {"network": len(fw.network_rule_collections), "NAT": len(fw.nat_rule_collections),
                      "application": len(fw.application_rule_collections)}
            text = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
            yield Outcome("fail", res, f"classic rule collections on the firewall itself ({text}); "
                          + (f"firewall policy {_leaf(policy)} also attached" if policy else "no firewall policy"),
                          f"Migrate {fw.name}'s classic rules to a Firewall Policy (Firewall Manager, 'Migrate to "
                          "firewall policy', or Az PowerShell) and manage them centrally, with a parent policy for "
                          "the organisation's baseline.")
        elif not policy:
            yield Outcome("fail", res, "no firewall policy governs the firewall",
                          f"Attach a Firewall Policy to {fw.name}.")
        else:
            yield Outcome("pass", res, f"governed by firewall policy {_leaf(policy)}; no classic rule collections")
