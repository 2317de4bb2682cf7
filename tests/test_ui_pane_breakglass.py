"""The Break-glass pane: each declared emergency access account with every ZT-BG check as a checklist, the
lock-out checks made to stand out, details on Enter, declared-but-missing accounts, incomplete data, and
tenant text rendered inert.

``demo_copy`` (a copy of the demo tenant, edited) is shared with the Sign-ins pane's tests."""

from __future__ import annotations

import asyncio
import json
import shlex
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.text import Text

from conftest import until
from test_ui_first_screen import screen_text
from ztconsole.demo import demo_dir
from ztconsole.tenantdir import TenantDir
from ztconsole.ui import header
from ztconsole.ui.analysis import Analysis
from ztconsole.ui.app import ZtApp
from ztconsole.ui.panes.breakglass import BreakGlassPane, CheckScreen, items
from ztconsole.ui.panes.data import DataPane
from ztconsole.ui.safe import clean
from ztconsole.ui.vtable import VirtualTable

SIZE = (100, 30)
BG1 = "f9bfd152-27a7-5a3c-909e-b4401243722c"  # bg-admin-01: every check passes
BG2 = "efca87da-ad8f-556a-bb66-51fd73f6f04e"  # bg-admin-02: locked out by CA001 (ZT-BG-005 fail)
CA001 = "db49ddc7-24da-5abc-8740-8b6470dbc55c"
HOSTILE = "[bold red]x[/] \x1b[31mred\x1b]8;;http://e\x07link\x1b]8;;\x07 \u202eevil\x00nul"
LONG = "N" * 10_000

TOML = """\
format = 1
[tenant]
id = "2f4a9c3e-6b1d-4e8a-9f7c-0d5e3b1a8c64"
display_name = "Contoso"
default_domain = "contoso.onmicrosoft.com"
[azure]
subscriptions = ["1b4e2c8a-7d3f-4a6b-9c5e-2f8d1a7b3e90", "8c3d5f1a-2e6b-4d9c-a7f4-6b0e9d2c1a35"]
[capture]
captured_at = "2026-11-22T10:00:00Z"
source = "demo"
[break_glass]
accounts = {accounts}
{datasets}
"""


def demo_copy(root: Path, *, accounts: list[str] | None = None, datasets: dict[str, dict[str, str]] | None = None,
              edit: dict[str, Callable[[Any], Any]] | None = None) -> Path:
    """A copy of the demo tenant with its ``tenant.toml`` rewritten (declared ``accounts``, ``[datasets]``
    entries by label) and JSON files changed by ``edit`` (path inside the directory -> function of the
    parsed document returning the new one)."""
    shutil.copytree(demo_dir(), root)
    accounts = accounts if accounts is not None else ["bg-admin-01@contoso.onmicrosoft.com",
                                                      "bg-admin-02@contoso.onmicrosoft.com"]
    tables = "\n".join(f'[datasets."{label}"]\nstatus = {json.dumps(v["status"])}\n'
                       f'message = {json.dumps(v["message"])}' for label, v in (datasets or {}).items())
    (root / "tenant.toml").write_text(TOML.format(accounts=json.dumps(accounts), datasets=tables), encoding="utf-8")
    for rel, change in (edit or {}).items():
        path = root / rel
        path.write_text(json.dumps(change(json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")
    return root


def renamed(ids: dict[str, dict[str, str]]) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """An ``edit`` that sets properties of the items with the given ids."""
    def change(items_: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for item in items_:
            item.update(ids.get(item.get("id", ""), {}))
        return items_
    return change


class BgApp(ZtApp):
    PANES = (BreakGlassPane, DataPane)


def make_app(path: Path, **kwargs: Any) -> BgApp:
    kwargs.setdefault("analysis", Analysis(source_args=("--demo",)))
    return BgApp(TenantDir.open(path), badge="DEMO", clock=lambda: 0.0, **kwargs)




async def ready(app: BgApp, pilot: Any) -> BreakGlassPane:
    await asyncio.wait_for(app.loaded.wait(), 20)
    pane = app.screen
    assert isinstance(pane, BreakGlassPane)
    await until(lambda: pane.items)
    await pilot.pause()
    return pane


def checks(pane: BreakGlassPane, account: str) -> dict[str, str]:
    return {item.finding.check: item.status for item in pane.items.values()
            if item.finding is not None and item.account == account}


# --- the checklist ----------------------------------------------------------------------------------


async def test_every_bg_check_per_account_with_its_evidence() -> None:
    app = make_app(demo_dir())
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        table = pane.table
        shown = screen_text(app)
    assert table.row_count == 1 + 7 * 2  # ZT-BG-001 on the tenant, 002..008 on each account
    assert checks(pane, "bg-admin-01@contoso.onmicrosoft.com") == {f"ZT-BG-00{n}": "pass" for n in range(2, 9)}
    assert checks(pane, "bg-admin-02@contoso.onmicrosoft.com") == {
        "ZT-BG-002": "pass", "ZT-BG-003": "pass", "ZT-BG-004": "pass", "ZT-BG-005": "fail", "ZT-BG-006": "fail",
        "ZT-BG-007": "fail", "ZT-BG-008": "warn"}
    assert "2 account(s) in the directory" in shown and "3 fail, 1 warn, 11 pass" in shown
    assert "ZT-BG-001" in shown and "2 emergency access" in shown
    lines = {line for line in shown.splitlines() if "ZT-BG-006" in line and "bg-admin-02" in line}
    assert lines and all("no phishing-resistant" in line for line in lines)


async def test_lockouts_stand_out_and_the_cursor_starts_on_the_first() -> None:
    app = make_app(demo_dir())
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        banner = pane.query_one("#bg-banner")
        text = screen_text(app)
        key = pane.table.cursor_key
        row = pane.table.row(key or "")
    assert key == f"ZT-BG-005|{BG2}"
    assert banner.has_class("-shown") and banner.has_class("-fail")
    assert "LOCK-OUT ZT-BG-005 bg-admin-02@contoso.onmicrosoft.com: 1 enabled policy would lock" in text
    assert "LOCK-OUT ONCE ENFORCED ZT-BG-008 bg-admin-02@contoso.onmicrosoft.com" in text
    assert row is not None and row.style  # drawn in the failure colour
    assert isinstance(row.cells[4], Text) and row.cells[4].plain.startswith("LOCK-OUT: 1 enabled policy")


async def test_a_filter_never_hides_the_lockout_banner() -> None:
    app = make_app(demo_dir())
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        pane.apply_filter(pane.table, "bg-admin-01")
        await pilot.pause()
        keys = pane.table.shown_keys()
        text = screen_text(app)
        trail = pane.query_one("#breadcrumb").plain
    assert keys and all(BG1 in key for key in keys if not key.startswith("ZT-BG-001"))
    assert "LOCK-OUT ZT-BG-005 bg-admin-02@contoso.onmicrosoft.com" in text
    assert "bg-admin-01" in trail  # the filter is shown beside the trail


async def test_n_moves_to_the_next_problem() -> None:
    app = make_app(demo_dir())
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        seen = [pane.table.cursor_key]
        for _ in range(4):
            await pilot.press("n")
            await pilot.pause()
            seen.append(pane.table.cursor_key)
    checks_seen = [key.split("|")[0] for key in seen if key]
    # lock-outs first (005, then 008), then the other failures of bg-admin-02, round again
    assert checks_seen[:3] == ["ZT-BG-005", "ZT-BG-008", "ZT-BG-005"]
    assert all(BG2 in key for key in seen if key)


# --- details ---------------------------------------------------------------------------------------


async def test_enter_shows_the_whole_evidence_with_the_whatif_line_and_esc_goes_back() -> None:
    app = make_app(demo_dir())
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, CheckScreen)
        evidence = dialog.evidence
        text = screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        back = app.screen
    assert isinstance(evidence, Text)
    plain = evidence.plain
    assert "CA001-Global-AllApps-AnyPlatform-RequireMFA" in plain and "demands (mfa)" in plain
    line = next(line for line in plain.splitlines() if "reproduce:" in line).split("reproduce: ", 1)[1]
    assert shlex.split(line) == ["ztconsole", "whatif", "--demo", "--user", "bg-admin-02@contoso.onmicrosoft.com",
                                 "--app", "All", "--client-app", "browser"]
    assert "Remediation" in plain and "Exclude the emergency access accounts" in plain
    assert "ZT-BG-005 No enabled policy can lock out an emergency access account" in text
    assert "LOCK-OUT" in text
    assert back is pane


# --- incomplete data, missing and hostile accounts -------------------------------------------------


async def test_incomplete_data_is_named_with_the_permission_and_the_rest_still_shown(tmp_path: Path) -> None:
    path = demo_copy(tmp_path / "t", datasets={"graph/v1.0/auditLogs/signIns": {
        "status": "forbidden", "message": "403 Authorization_RequestDenied"}})
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        text = screen_text(app)
    assert "signIns is forbidden" in text and "AuditLog.Read.All" in text
    assert checks(pane, "bg-admin-02@contoso.onmicrosoft.com")["ZT-BG-005"] == "fail"  # the rest still judged
    skipped = [i for i in pane.items.values() if i.finding is not None and i.finding.check == "ZT-BG-007"]
    assert [i.status for i in skipped] == ["skip"] and "signIns" in skipped[0].finding.evidence


async def test_declared_missing_and_hostile_accounts_render_inert(tmp_path: Path) -> None:
    upn = f"{HOSTILE}@contoso.onmicrosoft.com"
    ghost = f"ghost{HOSTILE}@contoso.onmicrosoft.com"
    path = demo_copy(
        tmp_path / "t", accounts=["bg-admin-01@contoso.onmicrosoft.com", upn, ghost],
        edit={"graph/v1.0/users.json": renamed({BG2: {"userPrincipalName": upn, "displayName": HOSTILE + LONG}}),
              "graph/v1.0/identity/conditionalAccess/policies.json": renamed({CA001: {"displayName": HOSTILE + LONG}})})
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        text = screen_text(app)
        svg = app.export_screenshot()
        missing = [item for item in pane.items.values() if item.finding is None]
        rows = [pane.table.row(key) for key in pane.table.shown_keys()]
        assert pane.table.move_to(f"ZT-BG-005|{BG2}")
        await pilot.press("enter")
        await pilot.pause()
        details = screen_text(app)
        dialog = app.screen
        assert isinstance(dialog, CheckScreen)
        evidence = dialog.evidence
    assert [item.account for item in missing] == [ghost]
    assert "missing" in text and "not in the directory (declared in" in text
    assert missing[0].missing_from == "tenant.toml"
    assert "[bold red]x[/] red" in text  # markup shown as the text it is; escapes gone
    for raw in ("\x1b", "\u202e", "\x00", "\x07"):
        assert raw not in svg and raw not in details
    assert all(len(line) <= SIZE[0] for line in text.splitlines())  # 10,000 characters cut, not wrapped
    for row in rows:
        assert row is not None
        for cell in row.cells:
            if isinstance(cell, Text):  # no span from the tenant's "markup"
                assert not cell.spans and "\x1b" not in cell.plain
    assert clean(upn) in text or clean(upn)[:20] in text  # the account, cleaned where drawn
    assert isinstance(evidence, Text) and "[bold red]x[/] red" in evidence.plain
    assert max(len(line) for line in evidence.plain.splitlines()) <= 1_001  # a 10,000-character name is cut
    assert "\x1b" not in evidence.plain and not any("red" in str(s.style) for s in evidence.spans)


def test_items_order_tenant_then_declared_accounts(tmp_path: Path) -> None:
    """The checklist's order does not depend on the pane: tenant-wide first, then the accounts as declared."""
    from ztconsole.engine.checks import CheckContext, run_all
    from ztconsole.tenantdir.reader import load_tenant
    from ztconsole.ui.analysis import Assessment

    path = demo_copy(tmp_path / "t", accounts=["bg-admin-02@contoso.onmicrosoft.com", "nobody@contoso.com",
                                               "bg-admin-01@contoso.onmicrosoft.com"])
    tenant = load_tenant(path)
    found = tuple(run_all(CheckContext(tenant)))
    rows = items(tenant, Assessment(found, {}))
    accounts = list(dict.fromkeys(item.account for item in rows))
    assert accounts == ["Contoso", "bg-admin-02@contoso.onmicrosoft.com", "nobody@contoso.com",
                        "bg-admin-01@contoso.onmicrosoft.com"]
    assert [item.missing_from for item in rows if item.finding is None] == ["tenant.toml"]


async def test_config_accounts_are_listed_too(tmp_path: Path) -> None:
    path = demo_copy(tmp_path / "t", accounts=["bg-admin-01@contoso.onmicrosoft.com"])
    app = make_app(path, analysis=Analysis(break_glass=("bg-admin-02@contoso.onmicrosoft.com", "gone@contoso.com")))
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
    assert checks(pane, "bg-admin-02@contoso.onmicrosoft.com")["ZT-BG-005"] == "fail"
    assert [(i.account, i.missing_from) for i in pane.items.values() if i.finding is None] == [
        ("gone@contoso.com", "the config file")]


def test_the_pane_needs_the_data_sets_the_checks_read() -> None:
    from ztconsole.engine.checks.registry import BY_ID

    wanted = {key for check in BY_ID.values() if check.id.startswith("ZT-BG-") for key in check.datasets}
    assert set(BreakGlassPane.DATASETS) == wanted


async def test_pane_row_keys_are_in_the_table() -> None:
    app = make_app(demo_dir())
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        assert set(pane.table.shown_keys()) == set(pane.items)
        assert isinstance(pane.table, VirtualTable)


# --- snapshot ---------------------------------------------------------------------------------------


def test_snapshot_breakglass(snap_compare, monkeypatch) -> None:
    monkeypatch.setattr(header, "_now", lambda: datetime(2026, 11, 22, 10, 5, tzinfo=UTC))  # no wall clock
    app = make_app(demo_dir())

    async def wait(pilot: Any) -> None:
        await ready(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=wait)


async def test_a_theme_switch_redraws_the_marks_in_its_colours() -> None:
    app = make_app(demo_dir())
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        key = f"ZT-BG-005|{BG2}"
        before = pane.table.row(key)
        app.theme = "ztconsole-light"
        await until(lambda: pane.table.row(key) is not before)
        after = pane.table.row(key)
    assert before is not None and after is not None
    assert isinstance(before.cells[0], Text) and isinstance(after.cells[0], Text)
    assert before.cells[0].style != after.cells[0].style


async def test_the_aliases_show_the_pane() -> None:
    app = make_app(demo_dir())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        for keys, wanted in ((":data", DataPane), (":bg", BreakGlassPane), (":data", DataPane),
                             (":breakglass", BreakGlassPane)):
            await pilot.press(*keys, "enter")
            await until(lambda wanted=wanted: isinstance(app.screen, wanted))


class BrokenAnalysis(Analysis):
    async def assess(self, tenant: Any) -> Any:
        raise RuntimeError("checks exploded [bold]\x1b[31m")


async def test_a_failing_analysis_is_said_in_the_pane_and_the_console_goes_on() -> None:
    app = make_app(demo_dir(), analysis=BrokenAnalysis())
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.loaded.wait(), 20)
        pane = app.screen
        assert isinstance(pane, BreakGlassPane)
        await until(lambda: "failed" in pane.table.empty)
        await pilot.pause()
        text = screen_text(app)
        await pilot.press(":", "d", "a", "t", "a", "enter")
        await until(lambda: isinstance(app.screen, DataPane))
    assert "The checks failed: RuntimeError: checks exploded [bold]" in text
    assert "\x1b" not in text


async def test_an_ascii_theme_draws_ascii_marks() -> None:
    app = make_app(demo_dir(), theme="ztconsole-high-contrast")
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        marks = {item.status: pane.table.row(key).cells[0] for key, item in pane.items.items()}
        text = screen_text(app)
    assert {status: cell.plain for status, cell in marks.items()} == {"pass": "+", "fail": "x", "warn": "!"}
    assert "x LOCK-OUT ZT-BG-005" in text and "✓" not in text and "✗" not in text


async def test_an_unread_directory_leaves_the_accounts_unknown_not_missing(tmp_path: Path) -> None:
    path = demo_copy(tmp_path / "t", datasets={"graph/v1.0/users": {
        "status": "forbidden", "message": "403 Authorization_RequestDenied"}})
    (path / "graph/v1.0/users.json").unlink()
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        text = screen_text(app)
        unknown = [item for item in pane.items.values() if item.finding is None]
        pane.table.move_to(unknown[0].key)
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, CheckScreen)
        evidence = dialog.evidence.plain
    assert [(i.account, i.status, i.unread) for i in unknown] == [
        ("bg-admin-01@contoso.onmicrosoft.com", "skip", True), ("bg-admin-02@contoso.onmicrosoft.com", "skip", True)]
    assert "users is forbidden" in text and "User.Read.All" in text
    assert "unknown" in text and "missing" not in text.split("Account", 1)[1]
    assert "the directory (users) was not read" in evidence
