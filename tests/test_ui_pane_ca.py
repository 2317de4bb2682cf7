"""The Conditional Access pane: every policy with state, targets, grant, session/CAE, age and its worst
finding; details with every id resolved; the What If form (the engine's answer, and the command line that
gives the same); coverage gaps; report-only impact; incomplete data named; tenant text inert."""

from __future__ import annotations

import asyncio
import io
import json
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from test_ui_first_screen import screen_text
from ztconsole.datasets import BY_KEY
from ztconsole.demo import demo_dir
from ztconsole.tenantdir import TenantDir, load_tenant
from ztconsole.ui import actions
from ztconsole.ui.analysis import Analysis
from ztconsole.ui.app import ZtApp
from ztconsole.ui.panes import PANES
from ztconsole.ui.panes.ca import CaPane
from ztconsole.ui.panes.ca_screens import GapsScreen, ImpactScreen, PolicyScreen, WhatIfScreen
from ztconsole.ui.panes.data import DataPane
from ztconsole.ui.vtable import VirtualTable

SIZE = (120, 40)

CA001 = "db49ddc7"  # CA001-Global-AllApps-AnyPlatform-RequireMFA (ids: prefixes, see _pid)
CA003 = "f201a1b4"  # report-only, Azure management, compliant OR hybrid joined
CA022 = "4fd3899f"  # disables CAE: ZT-CAE-001 fails


class CaApp(ZtApp):
    PANES = (CaPane, DataPane)


def make_app(path: Path | None = None, **kwargs: Any) -> CaApp:
    source = TenantDir.open(path or demo_dir())
    kwargs.setdefault("analysis", Analysis(source_args=("--demo",) if path is None else ("--tenant-dir", str(path))))
    return CaApp(source, badge="DEMO", clock=lambda: 0.0, **kwargs)


async def ready(app: CaApp, pilot: Any, *, findings: bool = True) -> CaPane:
    """The pane once its rows (and, with ``findings``, the checks' findings) are shown."""
    await asyncio.wait_for(app.loaded.wait(), 20)
    pane = app.screen
    assert isinstance(pane, CaPane)
    for _ in range(400):
        if pane.model is not None and (not findings or pane._findings is not None):
            break
        await pilot.pause(0.05)
    assert pane.model is not None
    await pilot.pause()
    return pane


async def until(pilot: Any, predicate: Any, seconds: float = 20) -> None:
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out")


def _pid(pane: CaPane, prefix: str) -> str:
    return next(k for k in pane.model.policies if k.startswith(prefix))


def row_text(table: VirtualTable, key: str) -> str:
    row = table.row(key)
    assert row is not None
    return " | ".join(c.plain if hasattr(c, "plain") else str(c or "") for c in row.cells)


def copy_demo(tmp_path: Path) -> Path:
    out = tmp_path / "tenant"
    shutil.copytree(demo_dir(), out)
    return out


def rewrite(root: Path, key: str, change: Any) -> None:
    path = root / BY_KEY[key].file_path()
    items = json.loads(path.read_text(encoding="utf-8"))
    change(items)
    path.write_text(json.dumps(items), encoding="utf-8")


# --- the list ---------------------------------------------------------------------------------------------


async def test_every_policy_is_listed_with_state_grant_session_age_and_worst_finding() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        table = pane.table
        tenant = load_tenant(demo_dir())
        assert table.row_count == len(tenant.ca_policies) == 27
        ca022 = row_text(table, _pid(pane, CA022))
        assert ca022.startswith("enabled | CA022-Vendors")
        assert "MFA" in ca022 and "CAE off" in ca022 and "16mo" in ca022  # modified 2025-07-10, captured 2026-11-22
        assert "fail ZT-CAE-001" in ca022
        ca003 = row_text(table, _pid(pane, CA003))
        assert ca003.startswith("report-only")
        assert "compliant OR hybrid" in ca003 and "warn ZT-CA-006" in ca003
        assert "All -2 → Windows Azure Service Management API" in ca003
        block = row_text(table, _pid(pane, "c1c244bc"))  # CA002 blocks legacy authentication
        assert "| block |" in block
        text = screen_text(app)
        assert "CA001-Global-AllApp" in text and "report-only" in text and "fail ZT-CAE-001" in text
        # the disabled policies are dimmed
        assert table.row(_pid(pane, "95dd9ada")).style == "dim"


async def test_the_list_shows_before_the_checks_finish_and_fills_in_their_findings() -> None:
    gate = asyncio.Event()

    class SlowAnalysis(Analysis):
        async def assess(self, tenant: Any) -> Any:
            await gate.wait()
            return await super().assess(tenant)

    app = make_app(analysis=SlowAnalysis(source_args=("--demo",)))
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot, findings=False)
        assert pane.table.row_count == 27
        assert row_text(pane.table, _pid(pane, CA022)).endswith("| …")  # findings pending
        gate.set()
        await until(pilot, lambda: pane._findings is not None)
        await pilot.pause()
        assert row_text(pane.table, _pid(pane, CA022)).endswith("fail ZT-CAE-001")


async def test_filter_narrows_the_list_and_esc_clears_it() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        await pilot.press("slash", *"report-only", "enter")
        await pilot.pause()
        shown = pane.table.shown_keys()
        assert len(shown) == 4 and all(pane.model.policy(k).state == "enabledForReportingButNotEnforced" for k in shown)
        assert "Conditional Access / report-only" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert pane.table.shown_count == 27


# --- details ----------------------------------------------------------------------------------------------


async def test_enter_opens_the_policy_with_every_id_resolved_and_esc_comes_back() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        assert pane.table.move_to(_pid(pane, CA003))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PolicyScreen)
        text = screen_text(app)
        assert "CA003-Admins-AzureManagement-RequireCompliantOrHybridDevice" in text
        assert "users.excludeUsers" in text and "Emergency Access 02 (bg-admin-02@contoso.onmicrosoft.com)" in text
        assert "users.excludeGroups" in text and "SG-CA-Exclusions-BreakGlass" in text
        assert "Windows Azure Service Management API" in text
        assert "compliant device OR hybrid joined" in text
        assert "ZT-CA-006" in text and "warn" in text  # the finding about it
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is pane


async def test_details_name_locations_roles_and_strengths() -> None:
    app = make_app()
    async with app.run_test(size=(140, 80)) as pilot:
        pane = await ready(app, pilot)
        pane.table.move_to(_pid(pane, "e716c44b"))  # CA004: privileged roles, phishing-resistant strength
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        assert "users.includeRoles" in text and "Global Administrator" in text
        assert "strength: Phishing-resistant MFA" in text or "Phishing resistant MFA" in text
        await pilot.press("escape")
        pane.table.move_to(_pid(pane, "b2c2c71d"))  # CA005: blocked countries
        await pilot.press("enter")
        await pilot.pause()
        text = screen_text(app)
        assert "locations.includeLocations" in text and "(countries" in text


# --- What If ----------------------------------------------------------------------------------------------


def cli_json(line: str) -> dict[str, Any]:
    from ztconsole.cli import run

    argv = shlex.split(line)
    assert argv[:2] == ["ztconsole", "whatif"]
    out, err = io.StringIO(), io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run([*argv[1:], "--json"])
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue())


async def test_whatif_evaluates_with_the_engine_and_gives_the_command_line_of_the_same_answer() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        pane.table.move_to(_pid(pane, CA003))
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WhatIfScreen)
        # prefilled from the policy: a user it includes and does not exclude, its app
        user = screen.query_one("#wi-user").value
        assert user and not user.startswith("bg-admin")
        assert screen.query_one("#wi-app").value == "797f4846-ba00-4fd7-ba43-dac1f8f63013"
        await until(pilot, lambda: screen.result is not None)
        await pilot.pause()
        # change the sign-in: a mobile client from a given IP, and evaluate again with Enter
        screen.query_one("#wi-client-app").value = "mobileAppsAndDesktopClients"
        screen.query_one("#wi-ip").value = "203.0.113.9"
        screen.query_one("#wi-user").focus()
        first = screen.result
        await pilot.press("enter")
        await until(pilot, lambda: screen.result is not first)
        await pilot.pause()
        result = screen.result
        assert screen.command.startswith("ztconsole whatif --demo --user ")
        assert "--client-app mobileAppsAndDesktopClients" in screen.command and "--ip 203.0.113.9" in screen.command
        cli = await asyncio.to_thread(cli_json, screen.command)  # the command runs its own event loop
        assert cli["summary"]["applied"] == list(result.applied)
        assert cli["summary"]["reportOnly"] == list(result.report_only)
        assert [(p["id"], p["applies"], p["reasons"]) for p in cli["policies"]] == \
            [(p.id, p.applies, list(p.reasons)) for p in result.policies]
        text = screen_text(app)
        assert "Decision: " + result.decision in text
        assert "Same answer: ztconsole whatif --demo" in text
        assert _pid(pane, CA003) in result.report_only  # the report-only policy would apply to its own admin
        assert screen.query_one(VirtualTable).row_count == 27
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is pane


async def test_whatif_says_which_input_it_cannot_use() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        await until(pilot, lambda: screen.result is not None)
        screen.query_one("#wi-user").value = "nobody@contoso.com"
        screen.query_one("#wi-user").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "--user 'nobody@contoso.com': no user has that object id or UPN" in screen_text(app)
        screen.query_one("#wi-user").value = "MeganB@contoso.com"
        screen.query_one("#wi-platform").value = "amiga"
        await pilot.press("enter")
        await pilot.pause()
        assert "--platform must be one of" in screen_text(app)
        screen.query_one("#wi-platform").value = ""
        screen.query_one("#wi-device").value = "bogus"
        await pilot.press("enter")
        await pilot.pause()
        assert "--device expects KEY=VALUE, got 'bogus'" in screen_text(app)
        screen.query_one("#wi-device").value = "isCompliant=True, trustType=AzureAD"
        before = screen.result
        await pilot.press("enter")
        await until(pilot, lambda: screen.result is not before)
        assert "--device isCompliant=True --device trustType=AzureAD" in screen.command
        assert screen.result.scenario["device"] == {"isCompliant": True, "trustType": "AzureAD"}


CA008 = "CA008-Global-AllApps-BlockDeviceCodeFlow"  # authenticationFlows deviceCodeFlow: block
CA015 = "CA015-Global-RegisterOrJoinDevices-RequireMFA"  # the user action registerOrJoinDevices
CA016 = "CA016-Finance-AuthContextC1-RequireContosoKeys"  # the authentication context c1, Dept - Finance


def _applied_names(result: Any) -> set[str]:
    return {p.display_name for p in result.policies if p.applies and p.state == "enabled"}


async def _evaluate(pilot: Any, screen: WhatIfScreen, **fields: str) -> Any:
    """Set the form's fields (``auth_flow="..."`` is ``#wi-auth-flow``), press Enter, wait for the answer."""
    for name, value in fields.items():
        screen.query_one(f"#wi-{name.replace('_', '-')}", Input).value = value
    screen.query_one("#wi-user").focus()
    before = screen.result
    await pilot.press("enter")
    await until(pilot, lambda: screen.result is not before)
    await pilot.pause()
    return screen.result


async def test_whatif_form_takes_user_action_auth_context_and_auth_flow() -> None:
    """Every input the engine takes: a user action or an authentication context instead of an app, and the
    authentication flow; each answer is the command line's, which the form shows."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WhatIfScreen)
        await until(pilot, lambda: screen.result is not None)
        text = screen_text(app)
        assert "User action" in text and "Auth context" in text and "Auth flow" in text

        result = await _evaluate(pilot, screen, user="EmilyB@contoso.com", app="", auth_context="C1")
        assert result.scenario["authContext"] == "c1" and result.scenario["app"] is None
        assert _applied_names(result) == {CA016}
        assert "--auth-context C1" in screen.command and "--app" not in screen.command
        cli = await asyncio.to_thread(cli_json, screen.command)
        assert cli["summary"]["applied"] == list(result.applied) and cli["scenario"]["authContext"] == "c1"

        result = await _evaluate(pilot, screen, auth_context="", app="All", auth_flow="deviceCodeFlow")
        assert result.scenario["authFlow"] == "deviceCodeFlow" and result.decision == "block"
        assert CA008 in _applied_names(result)
        assert "--app All" in screen.command and "--auth-flow deviceCodeFlow" in screen.command
        cli = await asyncio.to_thread(cli_json, screen.command)
        assert cli["summary"]["applied"] == list(result.applied) and cli["summary"]["decision"] == "block"
        assert "Decision: block" in screen_text(app)

        result = await _evaluate(pilot, screen, auth_flow="authenticationTransfer")
        assert CA008 not in _applied_names(result)
        ca008 = next(p for p in result.policies if p.display_name == CA008)
        assert "authentication flow authenticationTransfer is not targeted" in ca008.reasons[0]

        result = await _evaluate(pilot, screen, app="", auth_flow="", user_action="registerOrJoinDevices")
        assert _applied_names(result) == {CA015} and result.scenario["userAction"] == "registerOrJoinDevices"
        assert "--user-action registerOrJoinDevices" in screen.command and "--app" not in screen.command

        # all three empty: the app All, as the App field's placeholder says
        result = await _evaluate(pilot, screen, user_action="")
        assert result.scenario["app"]["id"] == "All" and "--app All" in screen.command


async def test_whatif_form_says_which_new_input_it_cannot_use() -> None:
    """Each field's error is resolve_scenario's, in the form's error line, with what was typed as data."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WhatIfScreen)
        await until(pilot, lambda: screen.result is not None)
        shown = screen.result

        async def error(**fields: str) -> str:
            for name, value in fields.items():
                screen.query_one(f"#wi-{name.replace('_', '-')}", Input).value = value
            screen.query_one("#wi-user").focus()
            await pilot.press("enter")
            await pilot.pause()
            assert screen.query_one("#wi-error").display
            return " ".join(screen_text(app).split())

        text = await error(auth_flow="[bold]deviceCode")
        assert "--auth-flow must be one of deviceCodeFlow, authenticationTransfer; got '[bold]deviceCode'" in text
        text = await error(auth_flow="", auth_context="c1")  # the App field still says All
        assert "give only one of --app, --auth-context" in text
        text = await error(app="", auth_context="c100")
        assert "--auth-context must be c1 ... c99; got 'c100'" in text
        text = await error(auth_context="", user_action="dance")
        assert "--user-action must be one of registerSecurityInformation, registerOrJoinDevices" in text
        text = await error(auth_context="c1")
        assert "give only one of --user-action, --auth-context" in text
        assert screen.result is shown  # nothing was evaluated
        result = await _evaluate(pilot, screen, user_action="", user="EmilyB@contoso.com")
        assert not screen.query_one("#wi-error").display
        assert _applied_names(result) == {CA016}


# --- gaps and impact --------------------------------------------------------------------------------------


async def test_gaps_lists_each_gap_with_a_replayable_example() -> None:
    from ztconsole.engine.gaps import find_gaps

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, GapsScreen)
        await until(pilot, lambda: screen.report is not None)
        await pilot.pause()
        expected = find_gaps(load_tenant(demo_dir()))
        assert [g.to_json() for g in screen.report.gaps] == [g.to_json() for g in expected.gaps]
        assert screen.query_one(VirtualTable).row_count == len(expected.gaps) > 0
        text = screen_text(app)
        line = screen.example_line(screen.report.gaps[0])
        assert line.startswith("ztconsole whatif --demo --user ")
        assert "Example:" in text
        doc = await asyncio.to_thread(cli_json, line)
        assert doc["summary"]["decision"] != "block"  # the example is uncovered
        await pilot.press("enter")  # the example, in the What If form
        await pilot.pause()
        assert isinstance(app.screen, WhatIfScreen)
        await until(pilot, lambda: app.screen.result is not None)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_impact_of_a_report_only_policy_and_not_of_an_enforced_one() -> None:
    from ztconsole.engine.impact import replay

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        pane.table.move_to(_pid(pane, CA001))
        await pilot.press("i")
        await pilot.pause()
        assert app.screen is pane
        assert "Already enforced" in screen_text(app)
        pane.table.move_to(_pid(pane, CA003))
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, ImpactScreen)
        await until(pilot, lambda: screen.report is not None)
        await pilot.pause()
        tenant = load_tenant(demo_dir())
        expected = replay(tenant, _pid(pane, CA003), now=tenant.info.captured_at)
        got = screen.report
        assert (got.considered, got.blocked, got.challenged, got.satisfied) == \
            (expected.considered, expected.blocked, expected.challenged, expected.satisfied)
        text = screen_text(app)
        assert f"would challenge {expected.challenged}" in text
        assert f"already satisfied {expected.satisfied}" in text
        assert "ztconsole impact --demo --policy " + _pid(pane, CA003) in text
        assert screen.query_one(VirtualTable).row_count == len(expected.users)


# --- incomplete data, hostile names -----------------------------------------------------------------------


async def test_an_incomplete_data_set_is_named_with_its_permission_and_the_rest_is_shown(tmp_path: Path) -> None:
    root = copy_demo(tmp_path)
    (root / BY_KEY["named_locations"].file_path()).unlink()
    with (root / "tenant.toml").open("a", encoding="utf-8") as f:
        f.write('\n[datasets."graph/v1.0/identity/conditionalAccess/namedLocations"]\nstatus = "forbidden"\n'
                'message = "HTTP 403 Authorization_RequestDenied"\n')
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        text = screen_text(app)
        assert "namedLocations is forbidden: HTTP 403" in text and "Policy.Read.All" in text
        assert pane.table.row_count == 27  # the policies still shown
        pane.table.move_to(_pid(pane, "b2c2c71d"))  # CA005 names a location that could not be read
        await pilot.press("enter")
        await pilot.pause()
        assert "no such named location" in screen_text(app)


HOSTILE = "[bold red]x[/] \x1b[31mred\x1b[0m \x1b]8;;http://e\x07link\x1b]8;;\x07 \u202eevil\x00nul"
LONG = "L" * 10_000


async def test_hostile_names_are_shown_inert(tmp_path: Path) -> None:
    root = copy_demo(tmp_path)

    def policies(items: list[dict[str, Any]]) -> None:
        for p in items:
            if p["id"].startswith(CA003):
                p["displayName"] = HOSTILE
            if p["id"].startswith(CA022):
                p["displayName"] = LONG

    def groups(items: list[dict[str, Any]]) -> None:
        for g in items:
            if g["displayName"] == "SG-CA-Exclusions-BreakGlass":
                g["displayName"] = "[blink]grp[/blink]\x1b[5m"

    def users(items: list[dict[str, Any]]) -> None:
        for u in items:
            if u.get("userPrincipalName") == "bg-admin-02@contoso.onmicrosoft.com":
                u["displayName"] = "[link=http://e]u[/link]" + LONG

    rewrite(root, "ca_policies", policies)
    rewrite(root, "groups", groups)
    rewrite(root, "users", users)
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\u202e" not in svg and "\x00" not in svg
        text = screen_text(app)
        assert "[bold red]x[/]" in text  # markup shown as the text it is
        assert "LLLL…" in text  # cut to its column, with an ellipsis
        pane.table.move_to(_pid(pane, CA003))
        row = pane.table.cursor_row
        line = pane.table.render_line(pane.table.shown_keys().index(row.key) + 1 - round(pane.table.scroll_y))
        assert "[bold red]x[/]" in line.text and "\x1b" not in line.text
        assert not any(seg.style and seg.style.blink for seg in line)
        await pilot.press("enter")
        await pilot.pause()
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\u202e" not in svg
        text = screen_text(app)
        assert "[bold red]x[/]" in text and "[blink]grp[/blink]" in text and "[link=http://e]u[/link]LLL" in text
        assert "L" * 400 not in text.replace("\n", "")  # a 10,000-character name is cut in the details too
        await pilot.press("escape")
        await pilot.press("w")
        await pilot.pause()
        await until(pilot, lambda: app.screen.result is not None)
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "\u202e" not in svg


# --- registry, snapshot -----------------------------------------------------------------------------------


def test_the_pane_is_registered_and_its_keys_clash_with_nothing() -> None:
    assert CaPane in PANES and PANES.index(CaPane) == 1  # after the overview
    assert CaPane.ALIASES == ("ca", "policies")
    ca = [a for a in actions.ACTIONS if a.scope == "ca"]
    assert {a.target for a in ca} == {"whatif", "gaps", "impact"}
    for a in ca:
        assert callable(getattr(CaPane, f"action_{a.target}", None)), a.id
        assert not a.dangerous
    keys = [k for a in ca for k in a.keys.split(",")]
    taken = {k for a in actions.ACTIONS if a.scope in ("app", "table") for k in a.keys.split(",")}
    assert len(keys) == len(set(keys)) and not set(keys) & taken
    assert "ca" in actions.SCOPES


def test_snapshot_ca_pane(snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    from ztconsole.ui import header

    monkeypatch.setattr(header, "_now", lambda: datetime(2026, 11, 22, 10, 5, tzinfo=UTC))  # no wall clock
    app = make_app()

    async def run_before(pilot: Any) -> None:
        pane = await ready(app, pilot)
        pane.table.move_to(_pid(pane, CA003))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24)])
async def test_usable_at_80x24(size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(app, pilot)
        text = screen_text(app)
        assert "STATE" in text and "POLICY" in text and "FINDING" in text
        assert "w What if" in text
        await pilot.press("w")
        await pilot.pause()
        await until(pilot, lambda: app.screen.result is not None)
        await pilot.pause()
        text = screen_text(app)
        assert "Decision:" in text and "POLICY" in text


async def test_whatif_new_fields_are_reached_by_keyboard_at_80x24() -> None:
    """At 80x24 Tab reaches the user action, authentication context and authentication flow fields, typed
    keys fill them, Enter evaluates, and the fields, the error line and the answer are on the screen."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("w")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WhatIfScreen)
        await until(pilot, lambda: screen.result is not None)
        order = []
        for _ in range(12):
            await pilot.press("tab")
            order.append(screen.focused.id if screen.focused is not None else None)
        assert order[:3] == ["wi-app", "wi-user-action", "wi-auth-context"]
        assert order.index("wi-auth-flow") > order.index("wi-device")
        for field_id in ("wi-user-action", "wi-auth-context", "wi-auth-flow"):
            widget = screen.query_one(f"#{field_id}")
            region = widget.region
            assert region.height == 1 and region.width >= 20 and screen.region.contains_region(region), field_id

        # keyboard only: back to the app field, empty it, type an authentication context and a flow
        while screen.focused is None or screen.focused.id != "wi-app":
            await pilot.press("tab")
        await pilot.press("ctrl+u", "ctrl+k")  # the app field emptied (line start, then to its end)
        assert screen.query_one("#wi-app", Input).value == ""
        await pilot.press("tab", "tab", *"c9", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "give only one" not in text and "Decision: allow" in text  # no policy targets c9
        assert screen.result is not None and screen.result.scenario["authContext"] == "c9"
        while screen.focused is None or screen.focused.id != "wi-auth-flow":
            await pilot.press("tab")
        await pilot.press(*"sideways", "enter")
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "--auth-flow must be one of deviceCodeFlow" in text
        await pilot.press("ctrl+u", "ctrl+k", *"deviceCodeFlow", "enter")
        await until(pilot, lambda: screen.result is not None and screen.result.scenario["authFlow"] == "deviceCodeFlow")
        await pilot.pause()
        text = screen_text(app)
        for label in ("User action", "Auth context", "Auth flow", "Decision:", "POLICY"):
            assert label in text, label
        assert "deviceCodeFlow" in text and "Same answer:" in text


async def test_colon_ca_and_colon_policies_open_the_pane_in_the_whole_console() -> None:
    app = ZtApp(TenantDir.open(demo_dir()), badge="DEMO", clock=lambda: 0.0)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.loaded.wait(), 20)
        await pilot.press("colon", *"ca", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CaPane)
        await until(pilot, lambda: app.screen.model is not None)
        await pilot.pause()
        assert "CA001-Global" in screen_text(app)
        await pilot.press("colon", *"data", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DataPane)
        await pilot.press("colon", *"policies", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CaPane)


async def test_whatif_opens_on_the_policys_own_target_a_user_action_or_an_authentication_context() -> None:
    """``w`` on a policy that targets a user action or an authentication context starts the form with it,
    not with an app the policy does not target."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        pane = await ready(app, pilot)
        for name, field, value in ((CA015, "user-action", "registerOrJoinDevices"), (CA016, "auth-context", "c1")):
            assert pane.model is not None
            key = next(k for k, p in pane.model.policies.items() if p.display_name == name)
            assert pane.table.move_to(key)
            await pilot.press("w")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, WhatIfScreen)
            assert screen.query_one(f"#wi-{field}", Input).value == value
            assert screen.query_one("#wi-app", Input).value == ""
            await until(pilot, lambda s=screen: s.result is not None)
            await pilot.press("escape")
            await pilot.pause()
