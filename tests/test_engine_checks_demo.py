"""Every implemented check on the bundled demo tenant: its deliberate flaws fail (or warn) and its good
configurations pass, as ztconsole/demo/contoso.py documents them."""

from __future__ import annotations

import shlex

import pytest

from ztconsole.engine.checks import REGISTRY, CheckContext, Finding, run_all
from ztconsole.model.tenant import Tenant


@pytest.fixture(scope="module")
def demo() -> Tenant:
    from ztconsole.demo import demo_dir
    from ztconsole.tenantdir.reader import load_tenant

    return load_tenant(demo_dir())


@pytest.fixture(scope="module")
def findings(demo: Tenant) -> list[Finding]:
    return run_all(CheckContext(demo, source_args=("--demo",)))


def of(findings: list[Finding], check: str) -> dict[str, str]:
    """Resource name -> status."""
    return {f.resource.name: f.status for f in findings if f.check == check}


BG1, BG2 = "bg-admin-01@contoso.onmicrosoft.com", "bg-admin-02@contoso.onmicrosoft.com"


def test_every_check_yields_a_finding_and_none_errs(findings: list[Finding]) -> None:
    assert {f.check for f in findings} == {c.id for c in REGISTRY}
    assert [f for f in findings if f.status in ("error", "skip")] == []


def test_break_glass(findings: list[Finding]) -> None:
    assert of(findings, "ZT-BG-001") == {"Contoso": "pass"}
    for check in ("ZT-BG-002", "ZT-BG-003", "ZT-BG-004"):
        assert of(findings, check) == {BG1: "pass", BG2: "pass"}, check
    assert of(findings, "ZT-BG-005") == {BG1: "pass", BG2: "fail"}
    assert of(findings, "ZT-BG-006") == {BG1: "pass", BG2: "fail"}
    assert of(findings, "ZT-BG-007") == {BG1: "pass", BG2: "fail"}
    assert of(findings, "ZT-BG-008") == {BG1: "pass", BG2: "warn"}
    bg5 = next(f for f in findings if f.check == "ZT-BG-005" and f.status == "fail")
    assert "CA001" in bg5.evidence
    bg8 = next(f for f in findings if f.check == "ZT-BG-008" and f.status == "warn")
    assert "CA025" in bg8.evidence
    for f in (bg5, bg8):
        line = next(x for x in f.evidence.splitlines() if x.startswith("reproduce: "))
        argv = shlex.split(line.removeprefix("reproduce: "))
        assert argv[:3] == ["ztconsole", "whatif", "--demo"] and BG2 in argv


def test_conditional_access(findings: list[Finding]) -> None:
    expected = {"ZT-CA-001": "fail", "ZT-CA-002": "pass", "ZT-CA-003": "fail", "ZT-CA-004": "pass",
                "ZT-CA-005": "pass", "ZT-CA-007": "pass", "ZT-CA-008": "pass", "ZT-CA-010": "fail"}
    for check, status in expected.items():
        assert of(findings, check) == {"Contoso": status}, check
    ca003 = next(f for f in findings if f.check == "ZT-CA-003")
    assert "CA003" in ca003.evidence and "not enabled" in ca003.evidence  # report-only never satisfies it


def test_report_only_ages(findings: list[Finding]) -> None:
    found = {name.split("-")[0]: status for name, status in of(findings, "ZT-CA-006").items()}
    assert found == {"CA003": "warn", "CA019": "warn", "CA021": "pass", "CA025": "warn"}


def test_references(findings: list[Finding]) -> None:
    found = of(findings, "ZT-CA-009")
    assert [n for n, s in found.items() if s == "fail"] == ["CA024-Contractors-AllApps-BlockOutsideOperatingCountries"]
    assert len(found) > 20


def test_permanent_privileged_roles(findings: list[Finding]) -> None:
    found = of(findings, "ZT-CA-011")
    assert sorted(n for n, s in found.items() if s != "pass") == ["MeganB@contoso.com", "PattiF@contoso.com"]
    assert found[BG1] == found[BG2] == "pass"
    for name in ("AlexW@contoso.com", "LidiaH@contoso.com", "NestorW@contoso.com"):
        assert found[name] == "pass"


def test_cae(findings: list[Finding]) -> None:
    cae1 = of(findings, "ZT-CAE-001")
    assert [n for n, s in cae1.items() if s == "fail"] == ["CA022-Vendors-AllApps-DisableCAE-LegacyVPN"]
    assert set(of(findings, "ZT-CAE-002").values()) == {"fail"}
    cae3 = {name.split("-")[0]: status for name, status in of(findings, "ZT-CAE-003").items()}
    assert cae3 == {"CA020": "pass", "CA021": "fail"}
    assert set(of(findings, "ZT-CAE-004").values()) == {"fail"}
