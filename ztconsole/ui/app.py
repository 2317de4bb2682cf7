"""The console application and its entry point :func:`run_console`.

This first screen proves the path from a tenant directory to the terminal: a header with the tenant and
its badges, then every data set going from queued through loading to its count (or its failure), read in
a background thread so the event loop never blocks and one data set's failure never holds up the others.

Leaving the console (see :meth:`ZtApp.run_async` and :meth:`ZtApp.action_quit`):

* ``q``, ``ctrl+c`` and ``ctrl+q`` quit with status 0 at once, or ask first while a write is in flight.
  ctrl+c works in dialogs too (it takes the key from Textual's copy-selection binding).
* SIGTERM (a supervisor) and SIGHUP (a dropped SSH session) end the console the way quitting does, so
  Textual's driver puts the terminal back (main screen, no mouse reporting, cursor shown, the terminal
  modes from before), and the process exits with 128 + the signal (143, 129). A still-running load never
  holds the process: it runs in a daemon thread, and a watchdog ends the process if the orderly exit has
  not finished within :data:`EXIT_GRACE` seconds. A SIGHUP ignored at start (``nohup``) stays ignored.
* ``ctrl+z`` suspends (Textual's SIGTSTP handling restores the terminal while stopped and switches it
  back on SIGCONT; the console then repaints in full), but only when a job-control shell can bring the
  console back.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from ztconsole.datasets import BY_KEY, DATASETS, DataSet
from ztconsole.tenantdir import TenantDirError
from ztconsole.safetext import bug_report
from ztconsole.threads import in_daemon_thread
from ztconsole.ui import actions
from ztconsole.ui.datasets_view import DataSetTable, RowState
from ztconsole.ui.header import BADGES, TenantHeader
from ztconsole.ui.safe import clean
from ztconsole.ui.screens import ConfirmQuitScreen, DetailsScreen, HelpScreen, SignInScreen
from ztconsole.ui.theme import DEFAULT_THEME, load_themes

if TYPE_CHECKING:
    from textual.app import AutopilotCallbackType

    from ztconsole.tenantdir import DataSetResult, TenantInfo

__all__ = ["EXIT_GRACE", "EXIT_SIGNALS", "TenantSource", "ZtApp", "run_console"]

EXIT_SIGNALS = ("SIGTERM", "SIGHUP")
"""Signals that end the console with the terminal restored and status 128 + the signal."""

EXIT_INTERNAL = 70
"""The status after an unhandled exception (CONTRACTS §2)."""

EXIT_GRACE = 2.0
"""Seconds an exit on a signal may take before the watchdog restores the terminal and ends the process."""

# What Textual's driver turns on, turned off (a superset, harmless where already off): the kitty keyboard
# protocol, mouse reporting, bracketed paste, focus events; then line wrap on, the main screen, the cursor.
_TERMINAL_RESET = ("\x1b[<u\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1016l\x1b[?2004l"
                   "\x1b[?1004l\x1b[?7h\x1b[?1049l\x1b[?25h")


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
        self._writes = 0
        self._writes_lock = threading.Lock()
        self.exit_signal: int | None = None
        """The signal that ended the console (SIGTERM, SIGHUP), or None."""
        self._tty: tuple[int, list[Any]] | None = None
        self.crash_report = ""
        """What an unhandled exception left to tell the user (see :meth:`_fatal_error`)."""
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
        # after fg the terminal shows an empty alternate screen: paint all of it, not just what changed
        self.app_resume_signal.subscribe(self, self._repaint)
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

        post = self._poster()

        def started(ds: DataSet) -> None:
            post(self._started, generation, ds.key)

        def finished(result: DataSetResult) -> None:
            post(self._finished, generation, result)

        if hasattr(self.tenant, "on_device_code"):  # a live tenant: sign-in may need the user
            self.tenant.on_device_code = lambda message: post(self._show_sign_in, message)

        # Not a thread worker: those run in the event loop's default executor, whose threads the
        # interpreter waits for at exit, so a slow load (or a sign-in waiting for the user) would hold
        # the process after quitting or after SIGTERM. A daemon thread is left behind instead.
        load = in_daemon_thread(self.tenant.load, on_start=started, on_result=finished, name="ztconsole-load")
        self.run_worker(load, name="load", group="load", description="load every data set", exit_on_error=False)
        self._show_summary()

    def _poster(self) -> Callable[..., None]:
        """A way for the load's threads to hand a call to the console without waiting for it. Textual's
        ``call_from_thread`` waits for the result, and once the console has ended nothing gives one: a
        reader thread (which the interpreter joins at exit) would then hold the process for good."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()  # the console's (Textual's active app), for the callbacks

        def post(fn: Callable[..., object], *args: object) -> None:
            try:
                loop.call_soon_threadsafe(fn, *args, context=context)
            except RuntimeError:  # the console has ended and its loop is closed
                pass

        return post

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

    # --- leaving ------------------------------------------------------------------------------

    @property
    def write_in_flight(self) -> bool:
        """Whether a change to the tenant is being written (see :meth:`writing`)."""
        return self._writes > 0

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Mark a write to the tenant as in flight while the block runs (from any thread): quitting
        then asks first. Signals still end the console."""
        with self._writes_lock:
            self._writes += 1
        try:
            yield
        finally:
            with self._writes_lock:
                self._writes -= 1

    async def action_quit(self) -> None:
        """Quit (status 0) at once, or, while a write is in flight, after a confirmation that starts on
        Cancel. Bound to the registry's quit keys and to Textual's ctrl+q."""
        if not self.write_in_flight:
            self.exit(return_code=0)
        elif not isinstance(self.screen, ConfirmQuitScreen):
            self.push_screen(ConfirmQuitScreen(), self._quit_confirmed)

    async def action_interrupt(self) -> None:
        """ctrl+c: quit as :meth:`action_quit` does, from anywhere (a priority key, dialogs included)."""
        await self.action_quit()

    def _quit_confirmed(self, confirmed: bool | None) -> None:
        if confirmed:
            self.exit(return_code=0)

    def action_suspend_process(self) -> None:
        """Suspend (ctrl+z) as Textual does, but only where a job-control shell can resume the console:
        elsewhere (``ssh host ztconsole``, ``exec ztconsole``) nothing would ever send SIGCONT."""
        if self._driver is not None and self._driver.can_suspend and not _job_control():
            self.notify("Not suspended: no job-control shell to bring the console back with fg.",
                        severity="warning", markup=False)
            return
        super().action_suspend_process()

    def _repaint(self, _app: object = None) -> None:
        self.refresh(layout=True)

    async def run_async(
        self,
        *,
        headless: bool = False,
        inline: bool = False,
        inline_no_clear: bool = False,
        mouse: bool = True,
        size: tuple[int, int] | None = None,
        auto_pilot: AutopilotCallbackType | None = None,
    ) -> int | None:
        """Run the app (``App.run`` comes here) with SIGTERM and SIGHUP ending it like a quit: the
        handlers are in place before the terminal is switched and stay until it has been restored."""
        self._tty = _tty_modes()
        loop = asyncio.get_running_loop()
        caught = []
        if threading.current_thread() is threading.main_thread():
            for name in EXIT_SIGNALS:
                signum = getattr(signal, name, None)
                if signum is None or signal.getsignal(signum) == signal.SIG_IGN:
                    continue  # nohup: an ignored SIGHUP stays ignored
                try:
                    loop.add_signal_handler(signum, self._exit_on_signal, signum)
                except (NotImplementedError, RuntimeError, ValueError):  # no signals on this platform
                    continue
                caught.append(signum)
        try:
            return await super().run_async(headless=headless, inline=inline, inline_no_clear=inline_no_clear,
                                           mouse=mouse, size=size, auto_pilot=auto_pilot)
        finally:
            for signum in caught:
                loop.remove_signal_handler(signum)

    def _fatal_error(self) -> None:
        """An unhandled exception (a bug): status 70 and one line naming it (CONTRACTS §2), which
        :func:`run_console` prints once the terminal is back. Never Textual's own report, which shows local
        variables (they can hold tokens); ``ZTCONSOLE_DEBUG=1`` adds a traceback without them."""
        error = sys.exc_info()[1] or self._exception or RuntimeError("unknown error")
        self.bell()
        self._return_code = EXIT_INTERNAL
        self.crash_report = bug_report(error, debug=os.environ.get("ZTCONSOLE_DEBUG") == "1")
        self._close_messages_no_wait()

    def _exit_on_signal(self, signum: int) -> None:
        """SIGTERM or SIGHUP: exit with 128 + signum, the terminal restored by the driver's orderly stop;
        if that has not ended the process within EXIT_GRACE seconds, the watchdog does."""
        if self.exit_signal is not None:
            return
        self.exit_signal = signum
        code = 128 + signum
        tty = self._tty if not self.is_headless else None
        watchdog = threading.Timer(EXIT_GRACE, _force_exit, (code, tty))
        watchdog.daemon = True
        watchdog.start()
        self.exit(return_code=code)


def _describe(error: BaseException | None) -> str:
    """One line for a read that raised instead of returning a result."""
    if error is None:
        return "cancelled"
    if isinstance(error, TenantDirError):
        return clean(error)
    return clean(f"{type(error).__name__}: {error}")


def _job_control() -> bool:
    """Whether a job-control shell started us: it puts each job in its own process group, so ours is
    not the session's. A stopped process without one would stay stopped for good."""
    try:
        return os.getpgrp() != os.getsid(0)
    except OSError:
        return False


def _tty_modes() -> tuple[int, list[Any]] | None:
    """The terminal's modes before Textual changes them (for the watchdog), or None when not a tty."""
    try:
        import termios

        fd = sys.__stdin__.fileno()  # what Textual's driver reads and sets
        return (fd, termios.tcgetattr(fd)) if os.isatty(fd) else None
    except Exception:  # noqa: BLE001 - no termios, no stdin, termios.error: nothing to restore
        return None


def _force_exit(code: int, tty: tuple[int, list[Any]] | None) -> None:
    """The watchdog: the orderly exit took too long (a write to a stalled terminal, a thread the
    interpreter waits for). Put the terminal modes back, switch the screen back if the terminal still
    takes output (without waiting long for it), and end the process with ``code``."""
    if tty is not None:
        with suppress(Exception):  # a hung-up terminal: nothing to restore
            import termios

            termios.tcsetattr(tty[0], termios.TCSANOW, tty[1])

        def reset() -> None:
            with suppress(Exception):
                os.write(sys.__stderr__.fileno(), _TERMINAL_RESET.encode())

        writer = threading.Thread(target=reset, name="ztconsole-reset", daemon=True)
        writer.start()
        writer.join(0.5)
    os._exit(code)


def run_console(source: TenantSource, *, badge: str, read_only: bool = True, theme: str | None = None,
                user_themes: Path | None = None) -> int:
    """Run the console on ``source`` until the user quits or a signal ends it; the process exit code
    (0 after a quit, 128 + the signal after SIGTERM or SIGHUP).

    Recordings (demo, tenant directories) come as a
    :class:`~ztconsole.sources.stack.RecordingSource`: served by the built-in emulator in process and read
    by the real Graph and ARM adapters, exactly as a live tenant (a
    :class:`~ztconsole.sources.stack.LiveSource`) is read.
    """
    app = ZtApp(source, badge=badge, read_only=read_only, theme=theme, user_themes=user_themes)
    if os.environ.get("ZTCONSOLE_DEBUG") != "1":
        # asyncio's complaints (a task left pending by a crash) would only scribble over the screen or
        # bury the one line a crash prints
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    app.run()
    if app.crash_report:
        sys.stderr.write(app.crash_report + "\n")
    return app.return_code or 0
