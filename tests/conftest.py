"""Shared fixtures."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path | None:
    """The steering repo's shared/ folder (beside the checkout), or $ZTCONSOLE_SHARED."""
    env = os.environ.get("ZTCONSOLE_SHARED")
    for cand in ([Path(env)] if env else []) + [REPO.parent / "shared", REPO / "shared"]:
        if (cand / "realworld").is_dir():
            return cand
    return None


@pytest.fixture(scope="session")
def realworld() -> Path:
    found = shared_dir()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("shared/realworld not found beside the checkout (set ZTCONSOLE_SHARED)")
        pytest.skip("shared/realworld not found beside the checkout (set ZTCONSOLE_SHARED)")
    return found / "realworld"


@pytest.fixture
def no_sdk_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """msgraph-sdk's RetryHandler adds up to 1 s of random jitter to each backoff (its delay option
    cannot remove it): without it, retries in tests wait a deterministic 0.25 s, 0.5 s, ..."""
    from types import SimpleNamespace

    from kiota_http.middleware import retry_handler

    monkeypatch.setattr(retry_handler, "random", SimpleNamespace(randint=lambda low, high: low))


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every retry wait the ARM pipeline (or the ARM reader) asked its transport for, recorded instead of
    slept: tests stay fast and can check the waits."""
    from ztconsole.sources.httpx_transport import HttpxTransport

    recorded: list[float] = []

    async def fake_sleep(self: HttpxTransport, duration: float) -> None:
        recorded.append(duration)

    monkeypatch.setattr(HttpxTransport, "sleep", fake_sleep)
    return recorded


def stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """End a server started by a test: terminate, then kill if it does not go within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def wait_for(predicate: Callable[[], bool], seconds: float, every: float = 0.1) -> bool:
    """Poll ``predicate`` until it holds or ``seconds`` pass (a loaded machine: wait for the state, not a
    fixed time); its last answer."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


async def until(predicate: Callable[[], object], seconds: float = 20.0) -> None:
    """Await ``predicate`` in a Pilot test, polled (bounded): threads and timers take what a loaded machine
    gives them."""
    import asyncio
    import time

    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def copy_demo(tmp_path: Path) -> Path:
    """A private copy of the demo tenant directory, to damage or edit."""
    import shutil

    from ztconsole.demo import demo_dir

    root = tmp_path / "tenant"
    shutil.copytree(demo_dir(), root)
    return root


#: Display names a hostile tenant may hold: Rich markup, ANSI and OSC 8 escapes, a bidi override, a NUL, and
#: a name 10,000 characters long.
HOSTILE_NAMES = [
    "[bold red]x[/]",
    "ansi \x1b[31mred",
    "osc \x1b]8;;http://e\x07link",
    "bidi \u202egnp.exe",
    "nul \x00 byte",
    "L" * 10_000,
]


class Tmux:
    """A tmux server of a test's own (``-L socket``) holding one session: keys in, the screen out, and the
    console's ``:`` command bar driven the way an admin types into it."""

    def __init__(self, binary: str, socket: str, session: str) -> None:
        self.binary, self.socket, self.session = binary, socket, session

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.binary, "-L", self.socket, *args], capture_output=True, text=True, timeout=10)

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", self.session).stdout

    def showing(self, title: str) -> bool:
        """The breadcrumb under the header ends with ``title`` (the pane shown; earlier ones come before);
        its separator is "›", or ">" where the terminal has only ASCII (TERM=linux)."""
        import re

        return any(re.split("›| > ", line)[-1].strip().startswith(title) for line in self.screen().splitlines()[1:3])

    def bar_open(self) -> bool:
        """The command bar's prompt line (``:`` at the start) is among the last lines."""
        return any(line.lstrip().startswith(":") for line in self.screen().splitlines()[-3:])

    def command(self, text: str) -> None:
        """``:`` then ``text`` and Enter, each step once the console has taken the last: the command has run
        when its bar has closed (the pane it names may be the one shown already)."""
        self("send-keys", "-t", self.session, ":")
        assert wait_for(self.bar_open, 10), f"':' did not open the command bar:\n{self.screen()}"
        self("send-keys", "-t", self.session, "-l", text)
        self("send-keys", "-t", self.session, "Enter")
        assert wait_for(lambda: not self.bar_open(), 10), f":{text} left the command bar open:\n{self.screen()}"


@pytest.fixture(autouse=True)
def _a_fresh_in_memory_demo() -> Iterator[None]:
    """Each test starts from the recordings as recorded: what a test wrote to the process's in-memory emulator
    of a recording (``ztconsole.sources.stack._SHARED``) is forgotten after it."""
    yield
    from ztconsole.sources import stack

    stack._SHARED.clear()
