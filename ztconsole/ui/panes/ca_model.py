"""What the Conditional Access pane shows, worked out from a loaded tenant off the event loop.

:class:`CaModel` is built once per loaded tenant in a daemon thread (:meth:`CaModel.build`): the evaluator's
:class:`~ztconsole.engine.whatif.Context` (users with their transitive groups and roles: seconds on a large
tenant), the names every id of a policy resolves to (:class:`Names`), and each policy's one-line summary
(:class:`PolicySummary`: targets, grant, session controls and CAE mode, age). The pane, the details, the
What If form, the gaps and the impact dialogs all read it; nothing here decides a Conditional Access
condition: that is the engine's (what-if, gaps and impact call it with ``ctx``).

Every string here may come from the tenant: it is plain text, shown by the pane through
:func:`ztconsole.ui.safe.text` or the table's cleaning, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ztconsole.engine.checks.base import Finding
    from ztconsole.engine.whatif import Context
    from ztconsole.model.ca import (
        ConditionalAccessApplications,
        ConditionalAccessGrantControls,
        ConditionalAccessPolicy,
        ConditionalAccessSessionControls,
        ConditionalAccessUsers,
    )
    from ztconsole.model.tenant import Tenant

__all__ = ["CaModel", "Names", "PolicySummary", "STATE_WORDS", "age_text", "findings_by_policy", "grant_text",
           "session_words", "session_text", "worst_finding"]

STATE_WORDS = {"enabled": "enabled", "enabledForReportingButNotEnforced": "report-only", "disabled": "disabled"}
"""Graph's policy states as the list shows them (an unknown state is shown as Graph spells it)."""


_CONTROL_WORDS = {
    "block": "block", "mfa": "MFA", "compliantDevice": "compliant device", "domainJoinedDevice": "hybrid joined",
    "approvedApplication": "approved app", "compliantApplication": "app protection",
    "passwordChange": "password change", "riskRemediation": "risk remediation",
}
_SHORT_WORDS = {"compliant device": "compliant", "hybrid joined": "hybrid", "password change": "password"}
_STATUS_RANK = {"fail": 0, "error": 1, "warn": 2, "pass": 3, "skip": 4}
_SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
_CAE_WORDS = {"disabled": "CAE off", "strictLocation": "CAE strict location", "strictEnforcement": "CAE strict"}


def age_text(when: datetime | None, now: datetime) -> str:
    """How long ago ``when`` was, shortly: ``5d``, ``3mo``, ``2y`` ("" when unknown)."""
    if when is None:
        return ""
    days = max(0, (now - when).days)
    if days < 60:
        return f"{days}d"
    if days < 730:
        return f"{days // 30}mo"
    return f"{days // 365}y"


def worst_finding(findings: Iterable[Finding]) -> Finding | None:
    """The finding an admin must see first: fail before error, warn, pass and skip; then by severity."""
    return min(findings, key=lambda f: (_STATUS_RANK.get(f.status, 5), _SEVERITY_RANK.get(f.severity, 5), f.check),
               default=None)


class Names:
    """The names of the ids a policy holds: users, groups, roles, apps, named locations, strengths."""

    def __init__(self, tenant: Tenant, ctx: Context) -> None:
        self.ctx = ctx
        self._users = tenant.users_by_id
        self.strengths = {s.id: s.display_name or s.id for s in tenant.auth_strengths}

    def user(self, uid: str) -> str:
        user = self._users.get(uid)
        if user is None:
            return f"{uid} (not in the directory)"
        name, upn = user.display_name, user.user_principal_name
        if name and upn:
            return f"{name} ({upn})"
        return name or upn or uid

    def group(self, gid: str) -> str:
        name = self.ctx.group_names.get(gid)
        return name if name is not None else f"{gid} (not in the directory)"

    def role(self, template: str) -> str:
        return self.ctx.role_names.get(template, f"{template} (unknown role)")

    def app(self, app: str) -> str:
        from ztconsole.engine import ca_catalog

        if app == "All":
            return "All resources"
        if app == "None":
            return "None"
        if app in ca_catalog.APP_GROUP_NAMES:
            return ca_catalog.APP_GROUP_NAMES[app]
        name = self.ctx.app_names.get(app.lower())
        return f"{name} ({app})" if name and name != app else f"{app} (no service principal)"

    def app_short(self, app: str) -> str:
        from ztconsole.engine import ca_catalog

        if app in ("All", "None"):
            return app
        if app in ca_catalog.APP_GROUP_NAMES:
            return ca_catalog.APP_GROUP_NAMES[app]
        return self.ctx.app_names.get(app.lower(), app)

    def location(self, loc: str) -> str:
        from ztconsole.model.ca import (
            LOCATION_ALL,
            LOCATION_ALL_TRUSTED,
            LOCATION_COMPLIANT_NETWORK,
            LOCATION_MFA_TRUSTED_IPS,
        )

        if loc == LOCATION_ALL:
            return "Any location"
        if loc == LOCATION_ALL_TRUSTED:
            return "All trusted locations"
        if loc == LOCATION_MFA_TRUSTED_IPS:
            return "MFA trusted IPs"
        facts = self.ctx.locations.get(loc)
        if facts is not None:
            kind = {"ip": "IP ranges", "country": "countries", "compliantNetwork": "compliant network"}.get(
                facts.kind, facts.kind)
            trusted = ", trusted" if facts.trusted else ""
            return f"{facts.name} ({kind}{trusted})"
        if loc == LOCATION_COMPLIANT_NETWORK:
            return "All Compliant Network locations"
        return f"{loc} (no such named location)"

    def strength(self, sid: str, embedded: str | None = None) -> str:
        return self.strengths.get(sid) or embedded or sid

    def control(self, name: str, grant: ConditionalAccessGrantControls | None = None) -> str:
        """One grant control (CONTRACTS §3 name) in words."""
        kind, _, value = name.partition(":")
        if kind == "authenticationStrength":
            embedded = grant.authentication_strength.display_name if grant and grant.authentication_strength else None
            return f"strength: {self.strength(value, embedded)}"
        if kind == "termsOfUse":
            return f"terms of use {value}"
        if kind == "customControl":
            return f"custom control {value}"
        return _CONTROL_WORDS.get(name, name)


@dataclass(frozen=True)
class PolicySummary:
    """One policy as a row of the list shows it (plain text; the pane colours it)."""

    id: str
    name: str
    state: str  # Graph's value ("" when absent)
    users: str
    apps: str
    grant: str
    blocks: bool
    session: str
    age: str
    modified: datetime | None


def _users_short(users: ConditionalAccessUsers | None, names: Names) -> str:
    if users is None:
        return "none"
    inc: list[str] = []
    if "All" in users.include_users:
        inc.append("All")
    elif "None" in users.include_users:
        inc.append("None")
    ids = [u for u in users.include_users if u not in ("All", "None", "GuestsOrExternalUsers")]
    if "GuestsOrExternalUsers" in users.include_users or users.include_guests_or_external_users is not None:
        inc.append("guests")
    for values, one, word, name in ((ids, "user", "users", names.user), (users.include_groups, "group", "groups",
                                    names.group), (users.include_roles, "role", "roles", names.role)):
        if len(values) == 1 and len(ids) + len(users.include_groups) + len(users.include_roles) == 1:
            inc.append(name(values[0]).split(" (")[0])
        elif values:
            inc.append(f"{len(values)} {word if len(values) > 1 else one}")
    excluded = (len(users.exclude_users) + len(users.exclude_groups) + len(users.exclude_roles)
                + (1 if users.exclude_guests_or_external_users is not None else 0))
    text = ", ".join(inc) or "none"
    return f"{text} -{excluded}" if excluded else text


def _apps_short(apps: ConditionalAccessApplications | None, names: Names) -> str:
    if apps is None:
        return "none"
    from ztconsole.engine.ca.scenario import USER_ACTION_NAMES

    if apps.include_user_actions:
        return ", ".join(USER_ACTION_NAMES.get(a, a) for a in apps.include_user_actions)
    if apps.include_authentication_context_class_references:
        return "auth context " + ", ".join(apps.include_authentication_context_class_references)
    inc = list(apps.include_applications)
    if len(inc) == 1:
        text = names.app_short(inc[0])
    elif inc:
        text = f"{len(inc)} apps"
    elif apps.global_secure_access is not None or apps.network_access is not None:
        text = "GSA traffic"
    else:
        text = "none"
    if apps.exclude_applications:
        text += f" -{len(apps.exclude_applications)}"
    return text


def grant_text(grant: ConditionalAccessGrantControls | None, names: Names, *, short: bool = True) -> str:
    """The grant controls: ``block``, ``MFA``, ``MFA AND compliant device``, ``compliant device OR hybrid
    joined``; "" when the policy grants nothing of its own (session controls only)."""
    if grant is None:
        return ""
    if grant.blocks:
        return "block"
    controls = [n for n in grant.control_names if n != "unknownFutureValue"]
    if not controls:
        return ""
    words = [names.control(c, grant) for c in controls]
    if short:
        words = [_SHORT_WORDS.get(w, w.removeprefix("strength: ")) for w in words]
    joiner = " OR " if grant.operator == "OR" else " AND "
    return joiner.join(words)


def session_text(sc: ConditionalAccessSessionControls | None) -> str:
    """A policy's session controls and CAE mode, shortly: ``SIF 4h, no persist, CAE off``."""
    if sc is None:
        return ""
    from ztconsole.engine.whatif import policy_session

    return session_words(policy_session(sc))


def session_words(session: Mapping[str, Any]) -> str:
    """Session controls in the shape of CONTRACTS §3 ``session`` (one policy's, or the combination of the
    applied ones), shortly ("" for none)."""
    parts = []
    sif = session.get("signInFrequency")
    if sif is not None:
        if sif.get("frequencyInterval") == "everyTime":
            parts.append("SIF every time")
        else:
            unit = "d" if sif.get("type") == "days" else "h"
            parts.append(f"SIF {sif.get('value')}{unit}")
    pb = session.get("persistentBrowser")
    if pb is not None:
        parts.append("persist" if pb == "always" else "no persist")
    if session.get("applicationEnforcedRestrictions"):
        parts.append("app enforced")
    for mode in session.get("cloudAppSecurity", ()):
        parts.append(f"MDCA {mode}")
    if session.get("disableResilienceDefaults"):
        parts.append("no resilience")
    if session.get("secureSignInSession"):
        parts.append("token protection")
    if session.get("globalSecureAccessFilteringProfile"):
        parts.append("GSA filtering")
    cae = session.get("continuousAccessEvaluation")
    if cae is not None:
        parts.append(_CAE_WORDS.get(cae, f"CAE {cae}"))
    return ", ".join(parts)


def summarise(policy: ConditionalAccessPolicy, names: Names, now: datetime) -> PolicySummary:
    cond = policy.conditions
    modified = policy.modified_date_time or policy.created_date_time
    return PolicySummary(
        id=policy.id, name=policy.display_name or policy.id, state=policy.state or "",
        users=_users_short(cond.users if cond else None, names),
        apps=_apps_short(cond.applications if cond else None, names),
        grant=grant_text(policy.grant_controls, names), blocks=policy.blocks,
        session=session_text(policy.session_controls), age=age_text(modified, now), modified=modified)


@dataclass(frozen=True)
class CaModel:
    """Everything the pane shows of one loaded tenant (built by :meth:`build`, in a thread)."""

    tenant: Tenant
    ctx: Context
    names: Names
    now: datetime
    summaries: tuple[PolicySummary, ...]  # in the order the list shows them
    policies: Mapping[str, ConditionalAccessPolicy]

    @classmethod
    def build(cls, tenant: Tenant, *, break_glass: Sequence[str] = (), now: datetime | None = None) -> CaModel:
        """``now``: what a policy's age is measured against (default: the tenant's capture time for a
        recording, else the clock, as the checks measure it)."""
        from ztconsole.engine.whatif import Context
        from ztconsole.gcpause import gc_paused

        with gc_paused():
            ctx = Context.from_tenant(tenant, break_glass=tuple(break_glass))
        names = Names(tenant, ctx)
        when = now or tenant.info.captured_at or datetime.now(UTC)
        policies = sorted(tenant.ca_policies, key=lambda p: ((p.display_name or "").lower(), p.id))
        summaries = tuple(summarise(p, names, when) for p in policies)
        return cls(tenant, ctx, names, when, summaries, {p.id: p for p in policies})

    def policy(self, pid: str) -> ConditionalAccessPolicy | None:
        return self.policies.get(pid)

    def first_user(self, policy: ConditionalAccessPolicy | None) -> str:
        """A user the policy targets, to start a What If with: its first included user, else a member of
        its first included group, else the first user of the tenant ("" when it has none). The UPN when it
        is printable, else the object id."""
        from ztconsole.safetext import clean

        ctx = self.ctx
        uid: str | None = None
        users = policy.conditions.users if policy is not None and policy.conditions is not None else None
        excluded: set[str] = set()
        if users is not None:
            excluded = set(users.exclude_users)
            out_groups = set(users.exclude_groups)
            uid = next((u for u in users.include_users if u in ctx.users and u not in excluded), None)
            if uid is None and users.include_groups:
                gid = users.include_groups[0]
                uid = next((u.id for u in ctx.users.values() if gid in u.groups and u.id not in excluded
                            and out_groups.isdisjoint(u.groups)), None)
            if uid is None:  # All users, or a group without members: someone it does not exclude
                uid = next((u.id for u in ctx.users.values() if not u.break_glass and u.id not in excluded
                            and out_groups.isdisjoint(u.groups)), None)
        if uid is None:
            uid = next((u.id for u in ctx.users.values() if not u.break_glass), next(iter(ctx.users), None))
        if uid is None:
            return ""
        upn = ctx.users[uid].user_principal_name
        return upn if upn and clean(upn) == upn and " " not in upn else uid

    def first_target(self, policy: ConditionalAccessPolicy | None) -> dict[str, str]:
        """What the policy targets, as the What If form's fields, to start a What If with: its first user
        action, else its first authentication context, else its first app (``All`` when it names none)."""
        from ztconsole.engine.ca.scenario import USER_ACTIONS

        apps = policy.conditions.applications if policy is not None and policy.conditions is not None else None
        if apps is not None:
            by_urn = {urn.lower(): name for name, urn in USER_ACTIONS.items()}
            action = next((by_urn[a.lower()] for a in apps.include_user_actions if a.lower() in by_urn), None)
            if action is not None:
                return {"user-action": action}
            if apps.include_authentication_context_class_references:
                return {"auth-context": apps.include_authentication_context_class_references[0]}
            if apps.include_applications and apps.include_applications[0] != "None":
                return {"app": apps.include_applications[0]}
        return {"app": "All"}


def findings_by_policy(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """The Conditional Access (and CAE) findings by the id (lower case) of the resource they judged, worst
    first: one pass over every finding (a large tenant has tens of thousands), done once per assessment."""
    out: dict[str, list[Finding]] = {}
    for f in findings:
        if f.check.startswith(("ZT-CA-", "ZT-CAE-")):
            out.setdefault(f.resource.id.lower(), []).append(f)
    for found in out.values():
        found.sort(key=lambda f: (_STATUS_RANK.get(f.status, 5), _SEVERITY_RANK.get(f.severity, 5), f.check))
    return out
