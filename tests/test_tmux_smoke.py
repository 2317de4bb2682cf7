"""A real terminal: ``ztconsole --demo`` under tmux opens on the Overview (the tenant and its findings), shows
the data sets' counts after ``:data``, and ``q`` ends it."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import wait_for

pytestmark = pytest.mark.tmux

TMUX = shutil.which("tmux")
if TMUX is None and not os.environ.get("CI"):
    pytest.skip("tmux is not installed (in CI it must be: .ci/run installs it)", allow_module_level=True)

REPO = Path(__file__).resolve().parents[1]
COUNT = re.compile(r"\s[1-9][\d,]*\s+(\d+\s+)?[✓◐] ")  # a non-zero count followed by its status
FINDINGS = re.compile(r"\b[1-9][\d,]* findings: \d+ fail")  # the Overview, once the checks have run



def test_demo_console_in_tmux(tmp_path: Path) -> None:
    assert TMUX is not None, "tmux must be installed in CI"
    socket, session = f"ztconsole-test-{os.getpid()}", "smoke"
    exit_code = tmp_path / "exit-code"

    def tmux(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([TMUX, "-L", socket, *args], capture_output=True, text=True, timeout=10)

    env = {k: v for k, v in os.environ.items() if not k.startswith("ZTCONSOLE_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"))
    # Textual draws on stderr, so nothing is redirected; the exit code is kept for the report.
    console = shlex.join([sys.executable, "-m", "ztconsole", "--demo"])
    command = f"{console}; echo $? >{shlex.quote(str(exit_code))}"
    started = subprocess.run(
        [TMUX, "-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", session, "-x", "120", "-y", "40",
         "-c", str(REPO), command],
        capture_output=True, text=True, env=env, timeout=10,
    )
    assert started.returncode == 0, started.stderr
    screen = ""
    try:
        def ready() -> bool:
            nonlocal screen
            screen = tmux("capture-pane", "-p", "-t", session).stdout
            return "Contoso" in screen and COUNT.search(screen) is not None

        def overview() -> bool:
            nonlocal screen
            screen = tmux("capture-pane", "-p", "-t", session).stdout
            return "Contoso" in screen and FINDINGS.search(screen) is not None

        # the console opens on the Overview: the checks' findings, then the Data pane's counts (:data)
        assert wait_for(overview, 20), (
            f"no tenant name and findings within 20 s (exit code: "
            f"{exit_code.read_text().strip() if exit_code.exists() else 'still running'})\n{screen}"
        )
        assert "Maturity" in screen
        tmux("send-keys", "-t", session, ":")
        assert wait_for(lambda: any(line.lstrip().startswith(":") for line in
                                    tmux("capture-pane", "-p", "-t", session).stdout.splitlines()[-3:]), 10)
        tmux("send-keys", "-t", session, "-l", "data")
        tmux("send-keys", "-t", session, "Enter")
        assert wait_for(ready, 10), f"no data set counts after :data\n{screen}"
        assert "DEMO" in screen and "READ-ONLY" in screen
        tmux("send-keys", "-t", session, "q")
        assert wait_for(lambda: tmux("has-session", "-t", session).returncode != 0, 10), (
            "the session is still running after q\n" + tmux("capture-pane", "-p", "-t", session).stdout
        )
        assert exit_code.read_text().strip() == "0"
    finally:
        tmux("kill-server")
