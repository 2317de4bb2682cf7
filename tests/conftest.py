"""Shared fixtures."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
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
