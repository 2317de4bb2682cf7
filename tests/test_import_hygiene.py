"""Import boundaries: the SDKs stay off the start-up path, Textual stays inside ztconsole/ui, and a command
loads the adapters of the APIs it reads and no others (issue #11).

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
#: what only reading Azure Resource Manager needs: azure-mgmt-network (and azure-mgmt-core), the parts of
#: azure-core only its client uses (paging, polling), the ARM adapter and its transport, the emulator's ARM
ARM_ONLY = ("azure.mgmt", "azure.core.paging", "azure.core.async_paging", "azure.core.polling", "isodate",
            "ztconsole.sources.arm", "ztconsole.sources.httpx_transport", "ztconsole.emulator.arm")
#: no SDK, transport, server or console library at all
SDKS_AND_UI = ("azure", "msgraph", "msgraph_core", "kiota_abstractions", "kiota_http",
               "kiota_authentication_azure", "httpx", "httpcore", "starlette", "uvicorn", "textual", "rich")
CA025 = "CA025-Global-AllApps-RequireCompliantOrHybridDevice"
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


def heavy(modules: list[str], names: tuple[str, ...] = HEAVY) -> list[str]:
    """The modules among ``modules`` that are ``names`` or inside them."""
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in names)]


def needs_cli() -> None:
    if importlib.util.find_spec("ztconsole.cli") is None:
        pytest.skip("ztconsole/cli.py does not exist yet")


def test_version_loads_no_sdk(tmp_path: Path) -> None:
    """``--version`` stays the command line alone: no SDK, no HTTP client, no Textual or Rich."""
    needs_cli()
    modules = loaded_modules("from ztconsole.cli import run\nrun(['--version'])\nreport()\n", tmp_path)
    assert "ztconsole.cli" in modules
    assert heavy(modules, SDKS_AND_UI) == []
    assert "ztconsole.commands.whatif" not in modules  # no command named, no command's module


@pytest.mark.parametrize("argv", [
    ["whatif", "--demo", "--user", "AdeleV@contoso.com", "--app", "Office365"],
    ["gaps", "--demo"],
    ["impact", "--demo", "--policy", CA025],
], ids=lambda argv: argv[0])
def test_ca_commands_load_graph_only(tmp_path: Path, argv: list[str]) -> None:
    """The Conditional Access commands read Graph alone: on the demo (the emulator in process and the real
    adapters, as a live tenant is read) they import the Graph adapter and never azure-mgmt-network, the
    azure-core pieces only its client uses, the ARM adapter or the emulator's ARM half; nor the loopback
    server (uvicorn, starlette), nor httpx's command-line client; nor the other commands."""
    needs_cli()
    script = f"""
import io
from ztconsole.cli import run
code = run({argv!r}, out=io.StringIO())
assert code == 0, code
report()
"""
    modules = loaded_modules(script, tmp_path)
    assert "ztconsole.sources.graph" in modules and "msgraph" in modules  # read through the real adapter
    assert heavy(modules, ARM_ONLY) == []
    assert heavy(modules, ("uvicorn", "starlette", "httpx._main", "textual")) == []
    from ztconsole.commands import NAMES

    assert heavy(modules, tuple(f"ztconsole.commands.{name}" for name in NAMES if name != argv[0])) == []


def test_a_stack_builds_the_readers_of_the_apis_read() -> None:
    """``open_recording(keys=...)`` builds the reader of each API those data sets (and the data sets read
    first for them) come from; without keys, every reader."""
    import asyncio

    from ztconsole.commands.ca_data import CA_KEYS, IMPACT_USES
    from ztconsole.demo import demo_dir
    from ztconsole.sources.stack import apis_for, open_recording

    assert apis_for(CA_KEYS) == apis_for(IMPACT_USES) == {"graph"}
    assert apis_for(["firewall_policies"]) == {"arm"}
    assert apis_for(None) == apis_for(["ca_policies", "nsgs"]) == {"graph", "arm"}

    async def readers(keys: list[str] | None) -> set[str]:
        async with await open_recording(demo_dir(), keys=keys) as stack:
            return set(stack.readers)

    assert asyncio.run(readers(list(CA_KEYS))) == {"graph"}
    assert asyncio.run(readers(["nsgs"])) == {"arm"}
    assert asyncio.run(readers(None)) == {"graph", "arm"}


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


def test_console_collects_garbage_again_after_its_first_frame(tmp_path: Path) -> None:
    """``ztconsole --demo`` pauses the garbage collector until its first frame is on screen, and only
    until then: the console's life runs with it on."""
    needs_cli()
    script = """
import asyncio, gc, sys, threading
from ztconsole.ui.app import ZtApp
from ztconsole.sources import stack
stack.RecordingSource.load = lambda self, **kw: threading.Event().wait(0.5)

async def first_frame(pilot):
    for _ in range(100):
        await pilot.pause()
        if gc.isenabled():
            break
    print("GC", gc.isenabled(), flush=True)
    pilot.app.exit()

run = ZtApp.run
ZtApp.run = lambda self, **kw: run(self, headless=True, size=(120, 40), auto_pilot=first_frame)
from ztconsole.cli import run as cli
code = cli(['--demo'])
print("GC at exit", gc.isenabled(), flush=True)
sys.exit(code)
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZTCONSOLE_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "GC True" in proc.stdout and "GC at exit True" in proc.stdout, proc.stdout + proc.stderr


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
