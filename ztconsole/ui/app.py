"""The console application and its entry point :func:`run_console`.

This first screen proves the path from a tenant directory to the terminal: a header with the tenant and
its badges, then every data set going from queued through loading to its count (or its failure), read in
thread workers so the event loop never blocks and one data set's failure never holds up the others.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from ztconsole.datasets import BY_KEY, DATASETS, DataSet
from ztconsole.tenantdir import TenantDirError
from ztconsole.ui import actions
from ztconsole.ui.datasets_view import DataSetTable, RowState
from ztconsole.ui.header import BADGES, TenantHeader
from ztconsole.ui.safe import clean
from ztconsole.ui.screens import DetailsScreen, HelpScreen, SignInScreen
from ztconsole.ui.theme import DEFAULT_THEME, load_themes

if TYPE_CHECKING:
    from ztconsole.tenantdir import DataSetResult, TenantInfo

__all__ = ["TenantSource", "ZtApp", "run_console"]


class TenantSource(Protocol):
    """What the console reads: the adapter stack over a recording or a live tenant
    (:class:`~ztconsole.sources.stack.RecordingSource`), or a :class:`~ztconsole.tenantdir.TenantDir`.

    ``load`` blocks (the console runs it in a worker thread) and calls back from its own threads as each
    data set starts and finishes; it reads at most a few data sets at once.
    """

    @property
    def info(self) -> TenantInfo: ...

    def load(self, *, on_start: Callable[[DataSet], None],
             on_result: Callable[[DataSetResult], None]) -> object: ...


class ZtApp(actions.Guarded, App[int]):
    """The ztconsole console: the tenant's header and the load status of every data set."""

    TITLE = "ztconsole"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = False  # the palette will be fed by the action registry
    ACTION_SCOPE = "app"
    BINDINGS = actions.bindings("app")

    def __init__(
        self,
        tenant: TenantSource,
        *,
        badge: str,
        read_only: bool = True,
        theme: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        user_themes: Path | None = None,
    ) -> None:
        """``badge`` is one of :data:`BADGES`; ``clock`` times the loads (tests pass a constant one)."""
        if badge not in BADGES:
            raise ValueError(f"badge must be one of {', '.join(BADGES)}, not {badge!r}")
        themes = load_themes(user_themes)
        self._variable_defaults = themes.variable_defaults  # read by App.__init__
        self._theme_problems = themes.problems
        super().__init__()
        self.tenant = tenant
        self.badge = badge
        self.read_only = read_only
        self.loaded = asyncio.Event()
        """Set when every data set of the current load has finished (cleared by a reload)."""
        self._clock = clock
        self._generation = 0
        self._pending: set[str] = set()
        self._load_started = 0.0
        self._load_elapsed = 0.0
        for t in themes.themes:
            self.register_theme(t)
        self._unknown_theme = theme if theme and theme not in self.available_themes else None
        self.theme = DEFAULT_THEME if theme is None or self._unknown_theme else theme

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(self._variable_defaults)

    def compose(self) -> ComposeResult:
        yield TenantHeader(self.tenant.info, badge=self.badge, read_only=self.read_only)
        yield DataSetTable(DATASETS, id="datasets")
        yield Static(id="summary")
        yield Footer()

    def on_mount(self) -> None:
        self._spinner = self.set_interval(0.1, self._tick, pause=True)
        for problem in self._theme_problems:
            self.notify(f"Theme skipped: {clean(problem)}", severity="warning", markup=False)
        if self._unknown_theme:
            self.notify(f"Unknown theme {clean(self._unknown_theme)!r}; using {DEFAULT_THEME}.",
                        severity="warning", markup=False)
        # start loading once the first frame is on screen: the load imports the SDKs in its thread
        self.call_after_refresh(self.action_reload)

    def _tick(self) -> None:
        self._table.spin()
        self._show_summary()

    @property
    def _table(self) -> DataSetTable:
        return self.query_one(DataSetTable)

    # --- loading ------------------------------------------------------------------------------

    def action_reload(self) -> None:
        """Read every data set again; callbacks from a superseded load are ignored."""
        self._generation += 1
        generation = self._generation
        self._pending = {ds.key for ds in DATASETS}
        self.loaded.clear()
        self._load_started = self._clock()
        for ds in DATASETS:
            self._table.show(ds.key, RowState("queued"))
        self._spinner.resume()

        def started(ds: DataSet) -> None:
            self.call_from_thread(self._started, generation, ds.key)

        def finished(result: DataSetResult) -> None:
            self.call_from_thread(self._finished, generation, result)

        if hasattr(self.tenant, "on_device_code"):  # a live tenant: sign-in may need the user
            self.tenant.on_device_code = lambda message: self.call_from_thread(self._show_sign_in, message)

        self.run_worker(
            lambda: self.tenant.load(on_start=started, on_result=finished),
            name="load", group="load", description="load every data set", thread=True,
            exit_on_error=False,
        )
        self._show_summary()

    def _started(self, generation: int, key: str) -> None:
        if generation == self._generation and key in self._pending:
            self._table.show(key, RowState("loading"))
            self._show_summary()

    def _finished(self, generation: int, result: DataSetResult) -> None:
        if generation != self._generation or result.key not in self._pending:
            return
        self._pending.discard(result.key)
        self._close_sign_in()
        self._table.show(result.key, RowState.of(result))
        if not self._pending:
            self._done()
        self._show_summary()

    def _done(self) -> None:
        self._load_elapsed = self._clock() - self._load_started
        self._spinner.pause()
        self.query_one(TenantHeader).show_info(self.tenant.info)
        self.loaded.set()

    def _show_sign_in(self, message: str) -> None:
        self.push_screen(SignInScreen(message))

    def _close_sign_in(self) -> None:
        if isinstance(self.screen, SignInScreen):
            self.pop_screen()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A load that raised (instead of reporting per data set) fails the rows it had not finished."""
        if event.worker.group != "load" or event.state != WorkerState.ERROR or not self._pending:
            return
        message = _describe(event.worker.error)
        for key in sorted(self._pending):
            self._table.show(key, RowState.failed(message))
        self._pending.clear()
        self._done()
        self._show_summary()

    def _show_summary(self) -> None:
        """``43 data sets: 40 ok, 2 missing, 1 failed — 1.2 s`` (while loading: loaded/loading/queued)."""
        counts = Counter(state.status for ds in DATASETS if (state := self._table.state(ds.key)))
        out = Text(f"{len(DATASETS)} data sets: ", style="bold")
        if self.loaded.is_set():
            colours = self.theme_variables
            styles = {"ok": colours.get("success", ""), "partial": colours.get("warning", ""),
                      "missing": "dim", "throttled": colours.get("warning", ""),
                      "forbidden": colours.get("error", ""), "failed": colours.get("error", "")}
            shown = [status for status in styles if status == "ok" or counts[status]]
            for i, status in enumerate(shown):
                out.append(", " if i else "")
                out.append(f"{counts[status]} {status}", style=styles[status])
            elapsed = self._load_elapsed
        else:
            loaded = counts.total() - counts["loading"] - counts["queued"]
            out.append(f"{loaded} loaded, {counts['loading']} loading, {counts['queued']} queued")
            elapsed = self._clock() - self._load_started
        out.append(f" — {elapsed:.1f} s", style="dim")
        self.query_one("#summary", Static).update(out)

    # --- navigation ---------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if key is not None:
            self.push_screen(DetailsScreen(BY_KEY[key], self._table.state(key)))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def _describe(error: BaseException | None) -> str:
    """One line for a read that raised instead of returning a result."""
    if error is None:
        return "cancelled"
    if isinstance(error, TenantDirError):
        return clean(error)
    return clean(f"{type(error).__name__}: {error}")


def run_console(source: TenantSource, *, badge: str, read_only: bool = True, theme: str | None = None,
                user_themes: Path | None = None) -> int:
    """Run the console on ``source`` until the user quits; the process exit code.

    Recordings (demo, tenant directories) come as a
    :class:`~ztconsole.sources.stack.RecordingSource`: served by the built-in emulator in process and read
    by the real Graph and ARM adapters, exactly as a live tenant (a
    :class:`~ztconsole.sources.stack.LiveSource`) is read.
    """
    app = ZtApp(source, badge=badge, read_only=read_only, theme=theme, user_themes=user_themes)
    app.run()
    return app.return_code or 0
