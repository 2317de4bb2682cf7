"""The Sign-ins pane: the log newest first, the field filter, a sign-in's applied policies beside a local
what-if with the differences marked, incomplete data, hostile text and a large log."""

from __future__ import annotations

import asyncio
import io
import json
import shlex
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text

from conftest import until
from test_ui_first_screen import screen_text
from test_ui_pane_breakglass import CA001, HOSTILE, LONG, demo_copy
from ztconsole.demo import demo_dir
from ztconsole.tenantdir import TenantDir
from ztconsole.ui import header
from ztconsole.ui.analysis import Analysis
from ztconsole.ui.app import ZtApp
from ztconsole.ui.panes.data import DataPane
from ztconsole.ui.panes.signins import (
    FAILURES,
    Entry,
    PolicyReasons,
    SignInDetails,
    SignInsPane,
    parse_query,
)
from ztconsole.ui.vtable import VirtualTable

SIZE = (100, 30)
SIGN_INS = "graph/v1.0/auditLogs/signIns.json"
NEWEST = "feb34350-814b-5d1b-ad55-6732fd3c1d21"  # 2026-11-22T09:12:50Z, GerhartM, every policy agrees
FAILED = 66  # sign-ins of the demo log with a non-zero error code


class SiApp(ZtApp):
    PANES = (SignInsPane, DataPane)


def make_app(path: Path, **kwargs: Any) -> SiApp:
    kwargs.setdefault("analysis", Analysis(source_args=("--demo",)))
    return SiApp(TenantDir.open(path), badge="DEMO", clock=lambda: 0.0, **kwargs)




async def ready(app: SiApp, pilot: Any) -> SignInsPane:
    await asyncio.wait_for(app.loaded.wait(), 30)
    pane = app.screen
    assert isinstance(pane, SignInsPane)
    await until(lambda: pane._all is not None)
    await pilot.pause()
    return pane


async def details(app: SiApp, pilot: Any) -> SignInDetails:
    await pilot.press("enter")
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, SignInDetails)
    await until(lambda: dialog.command)
    await pilot.pause()
    return dialog


# --- the log ----------------------------------------------------------------------------------------


async def test_the_log_newest_first_with_every_column() -> None:
    app = make_app(demo_dir())
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        table = pane.table
        keys = table.shown_keys()
        times = [pane.sign_ins[k].created_date_time for k in keys]
        text = screen_text(app)
    assert table.row_count == 500 and keys[0] == NEWEST
    assert times == sorted(times, reverse=True)
    head = next(line for line in text.splitlines() if "Time (UTC)" in line)
    for label in ("User", "App", "Client", "IP", "CC", "Risk", "Status", "CA"):
        assert label in head
    first = next(line for line in text.splitlines() if line.startswith("2026-11-22 09:12"))
    for value in ("GerhartM@", "Microsoft Of", "203.0.113.19", "NL", "none", "ok", "success"):
        assert value in first
    assert "500 sign-ins, newest first" in text


async def test_field_filters_and_the_failures_key() -> None:
    app = make_app(demo_dir())
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        table = pane.table
        await pilot.press("f")
        await until(lambda: table.shown_count == FAILED)
        failures = [pane.sign_ins[k] for k in table.shown_keys()]
        crumb = pane.query_one("#breadcrumb").plain
        pane.apply_filter(table, "country:ru ca:failure")
        await until(lambda: table.shown_count != FAILED)
        russia = [pane.sign_ins[k] for k in table.shown_keys()]
        pane.apply_filter(table, "status:53003 -country:ru,kp")
        await until(lambda: table.shown_keys() and all(pane.sign_ins[k].country not in ("RU", "KP")
                                                       for k in table.shown_keys()))
        blocked = [pane.sign_ins[k] for k in table.shown_keys()]
        pane.apply_filter(table, "user:nobody-at-all")
        await until(lambda: table.shown_count == 0)
        empty = screen_text(app)
        await pilot.press("f")  # from another filter: failures
        await until(lambda: table.shown_count == FAILED)
        await pilot.press("f")  # again: everything
        await until(lambda: table.shown_count == 500)
    assert failures and all(si.status is not None and si.status.error_code != 0 for si in failures)
    assert FAILURES in crumb
    assert russia and all(si.country == "RU" and si.conditional_access_status == "failure" for si in russia)
    assert blocked and all(si.status.error_code == 53003 for si in blocked)
    assert "No sign-in matches user:nobody-at-all" in empty


def test_the_filter_syntax() -> None:
    e = Entry(user="adele vance adelev@contoso.com u1", app="microsoft teams 1fec8e78", client="browser",
              ip="10.1.2.3", country="nl", risk="medium", code=50126, reason="invalid username or password",
              ca="notapplied", words="adelev@contoso.com\0microsoft teams\0nl")
    assert parse_query("user:adele").matches(e)
    assert parse_query("app:\"microsoft teams\" ip:10.1.").matches(e)
    assert parse_query("ip:10.0.0.0/8 country:nl,be risk:medium").matches(e)
    assert not parse_query("ip:10.2.").matches(e) and not parse_query("ip:192.168.0.0/16").matches(e)
    assert parse_query("status:failure status:50126 status:password").matches(e)
    assert not parse_query("status:ok").matches(e)
    assert parse_query("ca:not -ca:success !country:de").matches(e)
    assert not parse_query("-user:adele").matches(e)
    assert parse_query("teams").matches(e) and not parse_query("sharepoint").matches(e)
    assert parse_query("2001:db8::1").terms[0].field is None  # an IPv6 address is a word, not a field
    assert not parse_query("user:")  # a field without a value filters nothing
    assert parse_query('app:"unbalanced').terms  # an open quote: words as typed


# --- details: Entra beside the local what-if -------------------------------------------------------


def _disagreeing(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest sign-in (GerhartM, Office 365 Exchange Online): Entra says CA001 did not apply, and
    recorded a policy that is not loaded."""
    for item in items:
        if item["id"] == NEWEST:
            for ap in item["appliedConditionalAccessPolicies"]:
                if ap["id"] == CA001:
                    ap["result"] = "notApplied"
            item["appliedConditionalAccessPolicies"].append(
                {"id": "0000dead-0000-4000-8000-000000000000", "displayName": "Deleted since",
                 "enforcedGrantControls": ["Block"], "enforcedSessionControls": [], "result": "failure"})
    return items


async def test_enter_compares_entra_with_the_local_whatif_and_esc_goes_back(tmp_path: Path) -> None:
    path = demo_copy(tmp_path / "t", edit={SIGN_INS: _disagreeing})
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        assert pane.table.cursor_key == NEWEST
        dialog = await details(app, pilot)
        text = screen_text(app)
        rows = dict(dialog.comparisons)
        policies = dialog.query_one("#si-policies", VirtualTable).shown_keys()
        line = dialog.command
        await pilot.press("enter")  # the policy under the cursor, whole
        await pilot.pause()
        policy = app.screen
        whole = policy.body.plain if isinstance(policy, PolicyReasons) else ""
        await pilot.press("escape")
        await pilot.pause()
        again = app.screen
        await pilot.press("escape")
        await pilot.pause()
        back = app.screen
    ca001 = rows[CA001]
    assert ca001.entra == "notApplied" and ca001.local.startswith("applies: (mfa)")
    assert ca001.difference == "the local evaluator applies it, Entra did not"
    gone = rows["0000dead-0000-4000-8000-000000000000"]
    assert gone.local == "" and gone.difference == "not among the loaded policies"
    agree = [c for c in rows.values() if not c.differs]
    assert agree and all(c.local for c in agree)
    assert policies[:2] == sorted(policies[:2], key=lambda k: rows[k].name.lower())  # differences first
    assert {rows[k].differs for k in policies[:2]} == {True} and not rows[policies[2]].differs
    assert "2 differences" in text and "Entra recorded" in text and "Local what-if" in text
    assert "the local evaluator applies it, Entra did not" in text  # the first row's reasons
    assert shlex.split(line) == [
        "ztconsole", "whatif", "--demo", "--user", "GerhartM@contoso.com", "--app",
        "00000002-0000-0ff1-ce00-000000000000", "--client-app", "mobileAppsAndDesktopClients", "--platform",
        "windows", "--ip", "203.0.113.19", "--country", "NL",
        "--device", "deviceId=ac673931-1f2d-53da-b90e-a3d996751a33", "--device", "isCompliant=True",
        "--device", "operatingSystem=Windows10", "--device", "trustType=AzureAD"]
    assert isinstance(policy, PolicyReasons) and policy.comparison.policy_id == CA001
    assert "  - the policy includes all users" in whole and "Entra: notApplied, enforced Mfa" in whole
    assert again is dialog
    assert back is pane


async def test_the_whatif_line_replays_the_same_evaluation() -> None:
    """The line given is the local evaluation: ``ztconsole whatif`` on it applies the same policies."""
    from ztconsole.cli import run

    app = make_app(demo_dir())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        dialog = await details(app, pilot)
        applied = sorted(c.policy_id for c in dialog.comparisons.values()
                         if c.local_result is not None and c.local_result.applies)
        out = io.StringIO()
        code = await asyncio.to_thread(run, shlex.split(dialog.command)[1:] + ["--json"], out=out)
    assert code == 0
    doc = json.loads(out.getvalue())
    assert sorted(p["id"] for p in doc["policies"] if p["applies"]) == applied


# --- incomplete data, hostile text, a large log ---------------------------------------------------------


async def test_a_forbidden_log_says_which_permission(tmp_path: Path) -> None:
    path = demo_copy(tmp_path / "t", datasets={"graph/v1.0/auditLogs/signIns": {
        "status": "forbidden", "message": "403 Authorization_RequestDenied"}})
    (path / SIGN_INS).unlink()  # a forbidden read recorded nothing
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        text = screen_text(app)
        count = pane.table.row_count
    assert count == 0
    assert "signIns is forbidden" in text and "AuditLog.Read.All" in text
    assert "No sign-ins: the log is forbidden" in text


async def test_an_incomplete_evaluator_input_is_said_in_the_details(tmp_path: Path) -> None:
    path = demo_copy(tmp_path / "t", datasets={"graph/v1.0/identity/conditionalAccess/namedLocations": {
        "status": "throttled", "message": "429 after 3 retries"}})
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        outside = screen_text(app)
        count = pane.table.row_count
        await details(app, pilot)
        text = screen_text(app)
    assert count == 500  # the log is whole
    assert "namedLocations is throttled" in outside
    assert "The local what-if read incomplete data: named_locations" in text


async def test_hostile_names_render_inert(tmp_path: Path) -> None:
    def hostile(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for item in items:
            if item["id"] == NEWEST:
                item["userPrincipalName"] = HOSTILE + LONG
                item["userDisplayName"] = HOSTILE
                item["appDisplayName"] = HOSTILE
                item["ipAddress"] = "\x1b[2J203.0.113.19"
                item["status"]["failureReason"] = HOSTILE
                item["appliedConditionalAccessPolicies"].append(
                    {"id": "0000dead-0000-4000-8000-000000000000", "displayName": HOSTILE + LONG,
                     "enforcedGrantControls": [HOSTILE], "enforcedSessionControls": [], "result": "success"})
        return items

    path = demo_copy(tmp_path / "t", edit={SIGN_INS: hostile})
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        text = screen_text(app)
        svg = app.export_screenshot()
        row = pane.table.row(NEWEST)
        dialog = await details(app, pilot)
        dialog.query_one("#si-policies", VirtualTable).move_to("0000dead-0000-4000-8000-000000000000")
        await pilot.pause()
        inside = screen_text(app)
        svg_inside = app.export_screenshot()
        pane.apply_filter(pane.table, "user:[bold")  # markup-like text is a plain filter value
        await until(lambda: pane.table.shown_count == 1)
    assert "[bold red]" in text and "[bold red]x[/] red" in inside  # markup shown as text
    for raw in ("\x1b", "\u202e", "\x00", "\x07"):
        assert raw not in svg and raw not in svg_inside
    assert all(len(line) <= SIZE[0] for line in (text + "\n" + inside).splitlines())
    assert row is not None
    assert all(not cell.spans for cell in row.cells if isinstance(cell, Text))
    assert LONG not in inside  # 10,000 characters cut


async def test_a_large_log_is_shown_without_holding_the_event_loop(tmp_path: Path) -> None:
    base = json.loads((demo_dir() / SIGN_INS).read_text(encoding="utf-8"))
    start = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)

    def many(_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for i in range(40_000):
            item = dict(base[i % len(base)])
            item["id"] = f"{i:08d}-0000-4000-8000-000000000000"
            item["createdDateTime"] = (start - timedelta(seconds=7 * i)).isoformat().replace("+00:00", "Z")
            out.append(item)
        return out

    path = demo_copy(tmp_path / "t", edit={SIGN_INS: many})
    app = make_app(path)
    adopted: list[tuple[int, float]] = []
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.loaded.wait(), 60)
        pane = app.screen
        assert isinstance(pane, SignInsPane)
        table = pane.table
        original = table.set_prepared

        def timed(prepared: Any) -> None:
            t0 = time.perf_counter()
            original(prepared)
            adopted.append((len(prepared.rows), time.perf_counter() - t0))

        table.set_prepared = timed  # type: ignore[method-assign]
        await until(lambda: pane._all is not None, 60)
        await pilot.pause()
        first = table.cursor_key
        pane.apply_filter(table, "status:failure")
        await until(lambda: adopted and adopted[-1][0] < 40_000, 60)
        await pilot.press("end")
        await pilot.pause()
        count = len(pane._all.rows) if pane._all is not None else 0
    assert count == 40_000 and first == "00000000-0000-4000-8000-000000000000"
    assert max(seconds for _, seconds in adopted) < 0.25  # handing 40,000 rows over takes no measuring


def test_compare_of_an_unrecorded_sign_in() -> None:
    """A sign-in Entra recorded no policy for (it failed before Conditional Access): nothing differs."""
    from ztconsole.engine.ca.context import Context
    from ztconsole.engine.ca.evaluation import what_if
    from ztconsole.engine.impact import scenario_of
    from ztconsole.tenantdir.reader import load_tenant
    from ztconsole.ui.panes.signins import compare

    tenant = load_tenant(demo_dir())
    ctx = Context.from_tenant(tenant)
    si = next(s for s in tenant.sign_ins if not s.applied_conditional_access_policies)
    rows = compare(si, what_if(tenant.ca_policies, scenario_of(si), ctx))
    assert rows and not any(c.differs for c in rows) and all(c.entra == "" for c in rows)


# --- snapshot -------------------------------------------------------------------------------------------


@pytest.fixture
def no_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(header, "_now", lambda: datetime(2026, 11, 22, 10, 5, tzinfo=UTC))


def test_snapshot_signins(snap_compare, no_wall_clock) -> None:
    app = make_app(demo_dir())

    async def wait(pilot: Any) -> None:
        await ready(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=wait)


def test_snapshot_signin_details(snap_compare, no_wall_clock, tmp_path: Path) -> None:
    app = make_app(demo_copy(tmp_path / "t", edit={SIGN_INS: _disagreeing}))

    async def open_first(pilot: Any) -> None:
        await ready(app, pilot)
        await details(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_first)


async def test_the_aliases_show_the_pane() -> None:
    app = make_app(demo_dir())
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        for keys, wanted in ((":data", DataPane), (":si", SignInsPane), (":data", DataPane),
                             (":signins", SignInsPane)):
            await pilot.press(*keys, "enter")
            await until(lambda wanted=wanted: isinstance(app.screen, wanted))


async def test_prepared_rows_show_what_set_rows_would() -> None:
    """The log's table takes prepared rows; what it shows must not drift from the stock table's."""
    from textual.app import App, ComposeResult

    from ztconsole.tenantdir.reader import load_tenant
    from ztconsole.ui.panes.signins import SignInTable, build

    tenant = load_tenant(demo_dir(), keys=["sign_ins"])
    prepared, _ = build(tenant.sign_ins, {}, len(SignInsPane.COLUMNS))

    class Both(App[None]):
        def compose(self) -> ComposeResult:
            yield SignInTable(SignInsPane.COLUMNS, on_filter=lambda _v: None, empty="", id="a")
            yield VirtualTable(SignInsPane.COLUMNS, id="b")

    app = Both()
    async with app.run_test(size=SIZE) as pilot:
        a, b = app.query_one("#a", SignInTable), app.query_one("#b", VirtualTable)
        a.set_prepared(prepared)
        b.set_rows(prepared.rows)
        await pilot.pause()
        assert a.shown_keys() == b.shown_keys() and a.cursor_key == b.cursor_key
        assert [a.render_line(y).text for y in range(5)] == [b.render_line(y).text for y in range(5)]
