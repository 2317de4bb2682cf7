"""The write guards (CONTRACTS §8): break-glass refuses every change in a set built to lock out an emergency
access account and allows the same changes once the account is excluded; bake; new-policy-state; read-only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tenants import policy_json
from test_engine_checks_support import BG1, BG2, BG_UPNS, EXCLUDE_BG, G_BG, NOW, build
from ztconsole.actions import guards
from ztconsole.model.ca import AUTH_STRENGTH_PHISHING_RESISTANT_MFA, AZURE_MANAGEMENT_APP_ID, ConditionalAccessPolicy
from ztconsole.model.directory import GLOBAL_ADMINISTRATOR
from ztconsole.model.tenant import Tenant

BASE = build(policies=[])  # the directory: BG1 and BG2 (nested in G_BG, Global Administrators), staff


def parsed(wire: dict[str, Any]) -> ConditionalAccessPolicy:
    """The policy as the model reads it (through the one wire mapping)."""
    (policy,) = build(policies=[wire]).ca_policies
    return policy


def block(**conditions: Any) -> dict[str, Any]:
    return policy_json("p", grant=("OR", ["block"]), **conditions)


# (name, the policy that locks the accounts out, how it reads once the accounts are excluded)
LOCKING: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("block everyone", block(), block(users=EXCLUDE_BG)),
    ("MFA for everyone", policy_json("p"), policy_json("p", users=EXCLUDE_BG)),
    ("compliant device for everyone", policy_json("p", grant=("OR", ["compliantDevice"])),
     policy_json("p", grant=("OR", ["compliantDevice"]), users=EXCLUDE_BG)),
    ("block a directory role they hold", block(users={"includeRoles": [GLOBAL_ADMINISTRATOR]}),
     block(users={"includeRoles": [GLOBAL_ADMINISTRATOR], "excludeGroups": [G_BG]})),
    ("block Exchange ActiveSync clients", {**block(), "conditions": {**block()["conditions"],
                                                                   "clientAppTypes": ["exchangeActiveSync"]}},
     {**block(users=EXCLUDE_BG), "conditions": {**block(users=EXCLUDE_BG)["conditions"],
                                                "clientAppTypes": ["exchangeActiveSync"]}}),
    ("block one platform", block(platforms={"includePlatforms": ["linux"]}),
     block(platforms={"includePlatforms": ["linux"]}, users=EXCLUDE_BG)),
    ("block Azure management", block(apps={"includeApplications": [AZURE_MANAGEMENT_APP_ID]}),
     block(apps={"includeApplications": [AZURE_MANAGEMENT_APP_ID]},
           users={"includeUsers": ["All"], "excludeUsers": [BG1, BG2]})),
]


@pytest.mark.parametrize(("name", "locking", "excluded"), LOCKING, ids=[case[0] for case in LOCKING])
def test_break_glass_refuses_a_lock_out_and_allows_it_once_the_accounts_are_excluded(
        name: str, locking: dict[str, Any], excluded: dict[str, Any]) -> None:
    verdict = guards.break_glass(BASE, parsed(locking))
    assert verdict.refuses, name
    assert verdict.guard == "break-glass"
    assert BG_UPNS[0] in verdict.reason and BG_UPNS[1] in verdict.reason
    assert "ztconsole whatif" in verdict.reason  # each lock-out with the command line that shows it
    allowed = guards.break_glass(BASE, parsed(excluded))
    assert not allowed.refuses, (name, allowed.reason)
    assert "locks out none" in allowed.reason


def test_break_glass_allows_a_phishing_resistant_strength_for_everyone() -> None:
    wire = policy_json("pr", grant=None)
    wire["grantControls"] = {"operator": "OR", "builtInControls": [],
                             "authenticationStrength": {"id": AUTH_STRENGTH_PHISHING_RESISTANT_MFA}}
    assert not guards.break_glass(BASE, parsed(wire)).refuses


@pytest.mark.parametrize("state", ["enabledForReportingButNotEnforced", "disabled"])
def test_break_glass_judges_the_state_the_policy_will_have(state: str) -> None:
    verdict = guards.break_glass(BASE, parsed({**block(), "state": state}))
    assert not verdict.refuses and "enforces nothing" in verdict.reason


def test_break_glass_asks_only_the_changed_policy() -> None:
    """A lock-out elsewhere in the tenant is ZT-BG-005's business, not a reason to refuse this change."""
    tenant = build(policies=[{**block(), "id": "elsewhere"}])
    assert not guards.break_glass(tenant, parsed(policy_json("p", users=EXCLUDE_BG))).refuses


def test_break_glass_counts_accounts_declared_in_the_config_too() -> None:
    tenant = build(policies=[], break_glass=())
    verdict = guards.break_glass(tenant, parsed(block()))
    assert not verdict.refuses and "no emergency access account is declared" in verdict.reason
    declared = guards.break_glass(tenant, parsed(block()), declared=[BG1])
    assert declared.refuses and BG_UPNS[0] in declared.reason and BG_UPNS[1] not in declared.reason


def report_only(modified_days_ago: float | None) -> ConditionalAccessPolicy:
    wire = policy_json("p", state=guards.REPORT_ONLY)
    if modified_days_ago is not None:
        wire["modifiedDateTime"] = (NOW - timedelta(days=modified_days_ago)).isoformat().replace("+00:00", "Z")
    return parsed(wire)


def test_bake_refuses_enforcing_before_the_bake_days_and_allows_after() -> None:
    young = guards.bake(report_only(3), guards.ENABLED, now=NOW, days=14)
    assert young.refuses and "3.0 days" in young.reason and "14 days" in young.reason
    old = guards.bake(report_only(20), guards.ENABLED, now=NOW, days=14)
    assert not old.refuses
    unknown = guards.bake(report_only(None), guards.ENABLED, now=NOW, days=14)
    assert unknown.refuses and "unknown age" in unknown.reason


def test_bake_override_needs_a_reason_and_says_it() -> None:
    verdict = guards.bake(report_only(1), guards.ENABLED, now=NOW, days=14, override="CAB-1234 approved")
    assert not verdict.refuses and "CAB-1234 approved" in verdict.reason


@pytest.mark.parametrize(("before_state", "after_state"), [
    ("enabled", "enabled"), ("disabled", "enabled"), ("enabledForReportingButNotEnforced", "disabled")])
def test_bake_only_judges_a_switch_from_report_only_to_enabled(before_state: str, after_state: str) -> None:
    before = parsed({**policy_json("p"), "state": before_state, "modifiedDateTime": NOW.isoformat()})
    assert not guards.bake(before, after_state, now=NOW, days=14).refuses
    assert not guards.bake(None, guards.ENABLED, now=NOW, days=14).refuses  # a create: new-policy-state's


def test_new_policy_state_is_report_only_unless_enforced_with_a_reason() -> None:
    verdict, state = guards.new_policy_state("enabled", enforce=False, reason=None)
    assert state == guards.REPORT_ONLY and not verdict.refuses and "report-only" in verdict.reason
    verdict, state = guards.new_policy_state("enabled", enforce=True, reason=None)
    assert state == guards.REPORT_ONLY  # --enforce without a reason keeps report-only
    verdict, state = guards.new_policy_state("enabled", enforce=True, reason="incident 42")
    assert state == "enabled" and "incident 42" in verdict.reason
    assert guards.new_policy_state(None, enforce=False, reason=None)[1] == guards.REPORT_ONLY


def test_read_only_refuses_unless_writes_are_on() -> None:
    assert guards.read_only(False).refuses and "--write" in guards.read_only(False).reason
    assert not guards.read_only(True).refuses
    assert guards.refused([guards.read_only(False), guards.read_only(True)]) == [guards.read_only(False)]


def test_the_verdict_json_is_the_contracts() -> None:
    assert guards.read_only(True).to_json() == {"guard": "read-only", "verdict": "allow",
                                                "reason": "writes are on (--write)"}
    assert isinstance(BASE, Tenant)
