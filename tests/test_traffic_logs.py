"""The Global Secure Access traffic log as a data set (``traffic_logs``, Graph beta ``networkAccess/logs/traffic``):
the catalogue entry, the model (the documented example payload included), the demo's log, the emulator serving
it in pages through the real Graph adapter, and the rollout inventory reading it as flow evidence."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from ztconsole.datasets import BY_KEY
from ztconsole.demo import demo_dir
from ztconsole.emulator import Emulator, EmulatorTransport
from ztconsole.engine.rollout.inventory import flows_from_traffic_logs, propose_segments, vpn_reach
from ztconsole.model.access import NetworkAccessTraffic
from ztconsole.model.tenant import Tenant
from ztconsole.model.wire import WireError, WireNote
from ztconsole.sources.graph import GraphReader
from ztconsole.sources.static_token import StaticTokenCredential
from ztconsole.tenantdir import load_tenant

TOKEN = "t0ken-for-tests"
DS = BY_KEY["traffic_logs"]

#: the first entry of the documented example response (Graph reference, "List networkAccessTraffic", beta):
#: its values are the example's, "TCP", "IPv4" and "allowed" included, with its policyRule/policy objects
LEARN_ENTRY: dict[str, Any] = {
    "tenantId": "cb9af522-39fe-4056-b879-e3200ff37b3d",
    "createdDateTime": "2023-03-06T07:58:46.8346145Z",
    "transactionId": "20221208T213303Z-gnwuk8cd9h2wvbnm4cq7banegs0000000080000000001m9x",
    "connectionId": "6+Cy7aaBT+aGV+Ds.1",
    "sessionId": "",
    "trafficType": "microsoft365",
    "deviceCategory": "client",
    "destinationIp": "100.64.0.239",
    "destinationPort": 443,
    "destinationFQDN": "oneozco.sharepoint.com",
    "sourceIp": "20.51.192.19",
    "sourcePort": 63391,
    "deviceOperatingSystem": "Windows 10 Pro",
    "deviceOperatingSystemVersion": "10.0.19044",
    "agentVersion": "1.5.233",
    "deviceId": "46bba529-d081-4cec-883b-4023b9bde1e0",
    "userId": "ef147e40-db4c-40e4-9e63-f254f576421f",
    "userPrincipalName": "user1@microsoft.com",
    "transportProtocol": "TCP",
    "networkProtocol": "IPv4",
    "action": "allowed",
    "policyRule": {"@odata.type": "microsoft.graph.networkaccess.policyRule",
                   "id": "11111-c507-4b11-8e9b-236e79b04279"},
    "policy": {"@odata.type": "microsoft.graph.networkaccess.policy", "id": "fbea3325-6cc8-46e9-8c61-0451d96a1c02"},
    "sentBytes": 1500,
    "receivedBytes": 1000,
    "headers": {"referrer": "process", "origin": "https://developer.mozilla.org", "xForwardedFor": "incentivize"},
}


@cache
def demo() -> Tenant:
    return load_tenant(demo_dir())


def recorded() -> list[dict[str, Any]]:
    return json.loads((demo_dir() / DS.file_path()).read_text(encoding="utf-8"))


# --- catalogue and model --------------------------------------------------------------------------------------


def test_the_catalogue_entry() -> None:
    assert (DS.title, DS.api, DS.version, DS.path, DS.shape, DS.pane) == (
        "Global Secure Access traffic logs", "graph", "beta", "networkAccess/logs/traffic", "collection", "pa")
    assert DS.optional and not DS.per_item and not DS.per_subscription
    assert DS.file_path() == "graph/beta/networkAccess/logs/traffic.json"
    assert DS.permission == "NetworkAccess-Reports.Read.All"  # least privileged, Graph reference (list traffic)
    assert DS.model_class() is NetworkAccessTraffic
    assert Tenant.traffic_logs.key == "traffic_logs"


def test_the_documented_example_parses_with_its_values_kept() -> None:
    notes: list[WireNote] = []
    entry = NetworkAccessTraffic.from_wire(LEARN_ENTRY, ("value", 0), notes)
    assert (entry.transaction_id, entry.traffic_type, entry.destination_fqdn, entry.destination_ip,
            entry.destination_port, entry.source_port, entry.sent_bytes) == (
        LEARN_ENTRY["transactionId"], "microsoft365", "oneozco.sharepoint.com", "100.64.0.239", 443, 63391, 1500)
    assert entry.created_date_time is not None and entry.created_date_time.year == 2023
    # values the documented enums do not list are kept as sent, and noted
    assert (entry.transport_protocol, entry.network_protocol, entry.action) == ("TCP", "IPv4", "allowed")
    assert {n.path[-1] for n in notes} == {"transportProtocol", "networkProtocol", "action"}
    assert not entry.is_private and not entry.is_blocked
    assert entry.headers["origin"] == "https://developer.mozilla.org"
    assert entry.unknown("policy")["id"] == "fbea3325-6cc8-46e9-8c61-0451d96a1c02"
    # back to the wire as it came (the timestamp to the microsecond)
    assert entry.to_wire() == {**LEARN_ENTRY, "createdDateTime": "2023-03-06T07:58:46.834614Z"}


def test_traffic_type_and_action_in_any_case_and_the_application_snapshot() -> None:
    entry = NetworkAccessTraffic.from_wire({"trafficType": "Private", "action": "Block",
                                            "applicationSnapshot": {"appId": "a1"}})
    assert entry.is_private and entry.is_blocked
    assert entry.application_snapshot is not None and entry.application_snapshot.app_id == "a1"
    assert NetworkAccessTraffic.from_wire({}).transaction_id is None  # nothing is required


def test_a_malformed_entry_names_its_property() -> None:
    with pytest.raises(WireError) as caught:
        NetworkAccessTraffic.from_wire({"transactionId": "t", "destinationPort": "443"}, ("value", 7))
    assert caught.value.path == ("value", 7, "destinationPort")


# --- the demo's log -------------------------------------------------------------------------------------------


def test_the_demo_log_loads_completely() -> None:
    tenant = demo()
    assert tenant.status("traffic_logs") == "ok"
    assert tenant.results["traffic_logs"].issues == []
    logs = tenant.traffic_logs
    assert len(logs) == len(recorded()) and all(isinstance(e, NetworkAccessTraffic) for e in logs)


def test_the_demo_log_is_private_traffic_of_the_last_14_days_with_some_microsoft_365() -> None:
    tenant = demo()
    logs = tenant.traffic_logs
    now = tenant.info.captured_at
    assert now is not None
    private = [e for e in logs if e.is_private]
    others = [e for e in logs if not e.is_private]
    assert len(private) >= 200 and len(others) >= 20
    assert {e.traffic_type for e in others} == {"microsoft365"}  # the Internet Access profile is disabled
    assert all(now - timedelta(days=14) <= e.created_date_time <= now for e in logs if e.created_date_time)
    assert [e.created_date_time for e in logs] == sorted((e.created_date_time for e in logs), reverse=True)
    assert len({e.transaction_id for e in logs}) == len(logs)
    blocked = [e for e in private if e.is_blocked]
    assert 1 <= len(blocked) <= 5
    # every entry is a known user's, on the Windows GSA client
    assert all(e.user_id in tenant.users_by_id for e in logs)
    assert all(tenant.users_by_id[e.user_id].user_principal_name == e.user_principal_name for e in logs)
    # some destinations by FQDN (with their address), some by address only
    assert any(e.destination_fqdn for e in private) and any(not e.destination_fqdn for e in private)
    assert all(e.destination_ip for e in logs)
    # attributed to the Private Access apps of the tenant
    pa_apps = {sp.app_id for sp in tenant.service_principals if sp.is_private_access}
    assert {e.application_snapshot.app_id for e in private if e.application_snapshot} <= pa_apps


def test_the_demo_log_is_the_evidence_of_the_rollout_inventory() -> None:
    tenant = demo()
    parsed = flows_from_traffic_logs(tenant.traffic_logs)
    assert parsed.problems == ()
    assert len(parsed.flows) == sum(1 for e in tenant.traffic_logs if e.is_private)
    assert sum(f.source.endswith("(blocked)") for f in parsed.flows) == sum(e.is_blocked for e in tenant.traffic_logs)
    proposal = propose_segments(vpn_reach(tenant), parsed.flows)
    by_host = {a.destination_host: a for a in proposal.apps}
    sql = {(s.protocol, s.port_text): s for s in by_host["sql-prd.corp.contoso.com"].segments}
    assert any("Allow-VPN-P2S-Users" in rule for rule in sql["tcp", "1433"].admitted_by)
    assert {"jump01.corp.contoso.com", "10.3.1.11", "10.1.3.5", "10.0.3.4"} <= set(by_host)
    assert [s.admitted_by for s in by_host["10.0.3.4"].segments] == [()]  # DNS: no rule admits the pool
    # the on-premises file servers are not behind the VPN gateway
    outside = {f.dst_fqdn for f in proposal.outside}
    assert {"fs01.corp.contoso.com", "fs02.corp.contoso.com"} <= outside
    assert not any(a.destination_host.startswith("fs0") for a in proposal.apps)


# --- the emulator serves it in pages, through the real Graph adapter ------------------------------------------


@pytest.mark.usefixtures("no_sdk_jitter")
async def test_the_emulator_serves_the_log_in_pages_through_the_graph_adapter(tmp_path: Path) -> None:
    emu = Emulator(demo_dir(), token=TOKEN, page_size=100)
    async with httpx.AsyncClient(transport=EmulatorTransport(emu)) as http:
        async with GraphReader(http, StaticTokenCredential(TOKEN), retry_delay=0.0, max_retries=0) as reader:
            pages = [page async for page in reader.collection(DS)]
    want = recorded()
    assert [len(p) for p in pages] == [100] * (len(want) // 100) + [len(want) % 100]
    assert [item for page in pages for item in page] == want
    served = [r for r in emu.requests if r.path == "/beta/networkAccess/logs/traffic"]
    assert len(served) == len(pages)
    assert sum("$skiptoken" in r.query for r in served) == len(pages) - 1


async def test_a_tenant_without_the_log_has_none(tmp_path: Path) -> None:
    """An optional data set: a recording without the file is a tenant with no traffic log, read as such."""
    from ztconsole.sources.loader import Loader
    from ztconsole.sources.stack import open_recording

    (tmp_path / "tenant.toml").write_text(
        'format = 1\n[tenant]\nid = "00000000-0000-0000-0000-000000000001"\ndisplay_name = "Tiny"\n'
        '[capture]\ncaptured_at = "2026-11-22T10:00:00Z"\nsource = "synthetic"\n', encoding="utf-8")
    async with await open_recording(tmp_path, keys=["traffic_logs"]) as stack:
        tenant = await Loader(stack.readers, stack.info, options=stack.options).load(["traffic_logs"])
    assert tenant.status("traffic_logs") == "ok"  # read completely: there is none
    assert tenant.traffic_logs == ()
    assert flows_from_traffic_logs(tenant.traffic_logs).flows == ()


async def test_the_loader_reads_the_demo_log_through_the_emulator() -> None:
    from ztconsole.sources.loader import Loader
    from ztconsole.sources.stack import open_recording

    async with await open_recording(demo_dir(), page_size=50, keys=["traffic_logs"]) as stack:
        tenant = await Loader(stack.readers, stack.info, options=stack.options).load(["traffic_logs"])
    assert tenant.status("traffic_logs") == "ok"
    # the model writes no null property back
    assert [e.to_wire() for e in tenant.traffic_logs] == [
        {k: v for k, v in item.items() if v is not None} for item in recorded()]


def test_flows_take_the_services_values_in_any_case() -> None:
    """The documented example writes "TCP" and "IPv4": a private entry so written is a TCP flow."""
    entry = NetworkAccessTraffic.from_wire({**LEARN_ENTRY, "trafficType": "Private", "action": "Block",
                                            "destinationFQDN": "SQL-PRD.corp.contoso.com", "destinationIp": "10.3.1.10",
                                            "destinationPort": 1433})
    [flow] = flows_from_traffic_logs([entry], "log").flows
    assert (flow.protocol, flow.port, flow.dst_fqdn, flow.dst_ip, flow.src) == (
        "tcp", 1433, "sql-prd.corp.contoso.com", "10.3.1.10", "20.51.192.19")
    assert flow.source == f"log {LEARN_ENTRY['transactionId']} (blocked)"
