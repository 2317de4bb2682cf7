"""``ztconsole rollout status|plan|apply`` (CONTRACTS §9), steps 0 to 2, against the demo in process and against
``ztconsole emulator`` on loopback read and written as a live tenant; the rollout state kept between runs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import stop
from test_live_loopback import TOKEN, start_emulator, write_config
from test_policy_cmd import cli


def steps(run: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["tenant"]["displayName"] == "Contoso"
    return {s["id"]: s["status"] for s in doc["steps"]}


def test_status_on_the_demo_in_the_contracts_shape() -> None:
    run = cli("rollout", "--demo", "status", "--json")
    found = steps(run)
    assert list(found) == ["preflight", "baseline", "inventory", "apps", "assign", "protect", "bake", "enforce",
                           "tighten", "decommission"]
    assert found["preflight"] == "ready" and set(list(found.values())[1:]) == {"pending"}
    text = cli("rollout", "--demo", "status")
    assert "waits for step 0 (preflight)" in text.stdout


def test_usage_errors_exit_2() -> None:
    for argv, says in ((("plan",), "--step"), (("plan", "--step", "12"), "0 to 9"),
                       (("plan", "--step", "2", "--flows", "/nonexistent.csv"), "cannot read"),
                       (("apply", "--step", "1", "--override-bake"), "--reason")):
        run = cli("rollout", "--demo", *argv)
        assert run.returncode == 2 and says in run.stderr, (argv, run.stderr)


def test_steps_0_to_2_walked_on_loopback_then_a_second_walk_writes_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "ZTCONSOLE_TOKEN": TOKEN, "XDG_STATE_HOME": str(tmp_path / "state")}
    proc, base = start_emulator(env)
    try:
        env["ZTCONSOLE_CONFIG"] = str(write_config(tmp_path, base))
        assert steps(cli("rollout", "status", "--json", env=env))["preflight"] == "ready"
        early = cli("rollout", "apply", "--step", "1", "--write", "--yes", env=env)
        assert early.returncode == 1 and "waits for step 0" in early.stderr  # in order only

        first = cli("rollout", "apply", "--step", "0", "--write", "--yes", "--json", env=env)
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["written"] is True
        found = steps(cli("rollout", "status", "--json", env=env))
        assert found["preflight"] == "done" and found["baseline"] == "ready" and found["inventory"] == "pending"

        second = cli("rollout", "apply", "--step", "1", "--write", "--yes", "--json", env=env)
        assert second.returncode == 0, second.stderr
        (change,) = json.loads(second.stdout)["changes"]
        assert change["action"] == "create" and change["request"]["body"]["state"] == (
            "enabledForReportingButNotEnforced")
        found = steps(cli("rollout", "status", "--json", env=env))
        assert found["baseline"] == "done" and found["inventory"] == "ready"

        # step 2: what the VPN carries (the demo's P2S pool, 172.16.201.0/24), narrowed to what is used
        flows = tmp_path / "flows.csv"
        flows.write_text("src,dst,port,proto,count\n172.16.201.10,10.3.1.4,1433,tcp,40\n"
                         "172.16.201.11,10.3.1.4,1433,tcp,2\n172.16.201.10,192.0.2.5,443,tcp,9\n"
                         "not,a,flow,line\n", encoding="utf-8")
        planned = cli("rollout", "plan", "--step", "2", "--flows", str(flows), "--json", env=env)
        assert planned.returncode == 0, planned.stderr
        assert "flows.csv" in planned.stderr and "line 5" in planned.stderr  # the bad line, said and skipped
        apps = {c["resource"]["id"]: c for c in json.loads(planned.stdout)["changes"]}
        assert {c["action"] for c in apps.values()} == {"create"}
        assert "192.0.2.5" not in apps  # not through the VPN
        # the file's flows to 10.3.1.4 justify one app; the demo's traffic log justifies the others
        (segment,) = apps["10.3.1.4"]["diff"][0]["after"]
        assert segment["ports"] == ["1433"] and segment["protocol"] == "tcp" and len(segment["justifiedBy"]) == 2
        assert "sql-prd.corp.contoso.com" in apps
        recorded = cli("rollout", "apply", "--step", "2", "--flows", str(flows), "--write", "--yes", "--json",
                       env=env)
        assert recorded.returncode == 0 and json.loads(recorded.stdout)["written"] is True, recorded.stderr
        found = steps(cli("rollout", "status", "--json", env=env))
        assert found["inventory"] == "done" and found["apps"] == "ready"  # step 3 creates the recorded app

        for step in ("0", "1", "2"):  # a second walk writes nothing
            again = cli("rollout", "apply", "--step", step, "--flows", str(flows), "--write", "--yes", "--json",
                        env=env)
            assert again.returncode == 0, again.stderr
            doc = json.loads(again.stdout)
            assert doc["written"] is False and {c["action"] for c in doc["changes"]} <= {"unchanged"}
        assessed = json.loads(cli("assess", "--format", "json", env=env).stdout)
        bg005 = [f for f in assessed["findings"] if f["check"] == "ZT-BG-005"]
        assert bg005 and {f["status"] for f in bg005} == {"pass"}  # no emergency account locked out any more
    finally:
        stop(proc)
    log = tmp_path / "state" / "ztconsole" / "audit.jsonl"
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    seen = [(r["action"], r["phase"], r["result"]) for r in records]
    assert seen[:4] == [
        ("rollout.preflight.update", "before", "pending"), ("rollout.preflight.update", "after", "ok"),
        ("rollout.baseline.create", "before", "pending"), ("rollout.baseline.create", "after", "ok")]
    # step 2 wrote nothing to the tenant: each proposed app it recorded is in the log all the same
    assert seen[4:] and set(seen[4:]) == {("rollout.inventory.record", "before", "pending"),
                                          ("rollout.inventory.record", "after", "ok")}
    assert cli("audit", "verify", "--file", str(log)).returncode == 0
    (state,) = (tmp_path / "state" / "ztconsole" / "rollout").glob("*.toml")
    text = state.read_text(encoding="utf-8")
    assert "[steps.preflight]" in text and "[steps.baseline]" in text and "applied_at" in text
    assert "[steps.inventory]" in text and "10.3.1.4" in text


def test_a_write_to_the_demo_says_it_lasts_only_as_long_as_the_process(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    run = cli("rollout", "--demo", "apply", "--step", "0", "--write", "--yes", env=env)
    assert run.returncode == 0, run.stderr
    assert "in-memory emulator only" in run.stderr and "ztconsole emulator" in run.stderr
    again = cli("rollout", "--demo", "status", "--json", env=env)  # another process: the recording as it was
    assert steps(again)["preflight"] == "ready"
