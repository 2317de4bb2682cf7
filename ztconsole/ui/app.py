"""The console application and its entry point :func:`run_console`.

The console is a shell of panes (:mod:`ztconsole.ui.panes`), one Textual mode each, over one tenant
store (:mod:`ztconsole.ui.store`): the store owns the source and the one load at a time, and tells the
app and every pane what is read as it arrives. The app opens on the first pane, starts the first load
once the first frame is on screen (the load imports the SDKs, in its own thread), shows the sign-in
dialog when a live tenant needs the user, refreshes every ``refresh_interval`` seconds when asked to
(never while a dialog is open, never two loads at once), applies the user keymap to the registry's
bindings (:mod:`ztconsole.ui.actions`), and offers the registry's actions in the command palette.

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
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, cast

from textual._context import active_app
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.scrollbar import ScrollBar, ScrollBarRender

from ztconsole import exitcodes
from ztconsole.safetext import bug_report
from ztconsole.ui import actions
from ztconsole.ui.analysis import Analysis
from ztconsole.ui.header import BADGES, LoadClock
from ztconsole.ui.navigation import Navigation
from ztconsole.ui.panes import CATALOGUE, Pane
from ztconsole.ui.panes.base import AliasTable
from ztconsole.ui.safe import clean
from ztconsole.ui.status import unicode_glyphs
from ztconsole.ui.store import TenantSource, TenantStore
from ztconsole.ui.theme import first_theme, load_themes

if TYPE_CHECKING:
    from textual.app import AutopilotCallbackType
    from textual.command import Provider

__all__ = ["EXIT_GRACE", "EXIT_SIGNALS", "RolloutSettings", "TenantSource", "ZtApp", "run_console"]

EXIT_SIGNALS = ("SIGTERM", "SIGHUP")
"""Signals that end the console with the terminal restored and status 128 + the signal."""

EXIT_GRACE = 2.0
"""Seconds an exit on a signal may take before the watchdog restores the terminal and ends the process."""

# What Textual's driver turns on, turned off (a superset, harmless where already off): the kitty keyboard
# protocol, mouse reporting, bracketed paste, focus events; then line wrap on, the main screen, the cursor.
_TERMINAL_RESET = ("\x1b[<u\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1016l\x1b[?2004l"
                   "\x1b[?1004l\x1b[?7h\x1b[?1049l\x1b[?25h")


class RolloutSettings(NamedTuple):
    """What the rollout screen (:mod:`ztconsole.ui.panes.rollout`) builds each step's context with, as
    ``ztconsole rollout`` would from the same command line: the config's ``report_only_bake_days``, the
    emergency access accounts the config declares, the source options (reproduction lines), and whether the
    source is a recording (then "now" is its capture time, so its verdicts are reproducible)."""

    bake_days: int = 14
    declared: tuple[str, ...] = ()
    source_args: tuple[str, ...] = ()
    recorded: bool = True


class _PlainBars(ScrollBarRender):
    """A scroll bar drawn in colours only: no eighth-block characters (a plain terminal font lacks them)."""

    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


class _ThemeBars(ScrollBarRender):
    """The console's scroll bars: Textual's eighth blocks where the theme draws Unicode glyphs, else
    :class:`_PlainBars` (the app drawing is the one whose theme counts)."""

    @classmethod
    def render_bar(cls, *args: Any, **kwargs: Any) -> Any:
        app = active_app.get(None)
        if app is not None and not unicode_glyphs(app):
            return _PlainBars.render_bar(*args, **kwargs)
        return super().render_bar(*args, **kwargs)


ScrollBar.renderer = _ThemeBars

_PLAIN_KEYS = {"⏎": "enter", "←": "left", "→": "right", "↑": "up", "↓": "down", "⇥": "tab", "⌫": "backspace"}
"""Textual's key symbols, by name: a theme without Unicode glyphs shows the names."""


def _action_commands() -> type[Provider]:
    """The palette's provider (the registry's actions), imported when the palette first opens."""
    from ztconsole.ui.palette import ActionCommands

    return ActionCommands


class _FromCatalogue:
    """A class attribute read from :mod:`ztconsole.ui.panes` when first read (``PANES``, ``ALIASES``): reading
    it imports every pane's module, which the first frame does without."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        from ztconsole.ui import panes

        return getattr(panes, self.name)


class ZtApp(Navigation, actions.Guarded, App[int]):
    """The ztconsole console: the tenant's header, its panes, the load status and the footer; ``:``, ``/``,
    Esc and the number keys move between the panes (:class:`~ztconsole.ui.navigation.Navigation`)."""

    TITLE = "ztconsole"
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: a subclass elsewhere finds it too
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {_action_commands}  # registry only
    ACTION_SCOPE = "app"
    BINDINGS = actions.bindings("app")
    PANES: ClassVar[tuple[type[Pane], ...]] = cast("tuple[type[Pane], ...]", _FromCatalogue("PANES"))
    """The panes, one mode each, the first shown at start; a subclass may set its own. The console's own
    are the catalogue's (:mod:`ztconsole.ui.panes`): each pane's module is imported when it is first shown,
    and reading ``PANES`` imports them all."""
    PANE_ALIASES: ClassVar[AliasTable] = cast("AliasTable", _FromCatalogue("ALIASES"))
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {entry.id: entry for entry in CATALOGUE}
    DEFAULT_MODE = CATALOGUE[0].id

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "PANES" in cls.__dict__:
            cls.MODES = {pane.ID: pane for pane in cls.PANES}
            cls.DEFAULT_MODE = cls.PANES[0].ID

    def __init__(
        self,
        tenant: TenantSource,
        *,
        badge: str,
        read_only: bool = True,
        theme: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        user_themes: Path | None = None,
        keymap: Mapping[str, str] | None = None,
        refresh_interval: float | None = None,
        on_first_frame: Callable[[], object] | None = None,
        analysis: Analysis | None = None,
        rollout: RolloutSettings | None = None,
    ) -> None:
        """``badge`` is one of :data:`BADGES`; ``theme`` is the user's choice (None: the source's own, see
        :func:`~ztconsole.ui.theme.first_theme`); ``clock`` times the loads (tests pass a constant one);
        ``keymap`` maps action ids to keys (``{"app.quit": "ctrl+q"}``, the config's ``[keymap]``);
        ``refresh_interval`` reloads that many seconds after each load has finished (None: never);
        ``on_first_frame`` is called once the first frame is on screen, before the first load starts (what
        start-up deferred until then, see :func:`run_console`); ``rollout``: what the rollout screen's steps
        are computed with (see :class:`RolloutSettings`)."""
        if badge not in BADGES:
            raise ValueError(f"badge must be one of {', '.join(BADGES)}, not {badge!r}")
        themes = load_themes(user_themes)
        self._variable_defaults = themes.variable_defaults  # read by App.__init__
        self._theme_problems = themes.problems
        super().__init__()
        self.badge = badge
        self.read_only = read_only
        self.store = TenantStore(tenant, clock=clock, refresh_interval=refresh_interval,
                                 may_refresh=self._may_refresh)
        """The tenant's data and its one load; panes read it and hear from it."""
        self.load_clock = LoadClock(self)
        """When the last load ended and whether it was throttled: every pane's header shows it."""
        self.analysis: Analysis = analysis or Analysis()
        """The checks' findings on each loaded tenant, computed once per load (see :mod:`ztconsole.ui.analysis`)."""
        self.rollout: RolloutSettings = rollout or RolloutSettings()
        """The rollout screen's settings (see :class:`RolloutSettings`)."""
        self.keymap: Mapping[str, str] = MappingProxyType(dict(keymap or {}))
        """The user's keys by action id, over the registry's (what the help and the palette show)."""
        self.set_keymap(dict(self.keymap))
        self._refused_load = 0
        self._writes = 0
        self._writes_lock = threading.Lock()
        self.exit_signal: int | None = None
        """The signal that ended the console (SIGTERM, SIGHUP), or None."""
        self._tty: tuple[int, list[Any]] | None = None
        self._on_first_frame = on_first_frame
        self.crash_report = ""
        """What an unhandled exception left to tell the user (see :meth:`_fatal_error`)."""
        for t in themes.themes:
            self.register_theme(t)
        first, self._theme_warning = first_theme(theme, badge, self.available_themes)
        self._set_first_theme(first)

    def _set_first_theme(self, name: str) -> None:
        """Make ``name`` the theme before the app runs. Nothing is styled yet, so its colours go straight
        into the style sheet, which is parsed once at start. Setting ``theme`` would run Textual's theme
        watcher, which parses every style sheet again and restyles every widget, twice, before the first
        frame. A theme that is light where Textual's default is dark (or the reverse) goes through the
        watcher, which also switches the ANSI colour mapping."""
        theme = self.get_theme(name)
        if theme is None or theme.dark != self.current_theme.dark:
            self.theme = name
            return
        self.set_reactive(App.theme, name)
        self.set_class(True, f"-theme-{name}", update=False)  # what the watcher adds
        self.stylesheet.set_variables(self.get_css_variables())

    @property
    def tenant(self) -> TenantSource:
        return self.store.source

    @property
    def loaded(self) -> asyncio.Event:
        """Set when the current load has finished (cleared while a load runs)."""
        return self.store.loaded

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(self._variable_defaults)

    def get_css_variables(self) -> dict[str, str]:
        """The theme's variables, and the border types it draws: rounded corners and lines where the theme
        draws Unicode glyphs, ASCII (``+-|``) where it does not (``$dialog-border``, ``$line-border``)."""
        variables = super().get_css_variables()
        fancy = variables.get("glyphs") == "unicode"
        variables["dialog-border"] = "round" if fancy else "ascii"
        variables["line-border"] = "solid" if fancy else "ascii"
        return variables

    def get_key_display(self, binding: Binding) -> str:
        """A key as the footer, help and palette show it: Textual's symbols (``⏎``) where the theme draws
        Unicode glyphs, else their names (``enter``)."""
        shown = super().get_key_display(binding)
        if shown.isascii() or unicode_glyphs(self):
            return shown
        return "".join(_PLAIN_KEYS.get(c, c) for c in shown)

    def on_mount(self) -> None:
        for problem in self._theme_problems:
            self.notify(f"Theme skipped: {clean(problem)}", severity="warning", markup=False)
        if self._theme_warning:
            self.notify(self._theme_warning, severity="warning", markup=False)
        # after fg the terminal shows an empty alternate screen: paint all of it, not just what changed
        self.app_resume_signal.subscribe(self, self._repaint)
        self.store.subscribe(self)
        # start loading once the first frame is on screen: the load imports the SDKs in its thread
        self.call_after_refresh(self._first_frame_shown)

    def _first_frame_shown(self) -> None:
        if self._on_first_frame is not None:
            done, self._on_first_frame = self._on_first_frame, None
            done()
        self.action_reload()

    def on_unmount(self) -> None:
        self.store.close()

    # --- loading ------------------------------------------------------------------------------

    def action_reload(self) -> None:
        """Refresh: read again what can have changed (new sign-ins, users and groups through delta queries,
        the small data sets whole); the first load reads everything. While a load runs the key is ignored
        (said once per load)."""
        self._load(self.store.refresh)

    def action_reload_all(self) -> None:
        """Read every data set whole again (what a refresh would not: a sign-in activity, a suspicion)."""
        self._load(self.store.reload)

    def _load(self, start: Callable[[], bool]) -> None:
        if self.write_in_flight:  # the write reads the tenant back, then the tenant is read again anyway
            self.notify("Writing to the tenant: it is read again once the write has finished.", markup=False,
                        timeout=3)
            return
        if start() or self._refused_load == self.store.loads:
            return
        self._refused_load = self.store.loads
        self.notify("Still reading the tenant: reload again once this load has finished.", markup=False,
                    timeout=3)

    def _may_refresh(self) -> bool:
        """An automatic refresh waits while a dialog (sign-in, details, help, palette) is open, and while a
        write is in flight."""
        return bool(self.screen_stack) and not self.screen.is_modal and not self.write_in_flight

    def on_tenant_store_sign_in(self, message: TenantStore.SignIn) -> None:
        from ztconsole.ui.screens import SignInScreen

        self.push_screen(SignInScreen(message.message))

    def on_tenant_store_loaded(self, _message: TenantStore.Loaded) -> None:
        self._close_sign_in()  # data arrives: signed in

    def on_tenant_store_started(self, _message: TenantStore.Started) -> None:
        self.load_clock.started()

    def on_tenant_store_finished(self, message: TenantStore.Finished) -> None:
        self.load_clock.finished(message.tenant.results.values())
        self._close_sign_in()  # a sign-in that failed or timed out: the rows say so

    def _close_sign_in(self) -> None:
        from ztconsole.ui.screens import SignInScreen

        # the store's messages can still arrive while the console ends, its screens already gone
        if self.screen_stack and isinstance(self.screen, SignInScreen):
            self.pop_screen()

    # --- keys -----------------------------------------------------------------------------------

    def action_help(self) -> None:
        from ztconsole.ui.screens import HelpScreen

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
            self.exit(return_code=exitcodes.OK)
            return
        from ztconsole.ui.screens import ConfirmQuitScreen

        if not isinstance(self.screen, ConfirmQuitScreen):
            self.push_screen(ConfirmQuitScreen(), self._quit_confirmed)

    async def action_interrupt(self) -> None:
        """ctrl+c: quit as :meth:`action_quit` does, from anywhere (a priority key, dialogs included)."""
        await self.action_quit()

    def _quit_confirmed(self, confirmed: bool | None) -> None:
        if confirmed:
            self.exit(return_code=exitcodes.OK)

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
        self._return_code = exitcodes.INTERNAL
        self.crash_report = bug_report(error, debug=os.environ.get("ZTCONSOLE_DEBUG") == "1")
        self._close_messages_no_wait()

    def _exit_on_signal(self, signum: int) -> None:
        """SIGTERM or SIGHUP: exit with 128 + signum, the terminal restored by the driver's orderly stop;
        if that has not ended the process within EXIT_GRACE seconds, the watchdog does."""
        if self.exit_signal is not None:
            return
        self.exit_signal = signum
        code = exitcodes.signalled(signum)
        tty = self._tty if not self.is_headless else None
        watchdog = threading.Timer(EXIT_GRACE, _force_exit, (code, tty))
        watchdog.daemon = True
        watchdog.start()
        self.exit(return_code=code)


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

        stdin = sys.__stdin__
        if stdin is None:
            return None
        fd = stdin.fileno()  # what Textual's driver reads and sets
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
            stderr = sys.__stderr__
            if stderr is None:  # no terminal to write to
                return
            with suppress(Exception):
                os.write(stderr.fileno(), _TERMINAL_RESET.encode())

        writer = threading.Thread(target=reset, name="ztconsole-reset", daemon=True)
        writer.start()
        writer.join(0.5)
    os._exit(code)


def run_console(source: TenantSource, *, badge: str, read_only: bool = True, theme: str | None = None,
                user_themes: Path | None = None, keymap: Mapping[str, str] | None = None,
                refresh_interval: float | None = None, on_first_frame: Callable[[], object] | None = None,
                analysis: Analysis | None = None, rollout: RolloutSettings | None = None) -> int:
    """Run the console on ``source`` until the user quits or a signal ends it; the process exit code
    (0 after a quit, 128 + the signal after SIGTERM or SIGHUP). ``keymap``, ``refresh_interval`` and
    ``on_first_frame`` (what start-up put off until the first frame is on screen: the command line pauses
    the garbage collector until then) as :class:`ZtApp` takes them.

    Recordings (demo, tenant directories) come as a
    :class:`~ztconsole.sources.stack.RecordingSource`: served by the built-in emulator in process and read
    by the real Graph and ARM adapters, exactly as a live tenant (a
    :class:`~ztconsole.sources.stack.LiveSource`) is read.
    """
    app = ZtApp(source, badge=badge, read_only=read_only, theme=theme, user_themes=user_themes, keymap=keymap,
                refresh_interval=refresh_interval, on_first_frame=on_first_frame, analysis=analysis,
                rollout=rollout)
    if os.environ.get("ZTCONSOLE_DEBUG") != "1":
        # asyncio's complaints (a task left pending by a crash) would only scribble over the screen or
        # bury the one line a crash prints
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    app.run()
    if app.crash_report:
        sys.stderr.write(app.crash_report + "\n")
    return app.return_code or 0
