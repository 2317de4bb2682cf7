"""What enforcing one policy would do to the sign-ins in the log (``ztconsole impact``).

Every sign-in of the log (optionally only those of the last ``days``) is turned into a What If
:class:`~ztconsole.engine.whatif.Scenario` and the policy, taken as if it were enforced (a report-only or
disabled policy, or a draft that is not in the tenant), is judged against it by the reference evaluator.

Mapping a sign-in (Graph ``signIn``) to a scenario:

* user: ``userId``; application: the resource the token is for (``resourceId``), else ``appId``;
* client app type from ``clientAppUsed``: ``Browser`` and ``Mobile Apps and Desktop clients`` are the modern
  clients; ``Exchange ActiveSync`` is ``exchangeActiveSync``; every other value Graph documents (IMAP, MAPI,
  SMTP, POP, Autodiscover, Exchange Web Services, Exchange Online PowerShell, Offline Address Book, Outlook
  Anywhere, Outlook Service, Reporting Web Services, "Other clients") is a legacy client: ``other``. A
  sign-in without ``clientAppUsed`` is taken as ``browser`` (counted in ``unmapped``);
* platform from ``deviceDetail.operatingSystem`` (``Windows10``, ``MacOs``, ``Ios 18.1``, ``Android 14``,
  ``Linux``...; anything else is an unknown platform);
* location: ``ipAddress`` and ``location.countryOrRegion``;
* risk: ``riskLevelDuringSignIn`` (else ``riskLevelAggregated``) as sign-in risk; a sign-in carries no user
  risk, so user risk is ``none``; ``hidden`` counts as ``none``;
* device: unregistered when ``deviceDetail`` has neither a ``deviceId`` nor a ``trustType``; else a device
  with ``deviceId``, ``displayName``, ``operatingSystem``, ``isCompliant`` and ``trustType`` (the log's
  "Azure AD joined" / "Microsoft Entra joined" is ``AzureAD``, "Hybrid Azure AD joined" ``ServerAD``,
  "Azure AD registered" ``Workplace``);
* authentication flow: device code flow when the (beta) ``authenticationProtocol`` is ``deviceCode``.

What the sign-in already satisfied: MFA when the (beta) ``authenticationRequirement`` is
``multiFactorAuthentication`` or an enforced policy that applied with ``success`` names MFA or an
authentication strength among its ``enforcedGrantControls``; an authentication strength when such a
policy demanded the same strength (or, for the built-in "Multifactor authentication" strength, MFA);
a compliant device from ``deviceDetail.isCompliant``; a hybrid joined device from its trust type. Nothing
else (terms of use, app protection, password change) is known to be satisfied. A sign-in is **blocked**
when the policy blocks; **challenged** when one of its requirement lists (CONTRACTS §3) holds nothing the
sign-in satisfied.

Sign-ins that failed before Conditional Access was evaluated (a wrong password: an error code with
``conditionalAccessStatus`` ``notApplied``) are skipped. Fast: sign-ins are grouped by the signature of
what the policy looks at (whether its user condition holds for the user, the app, the client app type,
and only where the policy has such conditions the platform, the named locations the IP is in and the
country, the risk levels, the device, the flow) and each signature is evaluated once.

Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ztconsole.engine.ca.conditions import conditions_of, location_state, place_of, user_keys
from ztconsole.engine.ca.context import Context
from ztconsole.engine.ca.controls import Requirements
from ztconsole.engine.ca.evaluation import evaluate
from ztconsole.engine.ca.scenario import Scenario
from ztconsole.model.ca import (
    AUTH_STRENGTH_MFA,
    LOCATION_ALL_TRUSTED,
    ConditionalAccessConditionSet,
    ConditionalAccessPolicy,
)
from ztconsole.model.directory import OBJECT_ID, DeviceDetail, SignIn, User
from ztconsole.model.tenant import Tenant

__all__ = [
    "CLIENT_APP_USED",
    "client_app_type",
    "platform_of",
    "device_of",
    "scenario_of",
    "service_account_reason",
    "ImpactedSignIn",
    "ImpactedUser",
    "ImpactReport",
    "find_policy",
    "replay",
]

#: ``clientAppUsed`` values (folded) that are not legacy ``other`` clients
CLIENT_APP_USED: Mapping[str, str] = {
    "browser": "browser",
    "mobile apps and desktop clients": "mobileAppsAndDesktopClients",
    "exchange activesync": "exchangeActiveSync",
    "exchange active sync": "exchangeActiveSync",
}
_TRUST_TYPES = {
    "azure ad joined": "AzureAD", "microsoft entra joined": "AzureAD", "azuread": "AzureAD",
    "hybrid azure ad joined": "ServerAD", "microsoft entra hybrid joined": "ServerAD", "serverad": "ServerAD",
    "azure ad registered": "Workplace", "microsoft entra registered": "Workplace", "workplace": "Workplace",
}
_RISK = ("none", "low", "medium", "high")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_DIR_SYNC_ROLE = "d29b2b05-8046-44ba-8758-1e26182fcf32"  # Directory Synchronization Accounts
_SERVICE_WORDS = re.compile(r"service[ -]?account|\bsvc\b|non-?interactive", re.IGNORECASE)
_SERVICE_UPN = re.compile(r"^(svc|srv|sa|service)[-_.]|^sync_", re.IGNORECASE)


# --- mapping a sign-in ----------------------------------------------------------------------------------------


def client_app_type(client_app_used: str | None) -> str | None:
    """The CA client app type of a ``clientAppUsed`` value; None when the sign-in has none."""
    if not client_app_used or not client_app_used.strip():
        return None
    return CLIENT_APP_USED.get(" ".join(client_app_used.split()).lower(), "other")


def platform_of(operating_system: str | None) -> str | None:
    """The CA device platform of ``deviceDetail.operatingSystem``, or None (unknown)."""
    os_ = (operating_system or "").strip().lower().replace(" ", "")
    if not os_:
        return None
    if os_.startswith("windowsphone") or os_.startswith("windowsmobile"):
        return "windowsPhone"
    if os_.startswith("windows"):
        return "windows"
    if os_.startswith(("macos", "osx", "mac")):
        return "macOS"
    if os_.startswith(("ios", "ipados", "iphone", "ipad")):
        return "iOS"
    if os_.startswith("android"):
        return "android"
    if os_.startswith(("linux", "ubuntu", "debian", "fedora", "redhat", "rhel", "centos", "suse")):
        return "linux"
    return None


def device_of(detail: DeviceDetail | None) -> dict[str, Any] | None:
    """Device filter properties from ``deviceDetail``; None for an unregistered device."""
    if detail is None:
        return None
    trust = (detail.trust_type or "").strip()
    if not (detail.device_id or "").strip() and not trust:
        return None
    out: dict[str, Any] = {}
    device_id = (detail.device_id or "").strip()
    if device_id:
        out["deviceId"] = device_id
    if detail.display_name:
        out["displayName"] = detail.display_name
    if detail.operating_system:
        out["operatingSystem"] = detail.operating_system
    if detail.is_compliant is not None:
        out["isCompliant"] = bool(detail.is_compliant)
    if trust:
        out["trustType"] = _TRUST_TYPES.get(trust.lower(), trust)
    return out


def _ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _country(value: str | None) -> str | None:
    return value.strip().upper() if value and _COUNTRY.match(value.strip()) else None


def _risk(si: SignIn) -> str:
    for level in (si.risk_level_during_sign_in, si.risk_level_aggregated):
        if level is not None and level in _RISK:
            return level
    return "none"


def _app(si: SignIn) -> str:
    for value in (si.resource_id, si.app_id):
        if value and OBJECT_ID.match(value.strip()):
            return value.strip().lower()
    return "All"


def _auth_flow(si: SignIn) -> str | None:
    protocol = si.unknown("authenticationProtocol")
    return "deviceCodeFlow" if isinstance(protocol, str) and protocol.lower() == "devicecode" else None


def scenario_of(si: SignIn) -> Scenario:
    """The What If scenario of one sign-in (see the module docstring)."""
    return Scenario(user_id=si.user_id or "", app=_app(si), client_app=client_app_type(si.client_app_used) or "browser",
                    platform=platform_of(si.device_detail.operating_system if si.device_detail else None),
                    ip=_ip(si.ip_address), country=_country(si.country), sign_in_risk=_risk(si),
                    device=device_of(si.device_detail), auth_flow=_auth_flow(si))


# --- who is touched ---------------------------------------------------------------------------------------------


def service_account_reason(user: User, ctx: Context, group_names: Mapping[str, str] | None = None) -> str | None:
    """Why a directory user looks like a service (non-interactive) account, or None.

    Signs, in order: the Directory Synchronization Accounts role; membership of a group whose name says
    service account; a job title or display name that says so; a UPN starting ``svc-``, ``srv-``,
    ``sa-``, ``service-`` or ``Sync_``.
    """
    facts = ctx.users.get(user.id)
    if facts is not None and _DIR_SYNC_ROLE in facts.roles:
        return "holds the Directory Synchronization Accounts role"
    names = group_names if group_names is not None else ctx.group_names
    if facts is not None:
        for gid in sorted(facts.groups):
            name = names.get(gid, "")
            if _SERVICE_WORDS.search(name):
                return f"member of '{name}'"
    for label, value in (("job title", user.job_title), ("display name", user.display_name)):
        if value and _SERVICE_WORDS.search(value):
            return f"{label} '{value}'"
    upn = user.user_principal_name or ""
    if _SERVICE_UPN.match(upn):
        return f"UPN {upn}"
    return None


# --- results ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImpactedSignIn:
    id: str
    created: datetime | None
    user_id: str
    user_principal_name: str | None
    app_id: str | None
    app_display_name: str | None
    resource_id: str | None
    client_app_used: str | None
    client_app: str
    platform: str | None
    ip: str | None
    country: str | None
    outcome: str  # "block" | "challenge"
    missing: tuple[str, ...]  # the requirements the sign-in did not satisfy (challenge)
    succeeded: bool  # the sign-in succeeded as recorded

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "createdDateTime": _iso(self.created), "userId": self.user_id,
                "userPrincipalName": self.user_principal_name, "appId": self.app_id,
                "appDisplayName": self.app_display_name, "resourceId": self.resource_id,
                "clientAppUsed": self.client_app_used, "clientApp": self.client_app, "platform": self.platform,
                "ipAddress": self.ip, "country": self.country, "outcome": self.outcome,
                "missingControls": list(self.missing), "succeeded": self.succeeded}


@dataclass(frozen=True)
class ImpactedUser:
    id: str
    user_principal_name: str | None
    display_name: str | None
    blocked: int
    challenged: int
    missing: tuple[str, ...]
    break_glass: bool = False
    service_account: str | None = None  # why the user looks like a service account

    @property
    def flagged(self) -> bool:
        return self.break_glass or self.service_account is not None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "userPrincipalName": self.user_principal_name, "displayName": self.display_name,
                "wouldBlock": self.blocked, "wouldChallenge": self.challenged,
                "missingControls": list(self.missing), "breakGlass": self.break_glass,
                "serviceAccount": self.service_account}


@dataclass(frozen=True)
class ImpactReport:
    policy_id: str
    policy_name: str
    policy_state: str
    window_start: datetime | None
    window_end: datetime
    days: int | None
    considered: int  # sign-ins in the window that reached Conditional Access
    skipped: int  # failed before Conditional Access
    scenarios: int  # distinct signatures evaluated
    applies: int
    blocked: int
    challenged: int
    satisfied: int
    users: tuple[ImpactedUser, ...]
    sign_ins: tuple[ImpactedSignIn, ...]
    unmapped: Mapping[str, int] = field(default_factory=dict)

    @property
    def break_glass(self) -> tuple[ImpactedUser, ...]:
        return tuple(u for u in self.users if u.break_glass)

    @property
    def service_accounts(self) -> tuple[ImpactedUser, ...]:
        return tuple(u for u in self.users if u.service_account is not None)

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": {"id": self.policy_id, "displayName": self.policy_name, "state": self.policy_state},
            "window": {"days": self.days, "from": _iso(self.window_start), "to": _iso(self.window_end)},
            "signIns": {"considered": self.considered, "skippedBeforeConditionalAccess": self.skipped,
                        "distinctScenarios": self.scenarios, "applies": self.applies,
                        "wouldBlock": self.blocked, "wouldChallenge": self.challenged,
                        "alreadySatisfied": self.satisfied},
            "users": [u.to_json() for u in self.users],
            "flagged": {"breakGlass": [u.id for u in self.break_glass],
                        "serviceAccounts": [u.id for u in self.service_accounts]},
            "impacted": [s.to_json() for s in self.sign_ins],
            "unmapped": dict(self.unmapped),
        }


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.isoformat().replace("+00:00", "Z")


# --- the replay -------------------------------------------------------------------------------------------------


def find_policy(tenant: Tenant, ref: str) -> ConditionalAccessPolicy:
    """A policy by id, by display name, or by the start of one display name (``CA025``), case-insensitive
    and unique; KeyError listing the choices."""
    value = ref.strip()
    for p in tenant.ca_policies:
        if p.id.lower() == value.lower():
            return p
    named = [p for p in tenant.ca_policies if (p.display_name or "").lower() == value.lower()]
    if not named and value:
        named = [p for p in tenant.ca_policies if (p.display_name or "").lower().startswith(value.lower())]
    if len(named) == 1:
        return named[0]
    choices = "; ".join(f"{p.id} ({p.display_name})" for p in
                        sorted(tenant.ca_policies, key=lambda p: ((p.display_name or "").lower(), p.id)))
    why = "matches several policies by name" if named else "is neither the id nor the name of a policy"
    raise KeyError(f"{ref!r} {why}; policies: {choices or 'none'}")


def replay(tenant: Tenant, policy_id: str | ConditionalAccessPolicy, *, days: int | None = None, now: datetime,
           ctx: Context | None = None, break_glass: Iterable[str] = ()) -> ImpactReport:
    """Replay the sign-in log as if ``policy_id`` (an id or name in the tenant, or a draft policy object)
    were enforced. ``days``: only sign-ins of the last N days before ``now`` (the tenant's ``captured_at``
    for a recording, the current time for a live tenant)."""
    policy = policy_id if isinstance(policy_id, ConditionalAccessPolicy) else find_policy(tenant, policy_id)
    if days is not None and days < 0:
        raise ValueError("days must be zero or more")
    if ctx is None:
        ctx = Context.from_tenant(tenant, break_glass=tuple(break_glass))
    enforced = dataclasses.replace(policy, state="enabled")
    cond = enforced.conditions
    start = now - timedelta(days=days) if days is not None else None

    looks = _Looks(cond)
    users = conditions_of(cond).users if cond is not None else None
    included = ({uid for uid, facts in ctx.users.items() if users.holds(user_keys(facts))} if users is not None
                else set())
    loc_ids = looks.location_ids(ctx)
    loc_cache: dict[tuple[str | None, str | None], tuple[bool | None, ...]] = {}
    strengths = {p.id: p.grant_controls.authentication_strength.id for p in tenant.ca_policies
                 if p.grant_controls is not None and p.grant_controls.authentication_strength is not None}

    verdicts: dict[tuple[Any, ...], tuple[bool, bool, Requirements]] = {}
    unmapped: dict[str, int] = {}
    considered = skipped = applies = blocked = challenged = satisfied = 0
    hits: list[ImpactedSignIn] = []
    per_user: dict[str, list[ImpactedSignIn]] = {}
    for si in tenant.sign_ins:
        created = si.created_date_time
        if start is not None and (created is None or created < start or created > now):
            continue
        status = si.status
        if (status is not None and status.error_code not in (0, None)
                and si.conditional_access_status not in ("success", "failure")):
            skipped += 1
            continue
        considered += 1
        uid = si.user_id or ""
        client = client_app_type(si.client_app_used)
        if client is None:
            unmapped["clientAppUsed missing: taken as browser"] = unmapped.get(
                "clientAppUsed missing: taken as browser", 0) + 1
            client = "browser"
        detail = si.device_detail
        platform = platform_of(detail.operating_system if detail else None) if looks.platform else "*"
        ip = _ip(si.ip_address)
        country = _country(si.country)
        where: tuple[bool | None, ...] | str = "*"
        if looks.location:
            found = loc_cache.get((ip, country))
            if found is None:
                found = loc_cache[(ip, country)] = _where(loc_ids, ip, country, ctx)
            where = found
        user_key: Any = (uid in included) if uid in ctx.users else ("?", uid)
        signature = (user_key, _app(si), client, platform, where,
                     _risk(si) if looks.risk else "*",
                     _device_key(detail) if looks.device else "*",
                     _auth_flow(si) if looks.flow else "*")
        verdict = verdicts.get(signature)
        if verdict is None:
            if user_key is False:
                verdict = (False, False, ())
            else:
                result = evaluate(enforced, _scenario(si, uid, client, ip, country), ctx)
                verdict = (result.applies, result.blocks, result.requirements)
            verdicts[signature] = verdict
        ok, blocks, requirements = verdict
        if not ok:
            continue
        applies += 1
        missing: tuple[str, ...]
        if blocks:
            outcome, missing = "block", ("block",)
        else:
            missing = _missing(requirements, si, strengths)
            if not missing:
                satisfied += 1
                continue
            outcome = "challenge"
        if outcome == "block":
            blocked += 1
        else:
            challenged += 1
        hit = ImpactedSignIn(
            id=si.id, created=created, user_id=uid, user_principal_name=si.user_principal_name,
            app_id=si.app_id, app_display_name=si.app_display_name, resource_id=si.resource_id,
            client_app_used=si.client_app_used, client_app=client,
            platform=platform_of(detail.operating_system if detail else None), ip=ip, country=country,
            outcome=outcome, missing=missing, succeeded=si.succeeded)
        hits.append(hit)
        per_user.setdefault(uid, []).append(hit)

    users_out = []
    by_id = tenant.users_by_id
    for uid, items in per_user.items():
        facts = ctx.users.get(uid)
        user = by_id.get(uid)
        missing_all = sorted({m for h in items for m in h.missing})
        users_out.append(ImpactedUser(
            id=uid,
            user_principal_name=(facts.user_principal_name if facts else None) or items[0].user_principal_name,
            display_name=facts.display_name if facts else None,
            blocked=sum(1 for h in items if h.outcome == "block"),
            challenged=sum(1 for h in items if h.outcome == "challenge"),
            missing=tuple(missing_all), break_glass=bool(facts and facts.break_glass),
            service_account=service_account_reason(user, ctx) if user is not None else None))
    users_out.sort(key=lambda u: (not u.flagged, -(u.blocked + u.challenged), (u.user_principal_name or u.id).lower()))
    hits.sort(key=lambda h: (h.created is None, -(h.created.timestamp() if h.created else 0), h.id))
    return ImpactReport(
        policy_id=policy.id, policy_name=policy.display_name or policy.id, policy_state=policy.state or "unknown",
        window_start=start, window_end=now, days=days, considered=considered, skipped=skipped,
        scenarios=len(verdicts), applies=applies, blocked=blocked, challenged=challenged, satisfied=satisfied,
        users=tuple(users_out), sign_ins=tuple(hits), unmapped=unmapped)


class _Looks:
    """Which sign-in properties a policy's conditions look at."""

    def __init__(self, cond: ConditionalAccessConditionSet | None):
        self.cond = cond
        if cond is None:
            self.platform = self.location = self.risk = self.device = self.flow = False
            return
        pl = cond.platforms
        self.platform = pl is not None and bool(pl.include_platforms or pl.exclude_platforms)
        loc = cond.locations
        self.location = loc is not None and bool(loc.include_locations or loc.exclude_locations)
        self.risk = bool(cond.sign_in_risk_levels or cond.user_risk_levels or cond.insider_risk_level_values)
        self.device = cond.devices is not None
        flows = cond.authentication_flows
        self.flow = flows is not None and bool(flows.transfer_method_values)

    def location_ids(self, ctx: Context) -> tuple[str, ...]:
        loc = self.cond.locations if self.cond is not None and self.location else None
        if loc is None:
            return ()
        ids = set(loc.include_locations) | set(loc.exclude_locations)
        if LOCATION_ALL_TRUSTED in ids:
            ids |= set(ctx.trusted_location_ids)
        return tuple(sorted(ids))


def _where(loc_ids: Sequence[str], ip: str | None, country: str | None, ctx: Context) -> tuple[bool | None, ...]:
    place = place_of(ip, country, False, ctx)
    return tuple(location_state(i, place, ctx) for i in loc_ids)


def _device_key(detail: DeviceDetail | None) -> tuple[tuple[str, Any], ...]:
    device = device_of(detail)
    return tuple(sorted(device.items())) if device is not None else ()


def _scenario(si: SignIn, uid: str, client: str, ip: str | None, country: str | None) -> Scenario:
    detail = si.device_detail
    return Scenario(user_id=uid, app=_app(si), client_app=client,
                    platform=platform_of(detail.operating_system if detail else None), ip=ip, country=country,
                    sign_in_risk=_risk(si), device=device_of(detail), auth_flow=_auth_flow(si))


def _mfa_done(si: SignIn) -> bool:
    if (si.unknown("authenticationRequirement") or "") == "multiFactorAuthentication":
        return True
    for ap in si.applied_conditional_access_policies:
        if ap.result == "success" and any(_names_mfa(c) for c in ap.enforced_grant_controls):
            return True
    return False


def _names_mfa(control: str) -> bool:
    folded = control.lower().replace(" ", "").replace("-", "")
    return folded in ("mfa", "requiremfa") or "multifactor" in folded or "authenticationstrength" in folded


def _strength_done(strength: str, si: SignIn, strengths: Mapping[str, str]) -> bool:
    for ap in si.applied_conditional_access_policies:
        if ap.result == "success" and strengths.get(ap.id or "") == strength:
            return True
    return strength == AUTH_STRENGTH_MFA and _mfa_done(si)


def _missing(requirements: Sequence[Sequence[str]], si: SignIn, strengths: Mapping[str, str]) -> tuple[str, ...]:
    """The requirement lists (one string each, alternatives joined by ' or ') the sign-in satisfied nothing of."""
    detail = si.device_detail
    device = device_of(detail) or {}
    done: dict[str, bool] = {}

    def satisfied(control: str) -> bool:
        if control not in done:
            if control == "mfa":
                done[control] = _mfa_done(si)
            elif control.startswith("authenticationStrength:"):
                done[control] = _strength_done(control.split(":", 1)[1], si, strengths)
            elif control == "compliantDevice":
                done[control] = device.get("isCompliant") is True
            elif control == "domainJoinedDevice":
                done[control] = device.get("trustType") == "ServerAD"
            else:
                done[control] = False
        return done[control]

    return tuple(" or ".join(alt) for alt in requirements if alt and not any(satisfied(c) for c in alt))
