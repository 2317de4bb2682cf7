"""The Network pane's dialogs: one firewall rule whole (with the rule that covers it), one NSG rule, one
firewall or policy, one subnet's routes. Each is a list of labelled facts and the findings that judged the
object, closed by the registry's ``modal`` actions (Esc, q). Everything from the tenant is shown through
:func:`ztconsole.ui.safe.text`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ztconsole.ui import actions
from ztconsole.ui.footer import KeyFooter
from ztconsole.ui.panes.network_data import (
    FwEntry,
    NsgEntry,
    NsgRuleInfo,
    RouteEntryRow,
    RuleInfo,
    describe_rule,
    findings_text,
    leaf,
)
from ztconsole.ui.safe import text
from ztconsole.ui.status import style_for

if TYPE_CHECKING:
    from ztconsole.engine.checks.base import Finding
    from ztconsole.engine.network.firewall import FlatRule

__all__ = ["NetDetailsScreen", "fw_details", "nsg_details", "nsg_rule_details", "route_details", "rule_details"]

Facts = Sequence[tuple[str, object]]


class NetDetailsScreen(actions.Guarded, ModalScreen[None]):
    """A dialog: a title, then sections of facts or findings (scrolls when long)."""

    ACTION_SCOPE = "modal"
    BINDINGS = actions.bindings("modal")

    def __init__(self, title: str, sections: Sequence[tuple[str, RenderableType]]) -> None:
        super().__init__()
        self._title = title
        self._sections = tuple(sections)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(text(self._title, "bold"), classes="dialog-title", id="net-details-title")
            with VerticalScroll(classes="issues", id="net-details-body"):
                parts: list[RenderableType] = []
                for heading, body in self._sections:
                    if heading:
                        parts.append(Text(heading, style="bold underline"))
                    parts.append(body)
                    parts.append(Text(""))
                yield Static(Group(*parts[:-1]) if parts else Text(""), id="net-details")
        yield KeyFooter()


def facts_table(facts: Facts) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    for label, value in facts:
        table.add_row(label, value if isinstance(value, Text) else text(value))
    return table


def _findings(findings: Sequence[Finding], variables: Mapping[str, str]) -> Text:
    if not findings:
        return Text("No finding names it.", style="dim")
    return findings_text(findings, variables, remediation=True)


def _rule_facts(r: FlatRule, policy_names: Mapping[str, str]) -> list[tuple[str, object]]:
    src, dst, ports = describe_rule(r)
    facts: list[tuple[str, object]] = [
        ("Processing #", str(r.position + 1)),
        ("Type", f"{r.kind} rule"),
        ("Action", r.action),
        ("Name", r.name),
        ("Policy", policy_names.get(r.policy_id.lower(), leaf(r.policy_id))
         + (" (inherited from the parent policy)" if r.inherited else "")),
        ("Group", f"{leaf(r.group_id)} (priority {r.group_priority})"),
        ("Collection", f"{r.collection} (priority {r.collection_priority}), rule {r.index + 1}"),
        ("Source", src),
        ("Destination", dst),
        ("Protocols/ports", ports),
    ]
    if r.app is not None:
        facts.append(("TLS inspection", "yes" if r.app.terminate_tls else "no"))
    if r.translation:
        facts.append(("Translated to", r.translation))
    if r.rule.description:
        facts.append(("Description", r.rule.description))
    if r.problem:
        facts.append(("Not analysed", r.problem))
    facts.append(("Id", r.id))
    return facts


def rule_details(info: RuleInfo, policy_names: Mapping[str, str], variables: Mapping[str, str]
                 ) -> NetDetailsScreen:
    r = info.rule
    sections: list[tuple[str, RenderableType]] = [("", facts_table(_rule_facts(r, policy_names)))]
    flags = Text()
    fail, warn = style_for(variables, "check", "fail"), style_for(variables, "check", "warn")
    if info.any_any:
        flags.append("Any-to-any allow (ZT-NET-004): any source, any destination, every port.\n", style=fail)
    if info.egress:
        flags.append("Broad internet egress (ZT-NET-005): ", style=warn)
        flags.append_text(text(info.egress))
        flags.append("\n")
    if info.shadow is not None:
        s = info.shadow
        flags.append(f"{s.kind.capitalize()} (ZT-NET-006) by #{s.covering.position + 1}: ",
                     style=fail if s.kind == "shadowed" else warn)
        flags.append_text(text(s.reason))
    flags.rstrip()
    sections.append(("Flags", flags if flags else Text("None: the rule takes effect as written.", style="dim")))
    if info.shadow is not None:
        sections.append((f"Covering rule #{info.shadow.covering.position + 1}",
                         facts_table(_rule_facts(info.shadow.covering, policy_names))))
    sections.append(("Findings", _findings(info.findings, variables)))
    return NetDetailsScreen(f"Rule #{r.position + 1} {r.name}", sections)


def nsg_rule_details(nsg_name: str, info: NsgRuleInfo, variables: Mapping[str, str]) -> NetDetailsScreen:
    direction, priority, name, access, proto, src, sport, dst, dport = info.cells
    facts: list[tuple[str, object]] = [
        ("NSG", nsg_name), ("Direction", info.direction), ("Priority", priority), ("Name", name),
        ("Access", access), ("Protocol", proto), ("Source", src), ("Source ports", sport),
        ("Destination", dst), ("Destination ports", dport),
        ("Kind", "default rule (cannot be deleted; a lower priority number overrides it)" if info.default
         else "security rule")]
    if info.written is not None and info.written.description:
        facts.append(("Description", info.written.description))
    if info.rule is not None:
        facts.append(("Id", info.rule.id))
    return NetDetailsScreen(f"{info.direction} rule {name} ({priority})", [
        ("", facts_table(facts)), ("Findings naming it", _findings(info.marked, variables))])


def fw_details(entry: FwEntry, variables: Mapping[str, str]) -> NetDetailsScreen:
    facts: list[tuple[str, object]] = [("Kind", "Azure Firewall" if entry.kind == "firewall" else "Firewall policy"),
                                       ("Name", entry.name)]
    fw, pol = entry.firewall, entry.policy
    if fw is not None:
        facts.append(("Tier", fw.sku.tier if fw.sku is not None and fw.sku.tier else "-"))
        if fw.has_classic_rules:
            facts.append(("Classic rules", f"{sum(len(c.rules) for c in fw.network_rule_collections)} network, "
                                           f"{sum(len(c.rules) for c in fw.application_rule_collections)} "
                                           f"application, {sum(len(c.rules) for c in fw.nat_rule_collections)} NAT"))
    if pol is not None and entry.kind == "policy":
        ids = pol.intrusion_detection
        facts += [("Tier", pol.sku_tier or "-"), ("Threat intel", pol.threat_intel_mode or "not set"),
                  ("IDPS", (ids.mode if ids is not None else None) or "not set"),
                  ("TLS inspection CA", (pol.certificate_authority.name or "set") if pol.certificate_authority
                   is not None else "none")]
    facts += list(entry.facts)
    facts.append(("Id", entry.resource_id))
    return NetDetailsScreen(entry.name, [("", facts_table(facts)), ("Findings", _findings(entry.findings, variables))])


def nsg_details(entry: NsgEntry, variables: Mapping[str, str]) -> NetDetailsScreen:
    nsg = entry.nsg
    facts = [("Name", nsg.name or leaf(nsg.id)), ("Subnets", ", ".join(entry.subnets) or "none"),
             ("NICs", ", ".join(leaf(n.id) for n in nsg.network_interfaces) or "none"), ("Id", nsg.id)]
    return NetDetailsScreen(nsg.name or leaf(nsg.id), [("", facts_table(facts)),
                                                       ("Findings", _findings(entry.findings, variables))])


def route_details(entry: RouteEntryRow, variables: Mapping[str, str]) -> NetDetailsScreen:
    s, v = entry.subnet, entry.vnet
    facts: list[tuple[str, object]] = [
        ("Subnet", f"{v.name or leaf(v.id)}/{s.name or leaf(s.id)}"), ("Prefixes", ", ".join(s.prefixes) or "-"),
        ("Role", entry.role or "-"), ("0.0.0.0/0", entry.hop),
        ("Route table", leaf(s.route_table.id) if s.route_table is not None and s.route_table.id else "none"),
        ("NSG", leaf(s.network_security_group.id) if s.network_security_group is not None
         and s.network_security_group.id else "none")]
    if entry.missing_table:
        facts.append(("Not read", f"route table {leaf(entry.missing_table)}: its routes are not known"))
    routes = Table.grid(padding=(0, 2))
    for _ in range(4):
        routes.add_column(no_wrap=True)
    routes.add_row(Text("Prefix", style="bold"), Text("Next hop", style="bold"), Text("Source", style="bold"),
                   Text("Route", style="bold"))
    for r in entry.routes:
        routes.add_row(text(r.prefix), text(f"{r.next_hop_type} {r.next_hop_ip or ''}".strip()), r.source,
                       text(f"{r.name} ({r.route_table_name})" if r.name else "-"))
    peer_text = Text("none", style="dim") if not entry.peerings else Text("\n").join(text(p) for p in entry.peerings)
    return NetDetailsScreen(f"Subnet {s.name or leaf(s.id)}", [
        ("", facts_table(facts)), ("Effective routes (user, gateway, system)", routes),
        ("Peerings of the virtual network", peer_text),
        ("Findings", _findings(entry.findings, variables))])
