"""Shared fixtures."""

from __future__ import annotations

import os
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
