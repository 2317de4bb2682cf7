"""The audit log (issue #14, CONTRACTS §8): before and after records as JSON lines, hash-chained so that
``ztconsole audit verify`` names a record edited, removed or reordered; never a token; one chain however
many processes append at once; ``audit show`` prints tenant text inert."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import multiprocessing
import re
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ztconsole.actions.audit import (
    GENESIS,
    REDACTED,
    AuditLog,
    AuditLogError,
    Target,
    canonical,
    plan_digest,
    record_hash,
)
from ztconsole.cli import run

POLICY = Target("conditionalAccessPolicy", "0f1e2d3c-0000-4000-8000-000000000001", "Require MFA for admins")
#: a JWT-shaped token (header {"alg":"RS256","typ":"JWT"}); its text must never reach the file
JWT = ("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJvaWQiOiIxMjM0NTY3OC05MDEyIiwic2NwIjoiUG9saWN5LlJlYWRXcml0ZSJ9"
       ".c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU")


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = run(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def write_pair(log: AuditLog, n: int, *, name: str = POLICY.name) -> tuple[dict[str, Any], dict[str, Any]]:
    target = POLICY._replace(id=f"policy-{n}", name=name)
    plan = {"changes": [{"action": "update", "policy": {"id": target.id}, "n": n}]}
    before = log.append(action="policy.update", phase="before", target=target, plan=plan, tenant="tenant-1",
                        who="admin@contoso.com", before={"id": target.id, "state": "enabledForReportingButNotEnforced"})
    after = log.append(action="policy.update", phase="after", target=target, plan=plan, tenant="tenant-1",
                       who="admin@contoso.com", result="ok", after={"id": target.id, "state": "enabled"},
                       ref=before["id"])
    return before, after


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    log = AuditLog(tmp_path / "state" / "audit.jsonl")
    for n in range(3):
        write_pair(log, n)
    return log


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def tampered(src: Path, dst: Path, change: Any) -> AuditLog:
    """A copy of the log at ``src`` with its list of lines changed by ``change``."""
    rows = lines(src)
    change(rows)
    dst.write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    return AuditLog(dst)


# ------------------------------------------------------------------------------------------ records


def test_pairs_are_appended_as_chained_json_lines(log: AuditLog) -> None:
    rows = lines(log.path)
    assert len(rows) == 6
    records = [json.loads(row) for row in rows]
    assert records == log.records()
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5, 6]
    assert [r["phase"] for r in records] == ["before", "after"] * 3
    assert [r["result"] for r in records] == ["pending", "ok"] * 3
    assert records[0]["prev"] == GENESIS
    assert all(r["prev"] == p["hash"] for p, r in zip(records, records[1:]))
    assert all(r["hash"] == record_hash(r) for r in records)
    assert len({r["id"] for r in records}) == 6
    assert all(re.fullmatch(rf"{r['seq']}-[0-9a-f]{{12}}", r["id"]) for r in records)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["time"]) for r in records)
    first, second = records[0], records[1]
    assert first["who"] == "admin@contoso.com" and first["tenant"] == "tenant-1"
    assert first["action"] == "policy.update"
    assert first["target"] == {"type": "conditionalAccessPolicy", "id": "policy-0", "name": POLICY.name}
    assert first["before"] == {"id": "policy-0", "state": "enabledForReportingButNotEnforced"}
    assert "after" not in first
    assert second["after"] == {"id": "policy-0", "state": "enabled"} and second["ref"] == first["id"]
    assert first["plan"] == second["plan"] == plan_digest(
        {"changes": [{"n": 0, "policy": {"id": "policy-0"}, "action": "update"}]})  # key order is not the plan
    assert log.find(records[3]["id"]) == records[3]
    assert log.find("99-000000000000") is None


def test_the_operator_defaults_to_the_os_user_and_the_log_to_the_state_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("LOGNAME", "opsuser")
    log = AuditLog()
    assert log.path == tmp_path / "xdg" / "ztconsole" / "audit.jsonl"
    record = log.append(action="user.revoke", phase="before", target={"type": "user", "id": "u1", "name": "Adele"},
                        plan="ab" * 32, tenant="t")
    assert record["who"] == "opsuser" and record["plan"] == "ab" * 32
    stamp = datetime.strptime(record["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60


def test_an_after_record_must_say_ok_or_failed(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.jsonl")
    with pytest.raises(ValueError):
        log.append(action="policy.update", phase="after", target=POLICY, plan={}, tenant="t")
    with pytest.raises(ValueError):
        log.append(action="policy.update", phase="after", target=POLICY, plan={}, tenant="t", result="done")
    with pytest.raises(ValueError):
        log.append(action="policy.update", phase="during", target=POLICY, plan={}, tenant="t")  # type: ignore[arg-type]
    assert not log.path.exists()
    record = log.append(action="policy.update", phase="after", target=POLICY, plan={}, tenant="t",
                        result="failed: 403 Forbidden", before=None)
    assert record["result"] == "failed: 403 Forbidden" and record["before"] is None  # null: did not exist


def test_new_files_are_private_and_a_loose_one_is_tightened(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "state" / "ztconsole" / "audit.jsonl")
    write_pair(log, 0)
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.path.parent.stat().st_mode) == 0o700
    loose = AuditLog(tmp_path / "loose.jsonl")
    loose.path.write_text("")
    loose.path.chmod(0o644)
    write_pair(loose, 0)
    assert stat.S_IMODE(loose.path.stat().st_mode) == 0o600


# ------------------------------------------------------------------------------------------ verify


def test_an_intact_log_verifies_and_an_empty_or_missing_one_has_nothing_to_check(log: AuditLog,
                                                                                 tmp_path: Path) -> None:
    result = log.verify()
    assert result.ok and result.records == 6 and result.problem is None
    assert result.head == json.loads(lines(log.path)[-1])["hash"]
    assert AuditLog(tmp_path / "missing.jsonl").verify().ok
    (tmp_path / "empty.jsonl").write_text("")
    assert AuditLog(tmp_path / "empty.jsonl").verify().records == 0


def edit_result(rows: list[str]) -> None:
    record = json.loads(rows[2])
    record["result"] = "ok"  # was "pending"
    rows[2] = json.dumps(record)


def edit_target_name(rows: list[str]) -> None:
    record = json.loads(rows[4])
    record["target"]["name"] = "Someone else's policy"
    rows[4] = json.dumps(record)


def edit_and_rehash(rows: list[str]) -> None:
    """An edit whose id and hash are recomputed: the next record's link gives it away."""
    record = json.loads(rows[2])
    record["who"] = "nobody@contoso.com"
    body = {k: v for k, v in record.items() if k not in ("id", "hash")}
    record["id"] = f"{record['seq']}-{hashlib.sha256(canonical(body)).hexdigest()[:12]}"
    record["hash"] = record_hash(record)
    rows[2] = json.dumps(record)


def edit_id(rows: list[str]) -> None:
    """A record renamed (its hash recomputed): the id no longer names its content."""
    record = json.loads(rows[2])
    record["id"] = "3-000000000000"
    record["hash"] = record_hash(record)
    rows[2] = json.dumps(record)


def swap(rows: list[str]) -> None:
    rows[2], rows[3] = rows[3], rows[2]


def renumber(rows: list[str]) -> None:
    """Seq 3 made 4, hashed again, and every later record re-linked: only the numbering is wrong."""
    records = [json.loads(row) for row in rows]
    records[2]["seq"] = 4
    for i in range(2, len(records)):
        records[i]["prev"] = records[i - 1]["hash"]
        records[i]["hash"] = record_hash(records[i])
    rows[:] = [json.dumps(r) for r in records]


CASES = {
    "edited result": (edit_result, "line 3: record edited (hash mismatch)"),
    "edited target": (edit_target_name, "line 5: record edited (hash mismatch)"),
    "edited and rehashed": (edit_and_rehash, "line 4: the record before it is missing or out of order"),
    "id edited": (edit_id, "line 3: record edited (id does not match its content)"),
    "removed": (lambda rows: rows.pop(1), "line 2: the record before it is missing or out of order"),
    "first removed": (lambda rows: rows.pop(0), "line 1: the record before it is missing or out of order"),
    "swapped": (swap, "line 3: the record before it is missing or out of order"),
    "not json": (lambda rows: rows.insert(3, '{"seq": 4,'), "line 4: not a JSON object"),
    "renumbered": (renumber, "line 3: seq 4 out of order (expected 3)"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_tampered_copy_fails_naming_the_line(log: AuditLog, tmp_path: Path, case: str) -> None:
    change, message = CASES[case]
    copy = tampered(log.path, tmp_path / "copy.jsonl", change)
    result = copy.verify()
    assert not result.ok
    assert str(result.problem) == message
    assert log.verify().ok  # the original is untouched


def test_appending_after_a_damaged_last_line_is_refused(log: AuditLog) -> None:
    with open(log.path, "a", encoding="utf-8") as f:
        f.write('{"seq": 7, "hash": \n')
    with pytest.raises(AuditLogError, match="last line is not an audit record"):
        write_pair(log, 9)


# --------------------------------------------------------------------------------------- redaction


def test_secrets_and_tokens_are_redacted_before_writing(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    record = log.append(
        action="app.update", phase="before", target={"type": "application", "id": "app-1", "name": "Payroll"},
        plan={"changes": []}, tenant="t", who="admin@contoso.com", reason=f"approved in ticket; token {JWT}",
        before={"displayName": "Payroll", "clientSecret": "s3cr3t-value-1",
                "passwordCredentials": [{"keyId": "k1", "secretText": "s3cr3t-value-2"}],
                "web": {"redirectUris": ["https://payroll.contoso.com"], "api_key": "s3cr3t-value-3"},
                "notes": JWT, "header": "Authorization: Bearer opaque-s3cr3t-value-4", "tokenCache": None})
    text = log.path.read_text(encoding="utf-8")
    for secret in (JWT, JWT.split(".")[1], "s3cr3t-value"):
        assert secret not in text
    before = record["before"]
    assert before["displayName"] == "Payroll"
    assert before["web"]["redirectUris"] == ["https://payroll.contoso.com"]
    assert before["clientSecret"] == before["passwordCredentials"] == before["web"]["api_key"] == REDACTED
    assert before["notes"] == REDACTED
    assert before["header"] == f"Authorization: {REDACTED}"
    assert before["tokenCache"] is None  # nothing there to hide
    assert record["reason"] == f"approved in ticket; token {REDACTED}"
    assert sorted(record["redacted"]) == sorted(["before.clientSecret", "before.passwordCredentials",
                                                 "before.web.api_key", "before.notes", "before.header", "reason"])
    assert json.loads(text) == record
    assert log.verify().ok


# -------------------------------------------------------------------------------------- concurrency


def _append_many(path: str, worker: int, count: int) -> None:
    log = AuditLog(path)
    for i in range(count):
        log.append(action="user.revoke", phase="before", target={"type": "user", "id": f"w{worker}-{i}", "name": "x"},
                   plan={"w": worker, "i": i}, tenant="t", who=f"worker{worker}")


def test_concurrent_appends_from_several_processes_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(str(path), w, 25)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
        assert p.exitcode == 0
    log = AuditLog(path)
    result = log.verify()
    assert result.ok, result.problem
    records = log.records()
    assert len(records) == 100 == result.records
    assert [r["seq"] for r in records] == list(range(1, 101))
    assert sorted(r["target"]["id"] for r in records) == sorted(f"w{w}-{i}" for w in range(4) for i in range(25))


# --------------------------------------------------------------------------------------- the command


def test_audit_verify_exit_codes_and_json(log: AuditLog, tmp_path: Path) -> None:
    code, out, err = cli("audit", "verify", "--log", str(log.path))
    assert (code, err) == (0, "") and "6 records verified" in out
    code, out, _ = cli("audit", "verify", "--log", str(log.path), "--json")
    assert code == 0
    assert json.loads(out) == {"log": str(log.path), "verified": True, "records": 6,
                               "head": log.verify().head, "problem": None}

    copy = tampered(log.path, tmp_path / "copy.jsonl", edit_result)
    code, out, _ = cli("audit", "verify", "--log", str(copy.path))
    assert code == 1 and "line 3: record edited (hash mismatch)" in out
    code, out, _ = cli("audit", "verify", "--file", str(copy.path), "--json")  # CONTRACTS §2 spells it --file
    assert code == 1
    assert json.loads(out) == {"log": str(copy.path), "verified": False, "records": 2,
                               "head": json.loads(lines(copy.path)[1])["hash"],
                               "problem": {"line": 3, "message": "record edited (hash mismatch)"}}

    code, out, _ = cli("audit", "verify", "--log", str(tmp_path / "none.jsonl"))
    assert code == 0 and "nothing to verify" in out
    code, _, err = cli("audit", "verify", "--log", str(tmp_path))  # a directory
    assert code == 3 and "cannot read the audit log" in err
    code, _, err = cli("audit", "verify", "--log", str(log.path / "below-a-file.jsonl"))
    assert code == 3 and "cannot read the audit log" in err
    code, _, _ = cli("audit", "verify", "--no-such-option")
    assert code == 2


def test_audit_show_prints_hostile_names_inert(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    hostile = "[bold red]x[/] \x1b[31mred \x1b]8;;http://evil.example\x07link \u202egnp.exe"
    write_pair(log, 0)
    write_pair(log, 1, name=hostile)
    code, out, err = cli("audit", "show", "--log", str(log.path))
    assert (code, err) == (0, "")
    rows = out.splitlines()
    assert len(rows) == 4
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "[bold red]x[/] red link gnp.exe" in rows[2]  # the markup is text, the escapes are gone
    first = log.records()[0]
    assert rows[0].split() == [first["time"], first["id"], "admin@contoso.com", "policy.update", "before",
                               *POLICY.name.split(), "pending"]

    code, out, _ = cli("audit", "show", "--log", str(log.path), "--last", "1", "--json")
    assert code == 0 and "\x1b" not in out and "\u202e" not in out
    doc = json.loads(out)
    assert [r["seq"] for r in doc["records"]] == [4]
    assert doc["records"][0]["target"]["name"] == hostile  # JSON keeps the value, escaped

    assert cli("audit", "show", "--log", str(log.path), "--last", "0")[0] == 2
    assert cli("audit", "show", "--log", str(tmp_path))[0] == 3
