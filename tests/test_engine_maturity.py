"""The maturity of each pillar from findings (ztconsole/engine/maturity.py): the documented rules, on plain
findings."""

from __future__ import annotations

from ztconsole.engine.checks.base import Finding, Resource
from ztconsole.engine.maturity import CRITERIA, PILLARS, assess_maturity, to_json


def finding(check: str, status: str) -> Finding:
    return Finding(check, status, "high", "t", Resource("tenant", "1", "n"), "e", "r",  # type: ignore[arg-type]
                   "verify-explicitly")


def all_of(pillar: str, level: str | None = None, status: str = "pass") -> list[Finding]:
    return [finding(check, status) for c in CRITERIA if c.pillar == pillar and (level is None or c.level == level)
            for check in c.checks]


def test_nothing_is_traditional_everywhere() -> None:
    m = assess_maturity([])
    assert to_json(m) == dict.fromkeys(PILLARS, "traditional")
    # the deciding criteria are the Advanced ones, each check "missing"
    assert all(r.criterion.level == "advanced" and not r.holds for r in m["identity"].decided_by)
    assert {s for r in m["network"].decided_by for _, s in r.statuses} == {"missing"}


def test_advanced_then_optimal() -> None:
    assert to_json(assess_maturity(all_of("identity", "advanced")))["identity"] == "advanced"
    m = assess_maturity(all_of("identity"))
    assert m["identity"].level == "optimal"
    assert len(m["identity"].decided_by) == sum(1 for c in CRITERIA if c.pillar == "identity")


def test_one_failure_among_passes_holds_the_level_back() -> None:
    found = [*all_of("identity"), finding("ZT-CA-001", "fail")]
    m = assess_maturity(found)
    assert m["identity"].level == "traditional"
    blocked = [r for r in m["identity"].decided_by if not r.holds]
    assert [r.statuses for r in blocked] == [(("ZT-CA-001", "fail"),)]
    assert all(r.criterion.level == "advanced" for r in m["identity"].decided_by)  # stops at the first miss


def test_optimal_criterion_missing_keeps_advanced() -> None:
    found = [f for f in all_of("identity") if f.check != "ZT-CA-011"]
    m = assess_maturity(found)
    assert m["identity"].level == "advanced"
    assert any(("ZT-CA-011", "missing") in r.statuses for r in m["identity"].decided_by)


def test_warn_holds_skip_and_error_do_not() -> None:
    for status, level in (("warn", "advanced"), ("skip", "traditional"), ("error", "traditional")):
        found = [*(f for f in all_of("devices", "advanced") if f.check != "ZT-CA-003"), finding("ZT-CA-003", status)]
        assert assess_maturity(found)["devices"].level == level, status


def test_json_of_a_pillar_names_its_checks() -> None:
    doc = assess_maturity(all_of("devices", "advanced"))["devices"].to_json()
    assert doc["level"] == "advanced"
    assert {c["check"] for r in doc["decidedBy"] for c in r["checks"]} >= {"ZT-CA-003", "ZT-PA-001"}


def test_every_criterion_names_catalogue_checks() -> None:
    import re

    for c in CRITERIA:
        assert c.pillar in PILLARS and c.level in ("advanced", "optimal") and c.checks
        assert all(re.fullmatch(r"ZT-(CA|BG|CAE|PA|NET|MON)-\d{3}", check) for check in c.checks)
