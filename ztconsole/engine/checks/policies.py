"""What the Conditional Access checks ask of one policy, answered by the CA rule book
(:mod:`ztconsole.engine.ca.conditions`): whom it takes, what it targets, which conditions narrow it, what it
demands. No condition is decided here; these helpers only ask the rule book and put its answers in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ztconsole.engine.ca.conditions import EVERYONE, PolicyConditions, app_keys, conditions_of, user_keys
from ztconsole.engine.ca.controls import Requirements, policy_requirements
from ztconsole.engine.ca.scenario import CLIENT_APPS, ENABLED, REPORT_ONLY
from ztconsole.engine.checks.base import CheckContext, Resource
from ztconsole.model.ca import (
    ALL,
    AUTH_STRENGTH_PHISHING_RESISTANT_MFA,
    GUESTS_OR_EXTERNAL_USERS,
    ConditionalAccessPolicy,
)

__all__ = [
    "STATE_WORDS",
    "policy_resource",
    "policy_label",
    "rules_of",
    "excluded_users",
    "user_scope_problems",
    "all_resources_problems",
    "narrowing",
    "requirements",
    "is_strong",
    "device_required",
    "phishing_resistant_strengths",
    "demands_only_phishing_resistant",
    "user_ref",
    "first_user",
]

STATE_WORDS = {ENABLED: "enabled", REPORT_ONLY: "report-only", "disabled": "disabled"}
_DEVICE_CONTROLS = frozenset({"compliantDevice", "domainJoinedDevice"})
_STRENGTH = "authenticationStrength:"


def policy_resource(p: ConditionalAccessPolicy) -> Resource:
    return Resource("conditionalAccessPolicy", p.id, p.display_name or p.id)


def policy_label(p: ConditionalAccessPolicy) -> str:
    """``'Name' (id, state)``."""
    state = STATE_WORDS.get(p.state or "", p.state or "no state")
    return f"'{p.display_name or p.id}' ({p.id}, {state})"


def rules_of(p: ConditionalAccessPolicy) -> PolicyConditions | None:
    """The policy's conditions as the rule book reads them; None without conditions or for workload identities."""
    if p.conditions is None or p.conditions.users is None:
        return None
    rules = conditions_of(p.conditions)
    return None if rules.workload is not None else rules


def excluded_users(rules: PolicyConditions, ctx: CheckContext) -> list[str]:
    """The ids of the directory users the policy's user condition does not take (rule book, nested groups,
    roles and guest types followed), emergency access accounts included."""
    ca = ctx.ca
    return [uid for uid, facts in ca.users.items() if not rules.users.holds(user_keys(facts))]


def user_ref(ctx: CheckContext, uid: str) -> str:
    """A user's UPN (else id), for a command line."""
    facts = ctx.ca.users.get(uid)
    return (facts.user_principal_name if facts is not None and facts.user_principal_name else uid)


def first_user(ctx: CheckContext, among: Iterable[str] | None = None) -> str | None:
    """The first enabled user that is not an emergency access account (by UPN), for an example sign-in."""
    enabled = {u.id for u in ctx.tenant.users if u.account_enabled is not False}
    ids = [u for u in (among if among is not None else enabled) if u in enabled and u not in ctx.break_glass_ids]
    return min(ids, key=lambda u: (user_ref(ctx, u).lower(), u)) if ids else None


def user_scope_problems(p: ConditionalAccessPolicy, rules: PolicyConditions, ctx: CheckContext) -> list[str]:
    """Why the policy does not take every user except the declared emergency access accounts (empty: it does).

    The rule book decides, for every directory user, whether the user condition takes them; exclusions
    that name anyone but a declared emergency access account (a role, guest types, another user) are
    problems even when they exclude nobody today."""
    users = p.conditions.users if p.conditions is not None else None
    if users is None:
        return ["it includes no users"]
    problems: list[str] = []
    if EVERYONE not in rules.users.sides.include[0]:
        problems.append("it does not include All users")
    if GUESTS_OR_EXTERNAL_USERS in users.exclude_users:
        problems.append("it excludes guests or external users (GuestsOrExternalUsers)")
    others = [u for u in users.exclude_users if u not in ctx.break_glass_ids and u != GUESTS_OR_EXTERNAL_USERS]
    if others:
        problems.append(f"it excludes users that are not declared emergency access accounts: {', '.join(others)}")
    if users.exclude_roles:
        names = ", ".join(ctx.ca.role_names.get(r, r) for r in users.exclude_roles)
        problems.append(f"it excludes directory roles ({names}): everyone assigned them")
    guests = users.exclude_guests_or_external_users
    if guests is not None and guests.user_types:
        problems.append(f"it excludes guests or external users ({', '.join(guests.user_types)})")
    if EVERYONE in rules.users.sides.include[0] and any(rules.users.sides.exclude):
        left_out = [u for u in excluded_users(rules, ctx) if u not in ctx.break_glass_ids]
        if left_out:
            shown = ", ".join(user_ref(ctx, u) for u in sorted(left_out, key=lambda u: user_ref(ctx, u))[:5])
            more = f" and {len(left_out) - 5} more" if len(left_out) > 5 else ""
            problems.append(f"it does not apply to {len(left_out)} user(s) that are not emergency access "
                            f"accounts ({shown}{more}), through its exclusions")
    return problems


def all_resources_problems(rules: PolicyConditions, ctx: CheckContext) -> list[str]:
    target = rules.target
    if not target.targets_apps:
        return ["it targets user actions or authentication contexts, not resources"]
    problems = []
    if not target.holds(app_keys(ALL, ctx.ca)):
        problems.append("it does not target All resources")
    if any(target.sides.exclude):
        problems.append("it excludes resources")
    return problems


def narrowing(rules: PolicyConditions, *, allow: Sequence[str] = ()) -> list[str]:
    """The conditions (besides users, resources and those in ``allow``) that narrow where the policy applies."""
    out = []
    named = {"clientApps": rules.client_apps.free or all(rules.client_apps.holds(c) for c in CLIENT_APPS),
             "platforms": rules.platforms.free, "locations": rules.locations.free,
             "signInRisk": rules.sign_in_risk.free, "userRisk": rules.user_risk.free,
             "insiderRisk": rules.insider_risk.free, "devices": rules.devices.free,
             "authenticationFlows": rules.auth_flows.free}
    for name, free in named.items():
        if not free and name not in allow:
            out.append(f"its {name} condition narrows it")
    return out


def requirements(p: ConditionalAccessPolicy) -> Requirements:
    return policy_requirements(p.grant_controls)


def is_strong(reqs: Requirements) -> bool:
    """Some requirement list holds nothing but MFA or authentication strengths (no way around them)."""
    return any(alt and all(c == "mfa" or c.startswith(_STRENGTH) for c in alt) for alt in reqs)


def device_required(reqs: Requirements) -> bool:
    """Some requirement list holds nothing but a compliant or a hybrid-joined device."""
    return any(alt and set(alt) <= _DEVICE_CONTROLS for alt in reqs)


def phishing_resistant_strengths(ctx: CheckContext) -> frozenset[str]:
    """The ids of the authentication strengths whose every allowed combination is phishing-resistant: the
    built-in one, the tenant's (when read) and those the policies carry."""
    out = {AUTH_STRENGTH_PHISHING_RESISTANT_MFA}
    strengths = list(ctx.tenant.auth_strengths) if ctx.tenant.status("auth_strengths") == "ok" else []
    strengths += [p.grant_controls.authentication_strength for p in ctx.tenant.ca_policies
                  if p.grant_controls is not None and p.grant_controls.authentication_strength is not None]
    out.update(s.id for s in strengths if s is not None and s.is_phishing_resistant)
    return frozenset(out)


def demands_only_phishing_resistant(reqs: Requirements, strong: frozenset[str]) -> bool:
    """Every requirement list can be met with a phishing-resistant authentication strength alone."""
    return all(any(c.startswith(_STRENGTH) and c[len(_STRENGTH):] in strong for c in alt) for alt in reqs)
