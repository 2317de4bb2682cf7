"""The Private Access pane: applications (Quick Access marked) with connector health, assignments, CA coverage
from ZT-PA-001 and the ZT-PA-* findings; the segments and connectors views (keys and Esc back); details on
Enter; the ``/`` filter; an incomplete data set named with its permission; hostile names inert."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console as RichConsole
from textual.widgets import Static

from conftest import HOSTILE_NAMES, copy_demo, until
from test_ui_first_screen import loaded, screen_text
from ztconsole.datasets import BY_KEY
from ztconsole.demo import demo_dir
from ztconsole.tenantdir import TenantDir
from ztconsole.ui import header
from ztconsole.ui.analysis import Analysis
from ztconsole.ui.app import ZtApp
from ztconsole.ui.notice import DataNotice
from ztconsole.ui.panes.access import AccessPane, AppDetailsScreen, ConnectorGroupScreen
from ztconsole.ui.panes.data import DataPane
from ztconsole.ui.vtable import VirtualTable

SIZE = (120, 40)
SMALL = (80, 24)
QUICK_ACCESS = "a9dd2597-cd71-508d-b9e3-7b5192fff56d"
LEGACY_ERP = "1cd9b874-ab11-5ba6-abab-7ab41a847534"
SAP = "c643fec0-427c-509d-9013-ce401a330730"



class Console(ZtApp):
    """The console with the Private Access and Data panes only."""

    PANES = (AccessPane, DataPane)


def make_app(path: Path | None = None, **kwargs: Any) -> Console:
    return Console(TenantDir.open(path or demo_dir()), badge="DEMO", clock=lambda: 0.0, **kwargs)




async def judged(app: ZtApp, pilot: Any) -> AccessPane:
    """Wait for the load and the checks: the pane shows their findings."""
    await loaded(app)
    pane = app.screen
    assert isinstance(pane, AccessPane)
    await until(lambda: pane.view_model is not None and pane.view_model.judged)
    await pilot.pause()
    return pane




def cells(table: VirtualTable, key: str) -> list[str]:
    row = table.row(key)
    assert row is not None, key
    return [c if isinstance(c, str) else "" if c is None else c.plain for c in row.cells]


def dialog_text(app: ZtApp) -> str:
    """The plain text of the open dialog's body, rendered wide (nothing cut)."""
    body = app.screen.rendered
    console = RichConsole(width=400, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(body)
    return console.export_text()


# --- rows ---------------------------------------------------------------------------------------------


async def test_apps_show_segments_connector_health_assignments_coverage_and_findings() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await judged(app, pilot)
        table = pane.table("apps")
        assert table.row_count == 8  # the 8 Private Access apps; the two SaaS apps are not listed
        assert table.shown_keys()[0] == QUICK_ACCESS  # Quick Access first, marked
        qa = cells(table, QUICK_ACCESS)
        assert qa[0] == "QA Quick Access"
        assert qa[1:6] == ["3", "CG-Datacenter-Amsterdam", "2/2", "1 group", "no device"]
        erp = cells(table, LEGACY_ERP)
        assert erp[2] == "Default (default)" and erp[3] == "1/1"
        assert erp[4] == "none"  # nobody assigned
        assert erp[5] == "no MFA+dev"
        assert erp[6] == "5 fail"
        sap = cells(table, SAP)
        assert sap[5] == "MFA+device" and sap[6] == "1 fail 1 warn"
        intranet = cells(table, "01348657-7068-5d30-b1fb-bcc720aad216")
        assert intranet[2:4] == ["CG-Branch-London", "1/2"]  # one of two connectors inactive
        summary = pane.query_one("#pa-summary", Static).content
        assert "8 apps (1 Quick Access) · 21 segments · 4 connector groups, 7 connectors (1 inactive)" in str(summary)
        screen = screen_text(app)
        assert "Private Access" in screen and "QA Quick Access" in screen


async def test_rows_come_before_the_checks_and_say_they_are_pending() -> None:
    """The tenant's rows are shown at once; the findings columns say the checks are running."""
    gate = asyncio.Event()

    class SlowAnalysis(Analysis):
        async def assess(self, tenant: Any) -> Any:
            await gate.wait()
            return await super().assess(tenant)

    app = make_app(analysis=SlowAnalysis())
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        pane = app.screen
        assert isinstance(pane, AccessPane)
        await until(lambda: pane.view_model is not None)
        await pilot.pause()
        assert not pane.view_model.judged
        assert cells(pane.table("apps"), SAP)[5:] == ["…", "…"]
        assert "checks running" in str(pane.query_one("#pa-summary", Static).content)
        gate.set()
        await until(lambda: pane.view_model.judged)
        assert cells(pane.table("apps"), SAP)[5] == "MFA+device"


async def test_checks_failing_leave_the_rows_and_say_why() -> None:
    class Broken(Analysis):
        async def assess(self, tenant: Any) -> Any:
            raise RuntimeError("checks exploded")

    app = make_app(analysis=Broken())
    async with app.run_test(size=SIZE):
        await loaded(app)
        pane = app.screen
        assert isinstance(pane, AccessPane)
        await until(lambda: "checks exploded" in str(pane.query_one("#pa-summary", Static).content))
        assert pane.table("apps").row_count == 8  # what could be shown still is


# --- views and navigation ----------------------------------------------------------------------------


async def test_segments_view_flags_from_the_checks_and_esc_comes_back() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await judged(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        segments = pane.table("segments")
        assert pane.focused is segments and segments.display and not pane.table("apps").display
        assert segments.row_count == 21
        wide = cells(segments, f"{QUICK_ACCESS}/8b89ff02-4246-5d43-9b75-43e5d58c3c4a")
        assert wide[:5] == ["10.0.0.0/8", "cidr", "1-65535", "tcp", "Quick Access"]
        assert wide[5].startswith("broad:fail overlap:")  # ZT-PA-002 fail and ZT-PA-005
        suffix = cells(segments, f"{LEGACY_ERP}/c088c749-bfec-5559-813a-5d14da755581")
        assert suffix[0] == "local" and suffix[5] == "broad:fail"  # a bare top-level DNS suffix
        fine = cells(segments, "e02800e0-7bcb-5110-99d9-dd6873470803/a8e473f3-489a-558b-a738-029e2a30bd48")
        assert fine[5] == "overlap:1"  # 10.3.1.10:1433, also inside Quick Access's 10.0.0.0/8
        assert "Private Access: segments" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert pane.focused is pane.table("apps") and not segments.display


async def test_connectors_view_groups_health_versions_and_details() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await judged(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        table = pane.table("connectors")
        keys = table.shown_keys()
        assert keys[0] == "group/bf99b6bb-794e-5455-a296-9474677cf6cc"  # the default group first
        london = cells(table, "group/e547f756-d405-544e-89a5-9a22a5c9cfe3")
        assert london[0] == "CG-Branch-London" and london[1] == "1/2 active" and london[5] == "1"
        lon2 = next(k for k in keys if k.startswith("connector/e547f756") and "inactive" in cells(table, k)[1])
        assert cells(table, lon2)[2] == "1.5.3437.0 older"  # behind the tenant's newest connector
        table.move_to("group/e547f756-d405-544e-89a5-9a22a5c9cfe3")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConnectorGroupScreen)
        shown = dialog_text(app)
        assert "Connectors (1 of 2 active)" in shown
        assert "PA - Intranet Web (HTTP/HTTPS)" in shown and "ZT-PA-004" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is pane


async def test_enter_opens_the_app_and_esc_closes_it() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await judged(app, pilot)
        pane.table("apps").move_to(LEGACY_ERP)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AppDetailsScreen)
        shown = dialog_text(app)
        assert "PA - Legacy ERP (Contractors)" in screen_text(app)
        for expected in ("Segments (2)", "10.100.40.10-10.100.40.50", "DNS suffix 'local' is a bare top-level domain",
                         "Default (the default group)", "1 of 1 connectors active", "Assignments (0)",
                         "nobody is assigned", "Conditional Access (ZT-PA-001)",
                         "CA001-Global-AllApps-AnyPlatform-RequireMFA", "grant: mfa",
                         "ZT-PA-003", "fix: "):
            assert expected in shown, expected
        # the whatif line that reproduces the coverage gap, shell-quoted, on a line of its own
        assert "reproduce: ztconsole whatif --user EnricoC@contoso.com --app a9910ca5-" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is pane
        # Enter on a segment opens its app
        await pilot.press("s")
        await pilot.pause()
        pane.table("segments").move_to(f"{SAP}/769881ff-bbf7-5e33-97d4-4ca360a85766")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AppDetailsScreen) and app.screen.info.app.id == SAP
        assert "also published by 'Quick Access'" in dialog_text(app)


async def test_filter_narrows_the_shown_view() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await judged(app, pilot)
        pane.apply_filter(pane.filter_target(), "sap")
        await pilot.pause()
        assert pane.table("apps").shown_keys() == [SAP]
        await pilot.press("s")
        await pilot.pause()
        target = pane.filter_target()
        assert target is pane.table("segments")
        pane.apply_filter(target, "3389")
        await pilot.pause()
        assert len(pane.table("segments").shown_keys()) == 4
        assert {cells(pane.table("segments"), k)[2] for k in pane.table("segments").shown_keys()} == {"3389-3389"}


async def test_usable_at_80x24() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await judged(app, pilot)
        lines = screen_text(app).splitlines()
        assert all(len(line) <= 80 for line in lines)
        assert any(line.startswith("QA Quick Access") for line in lines)
        assert any("no MFA+dev" in line for line in lines)


# --- honest about incomplete data -----------------------------------------------------------------------


async def test_forbidden_data_set_named_with_its_permission(tmp_path: Path) -> None:
    root = copy_demo(tmp_path)
    label = BY_KEY["connector_groups"].label
    with (root / "tenant.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[datasets."{label}"]\nstatus = "forbidden"\nmessage = "403 Authorization_RequestDenied"\n')
    (root / BY_KEY["connector_groups"].file_path()).unlink()
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        pane = await judged(app, pilot)
        notice = pane.query_one(DataNotice)
        assert notice.display
        shown = screen_text(app)
        assert "connectorGroups is forbidden" in shown
        assert "(grant OnPremisesPublishingProfiles.ReadWrite.All)" in shown
        assert "0 connector groups (forbidden)" in shown  # a count that is not the tenant's, said so
        table = pane.table("apps")
        assert table.row_count == 8  # still shows what it can
        # ZT-PA-004 needs the connector groups: not judged, on every app, never a pass
        assert cells(table, SAP)[6] == "1 fail 1 warn 1 skip"
        pane.table("apps").move_to(SAP)
        await pilot.press("enter")
        await pilot.pause()
        assert "not judged: data unavailable" in dialog_text(app)


# --- hostile tenant text --------------------------------------------------------------------------------


def hostile_tenant(tmp_path: Path) -> Path:
    root = copy_demo(tmp_path)

    def rewrite(key: str, parent: str = "", **by_id: str) -> None:
        path = root / BY_KEY[key].file_path(parent=parent)
        items = json.loads(path.read_text(encoding="utf-8"))
        for item in items:
            if item["id"] in by_id:
                item["displayName" if "displayName" in item else "name"] = by_id[item["id"]]
        path.write_text(json.dumps(items), encoding="utf-8")

    apps = [QUICK_ACCESS, LEGACY_ERP, SAP, "e02800e0-7bcb-5110-99d9-dd6873470803",
            "01348657-7068-5d30-b1fb-bcc720aad216", "e4b80633-1123-5e96-96ce-522b46df59e6"]
    rewrite("applications", **dict(zip(apps, HOSTILE_NAMES, strict=True)))
    rewrite("connector_groups", **{"4b92771d-f549-535e-adf0-b205bdb40d9d": "[blink]cg[/blink] \x1b[5m"})
    segs = root / BY_KEY["app_segments"].file_path(parent=SAP)
    items = json.loads(segs.read_text(encoding="utf-8"))
    items[0]["destinationHost"] = "[red]host[/red]\x1b]0;title\x07.corp"
    segs.write_text(json.dumps(items), encoding="utf-8")
    return root


async def test_hostile_names_are_inert(tmp_path: Path) -> None:
    app = make_app(hostile_tenant(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        pane = await judged(app, pilot)
        shown = screen_text(app)
        assert "QA [bold red]x[/]" in shown  # markup shown as the text it is
        assert "ansi red" in shown and "osc link" in shown and "bidi gnp.exe" in shown and "nul  byte" in shown
        assert "LLLL" in shown and "[blink]cg[/blink]" in shown
        for bad in ("\x1b", "\x07", "\x00", "\u202e"):
            assert bad not in shown
        assert all(len(line) <= SIZE[0] for line in shown.splitlines())
        # no style from a name: the markup cell is drawn in the table's own style only
        table = pane.table("apps")
        row = table.row(QUICK_ACCESS)
        assert row is not None and not row.cells[0].spans[1:]  # type: ignore[union-attr]
        await pilot.press("s")
        await pilot.pause()
        shown = screen_text(app)
        assert "[red]host[/red].corp" in shown and "\x1b" not in shown
        pane.table("segments").move_to(pane.table("segments").shown_keys()[0])
        await pilot.press("a")
        await pilot.pause()
        table.move_to(SAP)
        await pilot.press("enter")
        await pilot.pause()
        body = dialog_text(app)
        assert "[red]host[/red].corp" in body and "\x1b" not in body and "\x07" not in body
        title = screen_text(app)
        assert "osc link" in title and "\x1b" not in title


# --- snapshot -----------------------------------------------------------------------------------------


def test_snapshot_private_access(snap_compare: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(header, "_now", lambda: datetime(2026, 11, 22, 10, 0, 0))
    app = make_app()

    async def wait(pilot: Any) -> None:
        await judged(app, pilot)

    assert snap_compare(app, terminal_size=(100, 30), run_before=wait)


# --- refresh and theme ------------------------------------------------------------------------------------


async def test_reload_keeps_the_cursor_and_a_theme_switch_recolours_the_rows() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await judged(app, pilot)
        table = pane.table("apps")
        table.move_to(SAP)
        first = pane.view_model
        await pilot.press("r")
        await until(lambda: pane.view_model is not first and pane.view_model is not None
                    and pane.view_model.judged)
        await pilot.pause()
        assert table.cursor_key == SAP  # the rows were replaced by key; the admin's place kept
        before = table.row(SAP)
        assert before is not None
        colour = before.cells[5].style  # type: ignore[union-attr]
        app.theme = next(name for name in app.available_themes if name.startswith("ztconsole-")
                         and name != app.theme and "light" in name)
        await until(lambda: (row := table.row(SAP)) is not None
                    and row.cells[5].style != colour)  # type: ignore[union-attr]
        assert table.cursor_key == SAP


# --- sparse and odd data -------------------------------------------------------------------------------


def sparse_tenant(tmp_path: Path) -> Path:
    """A tenant with one odd Private Access app: no appId, no name, an unreadable segment, no connector group."""
    from test_ui_first_screen import TENANT_TOML

    root = tmp_path / "sparse"
    root.mkdir()
    (root / "tenant.toml").write_text(TENANT_TOML.format(name='"Sparse"'), encoding="utf-8")

    def put(key: str, body: object, parent: str = "") -> None:
        path = root / BY_KEY[key].file_path(parent=parent)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body), encoding="utf-8")

    put("applications", [{"id": "app-1", "tags": ["PrivateAccessNonWebApplication"]}])
    put("app_segments", [{"destinationHost": None, "port": "Integer", "ports": ["90-80"]}], parent="app-1")
    put("connectors", [{"id": "c-1"}])
    return root


async def test_sparse_data_shows_what_there_is(tmp_path: Path) -> None:
    app = make_app(sparse_tenant(tmp_path))
    async with app.run_test(size=SMALL) as pilot:
        pane = await judged(app, pilot)
        row = cells(pane.table("apps"), "app-1")
        assert row[0] == "app-1" and row[1] == "1" and row[2] == "none" and row[4] == "no SP"
        assert row[5] == "no MFA+dev" or row[5].startswith(("fail", "skip", "error"))  # no appId: fails ZT-PA-001
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AppDetailsScreen)
        shown = dialog_text(app)
        assert "none (no service principal)" in shown and "none assigned" in shown
        await pilot.press("escape", "c")
        await pilot.pause()
        assert pane.table("connectors").shown_keys() == ["group/", "connector//c-1"]  # a connector in no group
        await pilot.press("s")
        await pilot.pause()
        assert cells(pane.table("segments"), "app-1/0")[:4] == ["?", "—", "90-80", "tcp"]  # as sent
