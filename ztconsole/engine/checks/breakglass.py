"""ZT-BG-001..008: the emergency access (break-glass) accounts (CONTRACTS §6).

Microsoft Learn, "Manage emergency access admin accounts in Microsoft Entra ID": at least two accounts,
cloud-only on the ``*.onmicrosoft.com`` domain, Global Administrator assigned permanently (active, not
eligible), phishing-resistant credentials (passkey/FIDO2 or certificate), excluded from Conditional Access
policies that could lock them out, their sign-ins monitored, and validated regularly (at least every 90
days) rather than used day to day.

The declared accounts come from ``tenant.toml`` ``[break_glass]`` and the config file
(:attr:`CheckContext.declared_break_glass`). ZT-BG-005 and ZT-BG-008 ask the compiled evaluator about every
application class, client app type and platform at once, and explain each lock-out found with the
reference evaluator and the ``ztconsole whatif`` command line that shows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

from ztconsole.engine.ca.evaluation import what_if
from ztconsole.engine.ca.scenario import CLIENT_APPS, GUID, PLATFORMS, Scenario
from ztconsole.engine.checks.base import CheckContext, Outcome, Resource, whatif_command
from ztconsole.engine.checks.policies import (
    demands_only_phishing_resistant,
    phishing_resistant_strengths,
    policy_label,
    requirements,
)
from ztconsole.model.ca import ALL, AZURE_MANAGEMENT_APP_ID, MICROSOFT_ADMIN_PORTALS, OFFICE_365
from ztconsole.model.directory import GLOBAL_ADMINISTRATOR, User

__all__ = ["bg001", "bg002", "bg003", "bg004", "bg005", "bg006", "bg007", "bg008", "account_resource",
           "locking_policies", "lockouts"]

_ONMICROSOFT = re.compile(r"@[a-z0-9-]+(\.[a-z0-9-]+)*\.onmicrosoft\.com$", re.IGNORECASE)
#: the apps every lock-out sweep tries besides those the policies name
_APP_CLASSES = (ALL, OFFICE_365, MICROSOFT_ADMIN_PORTALS, AZURE_MANAGEMENT_APP_ID)


def account_resource(u: User) -> Resource:
    return Resource("user", u.id, u.user_principal_name or u.display_name or u.id)


def _none_declared(ctx: CheckContext) -> Outcome:
    return Outcome("skip", ctx.tenant_resource,
                   "no declared emergency access account exists in the directory (ZT-BG-001 says why)",
                   "Declare the emergency access accounts in tenant.toml [break_glass] or the config file.")


def _accounts(ctx: CheckContext) -> Iterator[User]:
    yield from sorted(ctx.break_glass_users, key=lambda u: ((u.user_principal_name or u.id).lower(), u.id))


def bg001(ctx: CheckContext) -> Iterator[Outcome]:
    declared = ctx.declared_break_glass
    found = {ref: ctx.tenant.find_user(ref) for ref in declared}
    missing = [ref for ref, u in found.items() if u is None]
    existing = ctx.break_glass_users
    names = ", ".join(u.user_principal_name or u.id for u in existing) or "none"
    if not declared:
        yield Outcome("fail", ctx.tenant_resource, "no emergency access account is declared",
                      "Create two cloud-only emergency access accounts and declare them in tenant.toml "
                      "[break_glass] accounts or the config file's [break_glass] accounts.")
        return
    if missing or len(existing) < 2:
        why = [f"{len(declared)} declared, {len(existing)} exist ({names})"]
        if missing:
            why.append(f"not in the directory: {', '.join(missing)}")
        if len(existing) < 2:
            why.append("Microsoft recommends at least two")
        yield Outcome("fail", ctx.tenant_resource, "; ".join(why))
        return
    yield Outcome("pass", ctx.tenant_resource,
                  f"{len(existing)} emergency access accounts declared and present: {names}")


def bg002(ctx: CheckContext) -> Iterator[Outcome]:
    if not ctx.break_glass_users:
        yield _none_declared(ctx)
        return
    for u in _accounts(ctx):
        upn = u.user_principal_name or ""
        problems = []
        if not u.is_cloud_only:
            problems.append("synchronised from on-premises (onPremisesSyncEnabled true)")
        if not _ONMICROSOFT.search(upn):
            problems.append(f"UPN {upn or '(none)'} is not on an *.onmicrosoft.com domain")
        if problems:
            yield Outcome("fail", account_resource(u), "; ".join(problems))
        else:
            yield Outcome("pass", account_resource(u), f"cloud-only, UPN {upn} on an *.onmicrosoft.com domain")


def bg003(ctx: CheckContext) -> Iterator[Outcome]:
    if not ctx.break_glass_users:
        yield _none_declared(ctx)
        return
    for u in _accounts(ctx):
        if u.account_enabled is True:
            yield Outcome("pass", account_resource(u), "accountEnabled is true")
        elif u.account_enabled is False:
            yield Outcome("fail", account_resource(u), "accountEnabled is false: the account cannot sign in")
        else:
            yield Outcome("warn", account_resource(u), "accountEnabled was not reported for the account")


def _template(ctx: CheckContext, role_definition_id: str) -> str:
    r = ctx.tenant.role_definitions_by_id.get(role_definition_id)
    return (r.template_id or r.id) if r is not None else role_definition_id


def bg004(ctx: CheckContext) -> Iterator[Outcome]:
    if not ctx.break_glass_users:
        yield _none_declared(ctx)
        return
    tenant = ctx.tenant
    for u in _accounts(ctx):
        groups = tenant.transitive_groups(u.id)
        direct = via_group = False
        for a in tenant.role_assignments:
            if (a.role_definition_id and _template(ctx, a.role_definition_id) == GLOBAL_ADMINISTRATOR
                    and a.directory_scope_id in ("/", None)):
                if a.principal_id == u.id:
                    direct = True
                elif a.principal_id in groups:
                    via_group = True
        eligible = any(e.principal_id == u.id and e.role_definition_id
                       and _template(ctx, e.role_definition_id) == GLOBAL_ADMINISTRATOR
                       for e in tenant.role_eligibility)
        if direct:
            yield Outcome("pass", account_resource(u), "Global Administrator: active assignment, tenant-wide")
        elif via_group:
            yield Outcome("pass", account_resource(u),
                          "Global Administrator: active assignment through a role-assignable group")
        else:
            why = ("Global Administrator is only eligible (PIM): activation may be impossible in an emergency"
                   if eligible else "no Global Administrator assignment")
            yield Outcome("fail", account_resource(u), why,
                          "Assign Global Administrator to the account as an active, permanent assignment.")


def bg006(ctx: CheckContext) -> Iterator[Outcome]:
    if not ctx.break_glass_users:
        yield _none_declared(ctx)
        return
    tenant = ctx.tenant
    registrations = ({r.id: r for r in tenant.registration_details}
                     if tenant.status("registration_details") == "ok" else {})
    for u in _accounts(ctx):
        methods = tenant.auth_methods.get(u.id, ())
        kinds = sorted({m.method_kind for m in methods})
        strong = sorted({m.method_kind for m in methods if m.phishing_resistant})
        reg = registrations.get(u.id)
        if strong:
            yield Outcome("pass", account_resource(u), f"phishing-resistant method(s) registered: {', '.join(strong)}")
        elif reg is not None and reg.has_phishing_resistant:
            yield Outcome("pass", account_resource(u), "registration report lists a phishing-resistant method: "
                          f"{', '.join(reg.methods_registered)}")
        else:
            yield Outcome("fail", account_resource(u),
                          f"no phishing-resistant method registered; methods: {', '.join(kinds) or 'none'}",
                          "Register at least one FIDO2 security key or passkey (or a certificate) for the account.")


def bg007(ctx: CheckContext) -> Iterator[Outcome]:
    if not ctx.break_glass_users:
        yield _none_declared(ctx)
        return
    days = ctx.settings.break_glass_signin_days
    since = ctx.now - timedelta(days=days)
    for u in _accounts(ctx):
        successes = sorted(s.created_date_time for s in ctx.tenant.sign_ins
                           if s.user_id == u.id and s.succeeded and s.created_date_time is not None)
        activity = u.sign_in_activity.last_successful_sign_in if u.sign_in_activity is not None else None
        last = max([*successes[-1:], *([activity] if activity is not None else [])], default=None)
        if last is None:
            yield Outcome("fail", account_resource(u), "no successful sign-in recorded (sign-in log or signInActivity)",
                          f"Validate the account: sign in with it at least every {days} days and record it.")
            continue
        age = (ctx.now - last).days
        if last < since:
            yield Outcome("fail", account_resource(u),
                          f"last successful sign-in {last.isoformat()} ({age} days ago), more than {days} days",
                          f"Validate the account: sign in with it at least every {days} days and record it.")
            continue
        used_on = {t.date() for t in successes if t >= since}
        if len(used_on) > ctx.settings.break_glass_routine_days:
            yield Outcome("warn", account_resource(u),
                          f"successful sign-ins on {len(used_on)} different days in the last {days} days: used "
                          "routinely, not only to validate it",
                          "Use a named admin account for daily work; keep emergency accounts for emergencies.")
            continue
        yield Outcome("pass", account_resource(u),
                      f"last successful sign-in {last.isoformat()} ({age} days ago); sign-ins on {len(used_on)} "
                      f"day(s) in the last {days} days")


# --- lock-out sweeps (ZT-BG-005, ZT-BG-008) ------------------------------------------------------------------


def _apps(ctx: CheckContext) -> list[str]:
    named: set[str] = set()
    for p in ctx.tenant.ca_policies:
        apps = p.conditions.applications if p.conditions is not None else None
        if apps is not None:
            named.update(a.lower() for a in (*apps.include_applications, *apps.exclude_applications) if GUID.match(a))
    return [*_APP_CLASSES, *sorted(named - set(_APP_CLASSES))]


def _argv(s: Scenario) -> list[str]:
    out = ["--user", s.user_id, "--app", s.app or ALL, "--client-app", s.client_app]
    if s.platform is not None:
        out += ["--platform", s.platform]
    return out


def _sweep(ctx: CheckContext, u: User, *, report_only: bool) -> tuple[int, dict[str, Scenario]]:
    """(scenarios tried, policy id -> the first scenario in which it applies to ``u`` and locks it out)."""
    strong = phishing_resistant_strengths(ctx)
    locks = {p.id: p.blocks or not demands_only_phishing_resistant(requirements(p), strong)
             for p in ctx.tenant.ca_policies}
    compiled = ctx.compiled
    who = u.user_principal_name or u.id
    found: dict[str, Scenario] = {}
    tried = 0
    for app in _apps(ctx):
        for client in CLIENT_APPS:
            for platform in (None, *PLATFORMS):
                scenario = Scenario(user_id=u.id, app=app, client_app=client, platform=platform)
                tried += 1
                decision = compiled.decide(scenario)
                for pid in (decision.report_only if report_only else decision.applied):
                    if locks.get(pid) and pid not in found:
                        found[pid] = Scenario(user_id=who, app=app, client_app=client, platform=platform)
    return tried, found


def _lockout(ctx: CheckContext, u: User, pid: str, shown: Scenario) -> str:
    """One lock-out in words, from the reference evaluator, with the command line that shows it."""
    policy = ctx.tenant.ca_policies_by_id[pid]
    scenario = Scenario(user_id=u.id, app=shown.app, client_app=shown.client_app, platform=shown.platform)
    result = next(r for r in what_if([policy], scenario, ctx.ca).policies)
    demand = "blocks" if policy.blocks else "demands " + " AND ".join(
        "(" + " OR ".join(alt) + ")" for alt in requirements(policy))
    where = f"app {shown.app}, client app {shown.client_app}" + (
        f", platform {shown.platform}" if shown.platform else ", platform unknown")
    return (f"policy {policy_label(policy)} {demand} ({where}): {'; '.join(result.reasons)}\n"
            f"reproduce: {whatif_command(ctx, *_argv(shown))}")


def _lockouts(ctx: CheckContext, *, report_only: bool) -> Iterator[Outcome]:
    if not ctx.break_glass_users:
        yield _none_declared(ctx)
        return
    for u in _accounts(ctx):
        tried, found = _sweep(ctx, u, report_only=report_only)
        if found:
            lines = [_lockout(ctx, u, pid, s) for pid, s in sorted(found.items())]
            kind = "report-only" if report_only else "enabled"
            head = (f"{len(found)} {kind} polic{'y' if len(found) == 1 else 'ies'} would lock the account out "
                    f"(block it, or demand anything but a phishing-resistant authentication strength):")
            yield Outcome("warn" if report_only else "fail", account_resource(u), "\n".join([head, *lines]),
                          "Exclude the emergency access accounts (or a group holding only them) from "
                          + ("the report-only policy before it is enforced." if report_only else "the policy."))
        else:
            example = Scenario(user_id=u.user_principal_name or u.id, app=ALL)
            kind = ("no report-only policy would, once enforced, block it or demand" if report_only
                    else "no enabled policy blocks it or demands")
            yield Outcome("pass", account_resource(u),
                          f"{tried} sign-ins (every application class, client app type and platform): {kind} "
                          "anything but a phishing-resistant authentication strength\n"
                          f"reproduce: {whatif_command(ctx, *_argv(example))}")


def lockouts(ctx: CheckContext) -> dict[str, list[str]]:
    """Every lock-out the tenant's *enabled* policies impose on each declared emergency access account that
    exists in the directory: the account's UPN (else id) -> one line per locking policy, in words, with the
    ``ztconsole whatif`` command line that shows it (what ZT-BG-005 reports, and what the break-glass guard
    of a write asks of the policy as the write would leave it)."""
    out: dict[str, list[str]] = {}
    for u in _accounts(ctx):
        _tried, found = _sweep(ctx, u, report_only=False)
        if found:
            out[u.user_principal_name or u.id] = [_lockout(ctx, u, pid, s) for pid, s in sorted(found.items())]
    return out


def locking_policies(ctx: CheckContext) -> dict[str, tuple[str, ...]]:
    """Each enabled policy that locks out a declared emergency access account, by id, with the ids of the
    accounts it locks out (what ZT-BG-005 fails on, as data: the rollout's preflight excludes them)."""
    out: dict[str, list[str]] = {}
    for u in _accounts(ctx):
        _tried, found = _sweep(ctx, u, report_only=False)
        for pid in found:
            out.setdefault(pid, []).append(u.id)
    return {pid: tuple(ids) for pid, ids in sorted(out.items())}


def bg005(ctx: CheckContext) -> Iterator[Outcome]:
    yield from _lockouts(ctx, report_only=False)


def bg008(ctx: CheckContext) -> Iterator[Outcome]:
    yield from _lockouts(ctx, report_only=True)
