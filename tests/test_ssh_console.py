"""The SSH session is the console's home (issue #13): a real ``sshd`` on a loopback port with throwaway keys,
``ssh -tt`` into it inside tmux at 80x24 with ``TERM=linux``, ``ztconsole --demo`` on the far side; every pane
is visited through the ``:`` command bar and seen on screen; then the ssh client is killed, as a dropped
connection would, and no ztconsole process may be left behind (the console ends on the SIGHUP sshd sends).

``.ci/run`` installs openssh-server and tmux; elsewhere the test is skipped when either is missing.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Tmux, wait_for

pytestmark = pytest.mark.tmux

TMUX = shutil.which("tmux")
SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)
SSH = shutil.which("ssh")
SSH_KEYGEN = shutil.which("ssh-keygen")
if None in (TMUX, SSHD, SSH, SSH_KEYGEN) and not os.environ.get("CI"):
    pytest.skip("tmux and openssh (server and client) are needed (in CI .ci/run installs them)",
                allow_module_level=True)

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def console_processes(marker: str) -> list[str]:
    """Command lines of the processes still running with ``marker`` (the test's own directory) in them."""
    out = subprocess.run(["ps", "-ww", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) > 1 and marker in line and "-m ztconsole" in line \
                and os.path.basename(parts[1]) not in ("ssh", "sh", "tmux", "env", "ps"):
            found.append(line)
    return found


def test_console_over_ssh_visits_every_pane_and_leaves_nothing_behind(tmp_path: Path) -> None:
    assert None not in (TMUX, SSHD, SSH, SSH_KEYGEN), "tmux and openssh must be installed in CI"
    assert TMUX is not None and SSHD is not None and SSH is not None and SSH_KEYGEN is not None
    from ztconsole.ui.panes import PANES

    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    for name in ("host", "user"):
        subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-f", str(keys / name)], check=True)
    (keys / "authorized_keys").write_text((keys / "user.pub").read_text())
    port = free_port()
    config = tmp_path / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {keys / 'host'}", f"PidFile {tmp_path / 'sshd.pid'}",
        f"AuthorizedKeysFile {keys / 'authorized_keys'}", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "PubkeyAuthentication yes", "PermitRootLogin prohibit-password",
        "StrictModes no", "UsePAM no", "PrintMotd no", "PrintLastLog no", "PermitUserEnvironment no", "",
    ]))
    Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # sshd's privilege separation directory
    sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE, text=True)
    tmux_socket, session = f"ztconsole-ssh-{os.getpid()}", "ssh"

    tmux = Tmux(TMUX, tmux_socket, session)
    screen = tmux.screen

    home = tmp_path / "home"  # the marker: the console's command line names its (empty) config file in it
    home.mkdir()
    (home / "config.toml").write_text("")
    remote = shlex.join(["env", "-i", f"HOME={home}", "TERM=linux", f"PATH={os.environ.get('PATH', '')}",
                         f"XDG_CONFIG_HOME={home}/config", f"XDG_DATA_HOME={home}/data",
                         f"XDG_STATE_HOME={home}/state", sys.executable, "-m", "ztconsole", "--demo",
                         "--config", str(home / "config.toml")])
    remote = f"cd {shlex.quote(str(REPO))} && exec {remote}"
    client = shlex.join([SSH, "-tt", "-p", str(port), "-i", str(keys / "user"), "-o", "StrictHostKeyChecking=no",
                         "-o", f"UserKnownHostsFile={tmp_path / 'known_hosts'}", "-o", "LogLevel=ERROR",
                         "-o", "BatchMode=yes", "127.0.0.1", remote])
    try:
        assert wait_for(lambda: sshd.poll() is None and _listening(port), 10), \
            f"sshd did not start: {sshd.stderr.read() if sshd.poll() is not None and sshd.stderr else ''}"
        started = subprocess.run(
            [TMUX, "-L", tmux_socket, "-f", "/dev/null", "new-session", "-d", "-s", session, "-x", "80", "-y", "24",
             "env", "TERM=linux", "sh", "-c", client],
            capture_output=True, text=True, timeout=10)
        assert started.returncode == 0, started.stderr
        assert wait_for(lambda: "Contoso" in screen() and "DEMO" in screen(), 30), \
            f"the console did not come up over ssh:\n{screen()}"
        for pane in PANES:
            alias = pane.ALIASES[0] if getattr(pane, "ALIASES", ()) else pane.ID
            tmux.command(alias)
            assert wait_for(lambda pane=pane: tmux.showing(pane.TITLE), 15), \
                f":{alias} did not show the {pane.TITLE} pane at 80x24 over ssh:\n{screen()}"
        assert console_processes(str(home)), "the console is not running on the far side:\n" + screen()
        ssh_pids = subprocess.run(["pgrep", "-f", f"ssh -tt -p {port} "], capture_output=True, text=True).stdout.split()
        assert ssh_pids, "no ssh client found"
        for pid in ssh_pids:  # a dropped connection: the client dies without a word
            os.kill(int(pid), signal.SIGKILL)
        assert wait_for(lambda: not console_processes(str(home)), 15), \
            "ztconsole processes left behind after the connection dropped:\n" + "\n".join(console_processes(str(home)))
    finally:
        tmux("kill-server")
        sshd.terminate()
        try:
            sshd.wait(5)
        except subprocess.TimeoutExpired:
            sshd.kill()
        for line in console_processes(str(home)):
            os.kill(int(line.split()[0]), signal.SIGKILL)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0
