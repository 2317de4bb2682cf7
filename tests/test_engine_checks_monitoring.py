"""ZT-MON-001..003 (visibility) on plain-data tenants, and on the bundled demo."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from tenants import make_tenant
from test_engine_checks_support import by_resource, one, run
from ztconsole.engine.checks import CheckContext, Finding, run_all
from ztconsole.model.network import AzureFirewall, DiagnosticSetting, FlowLog, NetworkWatcher, VirtualNetwork
from ztconsole.model.tenant import DataSetResult, Tenant, arm_key

SUB = "/subscriptions/11111111-1111-4111-8111-111111111111"
RG = f"{SUB}/resourceGroups/rg-net"
LAW = f"{SUB}/resourceGroups/rg-sec/providers/Microsoft.OperationalInsights/workspaces/law-sec"
FW = f"{RG}/providers/Microsoft.Network/azureFirewalls/afw-hub"
FW2 = f"{RG}/providers/Microsoft.Network/azureFirewalls/afw-dmz"
NW = f"{SUB}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope"
VNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/vnet-spoke"
NSG_APP = f"{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-app"
NSG_DATA = f"{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-data"


def diag(name: str, *, workspace: str | None = LAW, logs: list[dict[str, Any]] | None = None,
         dedicated: bool = True, storage: str | None = None, parent: str = FW) -> dict[str, Any]:
    props: dict[str, Any] = {"logs": logs if logs is not None else [{"categoryGroup": "allLogs", "enabled": True}]}
    if workspace:
        props["workspaceId"] = workspace
    if storage:
        props["storageAccountId"] = storage
    if dedicated:
        props["logAnalyticsDestinationType"] = "Dedicated"
    return {"id": f"{parent}/providers/microsoft.insights/diagnosticSettings/{name}", "name": name,
            "properties": props}


def flow_log(name: str, target: str, *, enabled: bool = True, ta: bool = True) -> dict[str, Any]:
    return {"id": f"{NW}/flowLogs/{name}", "name": name, "location": "westeurope",
            "properties": {"targetResourceId": target, "enabled": enabled,
                           "flowAnalyticsConfiguration": {"networkWatcherFlowAnalyticsConfiguration": {
                               "enabled": ta, "workspaceResourceId": LAW}}}}


def subnet(name: str, nsg: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"addressPrefix": "10.1.0.0/24"}
    if nsg:
        props["networkSecurityGroup"] = {"id": nsg}
    return {"id": f"{VNET}/subnets/{name}", "name": name, "properties": props}


def vnet(subnets: list[dict[str, Any]], oid: str = VNET) -> dict[str, Any]:
    return {"id": oid, "name": oid.rsplit("/", 1)[-1], "location": "westeurope",
            "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}, "subnets": subnets}}


def net(*, firewalls: tuple[str, ...] = (FW,), diagnostics: Mapping[str, list[dict[str, Any]]] | None = None,
        vnets: list[dict[str, Any]] | None = None, flow_logs: list[dict[str, Any]] | None = None,
        entra: list[dict[str, Any]] | None = None) -> Tenant:
    t = make_tenant()
    values: dict[str, Any] = {
        "firewalls": tuple(AzureFirewall.from_wire({"id": f, "name": f.rsplit("/", 1)[-1]}) for f in firewalls),
        "firewall_diagnostics": {arm_key(k): tuple(DiagnosticSetting.from_wire(d) for d in v)
                                 for k, v in (diagnostics if diagnostics is not None else
                                              {FW: [diag("to-law")]}).items()},
        "virtual_networks": tuple(VirtualNetwork.from_wire(v) for v in (
            vnets if vnets is not None else [vnet([subnet("snet-app", NSG_APP), subnet("AzureFirewallSubnet")])])),
        "network_watchers": (NetworkWatcher.from_wire({"id": NW, "name": "NetworkWatcher_westeurope"}),),
        "flow_logs": {arm_key(NW): tuple(FlowLog.from_wire(f) for f in (
            flow_logs if flow_logs is not None else [flow_log("fl-vnet", VNET)]))},
        "entra_diagnostics": tuple(DiagnosticSetting.from_wire(d) for d in (entra if entra is not None else [
            diag("entra", parent="/providers/microsoft.aadiam",
                 logs=[{"category": "SignInLogs", "enabled": True}, {"category": "AuditLogs", "enabled": True}])])),
    }
    for key, value in values.items():
        t.results[key] = DataSetResult(key, "ok", value)
    return t


# --- ZT-MON-001 --------------------------------------------------------------------------------------------------


def test_mon001_pass_and_fail_per_firewall() -> None:
    t = net(firewalls=(FW, FW2))
    found = by_resource(run(t, "ZT-MON-001"))
    assert found[FW].status == "pass" and "law-sec" in found[FW].evidence
    assert "resource-specific tables" in found[FW].evidence
    assert found[FW2].status == "fail" and "no diagnostic setting" in found[FW2].evidence


def test_mon001_firewall_ids_match_case_insensitively() -> None:
    t = net(diagnostics={FW.lower(): [diag("to-law", dedicated=False)]})
    f = one(t, "ZT-MON-001")
    assert f.status == "pass" and "AzureDiagnostics" in f.evidence


@pytest.mark.parametrize(("setting", "words"), [
    (diag("to-storage", workspace=None, storage=f"{SUB}/x/storageAccounts/st"), "storage account"),
    (diag("nothing-on", logs=[{"category": "AZFWNetworkRule", "enabled": False}]), "enables no log category"),
])
def test_mon001_fails_without_logs_to_a_workspace(setting: dict[str, Any], words: str) -> None:
    f = one(net(diagnostics={FW: [setting]}), "ZT-MON-001")
    assert f.status == "fail" and words in f.evidence


def test_mon001_skips_without_firewalls() -> None:
    f = one(net(firewalls=(), diagnostics={}), "ZT-MON-001")
    assert f.status == "skip" and "no Azure Firewall" in f.evidence


# --- ZT-MON-002 --------------------------------------------------------------------------------------------------


def test_mon002_vnet_flow_log_with_traffic_analytics_passes() -> None:
    f = one(net(), "ZT-MON-002")
    assert f.status == "pass" and f.resource.id == VNET and "fl-vnet" in f.evidence


def test_mon002_vnet_flow_log_without_traffic_analytics_fails() -> None:
    f = one(net(flow_logs=[flow_log("fl-vnet", VNET, ta=False)]), "ZT-MON-002")
    assert f.status == "fail" and "without traffic analytics" in f.evidence


def test_mon002_disabled_flow_log_does_not_count() -> None:
    f = one(net(flow_logs=[flow_log("fl-vnet", VNET, enabled=False)]), "ZT-MON-002")
    assert f.status == "fail" and "snet-app" in f.evidence


def test_mon002_nsg_flow_logs_cover_each_workload_subnet() -> None:
    vnets = [vnet([subnet("snet-app", NSG_APP), subnet("snet-data", NSG_DATA), subnet("GatewaySubnet")])]
    both = net(vnets=vnets, flow_logs=[flow_log("fl-app", NSG_APP), flow_log("fl-data", NSG_DATA.upper())])
    f = one(both, "ZT-MON-002")
    assert f.status == "pass" and "retire" in f.evidence  # NSG flow logs retire on 30 September 2027
    one_missing = one(net(vnets=vnets, flow_logs=[flow_log("fl-app", NSG_APP)]), "ZT-MON-002")
    assert one_missing.status == "fail" and "snet-data" in one_missing.evidence
    no_ta = one(net(vnets=vnets, flow_logs=[flow_log("fl-app", NSG_APP), flow_log("fl-data", NSG_DATA, ta=False)]),
                "ZT-MON-002")
    assert no_ta.status == "fail" and "without traffic analytics" in no_ta.evidence


def test_mon002_subnet_level_vnet_flow_log_counts() -> None:
    vnets = [vnet([subnet("snet-app")])]
    f = one(net(vnets=vnets, flow_logs=[flow_log("fl-subnet", f"{VNET}/subnets/snet-app")]), "ZT-MON-002")
    assert f.status == "pass"


def test_mon002_special_subnets_only_need_a_vnet_flow_log() -> None:
    vnets = [vnet([subnet("AzureFirewallSubnet"), subnet("GatewaySubnet")])]
    assert one(net(vnets=vnets, flow_logs=[]), "ZT-MON-002").status == "fail"
    assert one(net(vnets=vnets), "ZT-MON-002").status == "pass"


def test_mon002_skips_without_virtual_networks() -> None:
    f = one(net(vnets=[], flow_logs=[]), "ZT-MON-002")
    assert f.status == "skip" and "no virtual network" in f.evidence


# --- ZT-MON-003 --------------------------------------------------------------------------------------------------

AAD = "/providers/microsoft.aadiam"


def test_mon003_sign_in_and_audit_logs_to_a_workspace_pass() -> None:
    f = one(net(), "ZT-MON-003")
    assert f.status == "pass" and "SignInLogs" in f.evidence and "AuditLogs" in f.evidence


def test_mon003_split_across_settings_and_all_logs_group_pass() -> None:
    split = [diag("signins", parent=AAD, logs=[{"category": "SignInLogs", "enabled": True}]),
             diag("audit", parent=AAD, logs=[{"category": "AuditLogs", "enabled": True}])]
    assert one(net(entra=split), "ZT-MON-003").status == "pass"
    group = [diag("all", parent=AAD, logs=[{"categoryGroup": "allLogs", "enabled": True}])]
    assert one(net(entra=group), "ZT-MON-003").status == "pass"


def test_mon003_fails() -> None:
    only_signins = [diag("signins", parent=AAD, logs=[{"category": "SignInLogs", "enabled": True},
                                                      {"category": "AuditLogs", "enabled": False}])]
    f = one(net(entra=only_signins), "ZT-MON-003")
    assert f.status == "fail" and f.evidence.startswith("AuditLogs is not exported")
    storage = [diag("archive", parent=AAD, workspace=None, storage=f"{SUB}/x/storageAccounts/st",
                    logs=[{"category": "SignInLogs", "enabled": True}, {"category": "AuditLogs", "enabled": True}])]
    f = one(net(entra=storage), "ZT-MON-003")
    assert f.status == "fail" and "storage account or event hub only" in f.evidence
    f = one(net(entra=[]), "ZT-MON-003")
    assert f.status == "fail" and "no Entra ID diagnostic setting" in f.evidence


def test_mon003_forbidden_is_skipped_by_the_framework() -> None:
    t = net()
    t.results["entra_diagnostics"] = DataSetResult("entra_diagnostics", "forbidden", None, message="403")
    f = one(t, "ZT-MON-003")
    assert f.status == "skip" and "Security Reader" in f.evidence


# --- the bundled demo ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_findings() -> list[Finding]:
    from ztconsole.demo import demo_dir
    from ztconsole.tenantdir.reader import load_tenant

    return [f for f in run_all(CheckContext(load_tenant(demo_dir()), source_args=("--demo",)))
            if f.check.startswith("ZT-MON-")]


def _of(findings: list[Finding], check: str) -> dict[str, str]:
    return {f.resource.name: f.status for f in findings if f.check == check}


def test_demo_mon_flaws_fail_and_good_configurations_pass(demo_findings: list[Finding]) -> None:
    assert _of(demo_findings, "ZT-MON-001") == {"afw-hub-weu": "pass", "afw-legacy-dmz-weu": "fail"}
    mon2 = _of(demo_findings, "ZT-MON-002")
    assert mon2["vnet-hub-weu"] == mon2["vnet-spoke-sap-weu"] == "pass"
    assert mon2["vnet-spoke-data-weu"] == mon2["vnet-spoke-web-weu"] == "fail"
    data = next(f for f in demo_findings if f.resource.name == "vnet-spoke-data-weu")
    assert "NSG flow log" in data.evidence and "no traffic analytics" in data.evidence
    assert _of(demo_findings, "ZT-MON-003") == {"Contoso": "pass"}
