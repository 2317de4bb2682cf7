"""``ztconsole policy plan|apply`` (CONTRACTS §8): against the demo in process, and against ``ztconsole emulator``
on loopback read and written as a live tenant (an unchanged export, a lock-out by removing an exclusion, a
rename, an enable that has not baked, a new policy and a new lock-out policy)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import stop
from test_live_loopback import TOKEN, start_emulator, write_config
from ztconsole.demo import demo_dir

POLICIES = demo_dir() / "graph" / "v1.0" / "identity" / "conditionalAccess" / "policies.json"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


def demo_policies() -> list[dict[str, Any]]:
    body = json.loads(POLICIES.read_text(encoding="utf-8"))
    return list(body["value"] if isinstance(body, dict) else body)


def named(policies: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    return json.loads(json.dumps(next(p for p in policies if p["displayName"].startswith(prefix))))


def cli(*argv: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ztconsole", *argv], capture_output=True, text=True, input=stdin,
                          env=env or os.environ.copy(), timeout=180)


def changes(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each change of a plan by its policy's display name."""
    return {c["policy"]["displayName"]: c for c in doc["changes"]}


def verdicts(change: dict[str, Any]) -> dict[str, str]:
    return {g["guard"]: g["verdict"] for g in change["guards"]}


# --- in process, on the demo -------------------------------------------------------------------------------


def test_plan_of_the_demos_own_export_changes_nothing(tmp_path: Path) -> None:
    run = cli("policy", "plan", "--demo", str(POLICIES), "--json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert {c["action"] for c in doc["changes"]} == {"unchanged"} and len(doc["changes"]) == len(demo_policies())
    assert doc["incomplete"] == []


def test_apply_without_write_writes_nothing_and_says_so(tmp_path: Path) -> None:
    policy = named(demo_policies(), "CA002")
    policy["displayName"] += " (renamed)"
    (tmp_path / "p.json").write_text(json.dumps(policy), encoding="utf-8")
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    run = cli("policy", "apply", "--demo", str(tmp_path / "p.json"), "--yes", env=env)
    assert run.returncode == 1 and "read-only" in run.stderr and "--write" in run.stderr
    assert "would send: PATCH https://graph.microsoft.com/v1.0/identity/conditionalAccess/policies/" in run.stdout
    assert not (tmp_path / "state" / "ztconsole" / "audit.jsonl").exists()


def test_apply_asks_first_and_no_is_the_default(tmp_path: Path) -> None:
    policy = named(demo_policies(), "CA002")
    policy["displayName"] += " (renamed)"
    (tmp_path / "p.json").write_text(json.dumps(policy), encoding="utf-8")
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    run = cli("policy", "apply", "--demo", str(tmp_path / "p.json"), "--write", env=env, stdin="\n")
    assert "Write 1 change to the tenant? [y/N]" in run.stderr
    assert not (tmp_path / "state" / "ztconsole" / "audit.jsonl").exists()


def test_usage_and_invalid_files_exit_2(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    run = cli("policy", "plan", "--demo", str(tmp_path / "bad.json"))
    assert run.returncode == 2 and "bad.json" in run.stderr and "line 1" in run.stderr
    run = cli("policy", "plan", "--demo", str(POLICIES), "--enforce")
    assert run.returncode == 2 and "--reason" in run.stderr
    ghost = {**named(demo_policies(), "CA002"), "id": "00000000-0000-4000-8000-00000000dead"}
    (tmp_path / "ghost.json").write_text(json.dumps(ghost), encoding="utf-8")
    run = cli("policy", "plan", "--demo", str(tmp_path / "ghost.json"))
    assert run.returncode == 2 and "no policy with id 00000000-0000-4000-8000-00000000dead" in run.stderr


def test_hostile_names_in_a_plan_are_inert(tmp_path: Path) -> None:
    policy = named(demo_policies(), "CA002")
    policy["displayName"] = "\x1b]8;;https://evil\x07[bold red]x[/]\u202e\x1b[2J"
    (tmp_path / "p.json").write_text(json.dumps(policy), encoding="utf-8")
    run = cli("policy", "plan", "--demo", str(tmp_path / "p.json"))
    assert run.returncode == 0, run.stderr
    for bad in ("\x1b", "\x07", "\u202e"):
        assert bad not in run.stdout
    assert "[bold red]x[/]" in run.stdout


# --- on loopback, as a live tenant -------------------------------------------------------------------------


def test_plan_apply_and_plan_again_against_the_emulator_on_loopback(tmp_path: Path) -> None:
    env = {**os.environ, "ZTCONSOLE_TOKEN": TOKEN, "XDG_STATE_HOME": str(tmp_path / "state")}
    proc, base = start_emulator(env)
    try:
        env["ZTCONSOLE_CONFIG"] = str(write_config(tmp_path, base))
        policies = demo_policies()
        # CA021 is report-only; touching it now (its description) makes an enable one that has not baked
        touched = named(policies, "CA021")
        touched["description"] = "reviewed"
        (tmp_path / "touch.json").write_text(json.dumps(touched), encoding="utf-8")
        run = cli("policy", "apply", str(tmp_path / "touch.json"), "--write", "--yes", env=env)
        assert run.returncode == 0, run.stderr

        folder = tmp_path / "policies"
        folder.mkdir()
        changed = ("CA001", "CA002", "CA021")
        (folder / "export.json").write_text(json.dumps(
            {"value": [p for p in policies if not p["displayName"].startswith(changed)]}), encoding="utf-8")
        lockout = named(policies, "CA001")  # remove the exclusion of the emergency accounts' group
        lockout["conditions"]["users"]["excludeGroups"] = lockout["conditions"]["users"]["excludeGroups"][:1]
        (folder / "ca001.json").write_text(json.dumps(lockout), encoding="utf-8")
        rename = named(policies, "CA002")
        rename["displayName"] = "CA002-Global-AllApps-BlockLegacyAuth"
        (folder / "ca002.json").write_text(json.dumps(rename), encoding="utf-8")
        enable = {"id": touched["id"], "state": "enabled", "displayName": touched["displayName"]}
        (folder / "sub").mkdir()
        (folder / "sub" / "ca021.json").write_text(json.dumps(enable), encoding="utf-8")
        new = {"displayName": "CA100-Helpdesk-AllApps-RequireMFA", "state": "enabled",
               "conditions": {"users": {"includeRoles": ["729827e3-9c14-49f7-bb1b-9608f156bbb8"]},
                              "applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"]},
               "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}}
        new_lockout = {"displayName": "CA101-Admins-AllApps-Block", "state": "enabled",
                       "conditions": {"users": {"includeRoles": [GLOBAL_ADMIN]},
                                      "applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"]},
                       "grantControls": {"operator": "OR", "builtInControls": ["block"]}}
        (folder / "new.json").write_text(json.dumps([new, new_lockout]), encoding="utf-8")

        run = cli("policy", "plan", str(folder), "--enforce", "--reason", "lab run", "--json", env=env)
        assert run.returncode == 1, run.stderr  # guards refused changes
        plan = changes(json.loads(run.stdout))
        unchanged = [n for n, c in plan.items() if c["action"] == "unchanged"]
        assert len(unchanged) == len(policies) - 3
        ca001 = next(c for n, c in plan.items() if n.startswith("CA001"))
        assert ca001["action"] == "update" and verdicts(ca001)["break-glass"] == "refuse"
        assert ca001["diff"][0]["path"] == "conditions.users.excludeGroups"
        assert verdicts(plan[rename["displayName"]]) == {"break-glass": "allow", "bake": "allow",
                                                        "new-policy-state": "allow"}
        assert plan[rename["displayName"]]["diff"] == [{"path": "displayName", "before": named(policies, "CA002")[
            "displayName"], "after": rename["displayName"]}]
        ca021 = plan[touched["displayName"]]
        assert verdicts(ca021)["bake"] == "refuse" and verdicts(ca021)["break-glass"] == "allow"
        assert plan[new["displayName"]]["action"] == "create" and not any(
            v == "refuse" for v in verdicts(plan[new["displayName"]]).values())
        assert plan[new["displayName"]]["request"]["body"]["state"] == "enabled"  # --enforce --reason
        assert verdicts(plan[new_lockout["displayName"]])["break-glass"] == "refuse"

        human = cli("policy", "plan", str(folder), "--enforce", "--reason", "lab run", env=env)
        first_refusal = human.stdout.index("REFUSED")
        assert first_refusal < human.stdout.index("update: CA002") and "[refuse] bake:" in human.stdout

        run = cli("policy", "apply", str(folder), "--enforce", "--reason", "lab run", "--write", "--yes", "--json",
                  env=env)
        assert run.returncode == 1, run.stderr  # refusals were not written; the rest was
        assert json.loads(run.stdout)["written"] is True

        again = changes(json.loads(cli("policy", "plan", str(folder), "--enforce", "--reason", "lab run", "--json",
                                       env=env).stdout))
        assert again[rename["displayName"]]["action"] == "unchanged"
        assert again[new["displayName"]]["action"] == "unchanged"  # matched by its name now
        for refused in (touched["displayName"], new_lockout["displayName"]):
            assert any(v == "refuse" for v in verdicts(again[refused]).values())
        assert verdicts(next(c for n, c in again.items() if n.startswith("CA001")))["break-glass"] == "refuse"
    finally:
        stop(proc)

    log = tmp_path / "state" / "ztconsole" / "audit.jsonl"
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    # the touch, the rename and the new policy: a before and an after each, all ok
    assert [(r["phase"], r["result"]) for r in records] == [("before", "pending"), ("after", "ok")] * 3
    assert [r["target"]["name"] for r in records[::2]] == [touched["displayName"], rename["displayName"],
                                                          new["displayName"]]
    assert TOKEN not in log.read_text(encoding="utf-8")
    verify = cli("audit", "verify", "--file", str(log))
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_audit_rollback_restores_an_update_exactly_and_refuses_once_the_policy_changed_again(
        tmp_path: Path) -> None:
    env = {**os.environ, "ZTCONSOLE_TOKEN": TOKEN, "XDG_STATE_HOME": str(tmp_path / "state")}
    proc, base = start_emulator(env)
    try:
        env["ZTCONSOLE_CONFIG"] = str(write_config(tmp_path, base))
        original = named(demo_policies(), "CA002")
        pid = original["id"]
        rename = {"id": pid, "displayName": "CA002-renamed", "conditions": {"clientAppTypes": ["other"]}}
        (tmp_path / "rename.json").write_text(json.dumps(rename), encoding="utf-8")
        assert cli("policy", "apply", str(tmp_path / "rename.json"), "--write", "--yes", env=env).returncode == 0
        log = tmp_path / "state" / "ztconsole" / "audit.jsonl"
        first = json.loads(log.read_text(encoding="utf-8").splitlines()[0])
        assert first["phase"] == "before" and first["target"]["id"] == pid

        shown = cli("audit", "rollback", first["id"], "--json", env=env)  # read-only: the plan, nothing written
        assert shown.returncode == 1 and "read-only" in shown.stderr
        (change,) = json.loads(shown.stdout)["changes"]
        assert change["action"] == "update" and {d["path"] for d in change["diff"]} == {
            "displayName", "conditions.clientAppTypes"}
        assert {g["guard"]: g["verdict"] for g in change["guards"]}["changed-since"] == "allow"

        done = cli("audit", "rollback", first["id"], "--write", "--yes", env=env)
        assert done.returncode == 0, done.stderr
        export = tmp_path / "export.json"
        export.write_text(json.dumps(original), encoding="utf-8")
        restored = json.loads(cli("policy", "plan", str(export), "--json", env=env).stdout)
        assert [c["action"] for c in restored["changes"]] == ["unchanged"]  # exactly as it was, read back

        # a second update, then the first one's rollback: the policy is no longer as that write left it
        assert cli("policy", "apply", str(tmp_path / "rename.json"), "--write", "--yes", env=env).returncode == 0
        again = {"id": pid, "displayName": "CA002-renamed-again"}
        (tmp_path / "again.json").write_text(json.dumps(again), encoding="utf-8")
        assert cli("policy", "apply", str(tmp_path / "again.json"), "--write", "--yes", env=env).returncode == 0
        records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        second = [r for r in records if r["phase"] == "before" and r["action"] == "policy.update"][1]
        refused = cli("audit", "rollback", second["id"], "--write", "--yes", "--json", env=env)
        assert refused.returncode == 1, refused.stderr
        (change,) = json.loads(refused.stdout)["changes"]
        verdict = {g["guard"]: g for g in change["guards"]}["changed-since"]
        assert verdict["verdict"] == "refuse" and "displayName" in verdict["reason"]
        assert json.loads(cli("policy", "plan", str(tmp_path / "again.json"), "--json", env=env).stdout)[
            "changes"][0]["action"] == "unchanged"  # nothing was written
    finally:
        stop(proc)
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [r["action"] for r in records if r["phase"] == "before"] == [
        "policy.update", "policy.rollback", "policy.update", "policy.update"]
    assert cli("audit", "verify", "--file", str(log)).returncode == 0


def test_apply_killed_mid_write_resumes_without_duplicates(tmp_path: Path) -> None:
    """SIGKILL while apply waits to read back its first create: the policy was made, its after record was not
    written. Running apply again matches it by name (nothing made twice) and makes the rest."""
    import signal
    import time

    env = {**os.environ, "ZTCONSOLE_TOKEN": TOKEN, "XDG_STATE_HOME": str(tmp_path / "state")}
    slow_read_back = "^GET /v1.0/identity/conditionalAccess/policies/[0-9a-f-]+$=latency:seconds=4"
    proc, base = start_emulator(env, "--fault", slow_read_back)
    try:
        env["ZTCONSOLE_CONFIG"] = str(write_config(tmp_path, base))
        new = [{"displayName": f"CA2{i:02d}-Staff-AllApps-RequireMFA", "state": "enabledForReportingButNotEnforced",
                "conditions": {"users": {"includeUsers": ["All"], "excludeGroups": [
                    "1d3bb876-75cc-5c09-9b3a-5f725717d79c", "6a0c86b4-b164-542a-ac9f-63f06eff287a"]},
                               "applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"]},
                "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}} for i in range(3)]
        files = tmp_path / "new.json"
        files.write_text(json.dumps(new), encoding="utf-8")
        log = tmp_path / "state" / "ztconsole" / "audit.jsonl"
        apply = subprocess.Popen([sys.executable, "-m", "ztconsole", "policy", "apply", str(files), "--write",
                                  "--yes"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (log.exists() and log.read_text(encoding="utf-8").strip()):
            time.sleep(0.05)
        time.sleep(1.0)  # the POST is answered at once; the read back waits 4 s
        apply.send_signal(signal.SIGKILL)
        apply.wait(10)
        records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        assert [r["phase"] for r in records] == ["before"]  # killed mid-write: no after record

        again = cli("policy", "apply", str(files), "--write", "--yes", "--json", env=env)
        assert again.returncode == 0, again.stderr
        actions = [c["action"] for c in json.loads(again.stdout)["changes"]]
        assert actions == ["unchanged", "create", "create"]  # the first was made by the killed run
        final = cli("policy", "plan", str(files), "--json", env=env)
        assert final.returncode == 0, final.stderr  # each name matches one policy: none was made twice
        assert [c["action"] for c in json.loads(final.stdout)["changes"]] == ["unchanged"] * 3
    finally:
        stop(proc)
    assert cli("audit", "verify", "--file", str(log)).returncode == 0


def test_a_profile_with_read_only_false_writes_without_write_and_one_without_it_does_not(tmp_path: Path) -> None:
    env = {**os.environ, "ZTCONSOLE_TOKEN": TOKEN, "XDG_STATE_HOME": str(tmp_path / "state")}
    proc, base = start_emulator(env)
    try:
        cfg = write_config(tmp_path, base)
        rename = {"id": named(demo_policies(), "CA002")["id"], "displayName": "CA002-by-profile"}
        (tmp_path / "p.json").write_text(json.dumps(rename), encoding="utf-8")
        env["ZTCONSOLE_CONFIG"] = str(cfg)
        refused = cli("policy", "apply", str(tmp_path / "p.json"), "--yes", env=env)  # read_only: the default
        assert refused.returncode == 1 and "read-only" in refused.stderr
        cfg.write_text(cfg.read_text(encoding="utf-8") + "read_only = false\n", encoding="utf-8")
        done = cli("policy", "apply", str(tmp_path / "p.json"), "--yes", env=env)
        assert done.returncode == 0, done.stderr
        plan = json.loads(cli("policy", "plan", str(tmp_path / "p.json"), "--json", env=env).stdout)
        assert [c["action"] for c in plan["changes"]] == ["unchanged"]
    finally:
        stop(proc)
