"""Navigation (#13): the ``:`` command bar with the panes' aliases, number keys, Esc back along the
breadcrumb, the ``/`` filter, all through the one action registry and the user keymap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import ComposeResult
from textual.widgets import Static

from conftest import until
from test_ui_first_screen import HOSTILE, SIZE, loaded, screen_text, write_tenant
from ztconsole.datasets import DATASETS
from ztconsole.tenantdir import TenantDir
from ztconsole.ui import actions
from ztconsole.ui.app import ZtApp
from ztconsole.ui.commandbar import CommandBar, Flash, available
from ztconsole.ui.datasets_view import DataSetTable
from ztconsole.ui.navigation import HISTORY_LIMIT, History, Place
from ztconsole.ui.panes import ALIASES, PANES, Pane
from ztconsole.ui.panes.base import Breadcrumb, alias_table
from ztconsole.ui.panes.data import DataPane
from ztconsole.ui.screens import ConfirmQuitScreen, DetailsScreen, HelpScreen


class OverviewPane(Pane):
    """The first pane: nothing to filter."""

    ID = "overview"
    TITLE = "Overview"
    ACTION_SCOPE = "overview"

    def compose_pane(self) -> ComposeResult:
        yield Static("overview body", id="overview-body")


class NetworkPane(Pane):
    """A pane with sub-views, recording what it was asked to show."""

    ID = "network"
    TITLE = "Network"
    ACTION_SCOPE = "network"
    ALIASES = ("network", "net", "fw", "nsg", "routes")
    VIEWS = {"fw": "firewalls", "nsg": "nsgs", "routes": "routes"}

    def __init__(self) -> None:
        super().__init__()
        self.views: list[str] = []

    def compose_pane(self) -> ComposeResult:
        yield Static("network body", id="network-body")

    def show_view(self, view: str) -> None:
        self.views.append(view)


class NavApp(ZtApp):
    PANES = (OverviewPane, DataPane, NetworkPane)


@pytest.fixture
def tenant_dir(tmp_path: Path) -> Path:
    return write_tenant(tmp_path / "tenant")


def nav_app(tenant_dir: Path, **kwargs: Any) -> NavApp:
    return NavApp(TenantDir.open(tenant_dir), badge="DEMO", clock=lambda: 0.0, **kwargs)  # type: ignore[arg-type]




def bar(app: ZtApp) -> CommandBar:
    return app.screen.query_one(CommandBar)


def crumb(app: ZtApp) -> str:
    return app.screen.query_one(Breadcrumb).plain


def flash(app: ZtApp) -> str:
    return app.screen.query_one(Flash).message


async def command(pilot: Any, line: str) -> None:
    """Type ``:line`` and Enter."""
    await pilot.press("colon", *line, "enter")
    await pilot.pause()


def shown_rows(app: ZtApp) -> list[str]:
    return app.screen.query_one(DataSetTable).shown_keys()


# --- the command bar -----------------------------------------------------------------------------


async def test_colon_and_an_alias_switch_pane_and_the_breadcrumb_follows(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.pause()
        assert app.current_mode == "overview" and crumb(app) == "Overview"
        assert screen_text(app).splitlines()[2].strip() == "Overview"  # the line under the header
        await pilot.press("colon")
        await pilot.pause()
        assert bar(app).mode == "command" and app.screen.focused is bar(app).input
        await pilot.press(*"data", "enter")
        await pilot.pause()
        assert app.current_mode == "data" and isinstance(app.screen, DataPane)
        assert crumb(app) == "Overview › Data"
        assert "Overview › Data" in screen_text(app)
        assert app.screen.focused is app.screen.query_one(DataSetTable)  # the table has the keys again
        await command(pilot, ":NET")  # a typed colon and any case are fine
        assert app.current_mode == "network" and crumb(app) == "Overview › Data › Network"


async def test_an_alias_of_a_view_shows_that_view_and_esc_comes_back_to_it(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await command(pilot, "fw")
        pane = app.screen
        assert isinstance(pane, NetworkPane)
        await until(lambda: pane.views == ["firewalls"])  # called once the new pane is mounted
        assert pane.view == "firewalls" and crumb(app) == "Overview › Network: firewalls"
        await command(pilot, "nsg")
        assert pane.views == ["firewalls", "nsgs"] and crumb(app) == "Overview › Network: firewalls › Network: nsgs"
        await command(pilot, "net")  # the pane's plain alias keeps the view it shows
        assert pane.views == ["firewalls", "nsgs"] and app.history.current == Place("network", "nsgs")
        await pilot.press("escape")
        await pilot.pause()
        assert pane.views == ["firewalls", "nsgs", "firewalls"] and pane.view == "firewalls"
        await pilot.press("escape")
        await pilot.pause()
        assert app.current_mode == "overview" and crumb(app) == "Overview"


async def test_esc_back_to_a_panes_main_view_asks_for_view_nothing(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await command(pilot, "net")
        pane = app.screen
        assert isinstance(pane, NetworkPane)
        await command(pilot, "routes")
        assert pane.views == ["routes"] and crumb(app) == "Overview › Network › Network: routes"
        await pilot.press("escape")
        await pilot.pause()
        assert pane.views == ["routes", ""] and pane.view is None  # show_view(""): the main view
        assert crumb(app) == "Overview › Network"


async def test_tab_completes_and_the_candidates_are_shown(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.press("colon")
        await pilot.pause()
        every = bar(app).candidates
        for name in ("data", "fw", "help", "net", "overview", "q", "quit", "reload", "routes"):
            assert name in every.split()
        await pilot.press("n")
        await pilot.pause()
        assert bar(app).candidates.split() == ["net", "network", "nsg"]
        assert "net  network  nsg" in screen_text(app).splitlines()[-2]  # beside the prompt, above the footer
        await pilot.press("tab")  # "n" is all they share: the first
        assert bar(app).input.value == "net"
        await pilot.press("tab")
        assert bar(app).input.value == "network"
        await pilot.press("tab")
        assert bar(app).input.value == "nsg"
        await pilot.press("tab")
        assert bar(app).input.value == "net"
        await pilot.press("backspace", "backspace", "backspace", *"ov", "tab")  # one candidate: completed
        await pilot.pause()
        assert bar(app).input.value == "overview"
        assert bar(app).candidates == "overview  Overview"  # a lone candidate says what it is
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace",
                          "backspace", *"ro", "tab")
        assert bar(app).input.value == "routes"
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == "network" and app.screen.view == "routes"  # type: ignore[attr-defined]


async def test_an_unknown_command_is_flashed_literally_and_runs_nothing(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await command(pilot, "netwrk")
        assert app.current_mode == "overview" and bar(app).mode is None
        assert flash(app) == "Unknown command :netwrk — did you mean :network?"
        assert "Unknown command :netwrk" in screen_text(app).splitlines()[-2]
        await command(pilot, HOSTILE)
        assert flash(app).startswith("Unknown command :[red]x[/red]")  # data, not markup
        assert "[red]x[/red]" in screen_text(app) and "\x1b" not in app.export_screenshot()
        await command(pilot, "q now")
        assert app.is_running and flash(app) == "Command :q takes no argument."
        await command(pilot, "")  # nothing typed: nothing said
        assert app.current_mode == "overview"


async def test_the_flash_goes_after_a_while(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE):
        await loaded(app)
        app.screen.query_one(Flash).flash("short", seconds=0.3)
        assert flash(app) == "short" and app.screen.query_one(Flash).has_class("-shown")
        await until(lambda: not flash(app))
        assert not app.screen.query_one(Flash).has_class("-shown")


async def test_colon_q_quits_as_q_does(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await command(pilot, "q")
    assert not app.is_running and app.return_code == 0


async def test_colon_quit_asks_first_while_a_write_is_in_flight(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        with app.writing():
            await command(pilot, "quit")
            assert isinstance(app.screen, ConfirmQuitScreen) and app.is_running
            await pilot.press("escape")  # the dialog closes; the console stays, and the history is untouched
            await pilot.pause()
            assert app.is_running and app.current_mode == "overview" and not isinstance(app.screen, ConfirmQuitScreen)


async def test_colon_help_opens_the_help(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await command(pilot, "help")
        assert isinstance(app.screen, HelpScreen)


async def test_an_alias_with_an_argument_filters_the_pane_it_opens(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await command(pilot, "data arm")
        await until(lambda: app.current_mode == "data" and bool(app.screen.filters))  # type: ignore[attr-defined]
        assert crumb(app) == "Overview › Data / arm"
        assert shown_rows(app) == [ds.key for ds in DATASETS if ds.api == "arm"]
        await command(pilot, "net x")
        assert app.current_mode == "network"
        await until(lambda: flash(app) == "Nothing to filter here.")


async def test_esc_in_the_prompt_cancels_it_and_does_not_go_back(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await command(pilot, "data")
        await pilot.press("colon", *"ne")
        await pilot.press("escape")
        await pilot.pause()
        assert app.current_mode == "data" and bar(app).mode is None and not bar(app).display
        assert app.screen.focused is app.screen.query_one(DataSetTable)
        await pilot.press("colon")  # opens empty again
        await pilot.pause()
        assert bar(app).input.value == ""


async def test_up_recalls_earlier_commands(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await command(pilot, "data")
        await command(pilot, "fw")
        await pilot.press("colon", "x", "up")
        assert bar(app).input.value == "fw"
        await pilot.press("up", "up")
        assert bar(app).input.value == "data"  # the oldest stays
        await pilot.press("down", "down")
        assert bar(app).input.value == "x"  # back to what was typed
        await pilot.press("up", "enter")
        await pilot.pause()
        assert app.current_mode == "network" and app.screen.view == "firewalls"  # type: ignore[attr-defined]


def test_the_command_table_is_the_panes_aliases_and_the_registry(tenant_dir: Path) -> None:
    assert ALIASES["data"] == (DataPane, None) and DataPane in PANES  # the console's own, checked at import
    assert DataPane.ALIASES == ("data",)
    assert NavApp.PANE_ALIASES["fw"] == (NetworkPane, "firewalls")
    assert NavApp.PANE_ALIASES["net"] == (NetworkPane, None)
    assert OverviewPane.ALIASES == ("overview",)  # the default: the pane's id
    assert {name: a.id for name, a in actions.BY_COMMAND.items()} == {
        "q": "app.quit", "quit": "app.quit", "help": "app.help", "reload": "app.reload", "refresh": "app.reload",
        "reload-all": "app.reload_all", "apply": "rollout.apply"}


async def test_dangerous_commands_are_not_offered_when_read_only(
    tenant_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reload_ = actions.BY_ID["app.reload"]
    dangerous = actions.Action(reload_.id, reload_.keys, reload_.description, reload_.target, reload_.help,
                               dangerous=True, commands=reload_.commands)
    monkeypatch.setitem(actions.BY_COMMAND, "reload", dangerous)
    monkeypatch.setitem(actions.BY_TARGET, ("app", "reload"), dangerous)
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        assert "reload" not in available(app, app.screen)  # type: ignore[arg-type]
        await command(pilot, "reload")
        assert flash(app) == "Command :reload changes the tenant: start with --write."
        assert app.store.loads == 1


# --- number keys and Esc back ---------------------------------------------------------------------


async def test_number_keys_show_the_panes_in_order_and_esc_walks_back(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        footer = screen_text(app).splitlines()[-1]
        assert ": Command" in footer and "/ Filter" in footer and "esc Back" in footer
        await pilot.press("2")
        await pilot.pause()
        assert app.current_mode == "data"
        await pilot.press("3")
        await pilot.pause()
        assert app.current_mode == "network" and crumb(app) == "Overview › Data › Network"
        await pilot.press("9")  # no ninth pane: nothing happens
        await pilot.press("3")  # the pane shown: nothing recorded
        await pilot.pause()
        assert app.current_mode == "network" and len(app.history) == 3
        await pilot.press("1")
        await pilot.pause()
        assert crumb(app) == "Overview › Data › Network › Overview"
        for mode, trail in (("network", "Overview › Data › Network"), ("data", "Overview › Data"),
                            ("overview", "Overview"), ("overview", "Overview")):
            await pilot.press("escape")
            await pilot.pause()
            assert (app.current_mode, crumb(app)) == (mode, trail)
        assert app.is_running  # Esc with nowhere to go does nothing


async def test_esc_closes_a_dialog_over_a_pane_without_going_back(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DataPane) and crumb(app) == "Overview › Data"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("q")  # q closes a dialog too, and does not quit
        await pilot.pause()
        assert isinstance(app.screen, DataPane) and app.is_running
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("colon", "slash", "1")  # the pane's keys do nothing in a dialog
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen) and app.current_mode == "data"
        assert app.screen_stack[0].query_one(CommandBar).mode is None


async def test_the_palette_records_where_it_went(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.press("ctrl+p")
        await pilot.press(*"go to netw")
        await until(lambda: "Show the Network pane" in screen_text(app))
        await pilot.press("enter")
        await until(lambda: app.current_mode == "network")
        await pilot.pause()
        assert crumb(app) == "Overview › Network"
        await pilot.press("escape")
        await pilot.pause()
        assert app.current_mode == "overview"


def test_the_history_is_bounded() -> None:
    history = History(Place("a"))
    assert not history.visit(Place("a")) and history.back() is None
    for i in range(HISTORY_LIMIT + 20):
        history.visit(Place("p", str(i)))
    assert len(history) == HISTORY_LIMIT
    assert history.current == Place("p", str(HISTORY_LIMIT + 19))
    assert list(history)[0] == Place("p", "20")
    with pytest.raises(ValueError):
        History(Place("a"), limit=0)


async def test_the_breadcrumb_keeps_the_newest_crumbs_when_it_is_too_long(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=(60, 24)) as pilot:
        await loaded(app)
        for key in "23232323":
            await pilot.press(key)
        await pilot.pause()
        line = screen_text(app).splitlines()[2]
        assert line.strip().startswith("… › ") and line.rstrip().endswith("Data › Network")
        assert len(line.rstrip()) <= 60


# --- the filter -------------------------------------------------------------------------------------


async def test_slash_filters_the_data_table_live_enter_keeps_and_esc_clears(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.press("2", "slash")
        await pilot.pause()
        table = app.screen.query_one(DataSetTable)
        assert bar(app).mode == "filter" and "/" in screen_text(app).splitlines()[-2]
        await pilot.press(*"ARM")
        await until(lambda: table.row_count < len(DATASETS))  # live, before Enter
        arm = [ds.key for ds in DATASETS if ds.api == "arm"]
        assert shown_rows(app) == arm and crumb(app) == "Overview › Data / ARM"
        await pilot.press("enter")
        await pilot.pause()
        assert bar(app).mode is None and app.screen.focused is table
        assert shown_rows(app) == arm and "Overview › Data / ARM" in screen_text(app)
        await pilot.press("down", "enter")  # the rows shown are the rows Enter opens
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("slash")  # opens on the filter in force
        await pilot.pause()
        assert bar(app).input.value == "ARM"
        await pilot.press("escape")  # clears it
        await pilot.pause()
        assert table.row_count == len(DATASETS) and crumb(app) == "Overview › Data"
        assert app.current_mode == "data" and app.screen.focused is table


async def test_esc_clears_a_kept_filter_before_it_goes_back(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.press("2", "slash", *"licen", "enter")
        await pilot.pause()
        assert shown_rows(app) == ["subscribed_skus"]
        await pilot.press("escape")
        await pilot.pause()
        assert app.current_mode == "data" and len(shown_rows(app)) == len(DATASETS)
        await pilot.press("escape")
        await pilot.pause()
        assert app.current_mode == "overview"
        await pilot.press("2")  # the pane kept nothing of the filter
        await pilot.pause()
        assert len(shown_rows(app)) == len(DATASETS) and crumb(app) == "Overview › Data"


async def test_a_filter_is_user_text_matched_in_any_case_and_shown_literally(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.press("2", "slash", *"[b]Fail", "enter")
        await pilot.pause()
        assert shown_rows(app) == []
        assert crumb(app) == "Overview › Data / [b]Fail" and "Data / [b]Fail" in screen_text(app)
        await pilot.press("slash", "ctrl+u", *"FAILED", "enter")
        await pilot.pause()
        assert shown_rows(app) == ["groups"]  # the status and its message are searched too


async def test_slash_where_nothing_can_be_filtered_says_so(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.press("slash")
        await pilot.pause()
        assert bar(app).mode is None and flash(app) == "Nothing to filter here."


async def test_a_filtered_table_follows_the_states_of_a_load(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.press("2", "slash", *"loading", "enter")
        await pilot.pause()
        assert shown_rows(app) == []
        await pilot.press("r")  # the rows being read come and go as their states change
        await loaded(app)
        await pilot.pause()
        assert shown_rows(app) == []
        table = app.screen.query_one(DataSetTable)
        table.set_filter("ok")
        ok = len(shown_rows(app))
        assert 0 < ok < len(DATASETS)
        from ztconsole.ui.datasets_view import RowState

        table.show("groups", RowState("ok", 1))  # a failed row that comes to match appears
        await pilot.pause()
        await pilot.pause()
        assert "groups" in shown_rows(app) and len(shown_rows(app)) == ok + 1


# --- the registry -----------------------------------------------------------------------------------


async def test_a_keymap_override_rebinds_the_command_bar(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir, keymap={"app.command": "semicolon", "app.back": "backspace"})
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.press("colon")
        await pilot.pause()
        assert bar(app).mode is None
        await pilot.press("semicolon", *"data", "enter")
        await pilot.pause()
        assert app.current_mode == "data"
        assert "; Command" in screen_text(app).splitlines()[-1]
        await pilot.press("escape")  # no longer back
        await pilot.pause()
        assert app.current_mode == "data"
        await pilot.press("backspace")
        await pilot.pause()
        assert app.current_mode == "overview"
        await pilot.press("question_mark")
        await pilot.pause()
        help_lines = [line for line in screen_text(app).splitlines() if "app.command" in line]
        assert help_lines and help_lines[0].split()[1] == ";"


async def test_help_lists_the_navigation_actions(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.press("question_mark")
        await pilot.pause()
        shown = screen_text(app)
        for action_id, key in (("app.command", ":"), ("app.filter", "/"), ("app.back", "esc"), ("app.pane_1", "1")):
            lines = [line for line in shown.splitlines() if action_id in line]
            assert lines and lines[0].split()[1] == key, action_id
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen) and app.current_mode == "overview"


def test_the_navigation_actions_are_in_the_registry() -> None:
    ids = {a.id: a for a in actions.ACTIONS}
    assert (ids["app.command"].keys, ids["app.filter"].keys, ids["app.back"].keys) == ("colon", "slash", "escape")
    for n in range(1, 10):
        pane_key = ids[f"app.pane_{n}"]
        assert pane_key.keys == str(n) and not pane_key.footer and pane_key.help
        assert callable(getattr(ZtApp, f"action_{pane_key.target}"))


# --- aliases are checked -----------------------------------------------------------------------------


def test_two_panes_with_one_alias_are_refused_naming_both() -> None:
    class FirewallPane(Pane):
        ID = "firewall"
        TITLE = "Firewall"
        ACTION_SCOPE = "firewall"
        ALIASES = ("firewall", "fw")

    with pytest.raises(ValueError, match=r"NetworkPane \(network\) and FirewallPane \(firewall\).*:fw"):
        alias_table((NetworkPane, FirewallPane))
    with pytest.raises(ValueError, match="NetworkPane.*FirewallPane"):
        type("Clash", (ZtApp,), {"PANES": (DataPane, NetworkPane, FirewallPane)})
    with pytest.raises(ValueError, match="app.quit"):
        alias_table([type("Quitter", (Pane,), {"ID": "quitter", "TITLE": "Q", "ACTION_SCOPE": "quitter",
                                               "ALIASES": ("quitter", "q")})])


@pytest.mark.parametrize(("body", "message"), [
    ({"ALIASES": ("Caps",)}, "lower-case"),
    ({"ALIASES": ("a", "a")}, "twice"),
    ({"ALIASES": "abc"}, "tuple"),
    ({"ALIASES": ("a",), "VIEWS": {"b": "bees"}}, "not in ALIASES"),
    ({"ALIASES": ("a",), "VIEWS": {"a": ""}}, "no view name"),
])
def test_a_pane_declares_its_aliases_properly(body: dict[str, Any], message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        type("Odd", (Pane,), {"ID": "odd", "TITLE": "Odd", "ACTION_SCOPE": "odd", **body})


# --- keys typed ahead ---------------------------------------------------------------------------------


def burst(app: ZtApp, line: str) -> None:
    """Keys as a terminal over SSH delivers them: all at once, before the console has handled the first
    (``\\r`` is Enter, ``\\x1b`` Esc)."""
    from textual import events
    from textual.keys import _character_to_key

    names = {"\r": "enter", "\x1b": "escape"}
    for char in line:
        app.post_message(events.Key(names.get(char) or _character_to_key(char), char))


async def test_commands_typed_ahead_in_one_burst_run_in_order(tenant_dir: Path) -> None:
    app = nav_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.pause()
        burst(app, ":data\r/x\x1b:fw\r:nsg\r")  # every key reaches the prompt it was typed for
        await until(lambda: app.history.current == Place("network", "nsgs"))
        await pilot.pause()
        assert crumb(app) == "Overview › Data › Network: firewalls › Network: nsgs"
        assert bar(app).mode is None and not flash(app)
        burst(app, "2/arm\r")  # a number key, then a filter, typed ahead
        await until(lambda: app.current_mode == "data" and crumb(app).endswith("Data / arm"))
        burst(app, ":q\r")
        await until(lambda: not app.is_running)
    assert app.return_code == 0


class Recorder(Static, can_focus=True):
    """A widget that can be filtered, recording its filters."""

    def __init__(self, *, id: str) -> None:
        super().__init__(id, id=id)
        self.filters: list[str] = []

    def set_filter(self, text: str) -> None:
        self.filters.append(text)


class TwoTablesPane(Pane):
    ID = "two"
    TITLE = "Two"
    ACTION_SCOPE = "two"

    def compose_pane(self) -> ComposeResult:
        hidden = Recorder(id="hidden")
        hidden.display = False  # a sub-view not shown
        yield hidden
        yield Recorder(id="first")
        yield Recorder(id="second")


class TwoTablesApp(ZtApp):
    PANES = (TwoTablesPane,)


async def test_slash_filters_the_focused_widget_else_the_first_shown_one(tenant_dir: Path) -> None:
    app = TwoTablesApp(TenantDir.open(tenant_dir), badge="DEMO", clock=lambda: 0.0)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        hidden, first, second = (app.screen.query_one(f"#{name}", Recorder) for name in ("hidden", "first", "second"))
        app.screen.set_focus(None)
        await pilot.press("slash", "a", "enter")
        await pilot.pause()
        assert (hidden.filters, first.filters, second.filters) == ([], ["a"], [])
        second.focus()
        await pilot.pause()
        await pilot.press("slash", "b", " ", "enter")
        await pilot.pause()
        assert second.filters == ["b"] and app.screen.focused is second  # trimmed; the focus comes back
        assert crumb(app) == "Two / a / b"
        await pilot.press("escape")  # Esc clears every filter of the pane first
        await pilot.pause()
        assert (first.filters[-1], second.filters[-1], crumb(app)) == ("", "", "Two")
