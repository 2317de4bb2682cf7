"""What the Network pane shows, computed off the event loop: rows for its tables and what each row stands for.

Nothing here decides anything about the network: the processing order of firewall rules, any-to-any and
shadowed rules come from :mod:`ztconsole.engine.network.firewall`, NSG rule order (default rules included)
from :mod:`ztconsole.engine.network.nsg`, effective routes from :mod:`ztconsole.engine.network.routes`, and
the verdicts from the check catalogue's findings (:class:`~ztconsole.ui.analysis.Assessment`). These
functions only join them to rows. They run in worker threads (a policy's rule book can hold 20,000 rules)
and take the theme's variables as a plain mapping, so they never touch a widget.

Tenant text (names, prefixes, FQDNs) is put in cells as plain ``str`` (the table cleans it) or through
:func:`ztconsole.ui.safe.text`: never markup.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text

from ztconsole.engine.network.firewall import (
    FirewallRuleBook,
    FlatPolicy,
    FlatRule,
    Shadow,
    any_any_rules,
    broad_egress,
    shadowed_rules,
)
from ztconsole.engine.network.nsg import NsgRule, rules_of
from ztconsole.engine.network.routes import RouteEntry, Routing, vnet_id_of_subnet
from ztconsole.model.network import ApplicationRule, NatRule, NetworkRule
from ztconsole.ui.safe import text
from ztconsole.ui.status import glyph, style_for
from ztconsole.ui.vtable import Row

if TYPE_CHECKING:
    from ztconsole.engine.checks.base import Finding
    from ztconsole.model.network import (
        AzureFirewall,
        FirewallPolicy,
        NetworkSecurityGroup,
        SecurityRule,
        Subnet,
        VirtualNetwork,
    )
    from ztconsole.model.tenant import Tenant
    from ztconsole.ui.analysis import Assessment

__all__ = ["FIREWALL_CHECKS", "NSG_CHECKS", "ROUTE_CHECKS", "FwEntry", "NetworkData", "NsgEntry", "NsgRuleInfo",
           "NsgRulesView", "RouteEntryRow", "RuleInfo", "RulesView", "build_network", "build_nsg_rules",
           "build_rules", "findings_text", "leaf", "worst"]

FIREWALL_CHECKS = ("ZT-NET-001", "ZT-NET-002", "ZT-NET-003", "ZT-NET-004", "ZT-NET-005", "ZT-NET-006",
                   "ZT-NET-015")
NSG_CHECKS = ("ZT-NET-007", "ZT-NET-008", "ZT-NET-010")
ROUTE_CHECKS = ("ZT-NET-009", "ZT-NET-011")

_RANK = {"fail": 0, "error": 1, "warn": 2, "skip": 3, "pass": 4}
_NAMED_RULE = re.compile(r"\brule (?:'[^']*'|\"[^\"]*\") \(priority (\d+)\)")


def leaf(resource_id: str | None) -> str:
    """The last segment of an ARM id (a resource's name when it has none of its own)."""
    return (resource_id or "").rstrip("/").rsplit("/", 1)[-1]


def _key(resource_id: str | None) -> str:
    return "/" + (resource_id or "").strip("/").lower()


def worst(findings: Iterable[Finding]) -> str | None:
    """The worst status among ``findings`` (fail, error, warn, skip, pass), None for none."""
    statuses = [f.status for f in findings]
    return min(statuses, key=lambda s: _RANK.get(s, 9)) if statuses else None


def _status_cell(findings: Sequence[Finding], variables: Mapping[str, str]) -> Text:
    """``2 fail 1 warn`` / ``pass`` / ``-``: how the checks judged a resource, coloured by status."""
    if not findings:
        return Text("-", style="dim")
    counts: dict[str, int] = {}
    for f in findings:
        if f.status != "pass":
            counts[f.status] = counts.get(f.status, 0) + 1
    if not counts:
        return Text("pass", style=style_for(variables, "check", "pass"))
    out = Text()
    for status in sorted(counts, key=lambda s: _RANK.get(s, 9)):
        if out:
            out.append(" ")
        out.append(f"{counts[status]} {status}", style=style_for(variables, "check", status))
    return out


def _one_status(findings: Sequence[Finding], variables: Mapping[str, str]) -> Text:
    status = worst(findings)
    if status is None:
        return Text("-", style="dim")
    return Text(status, style=style_for(variables, "check", status))


def findings_text(findings: Sequence[Finding], variables: Mapping[str, str], *, limit: int | None = None,
                  remediation: bool = False) -> Text:
    """One line per finding (worst first): ``fail ZT-NET-001 evidence`` (evidence shown literally)."""
    ordered = sorted(findings, key=lambda f: (_RANK.get(f.status, 9), f.check))
    out = Text()
    for i, f in enumerate(ordered[:limit] if limit else ordered):
        if i:
            out.append("\n")
        out.append(f"{f.status:<4} ", style=style_for(variables, "check", f.status))
        out.append(f"{f.check} ", style="bold")
        if f.resource.type == "firewallPolicyRule" or f.resource.type == "azureFirewallRule":
            out.append_text(text(f.resource.name, "italic"))
            out.append(": ")
        out.append_text(text(f.evidence))
        if remediation and f.status in ("fail", "warn", "error") and f.remediation:
            out.append("\n     fix: ", style="dim")
            out.append_text(text(f.remediation, "dim"))
    if limit and len(ordered) > limit:
        out.append(f"\n{glyph(variables, 'ellipsis')} {len(ordered) - limit} more (Enter for all)", style="dim")
    return out


# --- firewalls and their policies -----------------------------------------------------------------------


@dataclass(frozen=True)
class FwEntry:
    """One row of the firewalls view: an Azure Firewall or a firewall policy."""

    key: str
    kind: str  # "firewall" or "policy"
    name: str
    resource_id: str
    findings: tuple[Finding, ...]
    policy_id: str | None  # the policy whose rules Enter opens (None: a firewall without a policy)
    firewall: AzureFirewall | None = None
    policy: FirewallPolicy | None = None
    facts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class NsgEntry:
    key: str
    nsg: NetworkSecurityGroup
    findings: tuple[Finding, ...]
    subnets: tuple[str, ...]


@dataclass(frozen=True)
class RouteEntryRow:
    """One subnet of the routes view."""

    key: str
    vnet: VirtualNetwork
    subnet: Subnet
    role: str  # "hub", "spoke" or ""
    default: RouteEntry | None
    hop: str
    routes: tuple[RouteEntry, ...]
    peerings: tuple[str, ...]
    findings: tuple[Finding, ...]
    missing_table: str | None = None


@dataclass
class NetworkData:
    """Everything the pane's lists show, built once per load (see :func:`build_network`)."""

    firewalls: list[Row] = field(default_factory=list)
    fw_entries: dict[str, FwEntry] = field(default_factory=dict)
    nsgs: list[Row] = field(default_factory=list)
    nsg_entries: dict[str, NsgEntry] = field(default_factory=dict)
    routes: list[Row] = field(default_factory=list)
    route_entries: dict[str, RouteEntryRow] = field(default_factory=dict)
    book: FirewallRuleBook | None = None
    assessment: Assessment | None = None
    routing: Routing | None = None


def _by_resource(assessment: Assessment, checks: Sequence[str]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for check in checks:
        for f in assessment.by_check(check):
            out.setdefault(_key(f.resource.id), []).append(f)
    return out


def _rule_findings_by_owner(assessment: Assessment) -> dict[str, list[Finding]]:
    """Rule-level findings (ZT-NET-004..006) by the policy or firewall that owns the rule."""
    out: dict[str, list[Finding]] = {}
    for check in ("ZT-NET-004", "ZT-NET-005", "ZT-NET-006"):
        for f in assessment.by_check(check):
            rid = f.resource.id
            low = rid.lower()
            if f.resource.type == "firewallPolicyRule":
                owner = low.split("/rulecollectiongroups/", 1)[0]
            elif f.resource.type == "azureFirewallRule":
                owner = re.split(r"/(?:network|application|nat)rulecollections/", low, maxsplit=1)[0]
            else:
                continue
            out.setdefault(_key(owner), []).append(f)
    return out


def _mode(value: str | None) -> str:
    return value or "-"


def _fw_rows(tenant: Tenant, assessment: Assessment, book: FirewallRuleBook, variables: Mapping[str, str]
             ) -> tuple[list[Row], dict[str, FwEntry]]:
    own = _by_resource(assessment, FIREWALL_CHECKS + ("ZT-MON-001",))
    rule_level = _rule_findings_by_owner(assessment)
    policies = {_key(p.id): p for p in tenant.firewall_policies}
    rows: list[Row] = []
    entries: dict[str, FwEntry] = {}

    def tls_of(p: FirewallPolicy) -> str:
        if p.sku_tier != "Premium":
            return "-"
        ca = p.certificate_authority
        return "CA set" if ca is not None and (ca.key_vault_secret_id or ca.name) else "no CA"

    for fw in sorted(tenant.firewalls, key=lambda f: ((f.name or "").casefold(), f.id)):
        k = _key(fw.id)
        findings = tuple(own.get(k, ())) + tuple(f for f in rule_level.get(k, ()) if f.status != "pass")
        pid = fw.firewall_policy.id if fw.firewall_policy is not None and fw.firewall_policy.id else None
        pol = policies.get(_key(pid)) if pid else None
        tier = fw.sku.tier if fw.sku is not None and fw.sku.tier else "-"
        policy_cell = text(pol.name or leaf(pol.id)) if pol is not None else (
            text(leaf(pid) + " (not read)", "dim") if pid else Text("classic rules", style=style_for(
                variables, "check", "fail")))
        facts: tuple[tuple[str, str], ...] = (("Private IP", ", ".join(fw.private_ip_addresses) or "-"),
                                              ("Policy", pid or "none (classic rule collections)"))
        key = f"firewall:{k}"
        rows.append(Row(key, ("firewall", fw.name or leaf(fw.id), tier, _mode(fw.threat_intel_mode) if pol is None
                              else "policy", "-", "-", policy_cell, ", ".join(fw.private_ip_addresses) or "-",
                              _status_cell(findings, variables))))
        entries[key] = FwEntry(key, "firewall", fw.name or leaf(fw.id), fw.id, findings, pid if pol else None,
                               firewall=fw, policy=pol, facts=facts)
    ordered = sorted(tenant.firewall_policies,
                     key=lambda p: (len(book.chain(p.id)[0]), (p.name or "").casefold(), p.id))
    for p in ordered:
        k = _key(p.id)
        findings = tuple(own.get(k, ())) + tuple(f for f in rule_level.get(k, ()) if f.status != "pass")
        base = p.base_policy.id if p.base_policy is not None and p.base_policy.id else None
        parent = policies.get(_key(base)) if base else None
        parent_name = (parent.name or leaf(parent.id)) if parent is not None else (leaf(base) if base else "-")
        groups = book.groups.get(p.id.lower(), ())
        count = sum(len(getattr(c, "rules", ())) for g in groups for c in g.rule_collections)
        idps = p.intrusion_detection.mode if p.intrusion_detection is not None else None
        used_by = [leaf(f.id) for f in p.firewalls]
        key = f"policy:{k}"
        rows.append(Row(key, ("policy", p.name or leaf(p.id), _mode(p.sku_tier), _mode(p.threat_intel_mode),
                              _mode(idps) if p.sku_tier == "Premium" else "-", tls_of(p), f"parent {parent_name}"
                              if base else "-", f"{count:,}", _status_cell(findings, variables))))
        facts = (("Parent policy", base or "none"), ("Child policies", ", ".join(leaf(c.id) for c in
                                                                                   p.child_policies) or "none"),
                 ("Firewalls", ", ".join(used_by) or "none"), ("Rule collection groups", str(len(groups))))
        entries[key] = FwEntry(key, "policy", p.name or leaf(p.id), p.id, findings, p.id, policy=p, facts=facts)
    return rows, entries


# --- NSGs ----------------------------------------------------------------------------------------------


def _nsg_rows(tenant: Tenant, assessment: Assessment, variables: Mapping[str, str]
              ) -> tuple[list[Row], dict[str, NsgEntry]]:
    by = _by_resource(assessment, NSG_CHECKS)
    subnet_names: dict[str, str] = {}
    attached: dict[str, list[str]] = {}
    for v in tenant.virtual_networks:
        for s in v.subnets:
            sid = _key(s.id or f"{v.id}/subnets/{s.name}")
            subnet_names[sid] = f"{v.name or leaf(v.id)}/{s.name or leaf(s.id)}"
            if s.network_security_group is not None and s.network_security_group.id:
                attached.setdefault(_key(s.network_security_group.id), []).append(sid)
    rows: list[Row] = []
    entries: dict[str, NsgEntry] = {}
    for nsg in sorted(tenant.nsgs, key=lambda n: ((n.name or "").casefold(), n.id)):
        k = _key(nsg.id)
        findings = tuple(by.get(k, ()))
        sids = list(dict.fromkeys([*(_key(s.id) for s in nsg.subnets if s.id), *attached.get(k, ())]))
        names = tuple(subnet_names.get(s, leaf(vnet_id_of_subnet(s)) + "/" + leaf(s)) for s in sids)
        inbound = sum(1 for r in nsg.security_rules if r.direction == "Inbound")
        outbound = sum(1 for r in nsg.security_rules if r.direction == "Outbound")
        per = {c: [f for f in findings if f.check == c] for c in NSG_CHECKS}
        key = f"nsg:{k}"
        rows.append(Row(key, (nsg.name or leaf(nsg.id), ", ".join(n.split("/", 1)[-1] for n in names) or "-",
                              str(len(nsg.network_interfaces)), f"{inbound}/{outbound}",
                              _one_status(per["ZT-NET-007"], variables), _one_status(per["ZT-NET-008"], variables),
                              _one_status(per["ZT-NET-010"], variables))))
        entries[key] = NsgEntry(key, nsg, findings, names)
    return rows, entries


# --- routes ----------------------------------------------------------------------------------------------


def _route_rows(tenant: Tenant, assessment: Assessment, routing: Routing, variables: Mapping[str, str]
                ) -> tuple[list[Row], dict[str, RouteEntryRow]]:
    by = _by_resource(assessment, ROUTE_CHECKS)
    fw_by_ip: dict[str, str] = {}
    hubs: dict[str, list[str]] = {}
    for fw in tenant.firewalls:
        for ip in fw.private_ip_addresses:
            fw_by_ip[ip] = fw.name or leaf(fw.id)
        for conf in fw.ip_configurations:
            if conf.subnet is not None and conf.subnet.id:
                hubs.setdefault(_key(vnet_id_of_subnet(conf.subnet.id)), []).append(fw.name or leaf(fw.id))
    vnet_names = {_key(v.id): v.name or leaf(v.id) for v in tenant.virtual_networks}
    rows: list[Row] = []
    entries: dict[str, RouteEntryRow] = {}
    for v in sorted(tenant.virtual_networks, key=lambda x: ((x.name or "").casefold(), x.id)):
        vk = _key(v.id)
        role = "hub" if vk in hubs else ("spoke" if v.virtual_network_peerings else "")
        peers = tuple(
            f"{p.name} -> {vnet_names.get(_key(p.remote_vnet_id), leaf(p.remote_vnet_id))}"
            f"{' (hub)' if _key(p.remote_vnet_id) in hubs else ''}{'' if p.connected else f' [{p.state}]'}"
            for p in routing.peers(v))
        vnet_findings = tuple(by.get(vk, ()))
        for s in v.subnets:
            sid = _key(s.id or f"{v.id}/subnets/{s.name}")
            findings = vnet_findings + tuple(by.get(sid, ()))
            try:
                routes = tuple(routing.routes(s, v))
                default = routing.default_route(s, v)
            except ValueError:
                routes, default = (), None
            if default is None:
                hop = Text("None (dropped)", style=style_for(variables, "verdict", "deny"))
            else:
                udr = " (UDR)" if default.source == "user" else ""
                fw_name = fw_by_ip.get(default.next_hop_ip or "") if default.next_hop_type == "VirtualAppliance" \
                    else None
                if fw_name is not None:
                    hop = text(f"firewall {fw_name} ({default.next_hop_ip}){udr}", style_for(variables, "verdict",
                                                                                         "allow"))
                elif default.next_hop_type == "VirtualAppliance":
                    hop = text(f"VirtualAppliance {default.next_hop_ip or '?'} (not a firewall read){udr}",
                               style_for(variables, "check", "warn"))
                else:
                    hop = text(f"{default.next_hop_type}{udr}", style_for(variables, "check", "warn")
                               if default.next_hop_type == "Internet" else "")
            nsg = leaf(s.network_security_group.id) if s.network_security_group is not None and \
                s.network_security_group.id else "-"
            key = f"subnet:{sid}"
            net009 = [f for f in findings if f.check == "ZT-NET-009"]
            net011 = [f for f in findings if f.check == "ZT-NET-011"]
            rows.append(Row(key, (v.name or leaf(v.id), s.name or leaf(s.id), ", ".join(s.prefixes) or "-",
                                  role or "-", hop, nsg, _one_status(net009, variables),
                                  _one_status(net011, variables))))
            entries[key] = RouteEntryRow(key, v, s, role, default, hop.plain, routes, peers, findings,
                                         routing.missing_route_table(s))
    return rows, entries


def build_network(tenant: Tenant, assessment: Assessment, variables: Mapping[str, str]) -> NetworkData:
    """The firewalls, NSGs and routes views of ``tenant`` (a worker thread calls this)."""
    book = FirewallRuleBook(tenant.firewall_policies, tenant.rule_collection_groups, tenant.ip_groups)
    routing = Routing.of(tenant.virtual_networks, tenant.route_tables, tenant.vnet_gateways)
    data = NetworkData(book=book, assessment=assessment, routing=routing)
    data.firewalls, data.fw_entries = _fw_rows(tenant, assessment, book, variables)
    data.nsgs, data.nsg_entries = _nsg_rows(tenant, assessment, variables)
    data.routes, data.route_entries = _route_rows(tenant, assessment, routing, variables)
    return data


# --- a policy's rule book -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleInfo:
    """One rule of a flattened policy with what the engine and the checks say about it."""

    rule: FlatRule
    shadow: Shadow | None
    any_any: bool
    egress: str | None
    findings: tuple[Finding, ...]
    source: str
    destination: str
    ports: str


@dataclass
class RulesView:
    policy_id: str
    policy_name: str
    flat: FlatPolicy
    rows: list[Row]
    infos: dict[str, RuleInfo]
    by_rule_id: dict[str, str]  # FlatRule.id (lower) -> row key
    counts: dict[str, int]


def _join(*parts: Iterable[str]) -> str:
    return ", ".join(x for part in parts for x in part) or "-"


def describe_rule(r: FlatRule) -> tuple[str, str, str]:
    """The rule's sources, destinations and protocols/ports as written (IP groups by name)."""
    rule = r.rule
    if isinstance(rule, NetworkRule):
        return (_join(rule.source_addresses, (leaf(g) for g in rule.source_ip_groups)),
                _join(rule.destination_addresses, (leaf(g) for g in rule.destination_ip_groups),
                      rule.destination_fqdns),
                f"{'/'.join(rule.ip_protocols) or 'Any'} {','.join(rule.destination_ports) or '*'}")
    if isinstance(rule, NatRule):
        to = rule.translated_address or rule.translated_fqdn or "?"
        return (_join(rule.source_addresses, (leaf(g) for g in rule.source_ip_groups)),
                _join(rule.destination_addresses) + f" -> {to}:{rule.translated_port or '?'}",
                f"{'/'.join(rule.ip_protocols) or 'Any'} {','.join(rule.destination_ports) or '*'}")
    if isinstance(rule, ApplicationRule):
        targets = _join(rule.target_fqdns, (f"tag:{t}" for t in rule.fqdn_tags),
                        (f"cat:{c}" for c in rule.web_categories), rule.target_urls)
        return (_join(rule.source_addresses, (leaf(g) for g in rule.source_ip_groups)), targets,
                ",".join(f"{p.protocol_type}:{p.port}" if p.port else str(p.protocol_type) for p in rule.protocols)
                or "-")
    return ("-", "-", "-")


_KIND = {"dnat": "DNAT", "network": "net", "application": "app"}


def build_rules(book: FirewallRuleBook, policy_id: str, assessment: Assessment | None,
                variables: Mapping[str, str]) -> RulesView:
    """The policy's rules in processing order with any-any, egress and shadow flags (a worker calls this)."""
    flat = book.flatten(policy_id)
    anyany = {id(r) for r in any_any_rules(flat)}
    egress = {id(e.rule): e.reason for e in broad_egress(flat)}
    shadows = {id(s.rule): s for s in shadowed_rules(flat)}
    found: dict[str, list[Finding]] = {}
    if assessment is not None:
        for check in ("ZT-NET-004", "ZT-NET-005", "ZT-NET-006"):
            for f in assessment.by_check(check):
                if f.resource.type == "firewallPolicyRule":
                    found.setdefault(f.resource.id.lower(), []).append(f)
    rows: list[Row] = []
    infos: dict[str, RuleInfo] = {}
    by_rule_id: dict[str, str] = {}
    counts = {"any-any": 0, "egress": 0, "shadowed": 0, "redundant": 0, "inherited": 0}
    fail = style_for(variables, "check", "fail")
    warn = style_for(variables, "check", "warn")
    allow, deny = style_for(variables, "verdict", "allow"), style_for(variables, "verdict", "deny")
    for r in flat.rules:
        if r.position % 1024 == 1023:
            time.sleep(0)  # let the event loop's thread in: this runs beside it
        key = str(r.position)
        shadow = shadows.get(id(r))
        src, dst, ports = describe_rule(r)
        info = RuleInfo(r, shadow, id(r) in anyany, egress.get(id(r)), tuple(found.get(r.id.lower(), ())), src, dst,
                        ports)
        infos[key] = info
        by_rule_id.setdefault(r.id.lower(), key)
        flags = Text()
        if info.any_any:
            flags.append("ANY-ANY ", style=fail)
            counts["any-any"] += 1
        if info.egress is not None and not info.any_any:
            flags.append("EGRESS ", style=warn)
            counts["egress"] += 1
        if shadow is not None:
            flags.append(f"{shadow.kind.upper()} #{shadow.covering.position + 1} ",
                         style=fail if shadow.kind == "shadowed" else warn)
            counts[shadow.kind] += 1
        if r.problem is not None:
            flags.append("UNREAD ", style=warn)
        if r.inherited:
            flags.append("inherited", style="dim")
            counts["inherited"] += 1
        flags.rstrip()
        plain = r.inherited and shadow is None and not info.any_any and info.egress is None and r.problem is None
        action = Text(r.action, style=allow if r.action in ("Allow", "DNAT") else deny if r.action == "Deny" else "")
        rows.append(Row(key, (str(r.position + 1), _KIND[r.kind], action, r.name, r.collection, src, dst, ports,
                              flags), style="dim" if plain else ""))
    pol = book.policies.get(policy_id.lower())
    name = (pol.name if pol is not None else None) or leaf(policy_id)
    return RulesView(policy_id, name, flat, rows, infos, by_rule_id, counts)


# --- an NSG's rules ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NsgRuleInfo:
    rule: NsgRule | None
    written: SecurityRule | None
    direction: str
    default: bool
    marked: tuple[Finding, ...]
    cells: tuple[str, ...]


@dataclass
class NsgRulesView:
    nsg_id: str
    nsg_name: str
    rows: list[Row]
    infos: dict[str, NsgRuleInfo]
    notes: tuple[str, ...]


def _written_fields(r: SecurityRule) -> tuple[str, str, str, str, str]:
    def ports(single: str | None, many: Sequence[str]) -> str:
        return ",".join(many) if many else (single or "*")

    def prefixes(single: str | None, many: Sequence[str], asgs: Sequence[Any]) -> str:
        values = list(many) if many else ([single] if single else [])
        values += [f"asg:{leaf(a.id)}" for a in asgs if a.id]
        return ", ".join(values) or "*"

    return (r.protocol or "*",
            prefixes(r.source_address_prefix, r.source_address_prefixes, r.source_application_security_groups),
            ports(r.source_port_range, r.source_port_ranges),
            prefixes(r.destination_address_prefix, r.destination_address_prefixes,
                     r.destination_application_security_groups),
            ports(r.destination_port_range, r.destination_port_ranges))


def _symbolic(_name: str) -> None:
    """Service tags stay names (``VirtualNetwork``, ``Internet``): the rules are shown as written."""
    return None


def build_nsg_rules(nsg: NetworkSecurityGroup, findings: Sequence[Finding], variables: Mapping[str, str]
                    ) -> NsgRulesView:
    """The NSG's rules as processed: inbound then outbound, each by priority, the default rules last (from
    :func:`ztconsole.engine.network.nsg.rules_of`), marked where a finding names them."""
    named: dict[int, list[Finding]] = {}
    for f in findings:
        if f.status in ("fail", "warn"):
            for m in _NAMED_RULE.finditer(f.evidence):
                named.setdefault(int(m.group(1)), []).append(f)
    written = {(r.name or "", bool(default)): r for default, rs in ((False, nsg.security_rules),
                                                                    (True, nsg.default_security_rules)) for r in rs}
    rows: list[Row] = []
    infos: dict[str, NsgRuleInfo] = {}
    notes: list[str] = []
    allow, deny = style_for(variables, "verdict", "allow"), style_for(variables, "verdict", "deny")
    for direction in ("Inbound", "Outbound"):
        try:
            ordered: list[tuple[NsgRule | None, SecurityRule | None, bool]] = [
                (r, written.get((r.name, r.default)), r.default)
                for r in rules_of(nsg, direction, _symbolic)]
        except ValueError as e:
            notes.append(f"{direction} rules not parsed ({e}): shown by priority as written")
            mine = [r for r in (*nsg.security_rules, *nsg.default_security_rules) if r.direction == direction]
            ordered = [(None, r, r in nsg.default_security_rules)
                       for r in sorted(mine, key=lambda x: (x in nsg.default_security_rules, x.priority or 0))]
        for rule, w, default in ordered:
            name = rule.name if rule is not None else (w.name if w is not None else "") or ""
            priority = rule.priority if rule is not None else (w.priority if w is not None else None)
            access = rule.access if rule is not None else (w.access if w is not None else None) or "?"
            if w is not None:
                proto, src, sport, dst, dport = _written_fields(w)
            elif rule is not None:
                proto, src, sport, dst, dport = (str(rule.protocols), str(rule.sources), str(rule.source_ports),
                                                 str(rule.destinations), str(rule.destination_ports))
            else:
                continue
            marked = tuple(named.get(priority, ())) if direction == "Inbound" and priority is not None else ()
            flag = Text()
            for f in marked:
                if f.check[-3:] not in flag.plain:
                    flag.append(f"{f.check[-3:]} {f.status} ", style=style_for(variables, "check", f.status))
            if default:
                flag.append("default", style="dim")
            flag.rstrip()
            key = f"{direction}:{priority}:{name}"
            cells = (direction[:3].lower() if direction == "Inbound" else "out", str(priority), name, access, proto,
                     src, sport, dst, dport)
            access_cell = Text(access, style=allow if access == "Allow" else deny)
            rows.append(Row(key, (cells[0], cells[1], cells[2], access_cell, proto, src, sport, dst, dport, flag),
                            style="dim" if default and not marked else ""))
            infos[key] = NsgRuleInfo(rule, w, direction, default, marked, cells)
    return NsgRulesView(nsg.id, nsg.name or leaf(nsg.id), rows, infos, tuple(notes))

