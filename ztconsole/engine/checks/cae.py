"""ZT-CAE-001..004: Continuous Access Evaluation (CONTRACTS §6).

Microsoft Learn, "Continuous access evaluation" and "Strict enforcement of location policies": CAE is
customised per Conditional Access policy (``sessionControls.continuousAccessEvaluation``); the legacy tenant
CAE policy (beta ``identity/continuousAccessEvaluationPolicy``) scoped CAE to users and groups until its
settings were migrated into Conditional Access (``migrate``); strict location enforcement is meant for
IP-based named locations (the addresses a resource provider sees); with Private Access, the Global Secure
Access signalling for Conditional Access restores the source IP that location conditions judge.
"""

from __future__ import annotations

from collections.abc import Iterator

from ztconsole.engine.ca.scenario import ENABLED, REPORT_ONLY
from ztconsole.engine.checks.base import CheckContext, Outcome, Resource
from ztconsole.engine.checks.policies import policy_label, policy_resource
from ztconsole.model.ca import LOCATION_ALL, LOCATION_ALL_TRUSTED, LOCATION_MFA_TRUSTED_IPS, IpNamedLocation

__all__ = ["cae001", "cae002", "cae003", "cae004"]


def _mode(p: object) -> str | None:
    sc = getattr(p, "session_controls", None)
    return sc.cae_mode if sc is not None else None


def cae001(ctx: CheckContext) -> Iterator[Outcome]:
    judged = sorted((p for p in ctx.tenant.ca_policies if p.state in (ENABLED, REPORT_ONLY)),
                    key=lambda p: (p.display_name or "", p.id))
    if not judged:
        yield Outcome("pass", ctx.tenant_resource, "no enabled or report-only policy, so none disables CAE")
        return
    for p in judged:
        mode = _mode(p)
        if mode == "disabled":
            yield Outcome("fail", policy_resource(p), f"{policy_label(p)} sets continuousAccessEvaluation.mode = "
                          "disabled: revocation and location changes wait for token expiry",
                          "Remove the 'Disable' continuous access evaluation session control from the policy.")
        else:
            yield Outcome("pass", policy_resource(p),
                          f"continuousAccessEvaluation.mode is {mode or 'not set (default)'}")


def cae002(ctx: CheckContext) -> Iterator[Outcome]:
    policy = ctx.tenant.cae_policy
    res = Resource("continuousAccessEvaluationPolicy", (policy.id if policy and policy.id else "")
                   or "continuousAccessEvaluationPolicy", "Continuous Access Evaluation")
    if policy is None:
        yield Outcome("skip", res, "the tenant CAE policy was not readable")
        return
    if policy.migrate is True:
        yield Outcome("pass", res, "migrated into Conditional Access (migrate true)")
        return
    scoped = [*(f"user {u}" for u in policy.users), *(f"group {g}" for g in policy.groups)]
    if policy.is_enabled is False:
        yield Outcome("fail", res, "the tenant CAE policy switches CAE off (isEnabled false) and is not migrated",
                      "Migrate the CAE settings into Conditional Access (Entra admin center, Continuous access "
                      "evaluation, Migrate) and keep CAE on.")
    elif scoped:
        names = [f"group {ctx.tenant.groups_by_id[g].display_name or g}" if g in ctx.tenant.groups_by_id
                 else f"group {g}" for g in policy.groups] + [f"user {u}" for u in policy.users]
        yield Outcome("fail", res, f"the tenant CAE policy applies only to {', '.join(names)}: CAE is off for "
                      "everyone else, and it is not migrated",
                      "Migrate the CAE settings into Conditional Access and keep CAE on for all users.")
    else:
        yield Outcome("pass", res, "the tenant CAE policy applies to all users and groups (not migrated)")


def cae003(ctx: CheckContext) -> Iterator[Outcome]:
    strict = sorted((p for p in ctx.tenant.ca_policies if _mode(p) == "strictLocation"),
                    key=lambda p: (p.display_name or "", p.id))
    if not strict:
        yield Outcome("pass", ctx.tenant_resource, "no policy uses strict location enforcement")
        return
    by_id = ctx.tenant.named_locations_by_id
    for p in strict:
        locs = p.conditions.locations if p.conditions is not None else None
        ids = (*locs.include_locations, *locs.exclude_locations) if locs is not None else ()
        named = [i for i in ids if i not in (LOCATION_ALL,)]
        if not named:
            yield Outcome("fail", policy_resource(p), "strict location enforcement without a location condition "
                          "naming IP-based locations",
                          "Use strict location enforcement only on policies whose location conditions name IP "
                          "named locations.")
            continue
        bad = []
        for i in named:
            if i in (LOCATION_ALL_TRUSTED, LOCATION_MFA_TRUSTED_IPS):
                continue
            loc = by_id.get(i)
            if not isinstance(loc, IpNamedLocation):
                kind = "unknown location" if loc is None else type(loc).__name__
                bad.append(f"{(loc.display_name if loc is not None else None) or i} ({kind})")
        if bad:
            yield Outcome("fail", policy_resource(p), "strict location enforcement on location conditions that are "
                          f"not IP-based: {', '.join(bad)}",
                          "Use IP named locations in the policy, or turn strict location enforcement off.")
        else:
            yield Outcome("pass", policy_resource(p), "strict location enforcement on IP-based named locations only")


def cae004(ctx: CheckContext) -> Iterator[Outcome]:
    tenant = ctx.tenant
    apps = [a for a in tenant.applications if a.is_private_access]
    profiles = ([f for f in tenant.forwarding_profiles if f.traffic_forwarding_type == "private" and f.is_enabled]
                if tenant.status("forwarding_profiles") == "ok" else [])
    if not apps and not profiles:
        yield Outcome("skip", ctx.tenant_resource, "Private Access is not in use (no Private Access application or "
                      "enabled Private Access forwarding profile)")
        return
    settings = tenant.gsa_ca_settings
    res = Resource("networkAccessConditionalAccessSettings", (settings.id if settings and settings.id else "")
                   or "conditionalAccess", "Global Secure Access signalling for Conditional Access")
    used = f"{len(apps)} Private Access application(s)" + (", Private Access forwarding enabled" if profiles else "")
    if settings is None:
        yield Outcome("skip", res, f"Private Access in use ({used}) but the signalling setting was not readable")
    elif settings.is_enabled:
        yield Outcome("pass", res, f"signalling enabled; Private Access in use ({used})")
    else:
        yield Outcome("fail", res, f"signalling is {settings.signaling_status or 'not set'} while Private Access is in "
                      f"use ({used}): policies see the Global Secure Access egress, not the user's source IP",
                      "Enable Global Secure Access signalling for Conditional Access (source IP restoration).")
