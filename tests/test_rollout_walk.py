"""The whole VPN-to-ZTNA rollout walked headless, steps 0 to 9 (CONTRACTS §9), against ``ztconsole emulator
--demo`` on loopback read and written as a live tenant, and against the demo's in-memory emulator (one
process); the tenant read back (``snapshot``) and assessed; a second walk writes nothing; a process killed in
the middle of creating the apps is resumed without duplicates."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import stop
from test_live_loopback import TOKEN, start_emulator, write_config
from test_policy_cmd import cli
from ztconsole.tenantdir import load_tenant
from ztconsole.wizard.publish import APP_PREFIX, PROTECT_PREFIX
from ztconsole.wizard.retire import DENY_PREFIX
from ztconsole.wizard.steps import BASELINE_POLICY_NAME

STEP_IDS = ["preflight", "baseline", "inventory", "apps", "assign", "protect", "bake", "enforce", "tighten",
            "decommission"]
POOL = "172.16.201.0/24"  # the demo's point-to-site client pool
WALK = ("--write", "--yes", "--override-bake", "--reason", "lab walk: baked in the test lab", "--json")

Runner = Callable[..., tuple[int, str, str]]


def _subprocess_runner(env: dict[str, str]) -> Runner:
    def run(*argv: str) -> tuple[int, str, str]:
        done = cli(*argv, env=env)
        return done.returncode, done.stdout, done.stderr
    return run


def walk(run: Runner, *source: str) -> list[dict[str, Any]]:
    """Apply every step in order; each step's JSON answer."""
    answers = []
    for n, step in enumerate(STEP_IDS):
        code, out, err = run("rollout", *source, "apply", "--step", str(n), *WALK)
        assert code == 0, (step, err)
        answers.append(json.loads(out))
    return answers


def statuses(run: Runner, *source: str) -> dict[str, tuple[str, str]]:
    code, out, err = run("rollout", *source, "status", "--json")
    assert code == 0, err
    return {s["id"]: (s["status"], s["detail"]) for s in json.loads(out)["steps"]}


def judge_read_back(tenant_dir: Path, run: Runner) -> None:
    """The read-back tenant: the apps with narrow segments and their assignments, enforced policies, NSGs
    closed to the pool; assess passes ZT-NET-010, ZT-PA-001 for the created apps, fails no ZT-PA-002 for them,
    and locks out no emergency account."""
    tenant = load_tenant(tenant_dir)
    created = [a for a in tenant.applications if (a.display_name or "").startswith(APP_PREFIX)]
    assert created, "the walk created no app"
    for app in created:
        assert app.is_private_access
        segments = tenant.app_segments.get(app.id, ())
        assert segments, app.display_name
        for seg in segments:
            assert seg.destination_type in ("ipAddress", "fqdn"), seg  # one host
            assert all(lo == hi for lo, hi in seg.port_ranges), seg  # the ports used, one by one
        sp = tenant.service_principals_by_app_id[app.app_id]
        assert sp.app_role_assignment_required is True
        assert tenant.app_role_assignments.get(sp.id), f"{app.display_name} is assigned to no one"
        cg = tenant.app_connector_group.get(app.id)
        assert cg is not None and not cg.is_default
    mine = [p for p in tenant.ca_policies if (p.display_name or "").startswith(PROTECT_PREFIX)
            or p.display_name == BASELINE_POLICY_NAME]
    assert len(mine) == len(created) + 1 and {p.state for p in mine} == {"enabled"}
    denies = [r for n in tenant.nsgs for r in n.security_rules if (r.name or "").startswith(DENY_PREFIX)]
    assert denies and all(r.access == "Deny" and POOL in r.source_prefixes for r in denies)

    code, out, err = run("assess", "--tenant-dir", str(tenant_dir), "--format", "json")
    assert code in (0, 1), err
    findings = json.loads(out)["findings"]

    def of(check: str) -> list[dict[str, Any]]:
        return [f for f in findings if f["check"] == check]

    names = {a.display_name for a in created}
    assert {f["status"] for f in of("ZT-NET-010")} <= {"pass"}, [f["evidence"] for f in of("ZT-NET-010")
                                                                 if f["status"] != "pass"]
    pa001 = {f["resource"]["name"]: f["status"] for f in of("ZT-PA-001")}
    assert {pa001[n] for n in names} == {"pass"}, pa001
    pa002 = {f["resource"]["name"]: f["status"] for f in of("ZT-PA-002")}
    assert "fail" not in {pa002[n] for n in names}, pa002
    assert of("ZT-BG-005") and {f["status"] for f in of("ZT-BG-005")} == {"pass"}


@pytest.fixture
def loopback(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    env = {**os.environ, "ZTCONSOLE_TOKEN": TOKEN, "XDG_STATE_HOME": str(tmp_path / "state")}
    proc, base = start_emulator(env)
    try:
        env["ZTCONSOLE_CONFIG"] = str(write_config(tmp_path, base))
        yield env, tmp_path
    finally:
        stop(proc)


def test_the_whole_rollout_walked_on_loopback_read_back_and_walked_again(
        loopback: tuple[dict[str, str], Path]) -> None:
    env, tmp_path = loopback
    run = _subprocess_runner(env)
    first = walk(run)
    assert [a["written"] for a in first[:9]] == [True] * 9  # every step had something to do on the demo
    found = statuses(run)
    assert {s for s, _ in found.values()} == {"done"}, found

    apps = first[3]["changes"]
    assert apps and {c["action"] for c in apps} == {"create"}
    first_app = apps[0]
    assert first_app["request"]["method"] == "POST" and "/instantiate" in first_app["request"]["url"]
    assert [r["method"] for r in first_app["then"]][:2] == ["PATCH", "PUT"]  # publishing, connector group

    second = walk(run)  # a second walk writes nothing
    for step, answer in zip(STEP_IDS, second, strict=True):
        assert answer["written"] is False, step
        assert {c["action"] for c in answer["changes"]} <= {"unchanged"}, (step, answer["changes"])

    snap = tmp_path / "snap"
    code, _, err = run("snapshot", "--out", str(snap))
    assert code == 0, err
    judge_read_back(snap, run)

    log = tmp_path / "state" / "ztconsole" / "audit.jsonl"
    text = log.read_text(encoding="utf-8")
    assert TOKEN not in text and "Bearer" not in text
    records = [json.loads(line) for line in text.splitlines()]
    befores = {r["id"] for r in records if r["phase"] == "before"}
    afters = {r["ref"] for r in records if r["phase"] == "after"}
    assert befores and befores == afters  # a before and an after record for every write
    assert {r["result"] for r in records if r["phase"] == "after"} == {"ok"}
    actions = {r["action"] for r in records}
    assert {"rollout.apps.create", "rollout.assign.create", "rollout.protect.create", "rollout.enforce.update",
            "rollout.tighten.create", "rollout.bake.record", "rollout.decommission.record"} <= actions
    assert any("lab walk" in (r.get("reason") or "") for r in records)  # the override's reason is kept
    assert cli("audit", "verify", "--file", str(log)).returncode == 0

    # a rollout write is rolled back as a policy write is: here, planned (without --write nothing is written)
    enforced = next(r for r in records if r["action"] == "rollout.enforce.update" and r["phase"] == "before")
    code, out, err = run("audit", "rollback", enforced["id"], "--json")
    assert code == 1 and "--write" in err, err  # read-only: the plan, and what would write it
    (change,) = json.loads(out)["changes"]
    assert change["action"] == "update" and {"path": "state", "before": "enabled",
                                             "after": "enabledForReportingButNotEnforced"} in change["diff"]

    # what the rollout created is rolled back by deleting it: an app, and a Deny (with the rule it moved down)
    app = next(r for r in records if r["action"] == "rollout.apps.create" and r["phase"] == "after")
    moved = next(r for r in records if r["action"] == "rollout.tighten.create" and r["phase"] == "before"
                 and (r.get("before") or {}).get("moved"))
    for record in (app["ref"], moved["id"]):
        code, out, err = run("audit", "rollback", record, "--write", "--yes", "--json")
        assert code == 0, err
        assert [c["action"] for c in json.loads(out)["changes"]] == ["delete"]
    code, out, err = run("audit", "rollback", app["ref"], "--json")  # again: nothing left to delete
    assert code == 0 and [c["action"] for c in json.loads(out)["changes"]] == ["unchanged"], err
    after = tmp_path / "after-rollback"
    assert run("snapshot", "--out", str(after))[0] == 0
    rolled = load_tenant(after)
    assert app["target"]["id"] not in {a.id for a in rolled.applications}
    deny_id = moved["target"]["id"]
    nsg = next(n for n in rolled.nsgs if deny_id.casefold().startswith(n.id.casefold()))
    rules = {r.name: r.priority for r in nsg.security_rules}
    assert deny_id.rsplit("/", 1)[1] not in rules
    back = moved["before"]["moved"]
    assert rules[back["name"]] == back["priority"]  # the rule the Deny moved is where it was


def test_the_whole_rollout_walked_on_the_demo_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One process, as the console holds the demo: each command's writes are what the next one reads."""
    from ztconsole import cli as ztcli
    from ztconsole.sources import stack

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(stack, "_SHARED", {})  # this test's demo: no other test's writes, none left for them

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = ztcli.run(list(argv), out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    walk(run, "--demo")
    found = statuses(run, "--demo")
    assert {s for s, _ in found.values()} == {"done"}, found
    snap = tmp_path / "snap"
    code, _, err = run("snapshot", "--demo", "--out", str(snap))
    assert code == 0, err
    judge_read_back(snap, run)
    for step, answer in zip(STEP_IDS, walk(run, "--demo"), strict=True):
        assert answer["written"] is False, step


def test_killed_while_creating_the_apps_resumes_without_duplicates(tmp_path: Path) -> None:
    """SIGKILL after step 3 instantiated its first app but before its segments were all added: applying step 3
    again finds the app by name and sends only what it still lacks; no app and no segment is made twice."""
    env = {**os.environ, "ZTCONSOLE_TOKEN": TOKEN, "XDG_STATE_HOME": str(tmp_path / "state")}
    slow_segments = "^POST /beta/applications/[^/]+/onPremisesPublishing/.*=latency:seconds=3"
    proc, base = start_emulator(env, "--fault", slow_segments)
    try:
        env["ZTCONSOLE_CONFIG"] = str(write_config(tmp_path, base))
        for n in range(3):
            assert cli("rollout", "apply", "--step", str(n), *WALK, env=env).returncode == 0
        log = tmp_path / "state" / "ztconsole" / "audit.jsonl"
        seen = len(log.read_text(encoding="utf-8").splitlines())
        apply = subprocess.Popen([sys.executable, "-m", "ztconsole", "rollout", "apply", "--step", "3", "--write",
                                  "--yes"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(log.read_text(encoding="utf-8").splitlines()) == seen:
            time.sleep(0.05)
        time.sleep(1.5)  # instantiate, publishing and connector group are answered at once; a segment waits 3 s
        apply.send_signal(signal.SIGKILL)
        apply.wait(10)
        time.sleep(3.5)  # the request in flight when the process died still completes at the service
        records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()][seen:]
        assert [(r["action"], r["phase"]) for r in records] == [("rollout.apps.create", "before")]

        again = cli("rollout", "apply", "--step", "3", *WALK, env=env)
        assert again.returncode == 0, again.stderr
        actions = [c["action"] for c in json.loads(again.stdout)["changes"]]
        assert actions[0] == "update"  # the app the killed run made, completed, not made again
        final = cli("rollout", "plan", "--step", "3", "--json", env=env)
        assert {c["action"] for c in json.loads(final.stdout)["changes"]} == {"unchanged"}
        snap = tmp_path / "snap"
        assert cli("snapshot", "--out", str(snap), env=env).returncode == 0
        tenant = load_tenant(snap)
        names = [a.display_name for a in tenant.applications if (a.display_name or "").startswith(APP_PREFIX)]
        assert len(names) == len(set(names)) == len(actions)
        for app in tenant.applications:
            if app.display_name in names:
                keys = [(s.destination_host, s.ports, s.protocol) for s in tenant.app_segments.get(app.id, ())]
                assert keys and len(keys) == len(set(keys)), (app.display_name, keys)
    finally:
        stop(proc)
    assert cli("audit", "verify", "--file", str(log)).returncode == 0
