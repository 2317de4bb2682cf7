"""The code's shape, checked with the tests (issue #10): mypy (strict on the model and the engine), ruff, and
the import-linter layer contracts in pyproject.toml: model below engine below commands and console,
Textual only under ztconsole/ui, the engine and model pure, the emulator a server that imports no engine.
Each tool runs on the whole tree in a subprocess, as a developer would run it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def tool(name: str, *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    exe = BIN / name
    if not exe.exists():
        pytest.fail(f"{name} is not installed beside {sys.executable}: install the test extras ('.[test]')")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env=env or dict(os.environ))


@pytest.mark.slow
def test_mypy() -> None:
    done = tool("mypy")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff() -> None:
    done = tool("ruff", "check", "ztconsole", "tests", "benchmarks")
    assert done.returncode == 0, done.stdout + done.stderr


def test_import_layers() -> None:
    done = tool("lint-imports")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_layer_contract_catches_textual_in_the_engine(tmp_path: Path) -> None:
    """The contracts can fail: a copy of the package whose engine imports Textual breaks them."""
    copy = tmp_path / "tree"
    shutil.copytree(ROOT / "ztconsole", copy / "ztconsole",
                    ignore=shutil.ignore_patterns("__pycache__", "data", "themes"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    (copy / "ztconsole" / "engine" / "leak.py").write_text("import textual\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(copy)}
    done = tool("lint-imports", cwd=copy, env=env)
    assert done.returncode != 0
    assert "ztconsole.engine.leak -> textual" in done.stdout, done.stdout
