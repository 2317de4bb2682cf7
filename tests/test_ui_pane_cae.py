"""The CAE pane: the tenant CAE policy (scoped, migrated or not), Global Secure Access signalling, every
policy's CAE mode with its location conditions resolved, each with its ZT-CAE-* finding; details on Enter,
Esc back; the ``/`` filter; an incomplete data set named with its permission; hostile names inert."""

from __future__ import annotations

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
from ztconsole.ui.app import ZtApp
from ztconsole.ui.notice import DataNotice
from ztconsole.ui.panes.cae import GSA_ROW, TENANT_ROW, CaePane, CaeRowScreen
from ztconsole.ui.panes.data import DataPane
from ztconsole.ui.vtable import VirtualTable

SIZE = (120, 40)
SMALL = (80, 24)
CA022 = "policy/4fd3899f-bc2d-523e-bf80-735d3b949f8c"  # disables CAE
CA020 = "policy/9c4c45bf-ae0f-55a7-a0a9-9acfe3851b88"  # strict location on IP locations
CA021 = "policy/50bf1eda-b0f6-5e9d-a49d-89c54697dbdd"  # strict location on a country location
CAE_GROUP = "fe6ef974-ed1b-501d-924a-53d37a51057b"



class Console(ZtApp):
    """The console with the CAE and Data panes only."""

    PANES = (CaePane, DataPane)


def make_app(path: Path | None = None, **kwargs: Any) -> Console:
    return Console(TenantDir.open(path or demo_dir()), badge="DEMO", clock=lambda: 0.0, **kwargs)




async def judged(app: ZtApp, pilot: Any) -> CaePane:
    await loaded(app)
    pane = app.screen
    assert isinstance(pane, CaePane)
    await until(lambda: pane.view_model is not None and pane.view_model.judged)
    await pilot.pause()
    return pane




def cells(table: VirtualTable, key: str) -> list[str]:
    row = table.row(key)
    assert row is not None, key
    return [c if isinstance(c, str) else "" if c is None else c.plain for c in row.cells]


def dialog_text(app: ZtApp) -> str:
    body = app.screen.rendered
    console = RichConsole(width=400, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(body)
    return console.export_text()


# --- rows ---------------------------------------------------------------------------------------------


async def test_tenant_setting_signalling_and_every_policy_mode() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await judged(app, pilot)
        table = pane.table
        keys = table.shown_keys()
        assert keys[:5] == [TENANT_ROW, GSA_ROW, CA022, CA020, CA021]  # the settings, then what customises CAE
        assert len(keys) == 2 + 27
        assert cells(table, TENANT_ROW)[1:] == ["on", "only 1 group", "SG-CAE-Legacy-Exempt", "fail CAE-002"]
        assert cells(table, GSA_ROW)[1:] == ["disabled", "PA: 8 apps", "PA forwarding enabled", "fail CAE-004"]
        assert cells(table, CA022)[1:3] == ["enabled", "disabled"] and cells(table, CA022)[4] == "fail CAE-001"
        strict_ip = cells(table, CA020)
        assert strict_ip[2] == "strict location" and strict_ip[4] == "pass"
        assert "[IP]" in strict_ip[3]
        strict_country = cells(table, CA021)
        assert strict_country[1] == "report-only" and strict_country[2] == "strict location"
        assert strict_country[3] == "any location, not Operating countries [countries]"
        assert strict_country[4] == "fail CAE-003"
        disabled = table.row("policy/" + next(k for k in (r.removeprefix("policy/") for r in keys[2:])
                                              if cells(table, "policy/" + k)[1] == "disabled"))
        assert disabled is not None and disabled.style == "dim"  # a disabled policy, dimmed; CAE-001 skips it
        summary = str(pane.query_one("#cae-summary", Static).content)
        assert "ZT-CAE 001 fail · 002 fail · 003 fail · 004 fail" in summary
        assert "27 policies: 1 disable CAE, 2 strict location, 24 default" in summary
        assert "Tenant CAE policy (legacy)" in screen_text(app)


async def test_enter_opens_a_row_with_its_evidence_and_esc_closes_it() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await judged(app, pilot)
        await pilot.press("enter")  # the first row: the tenant CAE policy
        await pilot.pause()
        assert isinstance(app.screen, CaeRowScreen)
        shown = dialog_text(app)
        for expected in ("beta identity/continuousAccessEvaluationPolicy", "Migrated", "no",
                         "Scope (1 group, 0 users; empty: everyone)", "SG-CAE-Legacy-Exempt",
                         "ZT-CAE-002", "fix: Migrate the CAE settings into Conditional Access"):
            assert expected in shown, expected
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is pane
        pane.table.move_to(CA021)
        await pilot.press("enter")
        await pilot.pause()
        shown = dialog_text(app)
        assert "sessionControls.continuousAccessEvaluation.mode = strictLocation" in shown
        assert "exclude   Operating countries  countries" in shown
        assert "include   any location" in shown
        assert "not IP-based: Operating countries (CountryNamedLocation)" in shown
        await pilot.press("escape")
        pane.table.move_to(GSA_ROW)
        await pilot.press("enter")
        await pilot.pause()
        shown = dialog_text(app)
        assert "Signalling" in shown and "disabled" in shown and "8 Private Access application(s)" in shown
        assert "Enable Global Secure Access signalling" in shown


async def test_filter_narrows_the_table() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await judged(app, pilot)
        pane.apply_filter(pane.filter_target(), "strict")
        await pilot.pause()
        assert pane.table.shown_keys() == [CA020, CA021]
        assert "/ strict" in screen_text(app)  # the breadcrumb shows the filter
        await pilot.press("escape")  # Esc clears the filter first
        await pilot.pause()
        assert len(pane.table.shown_keys()) == 29


async def test_usable_at_80x24() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await judged(app, pilot)
        lines = screen_text(app).splitlines()
        assert all(len(line) <= 80 for line in lines)
        assert any(line.startswith("Tenant CAE policy (legacy)") for line in lines)
        assert any("fail CAE-001" in line for line in lines)


# --- honest about incomplete data -----------------------------------------------------------------------


async def test_forbidden_signalling_named_with_its_permission(tmp_path: Path) -> None:
    root = copy_demo(tmp_path)
    label = BY_KEY["gsa_ca_settings"].label
    with (root / "tenant.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[datasets."{label}"]\nstatus = "forbidden"\nmessage = "403 Forbidden"\n')
    (root / BY_KEY["gsa_ca_settings"].file_path()).unlink()
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        pane = await judged(app, pilot)
        assert pane.query_one(DataNotice).display
        shown = screen_text(app)
        assert "settings/conditionalAccess is forbidden" in shown and "(grant NetworkAccess.Read.All)" in shown
        gsa = cells(pane.table, GSA_ROW)
        assert gsa[1] == "unreadable" and gsa[4] == "skip CAE-004"  # not judged, never a pass
        assert cells(pane.table, CA022)[4] == "fail CAE-001"  # the rest still shown and judged


# --- hostile tenant text --------------------------------------------------------------------------------


def hostile_tenant(tmp_path: Path) -> Path:
    root = copy_demo(tmp_path)
    policies_path = root / BY_KEY["ca_policies"].file_path()
    policies = json.loads(policies_path.read_text(encoding="utf-8"))
    strict = [p for p in policies if (p.get("sessionControls") or {}).get("continuousAccessEvaluation")]
    for p, name in zip([*strict, *policies[:3]], HOSTILE_NAMES, strict=True):
        p["displayName"] = name
    policies_path.write_text(json.dumps(policies), encoding="utf-8")
    locations_path = root / BY_KEY["named_locations"].file_path()
    locations = json.loads(locations_path.read_text(encoding="utf-8"))
    for loc in locations:
        loc["displayName"] = "[u]loc[/u] \x1b[4m" + loc["displayName"]
    locations_path.write_text(json.dumps(locations), encoding="utf-8")
    groups_path = root / BY_KEY["groups"].file_path()
    groups = json.loads(groups_path.read_text(encoding="utf-8"))
    for g in groups:
        if g["id"] == CAE_GROUP:
            g["displayName"] = "[reverse]grp[/] \u202e\x1b]0;t\x07"
    groups_path.write_text(json.dumps(groups), encoding="utf-8")
    return root


async def test_hostile_names_are_inert(tmp_path: Path) -> None:
    app = make_app(hostile_tenant(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        pane = await judged(app, pilot)
        shown = screen_text(app)
        assert "[bold red]x[/]" in shown and "ansi red" in shown and "osc link" in shown
        assert "bidi gnp.exe" in shown and "nul  byte" in shown and "LLLL" in shown
        assert "[u]loc[/u]" in shown
        for bad in ("\x1b", "\x07", "\x00", "\u202e"):
            assert bad not in shown
        assert all(len(line) <= SIZE[0] for line in shown.splitlines())
        first_policy = pane.table.row(pane.table.shown_keys()[2])
        assert first_policy is not None and not first_policy.cells[0].spans  # type: ignore[union-attr]
        pane.table.move_to(TENANT_ROW)
        await pilot.press("enter")
        await pilot.pause()
        body = dialog_text(app)
        assert "[reverse]grp[/]" in body
        for bad in ("\x1b", "\x07", "\u202e"):
            assert bad not in body


# --- snapshot -----------------------------------------------------------------------------------------


def test_snapshot_cae(snap_compare: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(header, "_now", lambda: datetime(2026, 11, 22, 10, 0, 0))
    app = make_app()

    async def wait(pilot: Any) -> None:
        await judged(app, pilot)

    assert snap_compare(app, terminal_size=(100, 30), run_before=wait)


async def test_an_empty_tenant_says_what_it_could_not_read(tmp_path: Path) -> None:
    from test_ui_first_screen import TENANT_TOML

    root = tmp_path / "empty"
    root.mkdir()
    (root / "tenant.toml").write_text(TENANT_TOML.format(name='"Empty"'), encoding="utf-8")
    app = make_app(root)
    async with app.run_test(size=SMALL) as pilot:
        pane = await judged(app, pilot)
        assert pane.table.shown_keys() == [TENANT_ROW, GSA_ROW]
        assert cells(pane.table, TENANT_ROW)[1] == "unreadable"  # a missing singleton is "not readable"
        assert pane.query_one(DataNotice).display
        assert "continuousAccessEvaluationPolicy is missing" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert "not read (missing)" in dialog_text(app)
