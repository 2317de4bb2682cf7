"""The Overview pane: the console opens on it; maturity per pillar with the checks that decided it, findings
by area and severity, the worst findings (Enter opens one in Findings, Esc comes back), data-set health,
"running 47 checks" while they run, a failure of the checks shown in place, hostile names inert."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text

from conftest import HOSTILE_NAMES, copy_demo, until
from test_ui_first_screen import loaded, screen_text
from ztconsole.datasets import BY_KEY
from ztconsole.demo import demo_dir
from ztconsole.engine.checks.registry import REGISTRY
from ztconsole.tenantdir import TenantDir
from ztconsole.ui import header
from ztconsole.ui.analysis import Analysis, Assessment
from ztconsole.ui.app import ZtApp
from ztconsole.ui.panes import PANES
from ztconsole.ui.panes.data import DataPane
from ztconsole.ui.panes.findings import FindingsPane, finding_keys
from ztconsole.ui.panes.overview import OverviewPane

SIZE = (120, 40)
SMALL = (80, 24)

"""Display names an attacker (or an accident) can put in a tenant."""


class Console(ZtApp):
    """The console with the Overview, Findings and Data panes only: what these tests are about, whatever
    state the other panes are in."""

    PANES = (OverviewPane, FindingsPane, DataPane)


def make_app(path: Path | None = None, *, analysis: Analysis | None = None, **kwargs: Any) -> Console:
    return Console(TenantDir.open(path or demo_dir()), badge="DEMO", clock=lambda: 0.0, analysis=analysis,
                   **kwargs)




async def assessed(app: ZtApp, pilot: Any) -> OverviewPane:
    """Wait for the load and the checks: the Overview shows them."""
    await loaded(app)
    pane = app.get_screen("overview") if app.current_mode != "overview" else app.screen
    assert isinstance(pane, OverviewPane)
    await until(lambda: pane.summary is not None)
    await pilot.pause()
    return pane




def forbid(root: Path, key: str, message: str = "403 Authorization_RequestDenied") -> None:
    """Record data set ``key`` as forbidden (CONTRACTS §1 ``[datasets]``): its file gone."""
    ds = BY_KEY[key]
    (root / ds.file_path()).unlink()
    with (root / "tenant.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[datasets."{ds.file_path().removesuffix(".json")}"]\nstatus = "forbidden"\n'
                f'message = "{message}"\n')


def hostile_tenant(tmp_path: Path) -> Path:
    """The demo with hostile names: the tenant's own and every Conditional Access policy's."""
    import json

    root = copy_demo(tmp_path)
    toml = (root / "tenant.toml").read_text(encoding="utf-8")
    (root / "tenant.toml").write_text(toml.replace('display_name = "Contoso"',
                                                   f"display_name = {json.dumps(HOSTILE_NAMES[0])}"),
                                      encoding="utf-8")
    path = root / BY_KEY["ca_policies"].file_path()
    body = json.loads(path.read_text(encoding="utf-8"))
    items = body["value"] if isinstance(body, dict) else body
    for i, policy in enumerate(items):
        policy["displayName"] = HOSTILE_NAMES[i % len(HOSTILE_NAMES)] + f" #{i}"
    path.write_text(json.dumps(body), encoding="utf-8")
    return root


def assert_inert(app: ZtApp, shown: str) -> None:
    """Nothing of an escape sequence or a bidi override reached the screen; markup is shown as text."""
    svg = app.export_screenshot()
    for bad in ("\x1b", "\x07", "\x00", "\u202e", "]8;;"):
        assert bad not in shown and bad not in svg, repr(bad)
    for line in shown.splitlines():
        assert len(line) <= app.size.width, line[:80]


# --- the console opens on it ---------------------------------------------------------------------------


def test_the_console_opens_on_the_overview() -> None:
    assert PANES[0] is OverviewPane and ZtApp.DEFAULT_MODE == "overview"
    order = [p.ID for p in PANES]
    assert order.index("overview") < order.index("findings") < order.index("data")
    assert OverviewPane.ALIASES == ("overview", "o")


async def test_overview_shows_maturity_matrix_worst_findings_and_data_health() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await assessed(app, pilot)
        assessment = pane.assessment
        assert assessment is not None
        shown = screen_text(app)
        table = pane.table
        keys = table.shown_keys()
    # maturity: each pillar with its level, and the checks that keep it from the next level
    for pillar, m in assessment.maturity.items():
        line = next(line for line in shown.splitlines() if re.search(rf"\b{pillar}\s+{m.level}", line, re.I))
        if m.level != "optimal":
            blockers = [c for r in m.decided_by if not r.holds for c, s in r.statuses if s not in ("pass", "warn")]
            assert blockers and blockers[0] in line, line
    # the matrix: every area and the total, counted by status
    counts = {s: sum(f.status == s for f in assessment.findings) for s in ("fail", "error", "warn", "skip", "pass")}
    total = next(line for line in shown.splitlines() if line.strip().startswith("total"))
    assert total.split()[1:6] == [f"{counts[s]:,}" for s in ("fail", "error", "warn", "skip", "pass")]
    for area in ("identity", "break-glass", "cae", "private-access", "network", "visibility"):
        assert re.search(rf"^\s*{area}\s+\d", shown, re.M), area
    # the worst findings: every open one, fail first by severity, then warn
    opened = [f for f in assessment.findings if f.status in ("fail", "warn", "error")]
    assert len(keys) == len(opened)
    ranks = []
    by_key = dict(zip(finding_keys(assessment.findings), assessment.findings))
    for key in keys:
        f = by_key[key]
        ranks.append((("fail", "error", "warn").index(f.status),
                      ("critical", "high", "medium", "low", "info").index(f.severity)))
    assert ranks == sorted(ranks)
    first = by_key[keys[0]]
    assert first.status == "fail" and first.severity == "critical"
    assert f"{len(assessment.findings):,} findings: {counts['fail']} fail" in shown
    assert "Data sets 44 ok" in shown and "every data set read completely" in shown


async def test_overview_fits_80_columns() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await assessed(app, pilot)
        shown = screen_text(app)
    lines = shown.splitlines()
    total = next(line for line in lines if line.strip().startswith("total"))
    assert total.rstrip().endswith("0") and "…" not in total  # the whole matrix row fits
    assert any(line.startswith("fail   critical") for line in lines)  # at least one worst finding
    assert any(line.lstrip().startswith("Data sets") for line in lines)


class GatedAnalysis(Analysis):
    """The checks wait for a gate (or fail), so what the pane says meanwhile can be seen."""

    def __init__(self, *, error: Exception | None = None) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.error = error

    async def assess(self, tenant: Any) -> Assessment:
        await self.gate.wait()
        if self.error is not None:
            raise self.error
        return await super().assess(tenant)


async def test_while_the_checks_run_the_overview_says_so() -> None:
    analysis = GatedAnalysis()
    app = make_app(analysis=analysis)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await until(lambda: f"Running {len(REGISTRY)} checks" in screen_text(app))
        shown = screen_text(app)
        assert shown.count(f"Running {len(REGISTRY)} checks") >= 2  # the state line and the empty table
        assert "Data sets 44 ok" in shown  # what is known is shown
        analysis.gate.set()
        pane = app.screen
        assert isinstance(pane, OverviewPane)
        await until(lambda: pane.summary is not None)
        await pilot.pause()
        assert "Running" not in screen_text(app)


async def test_a_failure_of_the_checks_is_shown_in_place_and_the_rest_works() -> None:
    analysis = GatedAnalysis(error=RuntimeError("checks on fire"))
    analysis.gate.set()
    app = make_app(analysis=analysis)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await until(lambda: "The checks failed: RuntimeError: checks on fire" in screen_text(app))
        assert "No findings: the checks failed." in screen_text(app)
        app.go("data")
        await pilot.pause()
        assert app.current_mode == "data" and app.is_running
        assert "44 ok" in screen_text(app)


async def test_enter_opens_the_finding_in_findings_and_esc_comes_back() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await assessed(app, pilot)
        await pilot.press("down", "down")
        key = pane.table.cursor_key
        assert key is not None and pane.summary is not None
        check = pane.summary.keys[key]
        await pilot.press("enter")
        await until(lambda: app.current_mode == "findings")
        findings = app.screen
        assert isinstance(findings, FindingsPane)
        await until(lambda: findings.table.cursor_key == key)
        assert findings.view == check and findings.selection.check == check
        shown = screen_text(app)
        assert f"Overview › Findings: {check}" in shown
        assert all(k.startswith(check + "|") for k in findings.table.shown_keys())
        await pilot.press("escape")
        await until(lambda: app.current_mode == "overview")
        assert pane.table.cursor_key == key  # the Overview kept its place
        # a / filter in Findings that hides the finding asked for is cleared, the cursor put on it
        findings.apply_filter(findings.table, "no such text")
        await pilot.press("enter")
        await until(lambda: app.current_mode == "findings" and findings.table.cursor_key == key)
        assert findings.table.filter_text == ""


async def test_an_incomplete_data_set_is_named_with_why_and_the_rest_still_shows(tmp_path: Path) -> None:
    root = copy_demo(tmp_path)
    forbid(root, "ca_policies")
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        pane = await assessed(app, pilot)
        await pilot.pause()
        shown = screen_text(app)
        assert pane.assessment is not None
    assert "43 ok, 1 forbidden  (their checks: skip or error)" in shown
    permission = BY_KEY["ca_policies"].permission
    assert f"Conditional Access policies is forbidden: grant {permission}" in shown
    assert "403 Authorization_RequestDenied" in shown
    # the checks that need the policies are skipped, the network ones still judged and shown
    assert {f.status for f in pane.assessment.by_check("ZT-CA-001")} == {"skip"}
    assert "ZT-NET-004" in shown


async def test_hostile_names_are_shown_as_the_text_they_are(tmp_path: Path) -> None:
    app = make_app(hostile_tenant(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        pane = await assessed(app, pilot)
        await pilot.press("slash", *"bold red", "enter")
        await pilot.pause()
        shown = screen_text(app)
        rows = [pane.table.row(k) for k in pane.table.shown_keys()]
        cells = [c for r in rows if r is not None for c in r.cells if isinstance(c, Text)]
        await pilot.press("escape")
        await pilot.pause()
        everything = screen_text(app)
        assert_inert(app, everything)
        assert_inert(app, shown)
    assert "[bold red]x[/] #" in shown  # markup shown literally, in the worst findings
    assert rows and all(not c.spans for c in cells if "[bold red]" in c.plain)  # never parsed as markup
    assert any(isinstance(c, str) and "[bold red]x[/]" in c for r in rows if r is not None for c in r.cells)
    assert "[bold red]x[/]" in everything.splitlines()[0]  # the tenant name in the header


async def test_many_incomplete_data_sets_are_counted_not_cut(tmp_path: Path) -> None:
    root = copy_demo(tmp_path)
    for key in ("ca_policies", "users", "groups"):
        forbid(root, key)
    app = make_app(root)
    async with app.run_test(size=SMALL) as pilot:
        await assessed(app, pilot)
        shown = screen_text(app)
    assert "41 ok, 3 forbidden" in shown
    assert f"Conditional Access policies is forbidden: grant {BY_KEY['ca_policies'].permission}" in shown
    assert "and 2 more not read completely (:data lists them)" in shown


# --- snapshot ----------------------------------------------------------------------------------------------


def test_snapshot_overview(snap_compare: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(header, "_now", lambda: datetime(2026, 11, 22, 10, 0, 0))
    app = make_app()

    async def wait(pilot: Any) -> None:
        await assessed(app, pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=wait)
