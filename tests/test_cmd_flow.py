"""``ztconsole flow`` through the command line on the demo tenant (CONTRACTS §2, §5a)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ztconsole.cli import run

SQL_APP = "9800c205-3018-5194-8915-8c233eacddd4"  # PA - SQL Data Platform
CA017 = "42ddfe52-4afc-559c-8afb-d76fcb34c1af"  # PrivateAccess-Apps-RequireMFA-CompliantDevice


def flow(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["flow", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def flow_json(*argv: str) -> dict[str, Any]:
    code, out, err = flow("--demo", "--json", *argv)
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


def layers(doc: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(s["layer"], s["action"], s["rule"]) for s in doc["path"]]


def test_spoke_to_spoke_through_the_hub_firewall_is_denied_by_the_destination_nsg() -> None:
    doc = flow_json("--src", "10.1.1.4", "--dst", "10.3.1.10", "--port", "1433")
    assert list(doc) == ["flow", "verdict", "decidedBy", "path", "privateAccess", "incomplete"]
    assert doc["flow"] == {"src": "10.1.1.4", "dst": "10.3.1.10", "port": 1433, "protocol": "tcp"}
    assert layers(doc) == [("nsg-outbound", "allow", None), ("route", "nextHop", "default-to-firewall"),
                           ("firewall", "allow", "Allow-SAP-To-DataPlatform"),
                           ("nsg-inbound", "deny", "DenyAllInbound")]
    assert doc["verdict"] == "deny"
    assert doc["decidedBy"]["layer"] == "nsg-inbound" and doc["decidedBy"]["rule"] == "DenyAllInbound"
    assert doc["decidedBy"]["resource"]["name"] == "nsg-snet-data-weu"
    assert doc["incomplete"] == []
    sql = [m for m in doc["privateAccess"] if m["appId"] == SQL_APP]
    assert sql and CA017 in sql[0]["policies"] and set(sql[0]) == {"appId", "appName", "segmentId", "policies"}


def test_peered_spokes_talk_directly_and_the_destination_nsg_allows() -> None:
    doc = flow_json("--src", "10.2.1.4", "--dst", "10.3.1.10", "--port", "1433")
    assert doc["verdict"] == "allow"
    assert layers(doc)[1] == ("route", "nextHop", None) and "VNetPeering" in doc["path"][1]["detail"]
    assert doc["decidedBy"] == {"layer": "nsg-inbound", "resource": doc["path"][-1]["resource"],
                                "rule": "Allow-SQL-From-Web-And-Api"}


def test_a_p2s_client_goes_through_the_gateway_subnet_route_table_and_the_firewall() -> None:
    doc = flow_json("--src", "172.16.201.5", "--dst", "10.3.1.10", "--port", "1433")
    assert [s["layer"] for s in doc["path"]] == ["route", "firewall", "nsg-inbound"]
    assert doc["path"][0]["resource"]["name"] == "rt-gatewaysubnet-weu"
    assert doc["verdict"] == "allow" and doc["decidedBy"]["rule"] == "Allow-VPN-P2S-Users"


def test_a_name_is_matched_against_private_access_segments_and_the_human_output_fits_80_columns() -> None:
    doc = flow_json("--src", "10.1.1.4", "--dst", "sap-prd.corp.contoso.com", "--port", "3200")
    assert {m["appName"] for m in doc["privateAccess"]} >= {"PA - SAP GUI (Production)"}
    assert doc["decidedBy"]["layer"] == "route" and doc["decidedBy"]["rule"] is None
    code, out, _ = flow("--demo", "--src", "10.1.1.4", "--dst", "10.3.1.10", "--port", "1433")
    assert code == 0 and "Verdict: DENY" in out and "PA - SQL Data Platform" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    # a person is not told a name is denied: the path was not traced
    code, out, _ = flow("--demo", "--src", "10.1.1.4", "--dst", "sap-prd.corp.contoso.com", "--port", "3200")
    assert code == 0 and "Verdict: no network path traced" in out and "Verdict: DENY" not in out


@pytest.mark.parametrize(("argv", "option"), [
    (["--src", "10.1.1.x", "--dst", "10.3.1.10", "--port", "1433"], "--src"),
    (["--src", "10.1.1.4", "--dst", "not a host!", "--port", "1433"], "--dst"),
    (["--src", "10.1.1.4", "--dst", "10.3.1.10", "--port", "70000"], "--port"),
    (["--src", "10.1.1.4", "--dst", "10.3.1.10", "--port", "1433", "--protocol", "icmp"], "--protocol"),
])
def test_bad_values_exit_2_naming_the_option(argv: list[str], option: str) -> None:
    code, out, err = flow("--demo", *argv)
    assert code == 2 and out == "" and option in err


def test_incomplete_data_exits_3_unless_allow_partial(tmp_path: Path) -> None:
    from ztconsole.demo import demo_dir

    copy = tmp_path / "t"
    shutil.copytree(demo_dir(), copy)
    toml = copy / "tenant.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[datasets."graph/beta/applications"]\nstatus = "partial"\n'
                    'message = "page 2 failed"\n', encoding="utf-8")
    argv = ["--tenant-dir", str(copy), "--src", "10.2.1.4", "--dst", "10.3.1.10", "--port", "1433"]
    code, out, err = flow(*argv)
    assert code == 3 and out == "" and "applications" in err
    code, out, err = flow(*argv, "--json", "--allow-partial")
    assert code == 0
    doc = json.loads(out)
    assert [i["dataSet"] for i in doc["incomplete"]] == ["graph/beta/applications"]
    code, out, _ = flow(*argv, "--allow-partial")
    assert code == 0 and out.startswith("INCOMPLETE")
