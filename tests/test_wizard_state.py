"""The rollout wizard's persisted state (ztconsole.wizard.state): schema, errors, atomicity, locking."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import msgspec
import pytest

from ztconsole.wizard import state as rs
from ztconsole.wizard.state import InvalidTenantId, RolloutState, StateFileError, StepRecord

REPO = Path(__file__).resolve().parents[1]
TENANT = "11111111-2222-3333-4444-555555555555"
OTHER = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def full_state() -> RolloutState:
    """A state that sets every field of every step, with nested tables and datetimes of all kinds."""
    started = datetime(2026, 12, 7, 5, 34, 3, 123456, tzinfo=UTC)
    state = RolloutState(tenant_id=TENANT, started_at=started)
    for number, step in enumerate(rs.STEP_IDS):
        state = state.with_step(step, applied_at=started + timedelta(hours=number, microseconds=number + 1),
                                plan=f"{number:064x}", acknowledged=number % 2 == 0,
                                override_reason=f"reason {number}" if step == "bake" else None)
    segments = [{"app": "erp", "host": "erp.corp.example", "ports": ["443", "8443-8445"], "protocol": "tcp",
                 "justified_by": "flows.csv line 12"},
                {"app": "files", "host": "10.1.0.0/24", "ports": ["445"], "protocol": "tcp",
                 "justified_by": "flows.csv lines 40-44"}]
    state = state.with_step("inventory", data={"flows_csv": "/home/admin/flows.csv", "segments": segments})
    state = state.with_step("apps", data={"created": {"erp": "0f0e0d0c-0000-4000-8000-000000000001"},
                                          "counts": [1, 2, 3], "ratio": 0.25, "ok": True})
    protect = {"report_only_since": {"policy-1": datetime(2026, 12, 1, 8, 0, 0, 999999, tzinfo=UTC),
                                     "policy-2": datetime(2026, 12, 2, 9, 30, tzinfo=UTC)},
               "local_time": datetime(2026, 12, 3, 10, 0, 0, 5), "nested": {"deeper": {"deepest": ["x"]}}}
    return state.with_step("protect", data=protect)


# ------------------------------------------------------------------------------------------ round trip


def test_round_trip_of_every_field(tmp_path: Path) -> None:
    state = full_state()
    rs.save(state, dir=tmp_path)
    loaded = rs.load(TENANT, dir=tmp_path)
    assert loaded == state
    assert msgspec.to_builtins(loaded) == msgspec.to_builtins(state)  # every nested value, not just ==
    assert set(loaded.steps) == set(rs.STEP_IDS)
    assert loaded.step("bake").override_reason == "reason 6"
    assert loaded.step("inventory").data["segments"][1]["justified_by"] == "flows.csv lines 40-44"
    since = loaded.step("protect").data["report_only_since"]["policy-1"]
    assert since == datetime(2026, 12, 1, 8, 0, 0, 999999, tzinfo=UTC) and since.tzinfo is not None
    assert loaded.started_at.microsecond == 123456 and loaded.started_at.utcoffset() == timedelta(0)
    text = (tmp_path / f"{TENANT}.toml").read_text()
    assert "started_at = 2026-12-07" in text and '"2026-12-07' not in text  # a TOML date/time, not a string
    rs.save(loaded, dir=tmp_path)  # saving what was loaded writes the same text
    assert (tmp_path / f"{TENANT}.toml").read_text() == text


def test_datetimes_are_stored_in_utc(tmp_path: Path) -> None:
    paris = timezone(timedelta(hours=1))
    state = RolloutState(tenant_id=TENANT, started_at=datetime(2026, 12, 7, 6, 0, tzinfo=paris))
    rs.save(state.with_step("bake", applied_at=datetime(2026, 12, 8, 1, 2, 3, 4, tzinfo=paris)), dir=tmp_path)
    loaded = rs.load(TENANT, dir=tmp_path)
    assert loaded.started_at == datetime(2026, 12, 7, 5, 0, tzinfo=UTC) and loaded.started_at.tzinfo is UTC
    assert loaded.step("bake").applied_at == datetime(2026, 12, 8, 0, 2, 3, 4, tzinfo=UTC)
    with pytest.raises(ValueError, match="time zone"):
        rs.save(RolloutState(tenant_id=TENANT, started_at=datetime(2026, 1, 1)), dir=tmp_path)


def test_fresh_state_for_an_unknown_tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = datetime.now(UTC)
    state = rs.load(OTHER.upper(), dir=tmp_path)
    assert state.tenant_id == OTHER and state.version == 1 and state.steps == {}
    assert before <= state.started_at <= datetime.now(UTC)
    assert state.step("apps") == StepRecord() and not state.step("apps").acknowledged
    assert list(tmp_path.iterdir()) == []  # loading never writes
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))  # default: the XDG state directory
    rs.save(state)
    assert (tmp_path / "xdg" / "ztconsole" / "rollout" / f"{OTHER}.toml").is_file()
    assert rs.load(OTHER) == state


def test_with_step_and_step_refuse_unknown_steps() -> None:
    state = rs.fresh(TENANT)
    with pytest.raises(ValueError, match="unknown rollout step"):
        state.step("inventry")
    with pytest.raises(ValueError, match="unknown rollout step"):
        state.with_step("nope", acknowledged=True)
    assert state.with_step("apps", acknowledged=True).step("apps").acknowledged
    assert state.steps == {}  # immutable: the original is unchanged


# ------------------------------------------------------------------------------------------ errors

GOOD_HEAD = f'version = 1\ntenant_id = "{TENANT}"\nstarted_at = 2026-12-07T05:34:03Z\n'

BAD_FILES = {
    "bad type": (GOOD_HEAD + "[steps.apps]\nacknowledged = \"yes\"\n", 5, "steps.apps.acknowledged",
                 "expected a boolean, got a string"),
    "unknown key": (GOOD_HEAD + "[steps.apps]\nplan = \"" + DIGEST + "\"\napplied = 2026-01-01T00:00:00Z\n", 6,
                    "steps.apps.applied", "unknown key"),
    "unknown top key": (GOOD_HEAD + "\ncolour = 1\n", 5, "colour", "unknown key"),
    "unknown step": (GOOD_HEAD + "[steps.inventry]\nacknowledged = true\n", 4, "steps.inventry",
                     "did you mean 'inventory'?"),
    "unknown version": ("version = 7\nnew_key = 1\n", 1, "version", "version 7 is not known"),
    "missing version": (GOOD_HEAD.replace("version = 1\n", ""), None, "version", "required"),
    "invalid TOML": (GOOD_HEAD + "[steps.apps\nacknowledged = true\n", 4, None, "TOML syntax error"),
    "bad digest": (GOOD_HEAD + "\n\n[steps.apps]\nplan = \"abc\"\n", 7, "steps.apps.plan", "SHA-256"),
    "local datetime": (GOOD_HEAD + "[steps.bake]\napplied_at = 2026-01-01T00:00:00\n", 5, "steps.bake.applied_at",
                       "time zone"),
    "string datetime": (GOOD_HEAD.replace("2026-12-07T05:34:03Z", '"2026-12-07T05:34:03Z"'), 3, "started_at",
                        "got a string"),
    "data not a table": (GOOD_HEAD + "[steps.apps]\ndata = [1]\n", 5, "steps.apps.data", "expected a table"),
    "other tenant": (GOOD_HEAD.replace(TENANT, OTHER), 2, "tenant_id", f"this file is for tenant {OTHER}"),
    "not a guid": (GOOD_HEAD.replace(TENANT, "contoso"), 2, "tenant_id", "not a GUID"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_errors_name_file_line_and_key_and_leave_the_file_alone(tmp_path: Path, name: str) -> None:
    text, line, key, words = BAD_FILES[name]
    path = tmp_path / f"{TENANT}.toml"
    path.write_text(text)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    with pytest.raises(StateFileError) as caught:
        rs.load(TENANT, dir=tmp_path)
    error = caught.value
    message = str(error)
    assert error.file == str(path) and message.startswith(str(path))
    assert any(words in str(problem) for problem in error.problems), message
    problem = next(problem for problem in error.problems if words in str(problem))
    assert problem.line == line, message
    assert problem.key == key, message
    if line is not None:
        assert f"{path}:{line}" in message
    assert "Traceback" not in message
    called = []
    with pytest.raises(StateFileError):  # neither update nor save replaces a file that does not load
        rs.update(TENANT, lambda state: called.append(1) or state, dir=tmp_path)
    with pytest.raises(StateFileError):
        rs.save(rs.fresh(TENANT), dir=tmp_path)
    assert called == []
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{TENANT}.lock", path.name]  # no temp files left


def test_every_problem_is_reported_in_file_order(tmp_path: Path) -> None:
    text = GOOD_HEAD + "[steps.apps]\nacknowledged = 1\nbogus = 2\n[steps.bake]\noverride_reason = \"  \"\n"
    (tmp_path / f"{TENANT}.toml").write_text(text)
    with pytest.raises(StateFileError) as caught:
        rs.load(TENANT, dir=tmp_path)
    assert [(p.line, p.key) for p in caught.value.problems] == [
        (5, "steps.apps.acknowledged"), (6, "steps.apps.bogus"), (8, "steps.bake.override_reason")]


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / f"{TENANT}.toml").write_bytes(GOOD_HEAD.encode() + b"# \xff\n")
    with pytest.raises(StateFileError, match=r":4: the file is not UTF-8"):
        rs.load(TENANT, dir=tmp_path)


def test_a_state_toml_cannot_hold_is_refused_before_writing(tmp_path: Path) -> None:
    rs.save(full_state(), dir=tmp_path)
    before = (tmp_path / f"{TENANT}.toml").read_bytes()
    with pytest.raises(ValueError, match="not TOML serializable"):
        rs.save(full_state().with_step("apps", data={"none": None}), dir=tmp_path)
    with pytest.raises(StateFileError, match="SHA-256"):  # checked by the same schema as a load
        rs.save(full_state().with_step("apps", plan="not-a-digest"), dir=tmp_path)
    assert (tmp_path / f"{TENANT}.toml").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{TENANT}.lock", f"{TENANT}.toml"]


@pytest.mark.parametrize("bad", ["../../etc/passwd", "", "contoso.onmicrosoft.com", f"{TENANT}/x", f"../{TENANT}",
                                 TENANT + "0", "11111111-2222-3333-4444-55555555555g", f"{TENANT}\n"])
def test_an_invalid_tenant_id_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InvalidTenantId, match="not a tenant id"):
        rs.load(bad, dir=tmp_path)
    with pytest.raises(InvalidTenantId):
        rs.update(bad, lambda state: state, dir=tmp_path)
    with pytest.raises(InvalidTenantId):
        rs.save(RolloutState(tenant_id=bad, started_at=datetime.now(UTC)), dir=tmp_path)
    with pytest.raises(InvalidTenantId):
        rs.state_path(bad, dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------ files


def test_file_mode_0600_and_directory_0700(tmp_path: Path) -> None:
    old = os.umask(0)  # even with a permissive umask
    try:
        target = tmp_path / "state" / "rollout"
        rs.save(full_state(), dir=target)
        rs.update(TENANT, lambda state: state.with_step("apps", acknowledged=True), dir=target)
    finally:
        os.umask(old)
    assert stat.S_IMODE((target / f"{TENANT}.toml").stat().st_mode) == 0o600
    assert stat.S_IMODE((target / f"{TENANT}.lock").stat().st_mode) == 0o600
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert sorted(p.name for p in target.iterdir()) == [f"{TENANT}.lock", f"{TENANT}.toml"]


def test_one_file_per_tenant(tmp_path: Path) -> None:
    rs.update(TENANT, lambda state: state.with_step("apps", acknowledged=True), dir=tmp_path)
    rs.update(OTHER, lambda state: state.with_step("bake", override_reason="change window"), dir=tmp_path)
    assert rs.load(TENANT, dir=tmp_path).step("apps").acknowledged
    assert rs.load(TENANT, dir=tmp_path).step("bake").override_reason is None
    assert rs.load(OTHER, dir=tmp_path).step("bake").override_reason == "change window"
    with pytest.raises(ValueError, match="state of tenant"):
        rs.update(TENANT, lambda state: rs.fresh(OTHER), dir=tmp_path)


# ------------------------------------------------------------------------------------------ processes

CHILD_ENV = {**os.environ, "PYTHONPATH": str(REPO)}
ROWS = 4000

WRITER = textwrap.dedent(f"""
    import sys, tomli_w
    from pathlib import Path
    from ztconsole.wizard import state as rs
    import tempfile
    directory, mode, start = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    real_mkstemp = tempfile.mkstemp
    def mkstemp(*args, **kwargs):  # tell the parent a write is starting, so it can kill during one
        made = real_mkstemp(*args, **kwargs)
        print("writing", flush=True)
        return made
    tempfile.mkstemp = mkstemp
    base = rs.load({TENANT!r}, dir=directory)
    n = start
    print("ready", flush=True)
    while True:
        n += 1
        rows = [{{"n": n, "i": i, "host": f"host-{{i}}.corp.example", "ports": ["443", "8443"]}} for i in range({ROWS})]
        new = base.with_step("inventory", acknowledged=True, data={{"n": n, "segments": rows, "end": n}})
        if mode == "atomic":
            rs.save(new, dir=directory)
        else:  # the harness's own check: a naive writer truncates, then writes
            with open(directory / "{TENANT}.toml", "w") as handle:
                print("writing", flush=True)
                handle.write(rs._dumps(new))
""")


def consistent(directory: Path) -> int:
    """The ``n`` of the complete state on disk (AssertionError if it is torn or does not load)."""
    state = rs.load(TENANT, dir=directory)
    data = state.step("inventory").data
    assert data["n"] == data["end"], "torn state"
    assert len(data["segments"]) == ROWS and all(row["n"] == data["n"] for row in data["segments"])
    return int(data["n"])


def kill_writers(directory: Path, mode: str, kills: int, seed: int) -> tuple[list[int], int]:
    """Start a writer, SIGKILL it, check the file; ``kills`` times. Every other kill comes at a random
    moment, the others a few milliseconds after a write started. The ``n`` seen after each kill, and how
    many kills left a temp file (so landed in the middle of a write)."""
    chance = random.Random(seed)
    seen = [consistent(directory)]
    mid_write = 0
    for kill in range(kills):
        child = subprocess.Popen([sys.executable, "-c", WRITER, str(directory), mode, str(seen[-1] + 1000)],
                                 stdout=subprocess.PIPE, env=CHILD_ENV, cwd=REPO)
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        if kill % 2:
            for _ in range(chance.randint(1, 3)):
                assert child.stdout.readline() == b"writing\n"
            time.sleep(chance.uniform(0.0, 0.004))
        else:
            time.sleep(chance.uniform(0.0, 0.6))
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
        mid_write += bool(list(directory.glob(".*.tmp")))
        seen.append(consistent(directory))
    return seen, mid_write


@pytest.mark.slow
def test_sigkill_during_save_never_leaves_a_torn_file(tmp_path: Path) -> None:
    rs.save(rs.fresh(TENANT).with_step("inventory", data={"n": 0, "end": 0, "segments": [
        {"n": 0, "i": i} for i in range(ROWS)]}), dir=tmp_path)
    seen, mid_write = kill_writers(tmp_path, "atomic", kills=20, seed=14)
    assert seen == sorted(seen) and seen[-1] > 0  # each kill left the old or a newer complete state
    assert mid_write >= 1  # and some kills did land in the middle of a write
    assert stat.S_IMODE((tmp_path / f"{TENANT}.toml").stat().st_mode) == 0o600
    rs.save(rs.load(TENANT, dir=tmp_path), dir=tmp_path)  # the next writer clears temp files left by a kill
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{TENANT}.lock", f"{TENANT}.toml"]


def test_the_kill_harness_catches_a_non_atomic_writer(tmp_path: Path) -> None:
    """The check above can fail: the same harness, against a writer that truncates then writes."""
    rs.save(rs.fresh(TENANT).with_step("inventory", data={"n": 0, "end": 0, "segments": [
        {"n": 0, "i": i} for i in range(ROWS)]}), dir=tmp_path)
    with pytest.raises((AssertionError, StateFileError, KeyError)):
        kill_writers(tmp_path, "naive", kills=20, seed=14)


UPDATER = textwrap.dedent(f"""
    import sys
    from pathlib import Path
    from ztconsole.wizard import state as rs
    directory = Path(sys.argv[1])
    go = directory.parent / "go"
    while not go.exists():
        pass
    def bump(state):
        record = state.step("apps")
        data = dict(record.data)
        data["counter"] = data.get("counter", 0) + 1
        return state.with_step("apps", data=data)
    for _ in range(25):
        rs.update({TENANT!r}, bump, dir=directory)
""")


def test_concurrent_updates_never_lose_an_increment(tmp_path: Path) -> None:
    directory = tmp_path / "rollout"
    children = [subprocess.Popen([sys.executable, "-c", UPDATER, str(directory)], env=CHILD_ENV, cwd=REPO)
                for _ in range(4)]
    time.sleep(0.5)  # let them all import, then start together
    (tmp_path / "go").touch()
    assert [child.wait(timeout=120) for child in children] == [0, 0, 0, 0]
    assert rs.load(TENANT, dir=directory).step("apps").data["counter"] == 100
