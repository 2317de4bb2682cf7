"""The Findings pane: every finding, fail first; area, severity and status selectors (keys of the registry),
the ``/`` filter on top, Esc clearing them; Enter opens the evidence, remediation, principle, resource id and
the reproduce line (``c`` copies it); a sub-view pre-filters by check or area; incomplete data named;
hostile names inert."""

from __future__ import annotations

import shlex
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text

from test_ui_first_screen import loaded, screen_text
from test_ui_pane_overview import (
    SIZE,
    SMALL,
    assert_inert,
    copy_demo,
    forbid,
    hostile_tenant,
    make_app,
    until,
)
from ztconsole.datasets import BY_KEY
from ztconsole.ui import actions, header
from ztconsole.ui.app import ZtApp
from ztconsole.ui.panes.findings import (
    SEVERITY_ORDER,
    STATUS_ORDER,
    FindingScreen,
    FindingsPane,
    area_of,
    reproduce_lines,
)

SEVERITIES = SEVERITY_ORDER


async def findings_pane(app: ZtApp, pilot: Any, view: str | None = None) -> FindingsPane:
    """Show the Findings pane (through the navigation, as ``:findings`` does) once its rows are in."""
    await loaded(app)
    pane = app.go("findings", view)
    assert isinstance(pane, FindingsPane)
    await until(lambda: pane.shown is not None and pane.is_mounted)
    await pilot.pause()
    return pane


async def settled(pane: FindingsPane, pilot: Any) -> None:
    """Wait until the rows shown are those of the selectors in force."""
    await pilot.pause()
    await until(lambda: pane.shown is not None and pane.shown.selection == pane.selection)
    await pilot.pause()


def order(pane: FindingsPane) -> list[tuple[int, int]]:
    assert pane.shown is not None
    out = []
    for key in pane.table.shown_keys():
        f, _ = pane.shown.by_key[key]
        out.append((STATUS_ORDER.index(f.status), SEVERITIES.index(f.severity)))
    return out


def statuses(pane: FindingsPane) -> set[str]:
    assert pane.shown is not None
    return {pane.shown.by_key[k][0].status for k in pane.table.shown_keys()}


async def test_every_finding_is_listed_by_status_then_severity() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await findings_pane(app, pilot)
        assert pane.assessment is not None
        assert pane.table.shown_count == len(pane.assessment.findings)
        assert order(pane) == sorted(order(pane))
        shown = screen_text(app)
        first = pane.shown.by_key[pane.table.shown_keys()[0]][0] if pane.shown else None
    assert first is not None and first.status == "fail" and first.severity == "critical"
    assert f"{len(pane.assessment.findings):,} of {len(pane.assessment.findings):,} findings" in shown
    header_line = next(line for line in shown.splitlines() if line.startswith("Status"))
    assert header_line.split() == ["Status", "Severity", "Check", "Resource", "Title"]
    # the preview under the table: the check, its title and area, and the evidence's first line
    assert f"{first.check} {first.title}  {area_of(first.check)}" in shown


async def test_selectors_narrow_by_status_severity_and_area_and_esc_clears_them() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await findings_pane(app, pilot)
        total = pane.table.shown_count

        async def rows_for(*keys: str) -> None:
            for key in keys:
                await pilot.press(key)
            await settled(pane, pilot)

        await rows_for("t")  # open: fail, warn, error
        assert statuses(pane) == {"fail", "warn"}
        assert "status open" in screen_text(app)
        await rows_for("t")  # fail only
        assert statuses(pane) == {"fail"}
        await rows_for("s", "s")  # high and worse
        assert pane.selection.severity == "high"
        assert pane.shown is not None
        assert {pane.shown.by_key[k][0].severity for k in pane.table.shown_keys()} <= {"critical", "high"}
        await rows_for("a")  # the first area: identity
        assert {pane.shown.by_key[k][1] for k in pane.table.shown_keys()} == {"identity"}
        shown = screen_text(app)
        assert "Findings / area identity / severity high+ / status fail" in shown  # the breadcrumb
        assert "area identity, severity high+, status fail" in shown
        await pilot.press("escape")  # Esc clears the selectors before it goes anywhere
        await until(lambda: pane.table.shown_count == total)
        assert app.current_mode == "findings"
        await rows_for("t", "t")
        await pilot.press("x")
        await until(lambda: pane.table.shown_count == total)


async def test_text_filter_works_on_top_of_the_selectors() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await findings_pane(app, pilot)
        await pilot.press("slash", *"zt-net-004", "enter")
        await until(lambda: 0 < pane.table.shown_count < 10)
        assert all(k.startswith("ZT-NET-004|") for k in pane.table.shown_keys())
        await pilot.press("t", "t")  # fail only, the text filter kept
        await settled(pane, pilot)
        assert pane.selection.status == "fail"
        assert statuses(pane) == {"fail"} and all(k.startswith("ZT-NET-004|") for k in pane.table.shown_keys())
        assert "/ zt-net-004" in screen_text(app)


async def test_enter_shows_evidence_remediation_principle_resource_and_reproduce_line() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await findings_pane(app, pilot, "ZT-BG-005")
        fails = [k for k in pane.table.shown_keys() if pane.shown and pane.shown.by_key[k][0].status == "fail"]
        assert fails
        pane.table.move_to(fails[0])
        finding = pane.shown.by_key[fails[0]][0] if pane.shown else None
        assert finding is not None
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, FindingScreen))
        await pilot.pause()
        shown = screen_text(app)
        _, commands = reproduce_lines(finding.evidence)
        assert commands and commands[0].startswith("ztconsole whatif ")
        assert "Reproduce (c copies)" in shown and commands[0][:60] in shown
        assert "Remediation" in shown and finding.remediation[:40] in shown
        assert "Principle  assume-breach" in shown
        assert finding.resource.id in shown and finding.resource.name in shown
        assert "Evidence" in shown
        await pilot.press("c")
        await pilot.pause()
        assert shlex.split(app.clipboard)[:2] == ["ztconsole", "whatif"]
        assert app.clipboard.splitlines()[0] == commands[0]
        await pilot.press("escape")
        await until(lambda: app.screen is pane)
        assert app.current_mode == "findings"


async def test_a_finding_without_a_reproduce_line_offers_no_copy() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await findings_pane(app, pilot, "ZT-NET-004")
        await pilot.press("c")  # on the pane: said, nothing copied
        await pilot.pause()
        assert "carries no command line to reproduce" in screen_text(app)
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, FindingScreen))
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert "Close" in footer and "Copy" not in footer
        assert "Reproduce" not in screen_text(app)


async def test_views_prefilter_by_check_area_and_status() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await findings_pane(app, pilot, "ZT-CA-001")
        assert pane.table.shown_keys() and all(k.startswith("ZT-CA-001|") for k in pane.table.shown_keys())
        assert "Overview › Findings: ZT-CA-001" in screen_text(app)
        app.go("findings", "network")
        await settled(pane, pilot)
        assert pane.shown is not None and pane.selection.area == "network" and not pane.selection.check
        assert {pane.shown.by_key[k][1] for k in pane.table.shown_keys()} == {"network"}
        app.go("findings", "open")
        await until(lambda: pane.selection.status == "open")
        app.go("findings", "nonsense")
        await pilot.pause()
        assert "No findings view 'nonsense'" in screen_text(app)
        await pilot.press("escape", "escape")  # the selectors, then back along the views
        await pilot.pause()
        assert app.current_mode == "findings"


async def test_findings_fit_80_columns() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await findings_pane(app, pilot)
        shown = screen_text(app)
    lines = shown.splitlines()
    assert any(line.startswith("fail   critical ZT-") for line in lines)
    assert all(len(line) <= 80 for line in lines)


async def test_an_incomplete_data_set_is_named_and_its_checks_say_why(tmp_path: Path) -> None:
    root = copy_demo(tmp_path)
    forbid(root, "ca_policies")
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        pane = await findings_pane(app, pilot, "ZT-CA-002")
        shown = screen_text(app)
        keys = pane.table.shown_keys()
        assert len(keys) == 1 and pane.shown is not None
        finding = pane.shown.by_key[keys[0]][0]
    permission = BY_KEY["ca_policies"].permission
    assert f"Conditional Access policies is forbidden: grant {permission}" in shown
    assert finding.status == "skip" and f"missing permission {permission}" in finding.evidence
    assert "skip   high     ZT-CA-002" in shown


async def test_hostile_names_are_inert_in_the_table_and_the_details(tmp_path: Path) -> None:
    app = make_app(hostile_tenant(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        pane = await findings_pane(app, pilot)
        await pilot.press("slash", *"bold red", "enter")
        await until(lambda: pane.table.shown_count > 0)
        await pilot.pause()
        shown = screen_text(app)
        assert "[bold red]x[/] #" in shown
        row = pane.table.cursor_row
        assert row is not None
        assert all(not c.spans for c in row.cells if isinstance(c, Text) and "[bold" in c.plain)
        assert any(isinstance(c, str) and "[bold red]x[/]" in c for c in row.cells)  # shown as the text it is
        assert_inert(app, shown)
        await pilot.press("slash", "ctrl+u", *"LLLLLLLLLL", "enter")  # the 10,000-character name
        await until(lambda: pane.table.shown_count > 0)
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, FindingScreen))
        await pilot.pause()
        detail = screen_text(app)
        assert "L" * 50 in detail
        assert_inert(app, detail)


async def test_a_reload_keeps_the_cursor_on_the_same_finding() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await findings_pane(app, pilot)
        await pilot.press("t")  # open findings only
        await settled(pane, pilot)
        await pilot.press("down", "down", "down", "down")
        key, before = pane.table.cursor_key, pane.assessment
        await pilot.press("r")
        await until(lambda: pane.assessment is not before and pane.shown is not None
                    and pane.shown.selection == pane.selection and not app.store.loading)
        await pilot.pause()
        assert pane.table.cursor_key == key and pane.selection.status == "open"


async def test_a_failure_of_the_checks_is_said_in_the_pane() -> None:
    from test_ui_pane_overview import GatedAnalysis

    analysis = GatedAnalysis(error=RuntimeError("checks on fire"))
    analysis.gate.set()
    app = make_app(analysis=analysis)
    async with app.run_test(size=SIZE):
        await loaded(app)
        app.go("findings")
        await until(lambda: "The checks failed: RuntimeError: checks on fire" in screen_text(app))
        assert app.is_running and app.current_mode == "findings"


def test_the_registry_has_the_findings_keys() -> None:
    scope = actions.for_scope("findings", read_only=True)
    assert [(a.id, a.keys) for a in scope] == [
        ("findings.area", "a"), ("findings.severity", "s"), ("findings.status", "t"), ("findings.clear", "x"),
        ("findings.copy", "c")]
    assert actions.SCOPES["findings"] == "Findings"
    for action in scope:
        assert callable(getattr(FindingsPane, f"action_{action.target}", None)), action.id
    assert FindingsPane.ALIASES == ("findings", "f")


# --- snapshot ----------------------------------------------------------------------------------------------


def test_snapshot_findings(snap_compare: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(header, "_now", lambda: datetime(2026, 11, 22, 10, 0, 0))
    app = make_app()

    async def wait(pilot: Any) -> None:
        await findings_pane(app, pilot)
        await pilot.press("t")  # the open findings
        await until(lambda: app.screen.selection.status == "open")  # type: ignore[attr-defined]
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=(100, 30), run_before=wait)
