"""A real terminal, every pane: ``ztconsole --demo`` under tmux at 80x24, visited pane by pane through the ``:``
command bar, each checked on screen with ``capture-pane``, under the terminal types an SSH session brings
(xterm-256color, screen-256color, linux with its 16 colours) and with ``NO_COLOR``; then ``:q`` ends it with
status 0 and the terminal is given back (the alternate screen left, the shell's screen shown again)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Tmux, wait_for

pytestmark = pytest.mark.tmux

TMUX = shutil.which("tmux")
if TMUX is None and not os.environ.get("CI"):
    pytest.skip("tmux is not installed (in CI it must be: .ci/run installs it)", allow_module_level=True)

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("term", "no_color"), [("xterm-256color", False), ("screen-256color", False),
                                                ("linux", False), ("xterm-256color", True)],
                         ids=["xterm-256color", "screen-256color", "linux", "NO_COLOR"])
def test_every_pane_through_the_command_bar(tmp_path: Path, term: str, no_color: bool) -> None:
    assert TMUX is not None, "tmux must be installed in CI"
    from ztconsole.ui.panes import PANES

    socket, session = f"ztconsole-panes-{os.getpid()}-{term}-{int(no_color)}", "panes"
    exit_code = tmp_path / "exit-code"

    tmux = Tmux(TMUX, socket, session)
    screen = tmux.screen

    env = {k: v for k, v in os.environ.items() if not k.startswith("ZTCONSOLE_") and k != "NO_COLOR"}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    prefix = "NO_COLOR=1 " if no_color else ""
    console = shlex.join([sys.executable, "-m", "ztconsole", "--demo"])
    command = (f"echo shell-before; TERM={term} {prefix}{console}; echo $? >{shlex.quote(str(exit_code))}; "
               "echo shell-after; sleep 30")
    started = subprocess.run(
        [TMUX, "-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", session, "-x", "80", "-y", "24",
         "-c", str(REPO), command], capture_output=True, text=True, env=env, timeout=10)
    assert started.returncode == 0, started.stderr
    try:
        assert wait_for(lambda: "Contoso" in screen() and "DEMO" in screen(), 30), f"no console:\n{screen()}"
        assert wait_for(lambda: "queued" not in screen() and "loading" not in screen(), 30), screen()
        for pane in PANES:
            alias = pane.ALIASES[0] if getattr(pane, "ALIASES", ()) else pane.ID
            tmux.command(alias)
            assert wait_for(lambda pane=pane: tmux.showing(pane.TITLE), 15), \
                f":{alias} did not show the {pane.TITLE} pane ({term}):\n{screen()}"
            shown = screen()
            lines = shown.splitlines()
            assert len(lines) <= 24 and all(len(line) <= 80 for line in lines), shown
            assert "Traceback" not in shown and "\x1b" not in shown, shown
        tmux.command("q")
        assert wait_for(lambda: exit_code.exists() and "shell-after" in screen(), 10), screen()
        assert exit_code.read_text().strip() == "0"
        after = screen()
        assert "shell-before" in after and "Contoso" not in after, after  # the alternate screen is gone
    finally:
        tmux("kill-server")


def test_a_rollout_step_applied_in_a_real_terminal(tmp_path: Path) -> None:
    """``ztconsole --demo --write`` at 100x30: ``:rollout``, ``a`` opens the confirmation (Enter there is Cancel:
    nothing is written), then Tab to Apply and Enter applies step 0, which the pane then shows done and the
    audit log holds."""
    assert TMUX is not None, "tmux must be installed in CI"
    socket, session = f"ztconsole-rollout-{os.getpid()}", "rollout"
    tmux = Tmux(TMUX, socket, session)
    screen = tmux.screen
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZTCONSOLE_") and k != "NO_COLOR"}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_STATE_HOME=str(tmp_path / "state"), TERM="xterm-256color")
    console = shlex.join([sys.executable, "-m", "ztconsole", "--demo", "--write"])
    started = subprocess.run(
        [TMUX, "-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
         "-c", str(REPO), f"{console}; sleep 30"], capture_output=True, text=True, env=env, timeout=10)
    assert started.returncode == 0, started.stderr
    log = tmp_path / "state" / "ztconsole" / "audit.jsonl"
    try:
        assert wait_for(lambda: "WRITE" in screen() and "queued" not in screen() and "loading" not in screen(),
                        60), screen()
        tmux.command("rollout")
        assert wait_for(lambda: "0 of 10 steps done" in screen(), 60), screen()
        tmux("send-keys", "-t", session, "a")
        assert wait_for(lambda: "Cancel" in screen() and "Apply step 0" in screen(), 10), screen()
        tmux("send-keys", "-t", session, "Enter")  # the dialog opens on Cancel
        assert wait_for(lambda: "not applied" in screen(), 10), screen()
        assert not log.exists()
        tmux("send-keys", "-t", session, "a")
        assert wait_for(lambda: "Apply step 0" in screen(), 10), screen()
        tmux("send-keys", "-t", session, "Tab", "Enter")
        assert wait_for(lambda: "1 of 10 steps done" in screen(), 60), screen()
        assert "Traceback" not in screen()
        records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        assert [(r["action"], r["phase"]) for r in records] == [("rollout.preflight.update", "before"),
                                                                ("rollout.preflight.update", "after")]
    finally:
        tmux("kill-server")
