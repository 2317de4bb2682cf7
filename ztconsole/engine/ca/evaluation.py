"""The reference What If evaluator: which Conditional Access policies apply to one sign-in, and why.

The plain, readable evaluator every faster one is checked against: each policy's conditions are judged by
the full face of the rule book (:mod:`ztconsole.engine.ca.conditions`), which gives a reason for every
condition that decided.

State: ``enabled`` is enforced; ``enabledForReportingButNotEnforced`` is evaluated and reported apart;
``disabled`` never applies. The enforced policies that apply combine as :mod:`ztconsole.engine.ca.controls`
says (CONTRACTS §3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ztconsole.engine.ca.conditions import SignInFacts, app_label, conditions_of
from ztconsole.engine.ca.context import Context
from ztconsole.engine.ca.controls import Requirements, merge_sessions, outcome, policy_requirements, policy_session
from ztconsole.engine.ca.scenario import APP_ALIASES, ENABLED, REPORT_ONLY, Scenario
from ztconsole.model.ca import ConditionalAccessPolicy

__all__ = ["PolicyResult", "WhatIfResult", "evaluate", "what_if", "describe_scenario"]


@dataclass(frozen=True)
class PolicyResult:
    """One policy judged against one scenario.

    ``requirements``: the policy's grant controls as CONTRACTS §3 inner lists (block excluded);
    ``session``: its session controls (:func:`~ztconsole.engine.ca.controls.policy_session`). Both describe
    the policy whether or not it applies.
    """

    id: str
    display_name: str
    state: str
    applies: bool
    reasons: tuple[str, ...]
    requirements: Requirements = ()
    blocks: bool = False
    session: Mapping[str, Any] = field(default_factory=dict, hash=False)
    failed: tuple[str, ...] = ()
    """The condition kinds that kept the policy from applying, by Graph's ``analysisReasons`` names
    (``users``, ``application``, ``clientApps``, ``location`` ...); empty when it applies."""


@dataclass(frozen=True)
class WhatIfResult:
    """All policies judged against one scenario, and what the enforced ones add up to."""

    scenario: Mapping[str, Any]
    policies: tuple[PolicyResult, ...]
    applied: tuple[str, ...]
    report_only: tuple[str, ...]
    decision: str
    requirements: Requirements
    session: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        """CONTRACTS §3."""
        return {
            "scenario": _plain(self.scenario),
            "policies": [
                {"id": p.id, "displayName": p.display_name, "state": p.state, "applies": p.applies,
                 "reasons": list(p.reasons)}
                for p in self.policies
            ],
            "summary": {
                "applied": list(self.applied),
                "reportOnly": list(self.report_only),
                "decision": self.decision,
                "requirements": [list(r) for r in self.requirements],
                "session": _plain(self.session),
            },
        }


def _plain(value: Any) -> Any:
    """JSON-ready copy: mappings to dicts, tuples to lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def evaluate(policy: ConditionalAccessPolicy, scenario: Scenario, ctx: Context) -> PolicyResult:
    """Whether ``policy`` applies to ``scenario``, with a reason for every condition that decided it."""
    return _judge(policy, SignInFacts.of(scenario, ctx), ctx)


def _judge(policy: ConditionalAccessPolicy, facts: SignInFacts, ctx: Context) -> PolicyResult:
    applies, reasons, failed = _decide(policy, facts, ctx)
    return PolicyResult(id=policy.id, display_name=policy.display_name or policy.id, state=policy.state or "unknown",
                        applies=applies, reasons=reasons, requirements=policy_requirements(policy.grant_controls),
                        blocks=policy.blocks, session=MappingProxyType(policy_session(policy.session_controls)),
                        failed=failed)


def _decide(policy: ConditionalAccessPolicy, facts: SignInFacts,
            ctx: Context) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    """(applies, reasons, the condition kinds that failed)."""
    state = policy.state or "unknown"
    if policy.is_disabled:
        return False, ("disabled",), ("policyNotEnabled",)
    if state not in (ENABLED, REPORT_ONLY):
        return False, (f"state {state!r} is neither enabled nor report-only: not evaluated",), ("policyNotEnabled",)
    cond = policy.conditions
    if cond is None:
        return False, ("the policy has no conditions (no users or resources)",), ("emptyPolicy",)
    rules = conditions_of(cond)
    if rules.workload is not None:
        return False, (rules.workload,), ("workloadIdentities",)
    s = facts.scenario
    checks = (
        rules.users.explain(facts.user, facts.user_keys, ctx),
        rules.target.explain(s, facts.target, ctx),
        rules.client_apps.explain(s.client_app),
        rules.platforms.explain(s.platform),
        rules.locations.explain(facts.place, s, ctx),
        rules.sign_in_risk.explain(s.sign_in_risk),
        rules.user_risk.explain(s.user_risk),
        rules.insider_risk.explain(s.insider_risk),
        rules.devices.explain(s.device),
        rules.auth_flows.explain(s.auth_flow),
    )
    applies = all(ok for ok, _ in checks)
    reasons: list[str] = []
    for ok, why in checks:
        if applies or not ok:
            reasons.extend(why)
    target_kind = ("userActions" if s.user_action else "authenticationContext" if s.auth_context else "application")
    kinds = ("users", target_kind, "clientApps", "devicePlatform", "location", "signInRisk", "userRisk",
             "insiderRisk", "devices", "authenticationFlow")
    return applies, tuple(reasons), tuple(kind for kind, (ok, _) in zip(kinds, checks) if not ok)


def what_if(policies: Iterable[ConditionalAccessPolicy], scenario: Scenario, ctx: Context) -> WhatIfResult:
    """Every policy judged against ``scenario``, and the combined outcome of the enabled ones that apply."""
    facts = SignInFacts.of(scenario, ctx)
    results = tuple(_judge(p, facts, ctx) for p in policies)
    enforced = [r for r in results if r.applies and r.state == ENABLED]
    decision, requirements = outcome(any(r.blocks for r in enforced),
                                     (req for r in enforced for req in r.requirements))
    return WhatIfResult(scenario=MappingProxyType(describe_scenario(facts, ctx)), policies=results,
                        applied=tuple(sorted({r.id for r in enforced})),
                        report_only=tuple(sorted({r.id for r in results if r.applies and r.state == REPORT_ONLY})),
                        decision=decision, requirements=requirements,
                        session=MappingProxyType(merge_sessions(r.session for r in enforced)))


def describe_scenario(facts: SignInFacts, ctx: Context) -> dict[str, Any]:
    """The scenario's inputs, resolved: the user and what the directory says of them, the app, the named
    locations the sign-in is in."""
    scenario, user = facts.scenario, facts.user

    def by_name(ids: Iterable[str], names: Mapping[str, str]) -> list[dict[str, str]]:
        return [{"id": i, "displayName": names.get(i, i)} for i in sorted(ids, key=lambda i: (names.get(i, i), i))]

    if scenario.app is None:
        app = None
    elif scenario.app in APP_ALIASES:
        app = {"id": scenario.app, "displayName": app_label(scenario.app, ctx)}
    else:
        app = {"id": scenario.app, "displayName": ctx.app_name(scenario.app)}
    matched = [{"id": lid, "displayName": loc.name, "trusted": loc.trusted}
               for lid, loc in sorted(ctx.locations.items(), key=lambda kv: (kv[1].name, kv[0]))
               if lid in facts.place.keys]
    return {
        "user": {"id": user.id, "userPrincipalName": user.user_principal_name,
                 "displayName": user.display_name, "inDirectory": user.in_directory,
                 "userType": user.user_type, "guestOrExternalUserType": user.external_type,
                 "breakGlass": user.break_glass},
        "groups": by_name(user.groups, ctx.group_names),
        "roles": by_name(user.roles, ctx.role_names),
        "eligibleRoles": by_name(user.eligible_roles, ctx.role_names),
        "app": app,
        "userAction": scenario.user_action,
        "authContext": scenario.auth_context,
        "clientApp": scenario.client_app,
        "platform": scenario.platform,
        "ip": scenario.ip,
        "country": scenario.country,
        "compliantNetwork": scenario.compliant_network,
        "namedLocations": matched,
        "signInRisk": scenario.sign_in_risk,
        "userRisk": scenario.user_risk,
        "insiderRisk": scenario.insider_risk,
        "device": _plain(dict(scenario.device)) if scenario.device is not None else None,
        "authFlow": scenario.auth_flow,
    }
