"""Start-up: one-shot commands and the console's first frame, each against a reference of the same run.

Every figure is the median over ``--runs`` fresh processes, the measurements taken in alternation round by
round (this machine is shared and noisy: a slow spell hits every figure alike), after one warm-up round,
each as wall-clock time and as the CPU time the process used (user and system, every thread; the steadier
of the two when other work competes for the two cores):

* ``python -c pass``, the interpreter alone;
* ``ztconsole --version`` (``python -m ztconsole``, as every ztconsole figure here), the command line alone
  (target: <= 1.75x ``python -c pass``, as light as it was);
* ``ztconsole whatif --demo --user AdeleV@contoso.com --app Office365`` (target: <= 8x ``--version``);
* ``ztconsole gaps --demo``;
* the first frame of ``ztconsole --demo`` against a bare Textual app with one ``Static``, both in a
  pseudo-terminal of 120x40: the time from starting the process to its first frame being on the terminal,
  i.e. the console's layout (the header with its badges and the footer with its keys, the first paint) and
  the bare app's text (target: <= 1.3x);
* the first full screen of ``ztconsole --demo``: until the Overview (the pane it opens on) says what it is
  waiting for, against the same bare app (before #13 the console opened on the data sets table: its first
  row);
* for scale, both for the console's first screen built with Textual alone (no ztconsole code): what that
  screen costs before ztconsole adds anything.

Issue #11. Each child runs with an empty home (no user config), as a first run would, and with its byte code
cached (in a private ``PYTHONPYCACHEPREFIX``, written by the warm-up round), as an installed package has it:
``PYTHONDONTWRITEBYTECODE`` would make every run compile ztconsole's sources again.

    .venv/bin/python benchmarks/bench_startup.py [--runs N] [--tree TREE] [--baseline TREE]

``--tree TREE`` runs ztconsole from a checkout instead of the installed one; ``--baseline TREE`` measures
another checkout in the same rounds (before and after in alternation), e.g. the last commit:
``mkdir /tmp/before && git archive HEAD | tar -x -C /tmp/before``.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from pathlib import Path

from ztconsole.datasets import DATASETS

BARE = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("bare textual app: first frame")

Bare().run()
"""
BARE_MARKER = b"bare textual app: first frame"

# The console's first screen built with Textual alone, no ztconsole code: the same widgets (the header's
# Statics, the data sets table with its six columns and a row per data set, the status line, the
# footer with the same five keys), the same style sheet, one mode. What Textual itself takes for that screen.
SAME_SCREEN = """
import sys
from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

CSS, ROWS = sys.argv[1], [row.split("|") for row in sys.argv[2].split("\\n")]
COLUMNS = (("title", "Data set"), ("api", "API"), ("pane", "Pane"), ("count", "Count"), ("issues", "Issues"),
           ("status", "Status"))

class Data(Screen):
    BINDINGS = [Binding("enter", "select", "Details"), Binding("q", "app.quit", "Quit"),
                Binding("question_mark", "help", "Help"), Binding("r", "reload", "Reload"),
                Binding("ctrl+p", "app.command_palette", "Palette")]

    def compose(self):
        with Horizontal(id="header"):
            yield Static(Text("ztconsole"), id="brand")
            yield Static(Text("Contoso  2f4a9c3e-6b1d-4e8a-9f7c-0d5e3b1a8c64 · contoso.onmicrosoft.com · captured "
                              "2026-11-22 10:00 UTC"), id="tenant")
            yield Static(Text("loading"), id="refresh")
            yield Static(Text("DEMO"), id="source-badge", classes="badge -demo")
            yield Static(Text("READ-ONLY"), id="mode-badge", classes="badge -read-only")
        yield DataTable(cursor_type="row", id="datasets")
        yield Static(id="summary")
        yield Footer(show_command_palette=False)

    def on_mount(self):
        table = self.query_one(DataTable)
        for key, label in COLUMNS:
            table.add_column(Text(label, justify="right" if key in ("count", "issues") else "left"), key=key)
        for key, title, api, pane in ROWS:
            table.add_row(Text(title), Text(api, style="dim"), Text(pane, style="dim"), Text(""), Text(""),
                          Text(""), key=key)

class SameScreen(App):
    CSS_PATH = CSS
    # the header's layout (the console's header is one widget with its own styles now)
    CSS = '''
    #header { dock: top; height: 1; background: $panel; }
    #brand, #refresh { width: auto; padding: 0 1; }
    #tenant { width: 1fr; text-wrap: nowrap; }
    .badge { width: auto; padding: 0 1; margin-left: 1; text-style: bold; background: $badge-demo; }
    '''
    MODES = {"data": Data}
    DEFAULT_MODE = "data"

    def get_theme_variable_defaults(self):
        return {**dict.fromkeys(("badge-demo", "badge-offline", "badge-live", "badge-read-only", "badge-write",
                                 "badge-foreground", "badge-throttled"), "#5f87af"),
                "dialog-border": "round", "line-border": "solid"}

SameScreen().run()
"""
# the console's first frame: its layout, i.e. the header (its right end, the mode badge) and the footer (a key)
LAYOUT_MARKERS = (b"READ-ONLY", b"Quit")
# the console's first full screen: the Overview (the pane it opens on) saying what it waits for
CONSOLE_MARKER = b"Waiting for the tenant"
# the same screen built with Textual alone (the data sets table the console opened on before #13): its first row
SAME_MARKER = DATASETS[0].title.encode()
DEMO_USER = "AdeleV@contoso.com"

PYTHON, VERSION = "python -c pass", "ztconsole --version"
WHATIF, GAPS = f"whatif --demo --user {DEMO_USER} --app Office365", "gaps --demo"
BARE_FRAME, CONSOLE_FRAME = "first frame: bare Textual app", "first frame: ztconsole --demo"
SAME_FRAME = "first frame: the same screen, Textual only"
CONSOLE_FULL, SAME_FULL = "first full screen: ztconsole --demo", "first full screen: same screen, Textual"
MEASUREMENTS = (PYTHON, VERSION, WHATIF, GAPS, BARE_FRAME, CONSOLE_FRAME, CONSOLE_FULL, SAME_FRAME, SAME_FULL)
SHORT = {PYTHON: "python -c pass", VERSION: "--version", WHATIF: "whatif --demo", GAPS: "gaps --demo",
         BARE_FRAME: "bare app", CONSOLE_FRAME: "console first frame", SAME_FRAME: "same screen frame",
         CONSOLE_FULL: "console full screen", SAME_FULL: "same screen full"}
#: (measurement, reference, target ratio or None)
RATIOS: tuple[tuple[str, str, float | None], ...] = (
    (VERSION, PYTHON, 1.75), (WHATIF, VERSION, 8.0), (GAPS, VERSION, None), (WHATIF, PYTHON, None),
    (CONSOLE_FRAME, BARE_FRAME, 1.3), (CONSOLE_FULL, BARE_FRAME, 1.3), (SAME_FRAME, BARE_FRAME, None),
    (SAME_FULL, BARE_FRAME, None))
_ESCAPE = re.compile(rb"\x1b(\[[0-9;?<>=$ ]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78DEHMc])")


def ztconsole(tree: Path | None, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """How to start ztconsole: ``python -m ztconsole`` of this interpreter, from ``tree`` (a checkout, first
    on ``PYTHONPATH``) if given, else as installed; and the environment for it."""
    if tree is None:
        return [sys.executable, "-m", "ztconsole"], env
    return [sys.executable, "-m", "ztconsole"], {**env, "PYTHONPATH": str(tree.resolve())}


def run_once(argv: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """Seconds from starting ``argv`` to its exit (output discarded), and the CPU seconds it used (user and
    system); a failure ends the benchmark."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            sys.exit(f"{' '.join(argv)} exited {proc.returncode}:\n{err.read().decode(errors='replace')[-3000:]}")
    return seconds, usage.ru_utime + usage.ru_stime


def cpu_seconds(pid: int) -> float:
    """The CPU time every thread of process ``pid`` has run so far (the scheduler's nanosecond counts)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):  # a thread that just ended
            continue
    return total / 1e9


def first_frame(argv: list[str], marker: bytes | tuple[bytes, ...], env: dict[str, str], cwd: str,
                timeout: float = 60.0) -> tuple[float, float]:
    """Seconds from starting ``argv`` in a 120x40 pseudo-terminal until ``marker`` (every one of several) is
    on its screen (the terminal's output with escape sequences removed), and the CPU seconds its threads had
    used by then; then the process is killed."""
    markers = (marker,) if isinstance(marker, bytes) else marker
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env={**env, "TERM": "xterm-256color"},
                            cwd=cwd, start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        while True:
            left = timeout - (time.perf_counter() - started)
            if left <= 0:
                sys.exit(f"{' '.join(argv)}: no first frame within {timeout:.0f} s; it wrote:\n"
                         f"{_ESCAPE.sub(b'', seen).decode(errors='replace')[-2000:]}")
            ready, _, _ = select.select([master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # the child is gone and the terminal closed
                chunk = b""
            if not chunk:
                sys.exit(f"{' '.join(argv)} ended before its first frame (exit {proc.wait()}); it wrote:\n"
                         f"{_ESCAPE.sub(b'', seen).decode(errors='replace')[-2000:]}")
            seen += chunk
            shown = _ESCAPE.sub(b"", seen)
            if all(m in shown for m in markers):
                return time.perf_counter() - started, cpu_seconds(proc.pid)
    finally:
        proc.kill()
        proc.wait()
        os.close(master)


def measurements(tree: Path | None, env: dict[str, str], cwd: str) -> dict[str, Callable[[], tuple[float, float]]]:
    """Each measurement of one ztconsole (see :func:`ztconsole`): a function giving (wall, CPU) seconds."""
    zt, zenv = ztconsole(tree, env)
    rows = "\n".join(f"{ds.key}|{ds.title}|{f'graph {ds.version}' if ds.api == 'graph' else 'arm'}|{ds.pane}"
                     for ds in DATASETS)
    same = [sys.executable, "-c", SAME_SCREEN, str(Path(__file__).resolve().parents[1] / "ztconsole/ui/app.tcss"),
            rows]
    return {
        PYTHON: lambda: run_once([sys.executable, "-c", "pass"], env, cwd),
        VERSION: lambda: run_once([*zt, "--version"], zenv, cwd),
        WHATIF: lambda: run_once([*zt, "whatif", "--demo", "--user", DEMO_USER, "--app", "Office365"], zenv, cwd),
        GAPS: lambda: run_once([*zt, "gaps", "--demo"], zenv, cwd),
        BARE_FRAME: lambda: first_frame([sys.executable, "-c", BARE], BARE_MARKER, env, cwd),
        CONSOLE_FRAME: lambda: first_frame([*zt, "--demo"], LAYOUT_MARKERS, zenv, cwd),
        CONSOLE_FULL: lambda: first_frame([*zt, "--demo"], CONSOLE_MARKER, zenv, cwd),
        SAME_FRAME: lambda: first_frame(same, LAYOUT_MARKERS, env, cwd),
        SAME_FULL: lambda: first_frame(same, SAME_MARKER, env, cwd),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15, help="measured rounds (default 15; one more warms up)")
    ap.add_argument("--tree", type=Path, help="run ztconsole from this checkout (default: as installed)")
    ap.add_argument("--baseline", type=Path, metavar="TREE",
                    help="also measure the ztconsole of another checkout (e.g. 'git archive HEAD' unpacked), "
                         "in alternation with the first, and report both")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="ztc-startup-")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ZTCONSOLE_", "TEXTUAL")) and k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    env.update(PYTHONPYCACHEPREFIX=f"{home}/pycache", HOME=home, XDG_CONFIG_HOME=f"{home}/config",
               XDG_DATA_HOME=f"{home}/data", XDG_STATE_HOME=f"{home}/state", XDG_CACHE_HOME=f"{home}/cache")
    trees = {"this tree" if args.tree is None else str(args.tree): measurements(args.tree, env, home)}
    if args.baseline is not None:
        trees = {f"baseline {args.baseline}": measurements(args.baseline, env, home), **trees}
    wall: dict[str, dict[str, list[float]]] = {label: {name: [] for name in MEASUREMENTS} for label in trees}
    cpu: dict[str, dict[str, list[float]]] = {label: {name: [] for name in MEASUREMENTS} for label in trees}
    print(f"start-up: {args.runs} rounds (+1 warm-up), each measurement once per round, in alternation",
          file=sys.stderr)
    try:
        for round_no in range(args.runs + 1):
            for name in MEASUREMENTS:
                for label, measures in trees.items():
                    seconds, cpu_secs = measures[name]()
                    if round_no:
                        wall[label][name].append(seconds)
                        cpu[label][name].append(cpu_secs)
            print(f"  round {round_no}/{args.runs} done", file=sys.stderr)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    for label in trees:
        print(f"\n== {label} (medians of {args.runs} runs)")
        report(wall[label], cpu[label])
    return 0


def report(wall: dict[str, list[float]], cpu: dict[str, list[float]]) -> None:
    """Each measurement's medians (and the wall-clock spread), then the ratios with their targets."""
    med = {name: statistics.median(values) for name, values in wall.items()}
    med_cpu = {name: statistics.median(values) for name, values in cpu.items()}
    width = max(map(len, med))
    print(f"{'what':<{width}}  {'median':>7}  {'min':>7}  {'max':>7}  {'CPU median':>10}")
    for name, values in wall.items():
        print(f"{name:<{width}}  {ms(med[name])}  {ms(min(values))}  {ms(max(values))}  {ms(med_cpu[name]):>10}")
    print(f"\n{'ratio':<40}  {'wall':>6}  {'CPU':>6}  target")
    for a, b, target in RATIOS:
        wall_ratio, cpu_ratio = med[a] / med[b], med_cpu[a] / med_cpu[b]
        verdict = "" if target is None else (f"<= {target}x: wall {'met' if wall_ratio <= target else 'MISSED'}, "
                                             f"CPU {'met' if cpu_ratio <= target else 'MISSED'}")
        print(f"{SHORT[a] + ' / ' + SHORT[b]:<40}  {wall_ratio:5.2f}x  {cpu_ratio:5.2f}x  {verdict}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:5.0f}ms"


if __name__ == "__main__":
    sys.exit(main())
