"""The check framework: the registry, the finding shape of CONTRACTS §4, incomplete data, the error funnel."""

from __future__ import annotations

import re
import shlex

import pytest

from test_engine_checks_support import build, one, reproductions, run
from ztconsole.engine.checks import (
    BY_ID,
    PRINCIPLES,
    REGISTRY,
    SEVERITIES,
    STATUSES,
    Check,
    CheckContext,
    Outcome,
    run_all,
    run_check,
    run_checks,
    whatif_command,
)

#: every check id of CONTRACTS §6
CATALOGUE = ([f"ZT-CA-{i:03d}" for i in range(1, 12)] + [f"ZT-BG-{i:03d}" for i in range(1, 9)]
             + [f"ZT-CAE-{i:03d}" for i in range(1, 5)] + [f"ZT-PA-{i:03d}" for i in range(1, 7)]
             + [f"ZT-NET-{i:03d}" for i in range(1, 16)] + [f"ZT-MON-{i:03d}" for i in range(1, 4)])


def test_registry_declares_the_catalogue_in_order() -> None:
    assert sorted(c.id for c in REGISTRY) == sorted(CATALOGUE)
    order = [(c.id.rsplit("-", 1)[0], int(c.id.rsplit("-", 1)[1])) for c in REGISTRY]
    assert order == sorted(order)
    for c in REGISTRY:
        assert c.severity in SEVERITIES and c.principle in PRINCIPLES and c.datasets and c.remediation


def test_findings_have_the_contract_shape() -> None:
    findings = run_all(CheckContext(build()))
    assert {f.check for f in findings} == set(CATALOGUE)  # at least one finding per check
    for f in findings:
        doc = f.to_json()
        assert list(doc) == ["check", "status", "severity", "title", "resource", "evidence", "remediation",
                             "principle"]
        assert doc["status"] in STATUSES and set(doc["resource"]) == {"type", "id", "name"}
        assert all(isinstance(v, str) and v for v in doc["resource"].values())
        assert isinstance(doc["evidence"], str) and doc["evidence"]


@pytest.mark.parametrize("check_id", ["ZT-CA-001", "ZT-BG-005", "ZT-CA-011"])
def test_a_forbidden_data_set_skips_naming_the_permission(check_id: str) -> None:
    t = build(statuses={"role_assignments": ("forbidden", "403 Authorization_RequestDenied")})
    f = one(t, check_id)
    assert f.status == "skip"
    assert "RoleManagement.Read.Directory" in f.evidence and "graph/v1.0/roleManagement" in f.evidence


def test_a_missing_singleton_skips() -> None:
    t = build()
    t.results["cae_policy"].status = "missing"
    t.results["cae_policy"].value = None
    f = one(t, "ZT-CAE-002")
    assert f.status == "skip" and "not readable" in f.evidence


@pytest.mark.parametrize("status", ["partial", "throttled", "failed"])
def test_incomplete_data_is_never_judged_as_complete(status: str) -> None:
    t = build(statuses={"users": (status, "page 2 failed: 503")})
    for check_id in ("ZT-BG-001", "ZT-CA-001", "ZT-CA-009"):
        f = one(t, check_id)
        assert f.status == "error" and "graph/v1.0/users" in f.evidence and "page 2 failed" in f.evidence


def test_a_data_set_not_read_at_all_is_an_error() -> None:
    t = build()
    del t.results["auth_methods"]
    f = one(t, "ZT-BG-006")
    assert f.status == "error" and "not read" in f.evidence


def test_an_exception_in_one_check_leaves_the_others_intact() -> None:
    def broken(ctx: CheckContext) -> list[Outcome]:
        raise ValueError("boom")

    bad = Check("ZT-XX-001", "broken", "test", "low", "assume-breach", ("users",), broken)
    checks = [BY_ID["ZT-BG-001"], bad, BY_ID["ZT-BG-003"]]
    findings = run_checks(CheckContext(build()), checks)
    assert [f.check for f in findings] == ["ZT-BG-001", "ZT-XX-001", "ZT-BG-003", "ZT-BG-003"]
    err = findings[1]
    assert err.status == "error" and "ZT-XX-001" in err.evidence and "ValueError: boom" in err.evidence
    assert all(f.status == "pass" for f in findings if f.check != "ZT-XX-001")


def test_a_check_yielding_nothing_is_an_error() -> None:
    empty = Check("ZT-XX-002", "silent", "test", "low", "assume-breach", ("users",), lambda ctx: ())
    [f] = run_check(empty, CheckContext(build()))
    assert f.status == "error" and "no finding" in f.evidence


def test_unknown_data_sets_are_refused_at_declaration() -> None:
    with pytest.raises(ValueError, match="unknown data set"):
        Check("ZT-XX-003", "x", "test", "low", "assume-breach", ("nope",), lambda ctx: ())


def test_whatif_command_lines_round_trip_through_shlex() -> None:
    ctx = CheckContext(build(), source_args=("--tenant-dir", "/tmp/a b"))
    hostile = "eve\x1b[31m'; rm -rf / #@contoso.com"
    line = whatif_command(ctx, "--user", hostile, "--app", "All")
    assert "\x1b" not in line
    assert shlex.split(line) == ["ztconsole", "whatif", "--tenant-dir", "/tmp/a b", "--user",
                                 "eve'; rm -rf / #@contoso.com", "--app", "All"]


def test_ca_evidence_carries_reproducible_whatif_lines() -> None:
    from test_engine_checks_support import ALICE, policies_with

    t = build(policies=policies_with("mfa-all", conditions={
        **build().ca_policies_by_id["mfa-all"].to_wire()["conditions"],
        "users": {"includeUsers": ["All"], "excludeUsers": [ALICE]}}))
    f = one(t, "ZT-CA-001")
    assert f.status == "fail"
    [argv] = reproductions(f.evidence)
    assert argv[:4] == ["ztconsole", "whatif", "--tenant-dir", "/tmp/x y"]
    assert argv[argv.index("--user") + 1] == "alice@contoso.com"


def test_time_is_measured_against_captured_at() -> None:
    f = run(build(policies=[{**p, "state": "enabledForReportingButNotEnforced"} for p in
                            __import__("test_engine_checks_support").good_policies()[:1]]), "ZT-CA-006")[0]
    assert re.search(r"\(100 days before 2026-11-22T10:00:00\+00:00\)", f.evidence)
