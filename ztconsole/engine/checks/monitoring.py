"""ZT-MON-001..003: visibility, the network objective of logging and analytics (CONTRACTS §6).

Microsoft Learn:

* Azure Firewall logs reach a Log Analytics workspace through a diagnostic setting (``workspaceId`` with log
  categories or category groups enabled); the structured categories (``AZFWNetworkRule``,
  ``AZFWApplicationRule``, ...) land in resource-specific tables when ``logAnalyticsDestinationType`` is
  ``Dedicated``, else in the legacy ``AzureDiagnostics`` table.
* Flow logs: virtual network flow logs (target a virtual network, subnet or network interface) supersede NSG
  flow logs, which retire on 30 September 2027 (none can be created after 30 June 2025). Traffic analytics is
  ``flowAnalyticsConfiguration.networkWatcherFlowAnalyticsConfiguration.enabled`` with a workspace.
* Entra ID diagnostic settings (``microsoft.aadiam/diagnosticSettings``) export the ``SignInLogs`` and
  ``AuditLogs`` categories to a Log Analytics workspace (the ``SigninLogs`` and ``AuditLogs`` tables a SIEM
  such as Microsoft Sentinel reads).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ztconsole.engine.checks.base import CheckContext, Outcome

# subnets that take no NSG (so no NSG flow log; a virtual network flow log still covers them): ZT-NET-011's
from ztconsole.engine.checks.network import EXCEPTED_SUBNETS as SPECIAL_SUBNETS
from ztconsole.engine.checks.network import firewall_resource, vnet_resource
from ztconsole.model.network import DiagnosticSetting, FlowLog, Subnet
from ztconsole.model.tenant import arm_key

__all__ = ["mon001", "mon002", "mon003"]

_ENTRA_CATEGORIES = ("SignInLogs", "AuditLogs")


def _short(resource_id: str | None) -> str:
    return (resource_id or "").rstrip("/").rsplit("/", 1)[-1] or "?"


def _enabled_logs(s: DiagnosticSetting) -> list[str]:
    return [lg.category or f"group {lg.category_group}" for lg in s.logs
            if lg.enabled is True and (lg.category or lg.category_group)]


# --- ZT-MON-001 --------------------------------------------------------------------------------------------------


def mon001(ctx: CheckContext) -> Iterator[Outcome]:
    firewalls = sorted(ctx.tenant.firewalls, key=lambda f: ((f.name or "").casefold(), f.id.lower()))
    if not firewalls:
        yield Outcome("skip", ctx.tenant_resource, "no such resources: no Azure Firewall")
        return
    for fw in firewalls:
        settings: Iterable[DiagnosticSetting] = ctx.tenant.children("firewall_diagnostics", fw.id)
        good: list[str] = []
        other: list[str] = []
        for s in settings:
            logs = _enabled_logs(s)
            name = s.name or _short(s.id)
            if s.workspace_id and logs:
                tables = ("resource-specific tables" if (s.log_analytics_destination_type or "").casefold()
                          == "dedicated" else "the legacy AzureDiagnostics table")
                good.append(f"'{name}' -> workspace {_short(s.workspace_id)} ({', '.join(logs)}; {tables})")
            elif s.workspace_id:
                other.append(f"'{name}' names workspace {_short(s.workspace_id)} but enables no log category")
            else:
                where = [w for w, v in (("a storage account", s.storage_account_id),
                                        ("an event hub", s.event_hub_authorization_rule_id),
                                        ("a partner solution", s.marketplace_partner_id)) if v]
                other.append(f"'{name}' sends to {' and '.join(where) or 'no destination'}, not to a Log Analytics "
                             "workspace")
        label = f"Azure Firewall '{fw.name or _short(fw.id)}'"
        if good:
            yield Outcome("pass", firewall_resource(fw), f"{label}: diagnostic setting(s) " + "; ".join(good)
                          + ("" if not other else "; also " + "; ".join(other)))
        else:
            why = "; ".join(other) if other else "it has no diagnostic setting"
            yield Outcome("fail", firewall_resource(fw), f"{label} sends no logs to a Log Analytics workspace: {why}",
                          "Add a diagnostic setting to the firewall that sends the allLogs category group (or the "
                          "structured AZFW* categories) to the Log Analytics workspace of your SIEM, with the "
                          "resource-specific destination table.")


# --- ZT-MON-002 --------------------------------------------------------------------------------------------------


def _ta(fl: FlowLog) -> bool:
    ta = fl.network_watcher_flow_analytics_configuration
    return ta is not None and ta.enabled is True


def _flow_logs(ctx: CheckContext) -> dict[str, list[FlowLog]]:
    """Target resource key -> its flow logs (every network watcher)."""
    out: dict[str, list[FlowLog]] = {}
    for logs in ctx.tenant.flow_logs.values():
        for fl in logs:
            if fl.target_resource_id:
                out.setdefault(arm_key(fl.target_resource_id), []).append(fl)
    return out


def _describe(fl: FlowLog, kind: str) -> str:
    state = "enabled" if fl.enabled is True else "disabled"
    ta = "traffic analytics on" if _ta(fl) else "no traffic analytics"
    return f"{kind} flow log '{fl.name or _short(fl.id)}' ({state}, {ta})"


def _subnet_cover(sn: Subnet, vnet_id: str, logs: dict[str, list[FlowLog]]) -> tuple[list[FlowLog], str]:
    """The enabled flow logs covering a subnet (subnet-level VNet flow logs, else its NSG's) and their kind."""
    sid = arm_key(sn.id) if sn.id else arm_key(f"{vnet_id}/subnets/{sn.name}")
    own = [fl for fl in logs.get(sid, ()) if fl.enabled is True]
    if own:
        return own, "subnet"
    nsg = sn.network_security_group.id if sn.network_security_group is not None else None
    if nsg:
        return [fl for fl in logs.get(arm_key(nsg), ()) if fl.enabled is True], "NSG"
    return [], ""


def mon002(ctx: CheckContext) -> Iterator[Outcome]:
    vnets = sorted(ctx.tenant.virtual_networks, key=lambda v: ((v.name or "").casefold(), v.id.lower()))
    if not vnets:
        yield Outcome("skip", ctx.tenant_resource, "no such resources: no virtual network")
        return
    logs = _flow_logs(ctx)
    remediation = ("Enable a virtual network flow log on the virtual network with traffic analytics to a Log "
                   "Analytics workspace (NSG flow logs retire on 30 September 2027).")
    for v in vnets:
        label = f"virtual network '{v.name or _short(v.id)}'"
        whole = logs.get(arm_key(v.id), [])
        on = [fl for fl in whole if fl.enabled is True]
        if on:
            with_ta = [fl for fl in on if _ta(fl)]
            shown = "; ".join(_describe(fl, "VNet") for fl in on)
            if with_ta:
                yield Outcome("pass", vnet_resource(v), f"{label}: {shown}")
            else:
                yield Outcome("fail", vnet_resource(v), f"{label}: {shown}: flow logs without traffic analytics",
                              "Enable traffic analytics on the flow log (a Log Analytics workspace).")
            continue
        workload = [sn for sn in v.subnets if (sn.name or "").casefold() not in SPECIAL_SUBNETS]
        off = "; ".join(_describe(fl, "VNet") for fl in whole)
        if not workload:
            yield Outcome("fail", vnet_resource(v), f"{label}: no enabled virtual network flow log"
                          + (f" ({off})" if off else ""), remediation)
            continue
        uncovered: list[str] = []
        no_ta: list[str] = []
        covered: list[str] = []
        nsg_based = False
        for sn in workload:
            cover, kind = _subnet_cover(sn, v.id, logs)
            name = sn.name or _short(sn.id)
            if not cover:
                uncovered.append(name)
            elif not any(_ta(fl) for fl in cover):
                no_ta.append(f"{name} ({'; '.join(_describe(fl, kind) for fl in cover)})")
            else:
                nsg_based = nsg_based or kind == "NSG"
                covered.append(f"{name} ({'; '.join(_describe(fl, kind) for fl in cover if _ta(fl))})")
        if uncovered:
            yield Outcome("fail", vnet_resource(v), f"{label}: no enabled flow log covers subnet(s) "
                          f"{', '.join(uncovered)} (no VNet flow log on the network, none on the subnet or its NSG)"
                          + (f"; without traffic analytics: {', '.join(no_ta)}" if no_ta else "")
                          + (f"; covered: {', '.join(covered)}" if covered else ""), remediation)
        elif no_ta:
            yield Outcome("fail", vnet_resource(v), f"{label}: flow logs without traffic analytics on subnet(s) "
                          f"{', '.join(no_ta)}" + (f"; covered: {', '.join(covered)}" if covered else ""),
                          "Enable traffic analytics on the flow logs (a Log Analytics workspace), or replace NSG "
                          "flow logs with a virtual network flow log with traffic analytics.")
        else:
            note = (" (NSG flow logs retire on 30 September 2027: migrate to virtual network flow logs)"
                    if nsg_based else "")
            yield Outcome("pass", vnet_resource(v), f"{label}: every workload subnet is covered with traffic "
                          f"analytics: {', '.join(covered)}{note}")


# --- ZT-MON-003 --------------------------------------------------------------------------------------------------


def mon003(ctx: CheckContext) -> Iterator[Outcome]:
    exported: dict[str, list[str]] = {c.casefold(): [] for c in _ENTRA_CATEGORIES}
    other: list[str] = []
    for s in sorted(ctx.tenant.entra_diagnostics, key=lambda s: (s.name or "", s.id)):
        name = s.name or _short(s.id)
        on = {lg.category.casefold() for lg in s.logs if lg.enabled is True and lg.category}
        if any(lg.enabled is True and (lg.category_group or "").casefold() == "alllogs" for lg in s.logs):
            on.update(exported)
        if not s.workspace_id:
            if on:
                other.append(f"'{name}' exports to a storage account or event hub only")
            continue
        for cat in exported:
            if cat in on:
                exported[cat].append(f"'{name}' -> workspace {_short(s.workspace_id)}")
    found = [f"{c}: {', '.join(exported[c.casefold()])}" for c in _ENTRA_CATEGORIES if exported[c.casefold()]]
    missing = [c for c in _ENTRA_CATEGORIES if not exported[c.casefold()]]
    tail = f" (also {'; '.join(other)})" if other else ""
    if not missing:
        yield Outcome("pass", ctx.tenant_resource, "Entra diagnostic settings export " + "; ".join(found) + tail)
        return
    have = f"; exported: {'; '.join(found)}" if found else ""
    yield Outcome("fail", ctx.tenant_resource,
                  f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not exported to a Log Analytics "
                  f"workspace by any Entra ID diagnostic setting{have}{tail}"
                  + ("" if ctx.tenant.entra_diagnostics else " (the tenant has no Entra ID diagnostic setting)"),
                  "In Microsoft Entra ID, Monitoring, Diagnostic settings, send SignInLogs and AuditLogs to the Log "
                  "Analytics workspace your SIEM reads.")
