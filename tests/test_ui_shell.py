"""The console's shell: panes as modes over one tenant store, one load at a time, the automatic refresh,
the user keymap, the command palette and the one status vocabulary."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from textual.app import ComposeResult
from textual.widgets import Static

from conftest import until
from test_ui_first_screen import SIZE, DataFirst, GatedSource, cell, loaded, screen_text, write_tenant
from ztconsole.datasets import BY_KEY, DATASETS
from ztconsole.model.tenant import DataSetResult, Tenant, TenantInfo
from ztconsole.tenantdir import TenantDir
from ztconsole.ui import actions, status
from ztconsole.ui.app import ZtApp
from ztconsole.ui.palette import ActionCommands
from ztconsole.ui.panes import PANES, Pane
from ztconsole.ui.panes.data import DataPane
from ztconsole.ui.panes.rollout import RolloutPane
from ztconsole.ui.screens import HelpScreen
from ztconsole.ui.store import TenantStore


@pytest.fixture
def tenant_dir(tmp_path: Path) -> Path:
    return write_tenant(tmp_path / "tenant")


class CountingLoads(GatedSource):
    """A gated tenant directory that also counts its loads and how many ran at once."""

    def __init__(self, inner: TenantDir, *, open_gate: bool = False) -> None:
        super().__init__(inner)
        self.loads = 0
        self.running = 0
        self.most_running = 0
        if open_gate:
            self.gate.set()

    def load(self, *, on_start, on_result) -> object:
        with self.lock:
            self.loads += 1
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        try:
            return super().load(on_start=on_start, on_result=on_result)
        finally:
            with self.lock:
                self.running -= 1


def counting_app(tenant_dir: Path, *, open_gate: bool = True, **kwargs: Any) -> tuple[ZtApp, CountingLoads]:
    source = CountingLoads(TenantDir.open(tenant_dir), open_gate=open_gate)
    return DataFirst(source, badge="DEMO", clock=lambda: 0.0, **kwargs), source  # type: ignore[arg-type]




# --- one load at a time ---------------------------------------------------------------------------


async def test_r_while_loading_never_starts_a_second_load(tenant_dir: Path) -> None:
    app, source = counting_app(tenant_dir, open_gate=False)
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await until(lambda: source.active > 0)  # the first load is reading, held at the gate
            # A key reaches its action through several message queues (pilot.pause() may return before),
            # and a toast expires (a slow machine may take that long): count what the presses did.
            asked: list[int] = []
            said: list[str] = []
            refresh, notify = app.store.refresh, app.notify  # r refreshes (a whole load when none is held)
            app.store.refresh = lambda: asked.append(1) or refresh()  # type: ignore[method-assign]
            app.notify = lambda message, **kw: said.append(message) or notify(message, **kw)  # type: ignore[method-assign]
            for _ in range(4):
                await pilot.press("r")
            await until(lambda: len(asked) == 4)  # every press has asked for a load, and its action returned
            await pilot.pause()
            assert (source.loads, app.store.loads) == (1, 1)
            assert sum("Still reading the tenant" in m for m in said) == 1  # said once, not four times
            source.gate.set()
            await loaded(app)
            await pilot.press("r")  # finished: r loads again
            await pilot.pause()
            await loaded(app)
            assert (source.loads, app.store.loads) == (2, 2)
    finally:
        source.gate.set()
    assert source.most_running == 1


class Scripted:
    """A source that reports what it is told, then returns or raises."""

    def __init__(self, keys: tuple[str, ...] = ("ca_policies", "users"), *, error: Exception | None = None,
                 seconds: float = 0.0) -> None:
        self.info = TenantInfo(id="t", display_name="Scripted")
        self.keys = keys
        self.error = error
        self.seconds = seconds
        self.spans: list[tuple[float, float]] = []
        self.lock = threading.Lock()

    def load(self, *, on_start, on_result) -> object:
        begun = time.monotonic()
        time.sleep(self.seconds)
        for key in self.keys:
            on_start(BY_KEY[key])
            on_result(DataSetResult(key, "ok", (), 0))
        with self.lock:
            self.spans.append((begun, time.monotonic()))
        if self.error is not None:
            raise self.error
        return None


class Inbox:
    """A store subscriber that keeps what it is sent."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    def post_message(self, message: Any) -> bool:
        self.messages.append(message)
        return True

    def kinds(self) -> list[str]:
        return [type(m).__name__ for m in self.messages]


async def test_store_messages_come_in_order_and_unread_data_sets_fail() -> None:
    store = TenantStore(Scripted(error=RuntimeError("token expired")))
    inbox = Inbox()
    store.subscribe(inbox)  # type: ignore[arg-type]
    assert store.reload()
    assert not store.reload()  # refused while loading
    await asyncio.wait_for(store.loaded.wait(), 10)
    beats = inbox.kinds()  # Progress: the load's beat, whenever a beat falls due while it runs
    assert beats[0] == "Started" and beats[-1] == "Finished"
    kinds = [kind for kind in beats if kind != "Progress"]
    assert kinds[:5] == ["Started", "Reading", "Loaded", "Reading", "Loaded"]
    assert kinds[-1] == "Finished" and kinds.count("Loaded") == len(DATASETS)
    finished = inbox.messages[-1]
    assert finished.error == "RuntimeError: token expired"
    assert isinstance(finished.tenant, Tenant)
    assert store.status("ca_policies") == "ok"
    assert store.results["nsgs"].message == "RuntimeError: token expired"
    assert store.status("nsgs") == "failed"
    assert store.loads == 1 and not store.loading


async def test_a_running_load_beats_and_what_it_reported_arrives_before_it_finishes() -> None:
    class Held(Scripted):
        def __init__(self) -> None:
            super().__init__()
            self.gate = threading.Event()

        def load(self, *, on_start, on_result) -> object:
            on_start(BY_KEY["ca_policies"])
            self.gate.wait(10)  # held until the console has seen the load's beat
            on_result(DataSetResult("ca_policies", "ok", (), 3))
            on_start(BY_KEY["users"])
            on_result(DataSetResult("users", "ok", (), 5))  # the last reports: the load ends at once
            return None

    source = Held()
    store = TenantStore(source)
    inbox = Inbox()
    store.subscribe(inbox)  # type: ignore[arg-type]
    try:
        store.reload()
        await until(lambda: store.status("ca_policies") == "loading")  # taken up while the load runs
        await until(lambda: "Progress" in inbox.kinds())
        assert store.loading
        source.gate.set()
        await asyncio.wait_for(store.loaded.wait(), 10)
    finally:
        source.gate.set()
        store.close()
    kinds = [kind for kind in inbox.kinds() if kind != "Progress"]
    assert kinds[:5] == ["Started", "Reading", "Loaded", "Reading", "Loaded"] and kinds[-1] == "Finished"
    assert inbox.kinds()[-1] == "Finished"  # no beat once the load has finished
    assert store.status("users") == "ok" and store.results["users"].count == 5


async def test_a_source_that_leaves_data_sets_out_fails_them_instead_of_leaving_them_queued() -> None:
    store = TenantStore(Scripted())
    assert store.reload()
    await asyncio.wait_for(store.loaded.wait(), 10)
    assert store.status("users") == "ok"
    assert store.results["groups"].status == "failed" and store.results["groups"].message == "not read"


# --- refresh --------------------------------------------------------------------------------------


async def test_refresh_starts_each_load_an_interval_after_the_last_one_finished() -> None:
    interval = 0.05
    source = Scripted(seconds=0.1)  # each load takes twice the interval: they must never overlap
    store = TenantStore(source, refresh_interval=interval)
    store.reload()
    try:
        await until(lambda: len(source.spans) >= 3)
    finally:
        store.close()
    spans = source.spans
    for (_, end), (begin, _) in zip(spans, spans[1:]):
        assert begin - end >= interval - 0.01, spans  # timed from the end of the last load


async def test_refresh_waits_while_it_may_not_run() -> None:
    allowed = False
    source = Scripted()
    store = TenantStore(source, refresh_interval=0.02, may_refresh=lambda: allowed)
    store.reload()
    try:
        await asyncio.wait_for(store.loaded.wait(), 10)
        await asyncio.sleep(0.2)  # ten intervals: every one skipped
        assert store.loads == 1
        allowed = True
        await until(lambda: store.loads >= 2)
    finally:
        store.close()


def test_refresh_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="refresh_interval"):
        TenantStore(Scripted(), refresh_interval=0)


async def test_console_refresh_skips_while_a_dialog_is_open(tenant_dir: Path) -> None:
    app, source = counting_app(tenant_dir, refresh_interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        seen = app.store.loads
        await asyncio.sleep(0.5)  # five intervals with the help open
        assert app.store.loads == seen
        await pilot.press("escape")
        await until(lambda: app.store.loads > seen)
        await loaded(app)
    assert source.most_running == 1


# --- keymap ---------------------------------------------------------------------------------------


async def test_keymap_moves_an_action_to_another_key(tenant_dir: Path) -> None:
    app, source = counting_app(tenant_dir, keymap={"app.reload": "ctrl+r", "app.help": "f2"})
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.pause()
        assert "^r Reload" in screen_text(app).splitlines()[-1]
        await pilot.press("r")  # the old key no longer reloads
        await pilot.pause()
        assert app.store.loads == 1
        await pilot.press("ctrl+r")
        await pilot.pause()
        await loaded(app)
        assert app.store.loads == 2 and source.loads == 2
        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_lines = [line for line in screen_text(app).splitlines() if "app.reload" in line]
        assert help_lines and "^r" in help_lines[0]


def test_cli_passes_the_config_keymap_to_the_console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ztconsole import cli
    from ztconsole.ui import app as ui_app

    config = tmp_path / "config.toml"
    config.write_text('[keymap]\n"app.reload" = "ctrl+r"\n', encoding="utf-8")
    config.chmod(0o600)
    seen: dict[str, Any] = {}
    monkeypatch.setattr(ui_app, "run_console", lambda source, **kw: seen.update(kw) or 0)
    assert cli.run(["--demo", "--config", str(config)]) == 0
    assert dict(seen["keymap"]) == {"app.reload": "ctrl+r"}
    assert seen["refresh_interval"] is None  # a recording does not change by itself


# --- palette --------------------------------------------------------------------------------------


async def test_palette_finds_an_action_by_its_description_and_runs_it(tenant_dir: Path) -> None:
    app, source = counting_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"reloa")
        await until(lambda: "Read again what can have changed" in screen_text(app))  # r's action, found
        await pilot.press("enter")
        await pilot.pause()
        await until(lambda: app.store.loads == 2)
        await loaded(app)
    assert source.loads == 2


async def hits(app: ZtApp, query: str) -> list[tuple[str, str]]:
    provider = ActionCommands(app.screen)
    return [(str(h.text), str(h.help)) async for h in provider.search(query)]


async def test_palette_offers_the_registry_for_the_scopes_in_play(tenant_dir: Path) -> None:
    app, _ = counting_app(tenant_dir, keymap={"app.reload": "ctrl+r"})
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.pause()
        offered = [name for name, _ in await hits(app, "e")]
        assert "Details" in offered and "Help" in offered  # the table's scope and the app's
        assert "Palette" not in offered and "Close" not in offered  # itself; dialogs' actions
        found = dict(await hits(app, "reload"))
        assert "Reload" in found and "(^r)" in found["Reload"]  # the keymap's key


async def test_palette_leaves_out_dangerous_actions_when_read_only(
    tenant_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reload_ = actions.BY_ID["app.reload"]
    dangerous = actions.Action(reload_.id, reload_.keys, reload_.description, reload_.target, reload_.help,
                               dangerous=True)
    monkeypatch.setattr(actions, "ACTIONS", tuple(dangerous if a is reload_ else a for a in actions.ACTIONS))
    for read_only, expected in ((True, False), (False, True)):
        app, _ = counting_app(tenant_dir, read_only=read_only)
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app)
            await pilot.pause()
            assert ("Reload" in [name for name, _ in await hits(app, "reload")]) is expected


# --- panes ----------------------------------------------------------------------------------------


class CaPane(Pane):
    """A second pane that records its hooks."""

    ID = "ca"
    TITLE = "Conditional Access"
    DATASETS = ("ca_policies", "named_locations")
    ACTION_SCOPE = "ca"

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[object, ...]] = []

    def compose_pane(self) -> ComposeResult:
        yield Static("policies", id="ca-body")

    def load_started(self) -> None:
        self.calls.append(("started",))

    def data_set_reading(self, key: str) -> None:
        self.calls.append(("reading", key))

    def data_set_loaded(self, result: DataSetResult) -> None:
        self.calls.append(("loaded", result.key, result.count))

    def tenant_loaded(self, tenant: Tenant) -> None:
        self.calls.append(("tenant", len(tenant.ca_policies)))


class TwoPanes(ZtApp):
    PANES = (DataPane, CaPane)


async def test_a_pane_shown_later_catches_up_then_hears_only_its_data_sets(tenant_dir: Path) -> None:
    source = CountingLoads(TenantDir.open(tenant_dir), open_gate=True)
    app = TwoPanes(source, badge="DEMO", clock=lambda: 0.0)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        assert app.current_mode == "data"
        await pilot.press("ctrl+p")
        await pilot.press(*"go to cond")
        await until(lambda: "Show the Conditional Access pane" in screen_text(app))
        await pilot.press("enter")
        await until(lambda: app.current_mode == "ca")
        pane = app.screen
        assert isinstance(pane, CaPane)
        await until(lambda: bool(pane.calls))
        assert pane.calls == [("loaded", "ca_policies", 12), ("loaded", "named_locations", 0), ("tenant", 12)]
        shown = screen_text(app)
        assert "Contoso" in shown.splitlines()[0] and "policies" in shown
        assert "44 data sets: 40 ok" in shown  # the shell's status line on every pane

        pane.calls.clear()
        await pilot.press("r")
        await pilot.pause()
        await loaded(app)
        await pilot.pause()
        assert pane.calls[0] == ("started",) and pane.calls[-1] == ("tenant", 12)
        keys = {call[1] for call in pane.calls if call[0] in ("reading", "loaded")}
        assert keys == {"ca_policies", "named_locations"}
        app.switch_mode("data")  # the pane not shown kept up too
        await pilot.pause()
        assert cell(app, "ca_policies", "count") == "12"
    assert source.most_running == 1


def test_a_pane_must_say_what_it_is_and_name_catalogue_data_sets() -> None:
    with pytest.raises(ValueError, match="no_such_data_set"):
        type("Broken", (Pane,), {"ID": "broken", "TITLE": "Broken", "DATASETS": ("no_such_data_set",),
                                 "ACTION_SCOPE": "broken"})
    with pytest.raises(TypeError, match="TITLE, ACTION_SCOPE"):
        type("Untitled", (Pane,), {"ID": "untitled"})


def test_the_console_opens_on_the_overview_and_the_data_pane_wants_every_data_set() -> None:
    from ztconsole.ui.panes.overview import OverviewPane

    assert PANES[0] is OverviewPane and ZtApp.DEFAULT_MODE == "overview"
    assert PANES[-2:] == (DataPane, RolloutPane) and DataFirst.DEFAULT_MODE == "data"  # Data keeps key 9
    assert DataPane.DATASETS == tuple(ds.key for ds in DATASETS)
    assert TwoPanes.MODES == {"data": DataPane, "ca": CaPane}


# --- status vocabulary ----------------------------------------------------------------------------


async def test_every_status_has_a_mark_and_a_theme_colour(tenant_dir: Path) -> None:
    assert set(status.LOOKS) == set(status.Status.__args__)  # type: ignore[attr-defined]
    assert set(status.FINAL) <= set(status.LOOKS)
    assert status.final("sideways") == "failed"
    app, _ = counting_app(tenant_dir)
    async with app.run_test(size=SIZE):
        for theme in ("ztconsole-dark", "ztconsole-light", "ztconsole-production", "nord"):
            app.theme = theme
            for name, look in status.LOOKS.items():
                shown = status.colour(name, app.theme_variables)
                expected = shown == "dim" if look.variable is None else shown.startswith("#")
                assert expected, (theme, name, shown)
