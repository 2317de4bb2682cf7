"""ZT-CAE-001..004 on plain-data tenants."""

from __future__ import annotations

from tenants import policy_json
from test_engine_checks_support import G_STAFF, LOC_BAD_COUNTRIES, build, by_resource, good_policies, one, run
from ztconsole.model.tenant import DataSetResult


def test_cae001_each_enabled_or_report_only_policy() -> None:
    off = {**policy_json("no-cae"), "sessionControls": {"continuousAccessEvaluation": {"mode": "disabled"}}}
    ro = {**off, "id": "no-cae-ro", "state": "enabledForReportingButNotEnforced"}
    dis = {**off, "id": "no-cae-off", "state": "disabled"}
    found = by_resource(run(build(policies=[*good_policies(), off, ro, dis]), "ZT-CAE-001"))
    assert found["no-cae"].status == "fail" and found["no-cae-ro"].status == "fail"
    assert "no-cae-off" not in found  # a disabled policy does nothing
    assert all(f.status == "pass" for pid, f in found.items() if not pid.startswith("no-cae"))


def test_cae002_tenant_policy() -> None:
    assert one(build(), "ZT-CAE-002").status == "pass"
    scoped = one(build(cae={"id": "c", "isEnabled": True, "users": [], "groups": [G_STAFF], "migrate": False}),
                 "ZT-CAE-002")
    assert scoped.status == "fail" and "SG-Staff" in scoped.evidence
    off = one(build(cae={"id": "c", "isEnabled": False, "users": [], "groups": []}), "ZT-CAE-002")
    assert off.status == "fail"
    everyone = one(build(cae={"id": "c", "isEnabled": True, "users": [], "groups": []}), "ZT-CAE-002")
    assert everyone.status == "pass"


def test_cae003_strict_location_only_on_ip_locations() -> None:
    countries = {**policy_json("strict-countries", locations={"includeLocations": [LOC_BAD_COUNTRIES]}),
                 "sessionControls": {"continuousAccessEvaluation": {"mode": "strictLocation"}}}
    found = by_resource(run(build(policies=[*good_policies(), countries]), "ZT-CAE-003"))
    assert found["strict-ip"].status == "pass"
    assert found["strict-countries"].status == "fail" and "Never" in found["strict-countries"].evidence
    plain = [p for p in good_policies() if p["id"] != "strict-ip"]
    assert one(build(policies=plain), "ZT-CAE-003").status == "pass"


def test_cae004_signalling_when_private_access_is_used() -> None:
    assert one(build(), "ZT-CAE-004").status == "pass"
    assert one(build(gsa="disabled"), "ZT-CAE-004").status == "fail"
    t = build(gsa="disabled")
    t.results["applications"] = DataSetResult("applications", "ok", ())
    assert one(t, "ZT-CAE-004").status == "skip"
    t = build()
    t.results["gsa_ca_settings"] = DataSetResult("gsa_ca_settings", "forbidden", None, message="403")
    f = one(t, "ZT-CAE-004")
    assert f.status == "skip" and "NetworkAccess.Read.All" in f.evidence
