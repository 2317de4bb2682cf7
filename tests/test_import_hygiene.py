"""Import boundaries: the SDKs stay off the start-up path, Textual stays inside ztconsole/ui.

The run-time checks start a fresh interpreter (``sys.executable``) and read its ``sys.modules``, so a
module imported by any other test cannot hide a regression.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ztconsole"
HEAVY = ("msgraph", "azure.identity", "azure.mgmt", "kiota")
MARKER = "MODULES="

REPORT = f"""
import json, sys
def report():
    print({MARKER!r} + json.dumps(sorted(sys.modules)), flush=True)
"""


def loaded_modules(script: str, tmp_path: Path) -> list[str]:
    """Run ``script`` (which calls ``report()``) in a fresh interpreter with an empty home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZTCONSOLE_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"))
    proc = subprocess.run([sys.executable, "-c", REPORT + script], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=60)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(MARKER)]
    assert lines, f"no module report (exit {proc.returncode})\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return json.loads(lines[-1][len(MARKER):])


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def needs_cli() -> None:
    if importlib.util.find_spec("ztconsole.cli") is None:
        pytest.skip("ztconsole/cli.py does not exist yet")


def test_version_loads_no_sdk(tmp_path: Path) -> None:
    needs_cli()
    modules = loaded_modules("from ztconsole.cli import run\nrun(['--version'])\nreport()\n", tmp_path)
    assert "ztconsole.cli" in modules
    assert heavy(modules) == []


def test_config_validate_loads_no_sdk(tmp_path: Path) -> None:
    needs_cli()
    modules = loaded_modules("from ztconsole.cli import run\nrun(['config', 'validate'])\nreport()\n",
                             tmp_path)
    assert "ztconsole.config" in modules
    assert heavy(modules) == []


def test_console_first_frame_loads_no_sdk(tmp_path: Path) -> None:
    """ZtApp on a tenant directory, headless, up to its first frame."""
    from ztconsole.demo import demo_dir

    script = f"""
import asyncio
from ztconsole.tenantdir import TenantDir
from ztconsole.ui.app import ZtApp

async def main():
    app = ZtApp(TenantDir.open({str(demo_dir())!r}), badge="DEMO")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        report()

asyncio.run(main())
"""
    modules = loaded_modules(script, tmp_path)
    assert "textual.app" in modules and "ztconsole.ui.app" in modules
    assert heavy(modules) == []


def test_cli_console_first_frame_loads_no_sdk(tmp_path: Path) -> None:
    """``ztconsole --demo`` through the real CLI (config, demo, run_console), run headless, up to the
    first frame. The load (which imports the SDKs in its worker thread) starts only after the first
    frame; here it is held back so the report sees exactly what the first frame needed."""
    needs_cli()
    script = """
import sys, threading
from ztconsole.ui.app import ZtApp
from ztconsole.sources import stack
stack.RecordingSource.load = lambda self, **kw: threading.Event().wait(0.5)

async def first_frame(pilot):
    await pilot.pause()
    report()
    pilot.app.exit()

run = ZtApp.run
ZtApp.run = lambda self, **kw: run(self, headless=True, size=(120, 40), auto_pilot=first_frame)
from ztconsole.cli import run as cli
sys.exit(cli(['--demo']))
"""
    modules = loaded_modules(script, tmp_path)
    assert "ztconsole.ui.app" in modules
    assert heavy(modules) == []


# --- static: who may import what ------------------------------------------------------------


def imports(path: Path) -> set[str]:
    """Every module a source file imports, at any depth (function-level imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def offenders(root: Path, banned: tuple[str, ...], *, skip: Path | None = None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        if skip is not None and skip in path.parents:
            continue
        bad = sorted(m for m in imports(path) if any(m == b or m.startswith(b + ".") for b in banned))
        if bad:
            out[str(path.relative_to(PACKAGE.parent))] = bad
    return out


def test_only_ui_imports_textual() -> None:
    assert offenders(PACKAGE / "ui", ("textual",)), "the check finds nothing even where textual is used"
    assert offenders(PACKAGE, ("textual",), skip=PACKAGE / "ui") == {}


@pytest.mark.parametrize("layer", ["model", "engine"])
def test_pure_layers_import_no_ui_transport_or_sdk(layer: str) -> None:
    root = PACKAGE / layer
    if not any(root.rglob("*.py")):
        pytest.skip(f"ztconsole/{layer} has no modules yet")
    assert offenders(root, ("textual", "httpx", "azure", "msgraph", "kiota")) == {}
