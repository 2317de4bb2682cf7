"""The first console screen: header, badges, per-data-set loading, failures, details, help, keys."""

from __future__ import annotations

import asyncio
import html
import json
import re
import threading
from datetime import datetime
from pathlib import Path

import pytest

from ztconsole.datasets import BY_KEY, DATASETS, DataSet
from ztconsole.tenantdir import DataSetResult, TenantDir, TenantInfo
from ztconsole.tenantdir.reader import DEFAULT_WORKERS as MAX_CONCURRENT_LOADS
from ztconsole.tenantdir.reader import read_all
from ztconsole.ui import actions, header
from ztconsole.ui.app import ZtApp
from ztconsole.ui.datasets_view import DataSetTable
from ztconsole.ui.header import TenantHeader
from ztconsole.ui.panes import PANES
from ztconsole.ui.panes.data import DataPane
from ztconsole.ui.safe import clean, text
from ztconsole.ui.screens import DetailsScreen, HelpScreen
from ztconsole.ui.status import glyph

SIZE = (120, 40)
HOSTILE = "[red]x[/red] \x1b[31m"

TENANT_TOML = """\
format = 1
[tenant]
id = "11111111-2222-3333-4444-555555555555"
display_name = {name}
default_domain = "contoso.onmicrosoft.com"
[azure]
subscriptions = ["aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"]
[capture]
captured_at = "2026-11-22T10:00:00Z"
source = "synthetic"
"""

USERS = [
    {"id": "u1", "displayName": "Alice", "userPrincipalName": "alice@contoso.com", "accountEnabled": True},
    {"id": "u2", "displayName": "Bob", "userPrincipalName": "bob@contoso.com", "accountEnabled": "yes"},
    {"id": "u3", "displayName": "Carol", "userPrincipalName": "carol@contoso.com", "accountEnabled": False},
]
POLICIES = [{"id": f"p{i}", "displayName": f"Policy {i}", "state": "enabled"} for i in range(12)]


def write_tenant(root: Path, *, name: str = "Contoso") -> Path:
    """A small tenant directory: 12 CA policies, 3 users (one malformed), a truncated groups file."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "tenant.toml").write_text(TENANT_TOML.format(name=json.dumps(name)), encoding="utf-8")

    def put(key: str, body: str) -> None:
        path = root / BY_KEY[key].file_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")

    put("ca_policies", json.dumps(POLICIES))
    put("users", json.dumps(USERS))
    put("groups", '[{"id": "g1", "displayName": "Admins"')  # truncated: not valid JSON
    return root


@pytest.fixture
def tenant_dir(tmp_path: Path) -> Path:
    return write_tenant(tmp_path / "tenant")


class DataFirst(ZtApp):
    """The console with the Data pane first: these tests are about the data sets' loading (the console
    itself opens on the Overview, see test_ui_pane_overview.py)."""

    PANES = (DataPane, *(pane for pane in PANES if pane is not DataPane))


def make_app(path: Path, **kwargs: object) -> ZtApp:
    kwargs.setdefault("badge", "DEMO")
    return DataFirst(TenantDir.open(path), clock=lambda: 0.0, **kwargs)  # type: ignore[arg-type]


def screen_text(app: ZtApp) -> str:
    """What the terminal shows, one line per row (rebuilt from the SVG screenshot's text cells)."""
    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, body in re.findall(r'<text[^>]*\bx="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>', svg):
        rows.setdefault(float(y), []).append((float(x), html.unescape(body).replace("\xa0", " ")))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, chunk in sorted(rows[y]):
            col = round(x / 12.2)  # the screenshot's cell width in pixels
            line = line.ljust(col) + chunk
        lines.append(line.rstrip())
    return "\n".join(lines)


def cell(app: ZtApp, key: str, column: str) -> str:
    return app.query_one(DataSetTable).get_cell(key, column).plain


async def loaded(app: ZtApp) -> None:
    await asyncio.wait_for(app.loaded.wait(), 10)


class GatedSource:
    """A tenant directory whose reads wait for a gate, recording how many ran at once."""

    def __init__(self, inner: TenantDir) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.active = 0
        self.most_active = 0
        self.reads = 0

    @property
    def info(self) -> TenantInfo:
        return self.inner.info

    def load(self, *, on_start, on_result) -> object:
        return read_all(self, None, MAX_CONCURRENT_LOADS, on_start, on_result)

    def read(self, ds: DataSet) -> DataSetResult:
        with self.lock:
            self.active += 1
            self.reads += 1
            self.most_active = max(self.most_active, self.active)
        try:
            assert self.gate.wait(10)
            return self.inner.read(ds)
        finally:
            with self.lock:
                self.active -= 1


# --- header -----------------------------------------------------------------------------------


@pytest.mark.parametrize("badge", ["DEMO", "OFFLINE"])
async def test_header_shows_tenant_name_and_badges(tenant_dir: Path, badge: str) -> None:
    app = make_app(tenant_dir, badge=badge)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
        assert app.screen.query_one(TenantHeader).badges == (badge, "READ-ONLY")
    assert "Contoso" in header
    assert "11111111-2222-3333-4444-555555555555" in header
    assert f" {badge} " in header
    assert "READ-ONLY" in header


async def test_write_mode_shows_write_badge(tenant_dir: Path) -> None:
    app = make_app(tenant_dir, badge="OFFLINE", read_only=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
    assert "WRITE" in header and "READ-ONLY" not in header


def test_unknown_badge_is_refused(tenant_dir: Path) -> None:
    with pytest.raises(ValueError, match="PROD"):
        make_app(tenant_dir, badge="PROD")


async def test_hostile_display_name_is_shown_literally(tmp_path: Path) -> None:
    app = make_app(write_tenant(tmp_path / "t", name=HOSTILE))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
        svg = app.export_screenshot()
    assert "[red]x[/red]" in header  # markup not interpreted
    assert "\x1b" not in svg and "[31m" not in header  # the escape sequence is gone, not printed


# --- loading ----------------------------------------------------------------------------------


async def test_rows_go_from_loading_to_counts(tenant_dir: Path) -> None:
    source = GatedSource(TenantDir.open(tenant_dir))
    app = DataFirst(source, badge="DEMO", clock=lambda: 0.0)
    async with app.run_test(size=SIZE) as pilot:
        first, last = DATASETS[0].key, DATASETS[-1].key
        # the first reads start on worker threads after the first frame: wait for them (a loaded machine
        # may take a while), not for a fixed time
        for _ in range(200):
            await pilot.pause(0.05)
            statuses = [cell(app, ds.key, "status") for ds in DATASETS]
            if source.active == MAX_CONCURRENT_LOADS and sum("loading" in s for s in statuses) == source.active:
                break
        assert "loading" in cell(app, first, "status")
        assert cell(app, first, "count") == ""
        assert "queued" in cell(app, last, "status")
        statuses = [cell(app, ds.key, "status") for ds in DATASETS]
        assert sum("loading" in s for s in statuses) == MAX_CONCURRENT_LOADS
        queued = len(DATASETS) - MAX_CONCURRENT_LOADS
        assert f"0 loaded, {MAX_CONCURRENT_LOADS} loading, {queued} queued" in screen_text(app)

        source.gate.set()
        await loaded(app)
        await pilot.pause()
        assert cell(app, "ca_policies", "count") == "12"
        assert cell(app, "ca_policies", "status") == "✓ ok"
        assert not any("loading" in cell(app, ds.key, "status") for ds in DATASETS)
    assert source.most_active <= MAX_CONCURRENT_LOADS
    assert source.reads == len(DATASETS)


async def test_malformed_file_fails_its_row_only(tenant_dir: Path) -> None:
    app = make_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.pause()
        status = cell(app, "groups", "status")
        assert status.startswith("✗ failed: graph/v1.0/groups.json")
        assert cell(app, "groups", "count") == ""
        assert cell(app, "ca_policies", "count") == "12"
        assert cell(app, "users", "count") == "2"
        # column widths are settled when the table is next idle: wait for the screen, not a fixed time
        for _ in range(50):
            shown = screen_text(app)
            if "failed: graph/v1.0/groups.json" in shown:
                break
            await pilot.pause(0.1)
    assert "failed: graph/v1.0/groups.json" in shown
    assert "44 data sets: 40 ok, 1 partial, 2 missing, 1 failed — 0.0 s" in shown


async def test_reader_exception_fails_its_row_and_the_rest_load(tenant_dir: Path) -> None:
    class Exploding(GatedSource):
        def read(self, ds: DataSet) -> DataSetResult:
            if ds.key == "users":
                raise RuntimeError("disk on fire")
            return self.inner.read(ds)

    app = DataFirst(Exploding(TenantDir.open(tenant_dir)), badge="OFFLINE", clock=lambda: 0.0)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.pause()
        assert cell(app, "users", "status") == "✗ failed: RuntimeError: disk on fire"
        assert cell(app, "ca_policies", "count") == "12"
        assert app.is_running


async def test_malformed_item_is_partial_and_enter_lists_file_and_json_path(tenant_dir: Path) -> None:
    app = make_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        table = app.query_one(DataSetTable)
        assert cell(app, "users", "status").startswith("◐ partial")
        assert cell(app, "users", "issues") == "1"
        table.move_cursor(row=table.get_row_index("users"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        shown = screen_text(app)
        assert "graph/v1.0/users.json $[1].accountEnabled: expected a boolean" in shown
        assert "Issues (1)" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DetailsScreen)


async def test_reload_reads_every_data_set_again(tenant_dir: Path) -> None:
    source = GatedSource(TenantDir.open(tenant_dir))
    source.gate.set()
    app = DataFirst(source, badge="DEMO", clock=lambda: 0.0)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        (tenant_dir / BY_KEY["ca_policies"].file_path()).write_text(json.dumps(POLICIES[:3]))
        await pilot.press("r")
        await pilot.pause()
        await loaded(app)
        await pilot.pause()
        assert cell(app, "ca_policies", "count") == "3"
    assert source.reads == 2 * len(DATASETS)


# --- keys -------------------------------------------------------------------------------------


async def test_help_lists_every_action_from_the_registry(tenant_dir: Path) -> None:
    app = make_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = screen_text(app)
        assert "app.quit" in shown
        # the whole list (it scrolls once the panes' own actions make it longer than the dialog)
        from io import StringIO

        from rich.console import Console
        from textual.widgets import Static

        console = Console(width=200, file=StringIO(), record=True)
        console.print(app.screen.query_one("#help-keys", Static).content)
        listed = console.export_text()
        for action in actions.ACTIONS:  # read-only: every action but the dangerous ones (rollout.apply)
            assert (action.id in listed) is not action.dangerous, action.id
        await pilot.press("q")  # closes the dialog, does not quit
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        assert app.is_running


@pytest.mark.parametrize("key", ["q", "ctrl+q"])
async def test_footer_shows_registry_keys_and_quit_keys_quit(tenant_dir: Path, key: str) -> None:
    app = make_app(tenant_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app)
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        for word in ("Details", "Quit", "Help", "Reload"):
            assert word in footer
        await pilot.press(key)
        await pilot.pause()
    assert not app.is_running
    assert app.return_code == 0


async def test_dangerous_actions_are_hidden_and_inert_when_read_only(
    tenant_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Treat reload as dangerous: read-only mode must drop it from footer and help and ignore its key."""
    reload_ = actions.BY_ID["app.reload"]
    dangerous = actions.Action(reload_.id, reload_.keys, reload_.description, reload_.target,
                               reload_.help, dangerous=True)
    monkeypatch.setattr(actions, "ACTIONS", tuple(dangerous if a is reload_ else a for a in actions.ACTIONS))
    monkeypatch.setitem(actions.BY_TARGET, ("app", "reload"), dangerous)
    source = GatedSource(TenantDir.open(tenant_dir))
    source.gate.set()
    for read_only, reads in ((True, len(DATASETS)), (False, 2 * len(DATASETS))):
        source.reads = 0
        app = DataFirst(source, badge="OFFLINE", read_only=read_only, clock=lambda: 0.0)
        async with app.run_test(size=SIZE) as pilot:
            await loaded(app)
            await pilot.pause()
            assert ("Reload" in screen_text(app).splitlines()[-1]) is not read_only
            await pilot.press("r")
            await pilot.pause()
            await loaded(app)
            await pilot.press("question_mark")
            await pilot.pause()
            assert (re.search(r"app\.reload\b(?!_)", screen_text(app)) is not None) is not read_only
        assert source.reads == reads


def test_registry_is_consistent() -> None:
    ids = [a.id for a in actions.ACTIONS]
    assert len(ids) == len(set(ids))
    from ztconsole.ui.vtable import VirtualTable

    owners: dict[str, type] = {"app": ZtApp, "datasets": DataSetTable, "modal": HelpScreen, "table": VirtualTable}
    owners.update({pane.ACTION_SCOPE: pane for pane in PANES})  # a pane's own actions run on the pane
    for action in actions.ACTIONS:
        assert action.scope in actions.SCOPES, action.id
        assert callable(getattr(owners[action.scope], f"action_{action.target}", None)), action.id

    def keys(scope: str) -> list[str]:
        return [k.strip() for a in actions.ACTIONS if a.scope == scope for k in a.keys.split(",")]

    for scope in actions.SCOPES:  # one action per key within a scope
        assert len(keys(scope)) == len(set(keys(scope))), scope
    assert not set(keys("datasets")) & set(keys("app"))  # the table must not shadow an app key
    assert not set(keys("table")) & set(keys("app"))
    assert [b.id for b in actions.bindings("app")] == [a.id for a in actions.ACTIONS if a.scope == "app"]


async def test_unknown_theme_falls_back_with_a_warning(tenant_dir: Path) -> None:
    app = make_app(tenant_dir, theme="no-such-theme")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert app.theme == "ztconsole-demo"  # the demo's own, as if no theme had been chosen
        assert "Unknown theme 'no-such-theme'" in screen_text(app)


# --- entry point ------------------------------------------------------------------------------


def test_an_unreadable_tenant_dir_exits_3_before_the_console_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ztconsole.cli import run

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "tenant.toml").write_text("format = 1\n[tenant]\nid = 'nope'\n", encoding="utf-8")
    assert run(["--tenant-dir", str(broken)]) == 3
    err = capsys.readouterr().err
    assert "tenant.toml" in err and "id" in err


# --- safe text --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (HOSTILE, "[red]x[/red] "),
        ("Contoso\x1b]0;pwned\x07 Ltd", "Contoso Ltd"),  # OSC: retitles the terminal
        ("a\x1b[2J\x1b[Hb", "ab"),  # clear screen, cursor home
        ("two\nlines\ttab", "two lines tab"),
        ("admin\u202etxt.exe", "admintxt.exe"),  # right-to-left override
        ("a\u061cb\u2066c", "abc"),  # Arabic letter mark, left-to-right isolate
        ("bell\x07 nul\x00 del\x7f c1\x9b31m", "bell nul del c1"),
        ("Café 日本 ✓", "Café 日本 ✓"),
    ],
)
def test_clean_strips_escapes_and_controls(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_text_never_interprets_markup() -> None:
    rendered = text("[bold red]boom[/]", style="dim")
    assert rendered.plain == "[bold red]boom[/]"
    assert not rendered.spans and str(rendered.style) == "dim"


# --- snapshots --------------------------------------------------------------------------------


def test_snapshot_after_load(tenant_dir: Path, snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(header, "_now", lambda: datetime(2026, 11, 22, 10, 0, 0))  # "refreshed 10:00:00"
    app = make_app(tenant_dir)

    async def wait(pilot) -> None:
        await loaded(app)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=wait)


def test_snapshot_details(tenant_dir: Path, snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(header, "_now", lambda: datetime(2026, 11, 22, 10, 0, 0))
    app = make_app(tenant_dir)

    async def open_users(pilot) -> None:
        await loaded(app)
        table = app.query_one(DataSetTable)
        table.move_cursor(row=table.get_row_index("users"))
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_users)


def _segments_of(app: ZtApp, word: str) -> list[object]:
    """The header's drawn segments holding ``word``."""
    bar = app.screen.query_one(TenantHeader)
    return [seg for seg in bar.render_line(0) if word in seg.text]


@pytest.mark.parametrize(("width", "brand"), [(120, True), (80, False)])
async def test_header_badges_in_the_themes_colours_and_the_tenant_cut_before_them(
        tenant_dir: Path, width: int, brand: bool) -> None:
    """One line at any width: the badges in their theme colours at the right end, the tenant's details cut
    short in the theme's ellipsis before them, the brand only where there is room (NARROW)."""
    app = make_app(tenant_dir, badge="OFFLINE", read_only=False)
    async with app.run_test(size=(width, 24)) as pilot:
        await loaded(app)
        await pilot.pause()
        line = screen_text(app).splitlines()[0]
        assert line.rstrip().endswith("OFFLINE   WRITE"), line
        assert ("ztconsole" in line.split("Contoso")[0]) is brand
        assert len(line) <= width and "Contoso" in line
        variables = app.theme_variables
        for word, variable in (("OFFLINE", "badge-offline"), ("WRITE", "badge-write")):
            (seg,) = _segments_of(app, word)
            style = seg.style  # type: ignore[attr-defined]
            assert style.bgcolor is not None and style.bgcolor.triplet.hex == variables[variable].lower()
            assert style.bold
        if width == 80:  # the details do not fit: cut, never wrapped
            assert glyph(app, "ellipsis") in line
