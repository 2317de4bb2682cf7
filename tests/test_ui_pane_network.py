"""The Network pane: firewalls and policies, a policy's rule book (flags, covering rule), NSGs and their rules,
routes, the flow tracer, the ``/`` filter, Esc back, incomplete data sets and hostile names."""

from __future__ import annotations

import asyncio
import io
import json
import shlex
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Input, Static

from conftest import copy_demo
from test_ui_first_screen import screen_text
from ztconsole.demo import demo_dir
from ztconsole.engine.network.firewall import FirewallRuleBook
from ztconsole.tenantdir import TenantDir
from ztconsole.ui import header
from ztconsole.ui.app import ZtApp
from ztconsole.ui.notice import DataNotice
from ztconsole.ui.panes.data import DataPane
from ztconsole.ui.panes.network import NetworkPane, flow_command, parse_flow
from ztconsole.ui.panes.network_screens import NetDetailsScreen
from ztconsole.ui.vtable import VirtualTable

SIZE = (120, 40)
SUB = "1b4e2c8a-7d3f-4a6b-9c5e-2f8d1a7b3e90"
NET = f"arm/subscriptions/{SUB}/providers/Microsoft.Network"
HUB_RG = f"arm/subscriptions/{SUB}/resourceGroups/rg-connectivity-hub-weu/providers/Microsoft.Network"
HUB_POLICY = "afwp-contoso-hub-weu"


class NetworkApp(ZtApp):
    PANES = (NetworkPane, DataPane)


def make_app(path: Path | None = None) -> NetworkApp:
    return NetworkApp(TenantDir.open(path or demo_dir()), badge="DEMO", clock=lambda: 0.0)


def pane_of(app: ZtApp) -> NetworkPane:
    pane = app.screen_stack[0]
    assert isinstance(pane, NetworkPane)
    return pane


async def until(pilot: Any, condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.02)
    await pilot.pause()


def table(app: ZtApp, table_id: str) -> VirtualTable:
    return pane_of(app).query_one(f"#{table_id}", VirtualTable)


async def ready(app: ZtApp, pilot: Any) -> NetworkPane:
    await asyncio.wait_for(app.loaded.wait(), 20)
    await until(pilot, lambda: table(app, "fw-table").row_count > 0)
    return pane_of(app)


def cells(t: VirtualTable, key: str) -> list[str]:
    row = t.row(key)
    assert row is not None
    return [c.plain if hasattr(c, "plain") else (c or "") for c in row.cells]  # type: ignore[union-attr]


def rendered(widget: Static) -> str:
    """What a Static shows, as plain text (all of it, scrolled out of view or not)."""
    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return console.export_text()


def key_of(t: VirtualTable, column: int, value: str) -> str:
    for key in t.shown_keys():
        if cells(t, key)[column] == value:
            return key
    raise AssertionError(f"no row with {value!r}")


# --- firewalls and a policy's rules ------------------------------------------------------------------


async def test_firewalls_view_lists_firewalls_and_policies_with_their_findings() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        fw = table(app, "fw-table")
        rows = {cells(fw, k)[1]: cells(fw, k) for k in fw.shown_keys()}
        assert set(rows) == {"afw-hub-weu", "afw-legacy-dmz-weu", "afwp-contoso-parent-premium", HUB_POLICY,
                             "afwp-contoso-dev-standard"}
        hub = rows[HUB_POLICY]
        assert hub[0] == "policy" and hub[2] == "Premium" and hub[3] == "Deny" and hub[4] == "Deny"
        assert hub[6] == "parent afwp-contoso-parent-premium"
        assert "fail" in hub[8]
        assert rows["afwp-contoso-dev-standard"][3] == "Off"  # ZT-NET-001 fails there
        assert rows["afw-legacy-dmz-weu"][6] == "classic rules"  # ZT-NET-015
        # the detail line under the table shows the highlighted row's findings
        fw.move_to(key_of(fw, 1, "afwp-contoso-dev-standard"))
        await pilot.pause()
        detail = rendered(pane_of(app).query_one("#fw-detail", Static))
        assert "ZT-NET-001" in detail and "threatIntelMode is Off" in detail


async def test_enter_on_a_policy_opens_its_rules_in_processing_order_with_flags_and_esc_goes_back() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        fw = table(app, "fw-table")
        fw.move_to(key_of(fw, 1, HUB_POLICY))
        await pilot.press("enter")
        rules = table(app, "rules-table")
        await until(pilot, lambda: rules.row_count > 0)
        assert pane.view is not None and pane.view.startswith("rules ")
        # the engine's processing order: parent first within each type, DNAT, then network, then application
        tenant = TenantDir.open(demo_dir()).load()
        policy = next(p for p in tenant.firewall_policies if p.name == HUB_POLICY)
        flat = FirewallRuleBook(tenant.firewall_policies, tenant.rule_collection_groups,
                                tenant.ip_groups).flatten(policy.id)
        names = [cells(rules, k)[3] for k in rules.shown_keys()]
        assert names == [r.name for r in flat.rules]
        kinds = [cells(rules, k)[1] for k in rules.shown_keys()]
        assert kinds == sorted(kinds, key=["DNAT", "net", "app"].index)
        flags = {cells(rules, k)[3]: cells(rules, k)[8] for k in rules.shown_keys()}
        assert "ANY-ANY" in flags["TEMP-AllowAll-Troubleshooting"]
        assert flags["Deny-HTTP-To-Internet"].startswith("SHADOWED #")
        assert flags["Allow-Web01-To-SQL"].startswith("REDUNDANT #")
        assert "inherited" in flags["Allow-WindowsUpdate"]
        # c: to the covering rule
        shadowed = key_of(rules, 3, "Deny-HTTP-To-Internet")
        covering = int(flags["Deny-HTTP-To-Internet"].split("#")[1].split()[0])
        rules.move_to(shadowed)
        await pilot.pause()
        assert "(c: go to it)" in rendered(pane.query_one("#rules-detail", Static))
        await pilot.press("c")
        assert cells(rules, rules.cursor_key or "")[0] == str(covering)
        # Enter: the rule whole, with the rule that covers it
        rules.move_to(shadowed)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NetDetailsScreen)
        shown = rendered(app.screen.query_one("#net-details", Static))
        assert "Deny-HTTP-To-Internet" in shown and f"Covering rule #{covering}" in shown
        assert "ZT-NET-006" in shown
        await pilot.press("escape")  # the dialog
        assert app.screen is pane
        await pilot.press("escape")  # back up to the firewalls
        await pilot.pause()
        assert pane.query_one("#net-switcher").current == "firewalls"  # type: ignore[attr-defined]
        assert fw.cursor_key == key_of(fw, 1, HUB_POLICY)


async def test_filter_narrows_the_rules_and_esc_clears_it() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        fw = table(app, "fw-table")
        fw.move_to(key_of(fw, 1, HUB_POLICY))
        await pilot.press("enter")
        rules = table(app, "rules-table")
        await until(pilot, lambda: rules.row_count > 0)
        await pilot.press("slash", *"shadowed", "enter")
        await pilot.pause()
        assert 0 < rules.shown_count < rules.row_count
        assert all("SHADOWED" in cells(rules, k)[8] for k in rules.shown_keys())
        assert pane.filter_target() is rules
        await pilot.press("escape")
        await pilot.pause()
        assert rules.shown_count == rules.row_count


# --- views, aliases, keys ------------------------------------------------------------------------------


async def test_keys_and_aliases_switch_views_and_esc_walks_back() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        switcher: Any = pane.query_one("#net-switcher")
        await pilot.press("n")
        assert switcher.current == "nsgs" and pane.view == "nsgs"
        await pilot.press("o")
        assert switcher.current == "routes"
        app.go("network", "flow")
        await pilot.pause()
        assert switcher.current == "flow"
        assert isinstance(app.focused, Input)  # the form takes the keys
        await pilot.press("escape")
        await pilot.pause()
        assert switcher.current == "routes"
        await pilot.press("escape")
        await pilot.pause()
        assert switcher.current == "nsgs"
    assert NetworkPane.VIEWS == {"fw": "firewalls", "nsg": "nsgs", "routes": "routes", "flow": "flow"}
    assert set(NetworkPane.ALIASES) == {"network", "net", "fw", "nsg", "routes", "flow"}


async def test_the_command_bar_opens_each_view_in_the_whole_console() -> None:
    app = ZtApp(TenantDir.open(demo_dir()), badge="DEMO", clock=lambda: 0.0)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.loaded.wait(), 20)
        for alias, shown in (("fw", "firewalls"), ("nsg", "nsgs"), ("routes", "routes"), ("net", "routes"),
                             ("flow", "flow")):
            if isinstance(app.focused, Input) and app.focused.id and app.focused.id.startswith("flow-"):
                await pilot.press("escape")  # leave the form (Esc goes back) before typing a command
                await pilot.pause()
            await pilot.press("colon", *alias, "enter")
            await pilot.pause()
            pane = pane_of(app)
            assert pane.query_one("#net-switcher").current == shown, alias  # type: ignore[attr-defined]
        assert "Network: flow" in screen_text(app).splitlines()[2]


# --- NSGs and routes -----------------------------------------------------------------------------------


async def test_nsgs_and_their_rules_marked_where_findings_name_them() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        await pilot.press("n")
        nsgs = table(app, "nsg-table")
        await until(pilot, lambda: nsgs.row_count == 9)
        jump = key_of(nsgs, 0, "nsg-snet-jumphost-weu")
        row = cells(nsgs, jump)
        assert row[1] == "snet-jumphost" and row[4] == "fail"  # ZT-NET-007
        nsgs.move_to(jump)
        await pilot.press("enter")
        rules = table(app, "nsg-rules-table")
        await until(pilot, lambda: rules.row_count > 0)
        listed = [cells(rules, k) for k in rules.shown_keys()]
        inbound = [r for r in listed if r[0] == "inb"]
        assert [int(r[1]) for r in inbound] == sorted(int(r[1]) for r in inbound)
        assert {"AllowVnetInBound", "DenyAllInBound", "DenyAllOutBound"} <= {r[2] for r in listed}
        rdp = next(r for r in listed if r[2] == "Allow-RDP-Internet")
        assert "007 fail" in rdp[9]
        assert "default" in next(r for r in listed if r[2] == "DenyAllInBound")[9]
        rules.move_to(key_of(rules, 2, "Allow-RDP-Internet"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NetDetailsScreen)
        assert "management ports are reachable from the Internet" in rendered(app.screen.query_one("#net-details",
                                                                                                   Static))
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert pane.query_one("#net-switcher").current == "nsgs"  # type: ignore[attr-defined]


async def test_routes_show_each_subnets_default_hop_and_findings() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("o")
        routes = table(app, "route-table")
        await until(pilot, lambda: routes.row_count > 0)
        sap = cells(routes, key_of(routes, 1, "snet-sap-app"))
        assert sap[3] == "spoke" and sap[4].startswith("firewall afw-hub-weu (10.0.1.4)") and sap[6] == "pass"
        api = cells(routes, key_of(routes, 1, "snet-api"))
        assert api[5] == "-" and api[7] == "fail"  # ZT-NET-011: no NSG
        assert api[6] == "fail"  # ZT-NET-009 of vnet-spoke-web-weu
        routes.move_to(key_of(routes, 1, "snet-api"))
        await pilot.press("d")
        await pilot.pause()
        shown = rendered(app.screen.query_one("#net-details", Static))
        assert "Effective routes" in shown and "0.0.0.0/0" in shown and "peer-spoke-web-to-hub" in shown


# --- the flow tracer -----------------------------------------------------------------------------------


async def test_flow_form_traces_a_flow_and_gives_the_command_line() -> None:
    app = make_app()
    app.analysis.source_args = ("--tenant-dir", "/tmp/my tenant")
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        await pilot.press("t")
        await pilot.pause()
        await pilot.press(*"10.2.1.4", "tab", *"10.3.1.10", "tab", *"1433", "enter")
        await until(pilot, lambda: pane.flow_result is not None)
        result = pane.flow_result
        assert result is not None and result.verdict == "allow"
        shown = screen_text(app)
        assert "ALLOW" in shown and "NSG out" in shown and "NSG in" in shown
        assert "PA - SQL Data Platform" in shown  # the Private Access segment publishing it
        assert shlex.split(pane.flow_line) == ["ztconsole", "flow", "--tenant-dir", "/tmp/my tenant", "--src",
                                               "10.2.1.4", "--dst", "10.3.1.10", "--port", "1433", "--protocol",
                                               "tcp"]
        assert pane.flow_line in shown.replace("\n", " ") or "ztconsole flow" in shown
        # a bad value is said, not traced
        pane.query_one("#flow-port", Input).value = "70000"
        pane.trace()
        await pilot.pause()
        assert "Port: not a port number" in rendered(pane.query_one("#flow-result", Static))


def test_parse_flow_and_command_line() -> None:
    assert parse_flow(" 10.0.0.1 ", "app.contoso.com", "443", "") == ("10.0.0.1", "app.contoso.com", 443, "tcp")
    for bad in (("x", "10.0.0.1", "1", "tcp"), ("10.0.0.1", "bad name!", "1", "tcp"),
                ("10.0.0.1", "10.0.0.2", "0", "tcp"), ("10.0.0.1", "10.0.0.2", "22", "icmp")):
        with pytest.raises(ValueError):
            parse_flow(*bad)
    line = flow_command(("--tenant-dir", "a'b\x1b[31m"), "10.0.0.1", "10.0.0.2", 22, "tcp")
    assert "\x1b" not in line
    assert shlex.split(line)[3] == "a'b"


# --- incomplete data and hostile names --------------------------------------------------------------




async def test_an_incomplete_data_set_is_named_with_the_permission_and_the_rest_still_shows(tmp_path: Path) -> None:
    root = copy_demo(tmp_path)
    toml = root / "tenant.toml"
    toml.write_text(toml.read_text() + '\n[datasets."arm/subscriptions/<sub>/providers/Microsoft.Network/'
                    'networkSecurityGroups"]\nstatus = "forbidden"\nmessage = "AuthorizationFailed"\n')
    (root / f"{NET}/networkSecurityGroups.json").unlink()
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        assert table(app, "fw-table").row_count == 5  # the firewalls do not need the NSGs
        await pilot.press("n")
        await pilot.pause()
        notice = pane.query_one("#nsg-notice", DataNotice)
        assert notice.has_class("-shown")
        said = rendered(notice)
        assert "forbidden" in said and "Reader" in said and "networkSecurityGroups" in said
        assert not pane.query_one("#fw-notice", DataNotice).has_class("-shown")


HOSTILE = "[bold red]x[/]\x1b[31mred\x1b]8;;http://e\x07link\u202eevil\x00nul" + "W" * 10_000


async def test_hostile_names_render_inert(tmp_path: Path) -> None:
    root = copy_demo(tmp_path)

    def rename(rel: str, old: str, new: str, nested: Callable[[Any], None] | None = None) -> None:
        path = root / rel
        doc = json.loads(path.read_text())
        for item in doc:
            if item.get("name") == old:
                item["name"] = new
            if nested is not None:
                nested(item)
        path.write_text(json.dumps(doc))

    def rule_names(group: dict[str, Any]) -> None:
        for coll in group["properties"]["ruleCollections"]:
            for rule in coll["rules"]:
                if rule["name"] == "DNAT-SFTP-Partners":
                    rule["name"] = HOSTILE

    rename(f"{NET}/firewallPolicies.json", HUB_POLICY, HOSTILE)
    rename(f"{NET}/networkSecurityGroups.json", "nsg-snet-jumphost-weu", HOSTILE)
    rename(f"{HUB_RG}/firewallPolicies/{HUB_POLICY}/ruleCollectionGroups.json", "", "", rule_names)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        fw = table(app, "fw-table")
        hostile = next(k for k in fw.shown_keys() if cells(fw, k)[1].startswith("[bold red]"))
        shown = screen_text(app)
        assert "[bold red]x[/]redlinkevilnul" in shown  # markup shown as text; escapes, bidi and NUL dropped
        line = fw.render_line(fw.shown_keys().index(hostile) + 1)  # below the heading; not under the cursor
        name = next(seg for seg in line if "[bold red]" in seg.text)
        plain = next(seg for seg in line if seg.text.startswith("policy"))
        assert name.style == plain.style  # no style of its own: nothing leaked from the name
        fw.move_to(hostile)
        await pilot.press("enter")
        rules = table(app, "rules-table")
        await until(pilot, lambda: rules.row_count > 0)
        await pilot.pause()
        shown += "\n" + screen_text(app)
        await pilot.press("enter")  # the first rule (DNAT) is the hostile one: its details
        await pilot.pause()
        shown += "\n" + screen_text(app)
        await pilot.press("escape", "escape", "n")
        await pilot.pause()
        shown += "\n" + screen_text(app)
        svg = app.export_screenshot()
    for bad in ("\x1b", "\x07", "\u202e", "\x00"):
        assert bad not in shown
    assert "[bold red]x[/]" in shown
    assert [line[:150] for line in shown.splitlines() if len(line) > SIZE[0]] == []
    assert "http://e" not in svg  # no hyperlink leaked


async def test_a_failure_is_said_in_this_pane_and_the_console_carries_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from ztconsole.ui.panes import network_data

    def boom(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(network_data, "build_network", boom)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.loaded.wait(), 20)
        fw = table(app, "fw-table")
        await until(pilot, lambda: "boom" in fw.empty)
        assert "Could not compute this view: RuntimeError: boom" in screen_text(app)
        app.go("data")
        await pilot.pause()
        assert "44 data sets" in screen_text(app)


# --- large rule books ---------------------------------------------------------------------------------


def big_policy_tenant(root: Path, rules: int) -> Path:
    """The demo with one more policy of ``rules`` network rules in one collection group."""
    root = copy_demo(root)
    rg = HUB_RG
    pid = "/" + HUB_RG.removeprefix("arm/") + "/firewallPolicies/big"
    path = root / f"{NET}/firewallPolicies.json"
    doc = json.loads(path.read_text())
    doc.append({"name": "big", "id": pid, "type": "Microsoft.Network/firewallPolicies", "location": "westeurope",
                "properties": {"sku": {"tier": "Standard"}, "threatIntelMode": "Deny",
                               "ruleCollectionGroups": [{"id": f"{pid}/ruleCollectionGroups/rcg"}]}})
    path.write_text(json.dumps(doc))
    collection = {"ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": "many", "priority": 100,
                  "action": {"type": "Allow"},
                  "rules": [{"ruleType": "NetworkRule", "name": f"r{i}", "ipProtocols": ["TCP"],
                             "sourceAddresses": [f"10.{i // 250 % 250}.{i % 250}.0/24"],
                             "destinationAddresses": ["10.200.0.0/16"], "destinationPorts": [str(1 + i % 60000)]}
                            for i in range(rules)]}
    out = root / f"{rg}/firewallPolicies/big/ruleCollectionGroups.json"
    out.parent.mkdir(parents=True)
    out.write_text(json.dumps([{"name": "rcg", "id": f"{pid}/ruleCollectionGroups/rcg",
                                "properties": {"priority": 100, "ruleCollections": [collection]}}]))
    return root


async def test_twenty_thousand_rules_open_and_scroll_without_blocking(tmp_path: Path) -> None:
    app = make_app(big_policy_tenant(tmp_path, 20_000))
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        fw = table(app, "fw-table")
        keys = ["pagedown"] * 10 + ["end"] + ["up"] * 10
        started = time.perf_counter()
        await pilot.press(*keys)  # the same keys on a table of five rows: what a key costs here anyway
        baseline = time.perf_counter() - started
        fw.move_to(key_of(fw, 1, "big"))
        gaps: list[float] = []
        opening = True

        async def ticker() -> None:  # how long the event loop goes without answering while the book opens
            last = time.perf_counter()
            while opening:
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        ticking = asyncio.create_task(ticker())
        started = time.perf_counter()
        await pilot.press("enter")
        rules = table(app, "rules-table")
        assert pane_of(app).query_one("#net-switcher").current == "fw-rules"  # type: ignore[attr-defined]
        await until(pilot, lambda: rules.row_count == 20_000, 30)
        opened = time.perf_counter() - started
        opening = False
        await ticking
        started = time.perf_counter()
        await pilot.press(*keys)
        scrolled = time.perf_counter() - started
        assert cells(rules, rules.cursor_key or "")[3] == "r19989"
    assert opened < 10, opened
    # the rule book is flattened in a thread: the loop keeps answering (what remains on it is the table taking
    # the 20,000 rows, some 50 ms, and the thread's share of the interpreter)
    assert max(gaps) < 1.0, max(gaps)
    assert scrolled < 2 * baseline + 0.5, (scrolled, baseline)  # only the visible rows are drawn


# --- snapshot ---------------------------------------------------------------------------------------


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The header's "refreshed" time, fixed: snapshots hold no wall clock."""
    monkeypatch.setattr(header, "_now", lambda: datetime(2026, 11, 22, 10, 0, 0))


def test_snapshot_network_firewalls(snap_compare: Any, fixed_clock: None) -> None:
    app = make_app()

    async def wait(pilot: Any) -> None:
        await ready(app, pilot)
        fw = table(app, "fw-table")
        fw.move_to(key_of(fw, 1, HUB_POLICY))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=wait)


def test_snapshot_network_rules(snap_compare: Any, fixed_clock: None) -> None:
    app = make_app()

    async def wait(pilot: Any) -> None:
        await ready(app, pilot)
        fw = table(app, "fw-table")
        fw.move_to(key_of(fw, 1, HUB_POLICY))
        await pilot.press("enter")
        rules = table(app, "rules-table")
        await until(pilot, lambda: rules.row_count > 0)
        rules.move_to(key_of(rules, 3, "Deny-HTTP-To-Internet"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=wait)
