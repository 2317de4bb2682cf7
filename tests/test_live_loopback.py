"""``ztconsole emulator`` on a loopback port, read by ztconsole as a live ``custom`` cloud."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from conftest import stop
from ztconsole.demo import demo_dir
from ztconsole.tenantdir import load_tenant

TOKEN = "loopback-test-token"


def start_emulator(env: dict[str, str], *extra: str) -> tuple[subprocess.Popen, str]:
    """``ztconsole emulator --demo`` on a free loopback port (``extra``: more options, e.g. ``--fault``), and
    its base URL."""
    proc = subprocess.Popen([sys.executable, "-m", "ztconsole", "emulator", "--demo", "--port", "0",
                             "--page-size", "25", *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)
    deadline = time.monotonic() + 30
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(r"Graph\s+(http://127\.0\.0\.1:\d+)/v1\.0/", line)
        if m:
            return proc, m.group(1)
    proc.kill()
    raise AssertionError("the emulator did not start:\n" + "".join(lines))


def write_config(tmp_path: Path, base: str) -> Path:
    """A config whose default profile is the emulator at ``base``, read as a live ``custom`` cloud with the
    static token, with the demo's emergency access accounts and subscriptions."""
    demo = load_tenant(demo_dir())
    cfg = tmp_path / "config.toml"
    subs = ", ".join(f'"{s}"' for s in demo.info.subscriptions)
    bg = ", ".join(f'"{a}"' for a in demo.info.break_glass)
    cfg.write_text(f"""default_tenant = "lab"
[break_glass]
accounts = [{bg}]
[tenants.lab]
cloud = "custom"
graph_url = "{base}"
arm_url = "{base}"
auth = "static-token"
subscriptions = [{subs}]
""", encoding="utf-8")
    cfg.chmod(0o600)
    return cfg


def test_emulator_on_loopback_read_as_a_custom_cloud_equals_the_directory(tmp_path: Path) -> None:
    demo = load_tenant(demo_dir())
    env = {**os.environ, "ZTCONSOLE_TOKEN": TOKEN}
    proc, base = start_emulator(env)
    try:
        assert TOKEN not in base
        cfg = write_config(tmp_path, base)
        out = tmp_path / "snap"
        run = subprocess.run([sys.executable, "-m", "ztconsole", "snapshot", "--out", str(out),
                              "--signin-days", "36500"],
                             env={**env, "ZTCONSOLE_CONFIG": str(cfg)}, capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == 0, run.stderr
        assert TOKEN not in run.stdout + run.stderr
    finally:
        stop(proc)
    live = load_tenant(out)
    assert live.info.source == "live" and live.info.display_name == "Contoso"
    assert live.info.subscriptions == demo.info.subscriptions
    for key, result in demo.results.items():
        assert live.results[key].status == result.status, key
        assert live.results[key].count == result.count, key
    from ztconsole.model.tenant import Tenant

    assert Tenant(demo.info, live.results) == demo


def test_the_emulator_refuses_requests_without_the_token(tmp_path: Path) -> None:
    import httpx

    env = {**os.environ, "ZTCONSOLE_TOKEN": TOKEN}
    proc, base = start_emulator(env)
    try:
        denied = httpx.get(f"{base}/v1.0/users", timeout=10)
        allowed = httpx.get(f"{base}/v1.0/users", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    finally:
        stop(proc)
    assert denied.status_code == 401
    assert denied.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert allowed.status_code == 200 and len(allowed.json()["value"]) == 25
    assert "@odata.nextLink" in allowed.json()


def test_whatif_compare_server_against_the_loopback_emulator(tmp_path: Path) -> None:
    import json

    demo = load_tenant(demo_dir())
    env = {**os.environ, "ZTCONSOLE_TOKEN": TOKEN}
    proc, base = start_emulator(env)
    try:
        cfg = tmp_path / "config.toml"
        subs = ", ".join(f'"{s}"' for s in demo.info.subscriptions)
        cfg.write_text(f'[tenants.lab]\ncloud = "custom"\ngraph_url = "{base}"\narm_url = "{base}"\n'
                       f'auth = "static-token"\nsubscriptions = [{subs}]\n', encoding="utf-8")
        cfg.chmod(0o600)
        run = subprocess.run([sys.executable, "-m", "ztconsole", "whatif", "--user", "AdeleV@contoso.com",
                              "--app", "Office365", "--platform", "iOS", "--compare-server", "--json"],
                             env={**env, "ZTCONSOLE_CONFIG": str(cfg)}, capture_output=True, text=True,
                             timeout=120)
        human = subprocess.run([sys.executable, "-m", "ztconsole", "whatif", "--user", "AdeleV@contoso.com",
                                "--app", "Office365", "--compare-server"],
                               env={**env, "ZTCONSOLE_CONFIG": str(cfg)}, capture_output=True, text=True,
                               timeout=120)
    finally:
        stop(proc)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["summary"]["decision"] in ("controls", "block", "allow")
    assert doc["compareServer"]["disagree"] == []
    assert len(doc["compareServer"]["agree"]) == len(demo.ca_policies)
    assert human.returncode == 0, human.stderr
    assert "Microsoft Graph What If: 27 policies judged the same, 0 differently." in human.stdout


def test_compare_server_is_for_live_tenants_only() -> None:
    run = subprocess.run([sys.executable, "-m", "ztconsole", "whatif", "--demo", "--user", "AdeleV@contoso.com",
                          "--app", "Office365", "--compare-server"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "needs a live tenant" in run.stderr
