"""Leaving the console in a real terminal (tmux), the way operators and supervisors do.

* SIGTERM (a supervisor) and SIGHUP (a dropped SSH session) put the terminal back (main screen, mouse
  reporting off, cursor shown, the same ``stty -a`` as before) and exit 128 + the signal, within seconds
  even while the load is still running (here: a load that never finishes).
* A real hangup (the pane goes away under an interactive shell) ends the console too.
* ctrl+z suspends to a job-control shell with the terminal restored, ``fg`` redraws the console; without
  job control it refuses instead of stopping for good.
* ctrl+c quits with 0; while a write is in flight it asks first, starting on Cancel (Textual's pilot).

Each tmux test starts its own tmux server and polls with timeouts: nothing sleeps blindly.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import wait_for
from ztconsole.demo import demo_dir
from ztconsole.tenantdir import TenantDir
from ztconsole.ui import actions, screens
from ztconsole.ui.app import ZtApp

TMUX = shutil.which("tmux")
REPO = Path(__file__).resolve().parents[1]

needs_tmux = pytest.mark.skipif(TMUX is None and not os.environ.get("CI"),
                                reason="tmux is not installed (in CI it must be: .ci/run installs it)")

FLAGS = ("alternate_on", "cursor_flag", "mouse_any_flag", "mouse_all_flag", "mouse_standard_flag",
         "mouse_button_flag", "mouse_sgr_flag", "wrap_flag")
RESTORED = {"alternate_on": "0", "cursor_flag": "1", "mouse_any_flag": "0", "mouse_all_flag": "0",
            "mouse_standard_flag": "0", "mouse_button_flag": "0", "mouse_sgr_flag": "0", "wrap_flag": "1"}
EXIT_WITHIN = 4.0  # seconds from the signal to the shell seeing the exit status (EXIT_GRACE is 2)
PROMPT = "zt$ "
LOADED = re.compile(r"\d+ data sets: \d+ ok")  # the summary once every data set has finished

# `ztconsole --demo` with a load that never finishes: its thread must not keep the process alive.
STUCK_LOAD = """\
import sys, threading
from ztconsole.sources import stack
stack.RecordingSource.load = lambda self, **kw: threading.Event().wait()
from ztconsole.__main__ import main
sys.exit(main(["--demo"]))
"""

# ... and a non-daemon thread that never ends: the interpreter would wait for it forever after the
# console has stopped; the exit watchdog (EXIT_GRACE) ends the process with the signal's status anyway.
HELD_EXIT = """\
import sys, threading
from ztconsole.sources import stack
stack.RecordingSource.load = lambda self, **kw: threading.Event().wait()
threading.Thread(target=threading.Event().wait, name="never-ends").start()
from ztconsole.__main__ import main
sys.exit(main(["--demo"]))
"""



class Terminal:
    """One tmux server with one 120x40 pane, and files the pane's shell writes (pid, status, stty)."""

    def __init__(self, tmp_path: Path, name: str) -> None:
        assert TMUX is not None, "tmux must be installed in CI"
        self.dir = tmp_path
        self.socket = f"ztconsole-{name}-{os.getpid()}"
        self.pid_file, self.status_file = tmp_path / "pid", tmp_path / "status"
        self.stty_before, self.stty_after = tmp_path / "stty-before", tmp_path / "stty-after"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ZTCONSOLE_", "TMUX"))}
        self.env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
                        XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"),
                        HISTFILE="/dev/null")

    def tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert TMUX is not None
        return subprocess.run([TMUX, "-L", self.socket, *args], capture_output=True, text=True,
                              env=self.env, timeout=10)

    def start(self, command: str) -> None:
        started = self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "zt", "-x", "120", "-y", "40",
                            "-c", str(REPO), command)
        assert started.returncode == 0, started.stderr

    def console(self, script: str | None = None) -> str:
        """The shell words starting the console (``ztconsole --demo``, or ``script``) so that its pid
        is written to ``pid_file`` (the inner shell execs Python)."""
        args = ["-m", "ztconsole", "--demo"] if script is None else ["-c", script]
        python = [sys.executable, *args]
        inner = f"echo $$ >{shlex.quote(str(self.pid_file))}; exec {shlex.join(python)}"
        return f"sh -c {shlex.quote(inner)}"

    def start_shell(self) -> None:
        """An interactive bash (job control) showing PROMPT, ready for a command line."""
        rc = self.dir / "bashrc"
        rc.write_text(f"PS1={shlex.quote(PROMPT)}\nunset PROMPT_COMMAND\n", encoding="utf-8")
        self.start(f"bash --noprofile --rcfile {shlex.quote(str(rc))} -i")
        self.wait_screen(lambda s: s.rstrip().endswith(PROMPT.rstrip()), 10, "bash prompt")

    def run_console(self, script: str | None = None) -> None:
        """A pane that records stty before and after the console, then its exit status, then stays."""
        q = shlex.quote
        self.start(f"stty -a >{q(str(self.stty_before))}; {self.console(script)}; code=$?; "
                   f"stty -a >{q(str(self.stty_after))}; echo $code >{q(str(self.status_file))}; sleep 60")

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "zt").stdout

    def flags(self) -> dict[str, str]:
        shown = self.tmux("display", "-p", "-t", "zt", " ".join(f"#{{{f}}}" for f in FLAGS)).stdout.split()
        return dict(zip(FLAGS, shown))

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "zt", *keys)

    def pid(self) -> int:
        assert wait_for(lambda: self.pid_file.exists() and self.pid_file.read_text().strip().isdigit(), 10)
        return int(self.pid_file.read_text())

    def status(self, seconds: float) -> str | None:
        """The console's exit status once the pane's shell has written it (None: not within seconds)."""
        done = wait_for(lambda: self.status_file.exists() and self.status_file.read_text().endswith("\n"),
                        seconds)
        return self.status_file.read_text().strip() if done else None

    def wait_screen(self, predicate: Callable[[str], bool], seconds: float, what: str) -> str:
        shown = ""

        def check() -> bool:
            nonlocal shown
            shown = self.screen()
            return predicate(shown)

        assert wait_for(check, seconds), f"{what}: not within {seconds} s\n{shown}"
        return shown


@pytest.fixture
def terminal(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Terminal]:
    name = re.sub(r"\W+", "-", request.node.name)[:40]
    term = Terminal(tmp_path, name)
    try:
        yield term
    finally:
        term.tmux("kill-server")


def first_screen(shown: str) -> bool:
    return "Contoso" in shown and "DEMO" in shown


def assert_restored(term: Terminal) -> None:
    assert term.flags() == RESTORED, term.screen()
    before, after = term.stty_before.read_text(), term.stty_after.read_text()
    assert after == before, f"terminal modes not restored\nbefore:\n{before}\nafter:\n{after}"
    assert re.search(r"(?<!-)\becho\b", after) and re.search(r"(?<!-)\bicanon\b", after)


# --- SIGTERM, SIGHUP ----------------------------------------------------------------------------


@pytest.mark.tmux
@needs_tmux
@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("load", ["running", "done"])
def test_signal_restores_the_terminal_and_exits_128_plus_signal(terminal: Terminal, name: str,
                                                                 load: str) -> None:
    signum = getattr(signal, name)
    terminal.run_console(STUCK_LOAD if load == "running" else None)
    if load == "running":  # every row queued behind a load that never ends
        terminal.wait_screen(lambda s: first_screen(s) and "queued" in s, 20, "first screen")
    else:
        terminal.wait_screen(lambda s: first_screen(s) and LOADED.search(s) is not None, 30, "loaded demo")
    assert terminal.flags()["alternate_on"] == "1"  # the console is on screen
    sent = time.monotonic()
    os.kill(terminal.pid(), signum)
    status = terminal.status(10)
    elapsed = time.monotonic() - sent
    assert status == str(128 + signum), f"exit status {status} after {name}\n{terminal.screen()}"
    assert elapsed < EXIT_WITHIN, f"{name}: took {elapsed:.1f} s to exit"
    assert_restored(terminal)


@pytest.mark.tmux
@needs_tmux
def test_sigterm_exit_is_bounded_even_when_a_thread_would_hold_the_process(terminal: Terminal) -> None:
    terminal.run_console(HELD_EXIT)
    terminal.wait_screen(lambda s: first_screen(s) and "queued" in s, 20, "first screen")
    sent = time.monotonic()
    os.kill(terminal.pid(), signal.SIGTERM)
    status = terminal.status(10)
    elapsed = time.monotonic() - sent
    assert status == "143", f"exit status {status}\n{terminal.screen()}"
    assert elapsed < EXIT_WITHIN, f"took {elapsed:.1f} s to exit"
    assert_restored(terminal)


@pytest.mark.tmux
@needs_tmux
def test_sighup_ignored_at_start_stays_ignored(terminal: Terminal) -> None:
    """``nohup ztconsole``: a SIGHUP is not an exit request then; SIGTERM still is."""
    terminal.run_console(f"import signal; signal.signal(signal.SIGHUP, signal.SIG_IGN)\n{STUCK_LOAD}")
    terminal.wait_screen(lambda s: first_screen(s) and "queued" in s, 20, "first screen")
    pid = terminal.pid()
    os.kill(pid, signal.SIGHUP)
    assert terminal.status(1.5) is None, "SIGHUP ended a console started with SIGHUP ignored"
    assert terminal.flags()["alternate_on"] == "1"
    os.kill(pid, signal.SIGTERM)
    assert terminal.status(10) == "143"
    assert_restored(terminal)


@pytest.mark.tmux
@needs_tmux
def test_hangup_of_the_terminal_ends_the_console(terminal: Terminal) -> None:
    """The SSH session drops: the pane (its pty) goes away under an interactive shell, which passes the
    SIGHUP on to its foreground job. The console must end (here with 129, seen by a subshell that
    outlives the hangup) and not linger on the dead terminal."""
    terminal.start_shell()
    status = shlex.quote(str(terminal.status_file))
    terminal.keys(f"(trap : HUP; {terminal.console(STUCK_LOAD)}; echo $? >{status})", "Enter")
    terminal.wait_screen(first_screen, 20, "first screen")
    pid = terminal.pid()
    terminal.tmux("kill-server")  # closes the pty: the kernel hangs up the terminal
    assert terminal.status(EXIT_WITHIN + 4) == "129"

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    assert wait_for(gone, 2), f"pid {pid} still running after the hangup"


# --- ctrl+z, ctrl+c ------------------------------------------------------------------------------


@pytest.mark.tmux
@needs_tmux
def test_ctrl_z_suspends_with_the_terminal_restored_and_fg_redraws(terminal: Terminal) -> None:
    terminal.start_shell()
    terminal.keys(terminal.console(), "Enter")
    terminal.wait_screen(lambda s: first_screen(s) and LOADED.search(s) is not None, 30, "loaded demo")

    terminal.keys("C-z")
    shown = terminal.wait_screen(lambda s: "Stopped" in s and s.rstrip().endswith(PROMPT.rstrip()), 10,
                                 "the shell's prompt after ctrl+z")
    assert "Contoso" not in shown  # the main screen, not the console's
    assert terminal.flags() == RESTORED

    terminal.keys("fg", "Enter")
    terminal.wait_screen(lambda s: first_screen(s) and LOADED.search(s) is not None, 10,
                         "the console redrawn after fg")
    assert terminal.flags()["alternate_on"] == "1"
    terminal.keys("q")  # still takes keys
    terminal.wait_screen(lambda s: s.rstrip().endswith(PROMPT.rstrip()), 10, "the prompt after q")
    terminal.keys(f"echo $? >{shlex.quote(str(terminal.status_file))}", "Enter")
    assert terminal.status(5) == "0"
    assert terminal.flags() == RESTORED


@pytest.mark.tmux
@needs_tmux
def test_ctrl_c_quits_with_0_and_ctrl_z_without_job_control_does_not_stop(terminal: Terminal) -> None:
    terminal.run_console()  # `sh -c`: no job control, so nothing could bring a stopped console back
    terminal.wait_screen(first_screen, 20, "first screen")
    terminal.keys("C-z")
    terminal.wait_screen(lambda s: "Not suspended" in s, 10, "the refusal to suspend")
    assert terminal.flags()["alternate_on"] == "1"
    terminal.keys("C-c")
    assert terminal.status(10) == "0", terminal.screen()
    assert_restored(terminal)


# --- ctrl+c with a write in flight (Textual's pilot) ---------------------------------------------


def demo_app() -> ZtApp:
    return ZtApp(TenantDir.open(demo_dir()), badge="DEMO", clock=lambda: 0.0)


@pytest.mark.parametrize("key", ["ctrl+c", "q"])
async def test_quit_without_a_write_in_flight_exits_at_once(key: str) -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not app.write_in_flight
        await pilot.press(key)
        await pilot.pause()
    assert not app.is_running
    assert app.return_code == 0


async def test_ctrl_c_quits_from_a_dialog() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, screens.HelpScreen)
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert not app.is_running and app.return_code == 0


async def test_ctrl_c_with_a_write_in_flight_asks_first_starting_on_cancel() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        with app.writing():
            assert app.write_in_flight
            await pilot.press("ctrl+c")
            await pilot.pause()
            assert isinstance(app.screen, screens.ConfirmQuitScreen)
            assert app.focused is not None and app.focused.id == "cancel"
            await pilot.press("ctrl+c")  # again: still the one dialog, still running
            await pilot.pause()
            assert len([s for s in app.screen_stack if isinstance(s, screens.ConfirmQuitScreen)]) == 1
            await pilot.press("enter")  # Cancel
            await pilot.pause()
            assert not isinstance(app.screen, screens.ConfirmQuitScreen)
            assert app.is_running

            await pilot.press("q")  # the other quit key asks too; escape cancels
            await pilot.pause()
            assert isinstance(app.screen, screens.ConfirmQuitScreen)
            await pilot.press("escape")
            await pilot.pause()
            assert app.is_running and not isinstance(app.screen, screens.ConfirmQuitScreen)

            await pilot.press("ctrl+c")
            await pilot.pause()
            await pilot.click("#quit")
            await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0
    assert not app.write_in_flight


def test_ctrl_c_and_ctrl_z_come_from_the_action_registry() -> None:
    """Both are terminal keys: priority bindings, so dialogs and focused widgets cannot swallow them
    (Textual binds ctrl+c to copy the selection on every screen, and to a "how to quit" hint)."""
    interrupt, suspend = actions.BY_ID["app.interrupt"], actions.BY_ID["app.suspend"]
    assert (interrupt.keys, interrupt.priority) == ("ctrl+c", True)
    assert (suspend.keys, suspend.priority) == ("ctrl+z", True)
    bound = {k.strip(): b for b in actions.bindings("app") for k in b.key.split(",")}
    assert bound["ctrl+c"].action == "interrupt" and bound["ctrl+c"].priority
    assert bound["ctrl+z"].action == "suspend_process" and bound["ctrl+z"].priority
    assert bound["q"].action == "quit" and not bound["q"].priority  # q closes dialogs instead
