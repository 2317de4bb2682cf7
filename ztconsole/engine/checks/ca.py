"""ZT-CA-001..011: Conditional Access (CONTRACTS §6).

Each policy is judged by its own state: only an ``enabled`` policy satisfies a requirement of an enabled
policy; a report-only or disabled policy with the right shape is named in the evidence and never counts.
Whom a policy takes, what it targets and which conditions narrow it are the rule book's answers
(:mod:`ztconsole.engine.checks.policies`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

from ztconsole.engine import ca_catalog
from ztconsole.engine.ca.conditions import EVERYONE, PolicyConditions, app_keys, user_keys
from ztconsole.engine.ca.context import UserFacts
from ztconsole.engine.ca.scenario import ENABLED, REPORT_ONLY
from ztconsole.engine.checks.base import CheckContext, Outcome, Resource, whatif_command
from ztconsole.engine.checks.policies import (
    all_resources_problems,
    demands_only_phishing_resistant,
    device_required,
    excluded_users,
    first_user,
    is_strong,
    narrowing,
    phishing_resistant_strengths,
    policy_label,
    policy_resource,
    requirements,
    rules_of,
    user_ref,
    user_scope_problems,
)
from ztconsole.model.ca import (
    ALL,
    AZURE_MANAGEMENT_APP_ID,
    GUESTS_OR_EXTERNAL_USERS,
    LOCATION_ALL,
    LOCATION_ALL_TRUSTED,
    LOCATION_COMPLIANT_NETWORK,
    LOCATION_MFA_TRUSTED_IPS,
    MICROSOFT_ADMIN_PORTALS,
    NONE,
    OFFICE_365,
    ConditionalAccessPolicy,
    CountryNamedLocation,
)
from ztconsole.model.directory import GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_TEMPLATES
from ztconsole.model.tenant import Tenant

__all__ = ["ca001", "ca002", "ca003", "ca004", "ca005", "ca006", "ca007", "ca008", "ca009", "ca010", "ca011",
           "mfa_for_all"]

#: policy -> its rules -> why it does not meet the requirement (empty: it does)
_Judge = Callable[[ConditionalAccessPolicy, PolicyConditions], list[str]]


def _candidates(ctx: CheckContext, shaped: Callable[[ConditionalAccessPolicy, PolicyConditions], bool],
                judge: _Judge) -> tuple[list[ConditionalAccessPolicy], list[str]]:
    """The enabled policies that meet the requirement, and a line for each other policy of the right kind
    (``shaped``) saying why it does not: its state, or the judge's problems."""
    met: list[ConditionalAccessPolicy] = []
    notes: list[str] = []
    for p in sorted(ctx.tenant.ca_policies, key=lambda p: (p.display_name or "", p.id)):
        rules = rules_of(p)
        if rules is None or not shaped(p, rules):
            continue
        problems = judge(p, rules)
        if p.state != ENABLED:
            problems = [f"it is not enabled (state {p.state or 'unknown'}): it enforces nothing", *problems]
        if problems:
            notes.append(f"{policy_label(p)} does not count: {'; '.join(problems)}")
        else:
            met.append(p)
    return met, notes


def _verdict(ctx: CheckContext, met: list[ConditionalAccessPolicy], notes: list[str], what: str,
             example: list[str] | None = None, remediation: str | None = None) -> Outcome:
    if met:
        lines = [f"{what}: {', '.join(policy_label(p) for p in met)}", *notes]
        return Outcome("pass", ctx.tenant_resource, "\n".join(lines))
    lines = [f"no enabled policy meets it: {what}", *notes]
    if example:
        lines.append(f"reproduce: {whatif_command(ctx, *example)}")
    return Outcome("fail", ctx.tenant_resource, "\n".join(lines), remediation)


def _example(ctx: CheckContext, *options: str) -> list[str] | None:
    uid = first_user(ctx)
    return None if uid is None else ["--user", user_ref(ctx, uid), *options]


# --- ZT-CA-001 ------------------------------------------------------------------------------------------------


def _mfa_shaped(p: ConditionalAccessPolicy, rules: PolicyConditions) -> bool:
    return is_strong(requirements(p)) and not p.blocks


def _mfa_problems(ctx: CheckContext, p: ConditionalAccessPolicy, rules: PolicyConditions) -> list[str]:
    return [*user_scope_problems(p, rules, ctx), *all_resources_problems(rules, ctx), *narrowing(rules)]


def mfa_for_all(ctx: CheckContext) -> list[ConditionalAccessPolicy]:
    """Every policy, whatever its state, that requires MFA or an authentication strength of all users on all
    resources as ZT-CA-001 judges one (its state aside): what the rollout's baseline step looks for."""
    out = []
    for p in sorted(ctx.tenant.ca_policies, key=lambda p: (p.display_name or "", p.id)):
        rules = rules_of(p)
        if rules is not None and _mfa_shaped(p, rules) and not _mfa_problems(ctx, p, rules):
            out.append(p)
    return out


def ca001(ctx: CheckContext) -> Iterator[Outcome]:
    met, notes = _candidates(ctx, _mfa_shaped, lambda p, rules: _mfa_problems(ctx, p, rules))
    example = None
    for p in ctx.tenant.ca_policies:  # show a left-out user of an all-users MFA policy, else anyone
        rules = rules_of(p)
        if p.state == ENABLED and rules is not None and _mfa_shaped(p, rules):
            left = [u for u in excluded_users(rules, ctx) if u not in ctx.break_glass_ids]
            uid = first_user(ctx, left)
            if uid is not None:
                example = ["--user", user_ref(ctx, uid), "--app", ALL]
                break
    yield _verdict(ctx, met, notes, "MFA or an authentication strength required for all users on all resources",
                   example or _example(ctx, "--app", ALL))


# --- ZT-CA-002 ------------------------------------------------------------------------------------------------


def ca002(ctx: CheckContext) -> Iterator[Outcome]:
    legacy = ("exchangeActiveSync", "other")

    def shaped(p: ConditionalAccessPolicy, rules: PolicyConditions) -> bool:
        return p.blocks and not rules.client_apps.free and any(rules.client_apps.holds(c) for c in legacy)

    def judge(p: ConditionalAccessPolicy, rules: PolicyConditions) -> list[str]:
        missing = [c for c in legacy if not rules.client_apps.holds(c)]
        problems = [f"it does not target the client app type {c}" for c in missing]
        return [*problems, *user_scope_problems(p, rules, ctx), *all_resources_problems(rules, ctx),
                *narrowing(rules, allow=("clientApps",))]

    met, notes = _candidates(ctx, shaped, judge)
    yield _verdict(ctx, met, notes, "Legacy authentication (exchangeActiveSync, other) blocked for all users",
                   _example(ctx, "--app", ALL, "--client-app", "exchangeActiveSync"))


# --- ZT-CA-003 ------------------------------------------------------------------------------------------------


def ca003(ctx: CheckContext) -> Iterator[Outcome]:
    azure = app_keys(AZURE_MANAGEMENT_APP_ID, ctx.ca)
    portals = app_keys(MICROSOFT_ADMIN_PORTALS, ctx.ca)

    def shaped(p: ConditionalAccessPolicy, rules: PolicyConditions) -> bool:
        if not rules.target.targets_apps or not (rules.target.holds(azure) or rules.target.holds(portals)):
            return False
        named = p.conditions.applications.include_applications if p.conditions and p.conditions.applications else ()
        return device_required(requirements(p)) or bool(
            {a.lower() for a in named} & {AZURE_MANAGEMENT_APP_ID, MICROSOFT_ADMIN_PORTALS.lower()})

    def judge(p: ConditionalAccessPolicy, rules: PolicyConditions) -> list[str]:
        problems = [] if device_required(requirements(p)) else [
            "it does not require a compliant or hybrid-joined device (no requirement of only those)"]
        return [*problems, *user_scope_problems(p, rules, ctx), *narrowing(rules)]

    met, notes = _candidates(ctx, shaped, judge)
    yield _verdict(ctx, met, notes, "Azure management (Windows Azure Service Management API or Microsoft Admin "
                   "Portals) requires a compliant or hybrid-joined device",
                   _example(ctx, "--app", AZURE_MANAGEMENT_APP_ID))


# --- ZT-CA-004 ------------------------------------------------------------------------------------------------


def ca004(ctx: CheckContext) -> Iterator[Outcome]:
    lines: list[str] = []
    failed = False
    for level in ("medium", "high"):
        def shaped(p: ConditionalAccessPolicy, rules: PolicyConditions, level: str = level) -> bool:
            return not rules.sign_in_risk.free and rules.sign_in_risk.holds(level)

        def judge(p: ConditionalAccessPolicy, rules: PolicyConditions) -> list[str]:
            problems = [] if p.blocks or is_strong(requirements(p)) else ["it neither blocks nor requires MFA"]
            return [*problems, *user_scope_problems(p, rules, ctx), *all_resources_problems(rules, ctx),
                    *narrowing(rules, allow=("signInRisk",))]

        met, notes = _candidates(ctx, shaped, judge)
        if met:
            lines.append(f"{level} sign-in risk: answered by {', '.join(policy_label(p) for p in met)}")
        else:
            failed = True
            lines.append(f"{level} sign-in risk: no enabled policy for all users blocks it or requires MFA")
            example = _example(ctx, "--app", ALL, "--sign-in-risk", level)
            if example:
                lines.append(f"reproduce: {whatif_command(ctx, *example)}")
        lines.extend(notes)
    yield Outcome("fail" if failed else "pass", ctx.tenant_resource, "\n".join(lines))


# --- ZT-CA-005 ------------------------------------------------------------------------------------------------


def _country_locations(ctx: CheckContext, ids: tuple[str, ...]) -> list[CountryNamedLocation]:
    return [loc for i in ids if isinstance(loc := ctx.tenant.named_locations_by_id.get(i), CountryNamedLocation)]


def _allow_list(p: ConditionalAccessPolicy) -> bool:
    """Learn's other shape: block any location (``All``) except the countries the organisation operates in."""
    locs = p.conditions.locations if p.conditions is not None else None
    return locs is not None and LOCATION_ALL in locs.include_locations


def ca005(ctx: CheckContext) -> Iterator[Outcome]:
    def shaped(p: ConditionalAccessPolicy, rules: PolicyConditions) -> bool:
        locs = p.conditions.locations if p.conditions is not None else None
        if not p.blocks or locs is None:
            return False
        if _allow_list(p):  # include any location, exclude the allowed countries
            return bool(_country_locations(ctx, locs.exclude_locations))
        return bool(_country_locations(ctx, locs.include_locations))

    def judge(p: ConditionalAccessPolicy, rules: PolicyConditions) -> list[str]:
        return [*user_scope_problems(p, rules, ctx), *all_resources_problems(rules, ctx),
                *narrowing(rules, allow=("locations",))]

    met, notes = _candidates(ctx, shaped, judge)
    locations = [(p, p.conditions.locations) for p in met if p.conditions and p.conditions.locations]
    countries = sorted({c for p, locs in locations if not _allow_list(p)
                        for loc in _country_locations(ctx, locs.include_locations) for c in loc.countries_and_regions})
    allowed = [sorted({c for loc in _country_locations(ctx, locs.exclude_locations) for c in loc.countries_and_regions})
               for p, locs in locations if _allow_list(p)]
    if countries:
        notes = [f"countries blocked: {', '.join(countries)}", *notes]
    notes = [f"every country blocked except: {', '.join(a) or '(none)'}" for a in allowed] + notes
    yield _verdict(ctx, met, notes, "Sign-ins from listed countries blocked for all users")


# --- ZT-CA-006 ------------------------------------------------------------------------------------------------


def ca006(ctx: CheckContext) -> Iterator[Outcome]:
    days = ctx.settings.report_only_bake_days
    pending = [p for p in ctx.tenant.ca_policies if p.state == REPORT_ONLY]
    if not pending:
        yield Outcome("pass", ctx.tenant_resource, "no report-only policy awaits a decision")
        return
    for p in sorted(pending, key=lambda p: (p.display_name or "", p.id)):
        since = p.modified_date_time or p.created_date_time
        if since is None:
            yield Outcome("warn", policy_resource(p), "report-only; neither modifiedDateTime nor createdDateTime "
                          "is known, so its age cannot be told")
            continue
        age = ctx.now - since
        words = f"report-only since {since.isoformat()} ({age.days} days before {ctx.now.isoformat()})"
        if age > timedelta(days=days):
            yield Outcome("warn", policy_resource(p), f"{words}: older than {days} days without a decision",
                          "Review its report-only results (ztconsole impact --policy ID), then enable or delete it.")
        else:
            yield Outcome("pass", policy_resource(p), f"{words}: within the {days}-day bake period")


# --- ZT-CA-007 ------------------------------------------------------------------------------------------------


def _role_lookups(tenant: Tenant) -> tuple[Callable[[str], str], Callable[[str], bool]]:
    """``template(role id)``: a role definition's template id (built-in roles are known by it);
    ``privileged(role id)``: whether the role is privileged (flagged so, or one of the privileged templates)."""
    defs = tenant.role_definitions_by_id

    def template(rid: str) -> str:
        r = defs.get(rid)
        return (r.template_id or r.id) if r is not None else rid

    def privileged(rid: str) -> bool:
        r = defs.get(rid)
        return (r is not None and r.privileged) or template(rid) in PRIVILEGED_ROLE_TEMPLATES

    return template, privileged


def ca007(ctx: CheckContext) -> Iterator[Outcome]:
    tenant = ctx.tenant
    template, privileged = _role_lookups(tenant)

    role_ids = [a.role_definition_id for a in tenant.role_assignments]
    role_ids += [e.role_definition_id for e in tenant.role_eligibility]
    held = {template(r) for r in role_ids if r and privileged(r)} | {GLOBAL_ADMINISTRATOR}
    strong = phishing_resistant_strengths(ctx)
    enforcing = []
    for p in tenant.ca_policies:
        rules = rules_of(p)
        reqs = requirements(p)
        if (p.state == ENABLED and rules is not None and reqs and demands_only_phishing_resistant(reqs, strong)
                and not all_resources_problems(rules, ctx) and not narrowing(rules)):
            enforcing.append((p, rules))
    lines: list[str] = []
    uncovered = []
    for role in sorted(held, key=lambda r: ctx.ca.role_names.get(r, r)):
        holder = UserFacts(id="role-holder", roles={role: None})  # anyone holding the role, in no group
        by = [p for p, rules in enforcing if rules.users.holds(user_keys(holder))]
        name = ctx.ca.role_names.get(role, role)
        if by:
            lines.append(f"{name}: {', '.join(policy_label(p) for p in by)}")
        else:
            uncovered.append(name)
    if uncovered:
        text = [f"no enabled policy requires a phishing-resistant authentication strength on all resources for: "
                f"{', '.join(uncovered)}", *lines]
        yield Outcome("fail", ctx.tenant_resource, "\n".join(text))
    else:
        yield Outcome("pass", ctx.tenant_resource, "phishing-resistant strength required for every privileged role "
                      "held in the tenant:\n" + "\n".join(lines))


# --- ZT-CA-008 ------------------------------------------------------------------------------------------------


def ca008(ctx: CheckContext) -> Iterator[Outcome]:
    def shaped(p: ConditionalAccessPolicy, rules: PolicyConditions) -> bool:
        return not rules.auth_flows.free and rules.auth_flows.holds("deviceCodeFlow")

    def judge(p: ConditionalAccessPolicy, rules: PolicyConditions) -> list[str]:
        problems = [] if p.blocks else ["it does not block the flow"]
        if EVERYONE not in rules.users.sides.include[0]:
            problems.append("it does not include All users")
        return [*problems, *all_resources_problems(rules, ctx)]

    met, notes = _candidates(ctx, shaped, judge)
    for p in met:  # restricted: the exceptions it makes are named, not judged (Learn: allow known exceptions)
        rules = rules_of(p)
        left = [u for u in excluded_users(rules, ctx) if u not in ctx.break_glass_ids] if rules else []
        if left:
            shown = ", ".join(sorted(user_ref(ctx, u) for u in left)[:5])
            notes.append(f"{policy_label(p)} excepts {len(left)} user(s) besides emergency access accounts: {shown}")
    yield _verdict(ctx, met, notes, "Device code flow blocked for all users (exceptions allowed)",
                   _example(ctx, "--app", ALL))


# --- ZT-CA-009 ------------------------------------------------------------------------------------------------

_SPECIAL_USERS = {ALL, NONE, GUESTS_OR_EXTERNAL_USERS}
_SPECIAL_APPS = {ALL.lower(), NONE.lower(), OFFICE_365.lower(), MICROSOFT_ADMIN_PORTALS.lower()}
_SPECIAL_LOCATIONS = {LOCATION_ALL, LOCATION_ALL_TRUSTED, LOCATION_COMPLIANT_NETWORK, LOCATION_MFA_TRUSTED_IPS}


def ca009(ctx: CheckContext) -> Iterator[Outcome]:
    tenant = ctx.tenant
    policies = sorted(tenant.ca_policies, key=lambda p: (p.display_name or "", p.id))
    if not policies:
        yield Outcome("skip", ctx.tenant_resource, "no Conditional Access policy to judge")
        return
    apps = {a.lower() for a in tenant.service_principals_by_app_id} | set(ca_catalog.WELL_KNOWN_APPS)
    for p in policies:
        cond = p.conditions
        missing: list[str] = []
        if cond is not None and cond.users is not None:
            u = cond.users
            missing += [f"user {x}" for x in (*u.include_users, *u.exclude_users)
                        if x not in _SPECIAL_USERS and tenant.users_by_id.get(x) is None]
            missing += [f"group {x}" for x in (*u.include_groups, *u.exclude_groups) if x not in tenant.groups_by_id]
            missing += [f"role {x}" for x in (*u.include_roles, *u.exclude_roles)
                        if x not in tenant.role_definitions_by_id]
        if cond is not None and cond.applications is not None:
            a = cond.applications
            missing += [f"application {x}" for x in (*a.include_applications, *a.exclude_applications)
                        if x.lower() not in _SPECIAL_APPS and x.lower() not in apps]
        if cond is not None and cond.locations is not None:
            loc = cond.locations
            missing += [f"named location {x}" for x in (*loc.include_locations, *loc.exclude_locations)
                        if x not in _SPECIAL_LOCATIONS and x not in tenant.named_locations_by_id]
        if missing:
            yield Outcome("fail", policy_resource(p), f"references objects that do not exist: {', '.join(missing)}",
                          "Remove the references to deleted objects (an exclusion of a deleted group protects "
                          "no one; a deleted included group narrows the policy silently).")
        else:
            yield Outcome("pass", policy_resource(p), "every user, group, role, application and named location it "
                          "references exists")


# --- ZT-CA-010 ------------------------------------------------------------------------------------------------


def ca010(ctx: CheckContext) -> Iterator[Outcome]:
    from ztconsole.engine.gaps import find_gaps

    report = find_gaps(ctx.tenant, break_glass=ctx.extra_break_glass, ctx=ctx.ca)
    gaps_cmd = whatif_command(ctx).replace(" whatif", " gaps", 1)
    if not report.gaps:
        yield Outcome("pass", ctx.tenant_resource,
                      f"no uncovered class of sign-ins ({report.users_considered} users, {len(report.policies)} "
                      f"covering policies)\nreproduce: {gaps_cmd}")
        return
    lines = [f"{len(report.gaps)} uncovered class(es) of sign-ins (no enabled policy blocks them or requires MFA "
             f"or an authentication strength); reproduce: {gaps_cmd}"]
    for gap in report.gaps:
        lines.append(f"- {gap.text}")
        lines.append(f"reproduce: {whatif_command(ctx, *gap.example.argv())}")
    yield Outcome("fail", ctx.tenant_resource, "\n".join(lines))


# --- ZT-CA-011 ------------------------------------------------------------------------------------------------


def ca011(ctx: CheckContext) -> Iterator[Outcome]:
    tenant = ctx.tenant
    template, privileged = _role_lookups(tenant)

    def name(rid: str) -> str:
        return ctx.ca.role_names.get(template(rid), template(rid))

    eligible: dict[str, set[str]] = {}
    for e in tenant.role_eligibility:
        if e.principal_id and e.role_definition_id and privileged(e.role_definition_id):
            eligible.setdefault(e.principal_id, set()).add(template(e.role_definition_id))
    active: dict[str, set[str]] = {}
    for a in tenant.role_assignments:
        if a.principal_id and a.role_definition_id and privileged(a.role_definition_id):
            active.setdefault(a.principal_id, set()).add(template(a.role_definition_id))
    holders = sorted(set(eligible) | set(active))
    if not holders:
        yield Outcome("pass", ctx.tenant_resource, "no privileged directory role is assigned")
        return
    for pid in holders:
        user = tenant.users_by_id.get(pid)
        group = tenant.groups_by_id.get(pid)
        sp = tenant.service_principals_by_id.get(pid)
        if user is not None:
            res_type, res_name = "user", user.user_principal_name or user.display_name or pid
        elif group is not None:
            res_type, res_name = "group", group.display_name or pid
        elif sp is not None:
            res_type, res_name = "servicePrincipal", sp.display_name or pid
        else:
            res_type, res_name = "directoryObject", pid
        resource = Resource(res_type, pid, res_name)
        # an active assignment of a role the holder is also eligible for is a PIM activation, not permanent
        permanent = sorted(active.get(pid, set()) - eligible.get(pid, set()))
        elig = sorted(eligible.get(pid, set()))
        elig_words = f"eligible (PIM): {', '.join(ctx.ca.role_names.get(r, r) for r in elig)}" if elig else ""
        if not permanent:
            yield Outcome("pass", resource, elig_words or "privileged roles held only as eligible assignments")
        elif pid in ctx.break_glass_ids:
            yield Outcome("pass", resource, "declared emergency access account: permanent "
                          f"{', '.join(name(r) for r in permanent)} by design")
        elif sp is not None:
            yield Outcome("warn", resource, f"service principal with permanent privileged role(s): "
                          f"{', '.join(name(r) for r in permanent)}; PIM cannot make a service principal eligible",
                          "Review whether the application needs the role; grant narrower application permissions.")
        else:
            words = f"permanent (active) privileged role(s): {', '.join(name(r) for r in permanent)}"
            yield Outcome("fail", resource, "; ".join(w for w in (words, elig_words) if w),
                          "Convert the permanent assignments to eligible ones in Privileged Identity Management.")
