"""Steps 3 to 5 of the rollout: publish what the VPN carried as per-app Private Access apps (``apps``), assign
them (``assign``), and protect them with Conditional Access, report-only (``protect``).

Each step plans from the tenant as it is now, so applying a done step writes nothing and a step cut short
(the process killed between two requests) is finished by the next apply: an app is found again by its name,
and only what it still lacks is sent.

Step 3 creates each app the way Microsoft Graph does for Private Access: the non-gallery application template
is instantiated (the template of the tenant's cloud), the application is marked ``nonwebapp`` and reachable
through the Global Secure Access client, linked to a connector group, and given its segments (the host, one
protocol, the ports the traffic used); its service principal requires assignment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ztconsole.actions.plan import Change, Plan, Request
from ztconsole.wizard.context import RolloutContext, Status, first_line, plan_files, policy_file

__all__ = ["APP_PREFIX", "PRIVATE_ACCESS_APP", "PROTECT_PREFIX", "PUBLISH_READS", "ROLE_ASSIGNMENT", "app_name", "apps",
           "apps_plan", "assign", "assign_plan", "protect", "protect_plan", "protect_policy_name", "rollout_apps",
           "template_id"]

APP_PREFIX = "ZTNA - "
"""The display name of an app step 3 creates is this and the proposal's name (step 3 finds it again by it)."""
PROTECT_PREFIX = "ztconsole rollout: MFA and compliant device for "
"""The display name of a policy step 5 creates is this and the app's name."""
PRIVATE_ACCESS_APP = "privateAccessApp"
#: the Private Access data sets steps 3 to 5 read
PUBLISH_READS = ("applications", "app_segments", "app_connector_group", "connector_groups", "connector_group_members",
                 "service_principals", "app_role_assignments")
ROLE_ASSIGNMENT = "appRoleAssignment"
#: appRoleId of an assignment that grants default access (Graph's all-zero GUID)
_DEFAULT_ROLE = "00000000-0000-0000-0000-000000000000"
#: the non-gallery application template, per cloud (Graph: applicationTemplate instantiate)
_TEMPLATES = {"global": "8adf8e6e-67b2-4cf2-a259-e3dc5476c621", "usgov": "4602d0b4-76bb-404b-bca9-2652e1a39c6d",
              "china": "5a532e38-1581-4918-9658-008dc27c1d68"}
_PUBLISHING = {"applicationType": "nonwebapp", "isAccessibleViaZTNAClient": True}
_SEGMENTS = "onPremisesPublishing/segmentsConfiguration/microsoft.graph.ipSegmentConfiguration/applicationSegments"


def template_id(graph_url: str) -> str:
    """The non-gallery application template of the cloud ``graph_url`` belongs to."""
    host = (urlsplit(graph_url).hostname or "").lower()
    if host.endswith(".microsoft.us"):
        return _TEMPLATES["usgov"]
    if host.endswith(".chinacloudapi.cn"):
        return _TEMPLATES["china"]
    return _TEMPLATES["global"]


def app_name(proposal: Mapping[str, Any]) -> str:
    return f"{APP_PREFIX}{proposal.get('name')}"


def protect_policy_name(proposal: Mapping[str, Any]) -> str:
    return f"{PROTECT_PREFIX}{app_name(proposal)}"


def _by_name(items: Iterable[Any], name: str) -> Any:
    want = name.casefold()
    return next((i for i in items if (i.display_name or "").casefold() == want), None)


def rollout_apps(ctx: RolloutContext) -> list[tuple[dict[str, Any], Any]]:
    """Each app step 2 proposed, with the tenant's application of its name (None: not created yet)."""
    return [(p, _by_name(ctx.tenant.applications, app_name(p))) for p in ctx.proposed]


# --- 3 apps ------------------------------------------------------------------------------------------------


def _segment_key(host: str | None, dtype: str | None, ports: Iterable[tuple[int, int]], protocol: str | None
                 ) -> tuple[str, str, tuple[tuple[int, int], ...], str]:
    return ((host or "").casefold(), dtype or "", tuple(sorted(ports)), (protocol or "tcp").casefold())


def _wanted_segments(proposal: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Graph bodies of the proposal's segments."""
    out = []
    for seg in proposal.get("segments") or ():
        out.append({"destinationHost": seg["destinationHost"], "destinationType": seg["destinationType"],
                    "ports": [_range_text(p) for p in seg.get("ports") or ()], "protocol": seg.get("protocol", "tcp")})
    return out


def _range_text(port: str) -> str:
    """``"1433"`` or ``"3200-3299"`` as Graph writes a port range: ``"1433-1433"``."""
    text = str(port).strip()
    return text if "-" in text else f"{text}-{text}"


def _ports_of(body: Mapping[str, Any]) -> list[tuple[int, int]]:
    out = []
    for text in body.get("ports") or ():
        lo, _, hi = str(text).partition("-")
        out.append((int(lo), int(hi or lo)))
    return out


def _published_elsewhere(ctx: RolloutContext, mine: set[str]) -> dict[tuple[Any, ...], str]:
    """Segment key -> the name of another app (not Quick Access, not one of the rollout's) publishing it."""
    out: dict[tuple[Any, ...], str] = {}
    for app in ctx.tenant.applications:
        if app.id in mine or not app.is_private_access or app.is_quick_access:
            continue
        for seg in (*ctx.tenant.app_segments.get(app.id, ()), *app.segments):
            for proto in seg.protocols or ("tcp",):
                out[_segment_key(seg.destination_host, seg.destination_type, seg.port_ranges, proto)] = (
                    app.display_name or app.id)
    return out


def _connector_groups(ctx: RolloutContext) -> tuple[list[Any], str | None]:
    """(usable connector groups, best first; why none is, when none is). Usable: not the default group, two
    active connectors or more (ZT-PA-004). ``--connector-group`` names one (it must be usable)."""
    groups = list(ctx.tenant.connector_groups)

    def active(g: Any) -> int:
        return sum(1 for c in ctx.tenant.connector_group_members.get(g.id, ()) if c.is_active)

    def default(g: Any) -> bool:
        return bool(g.is_default) or (g.name or "").strip().casefold() == "default"

    if ctx.connector_group:
        want = ctx.connector_group.casefold()
        named = next((g for g in groups if want in (g.id.casefold(), (g.name or "").casefold())), None)
        if named is None:
            return [], f"no connector group is named {ctx.connector_group!r}"
        problems = (["is the default group"] if default(named) else []) + (
            [f"has {active(named)} active connector(s), fewer than two"] if active(named) < 2 else [])
        if problems:
            return [], f"connector group {named.name or named.id!r} " + " and ".join(problems)
        return [named], None
    usable = [g for g in groups if not default(g) and active(g) >= 2]
    if not usable:
        return [], ("no connector group can serve the new apps: each is the default group or has fewer than two "
                    "active connectors (ZT-PA-004); install connectors in a dedicated group, or name one with "
                    "--connector-group")
    # the group that already serves most Private Access apps, then the most active connectors, then the name
    serving: dict[str, int] = {}
    for cg in ctx.tenant.app_connector_group.values():
        if cg is not None:
            serving[cg.id] = serving.get(cg.id, 0) + 1
    usable.sort(key=lambda g: (-serving.get(g.id, 0), -active(g), (g.name or g.id).casefold()))
    return usable, None


def _group_for(ctx: RolloutContext, proposal: Mapping[str, Any], usable: list[Any]) -> Any:
    """The connector group for one proposed app: the usable group that already serves the Private Access apps
    publishing addresses in the same virtual network as the app's (a connector must reach its destinations),
    else the best usable one (``usable[0]``). ``--connector-group`` names the one group for every app."""
    from ztconsole.engine.network.sets import AddressSet

    if len(usable) == 1:  # --connector-group named it, or it is the only one
        return usable[0]
    try:
        mine = AddressSet.parse([str(a) for a in proposal.get("addresses") or ()])
    except ValueError:
        return usable[0]
    if not mine.ivs:
        return usable[0]
    area = AddressSet.empty()
    for space in ctx.reach.spaces:
        if (space.addresses & mine).ivs:
            area = area | space.addresses
    area = area if area.ivs else mine
    by_id = {g.id: g for g in usable}
    votes: dict[str, int] = {}
    for app in ctx.tenant.applications:
        cg = ctx.tenant.app_connector_group.get(app.id)
        if cg is None or cg.id not in by_id or not app.is_private_access or app.is_quick_access:
            continue
        for seg in (*ctx.tenant.app_segments.get(app.id, ()), *app.segments):
            try:
                published = AddressSet.parse(seg.destination_host or "")
            except ValueError:
                continue  # an FQDN or a DNS suffix: where it is cannot be told
            if (published & area).ivs:
                votes[cg.id] = votes.get(cg.id, 0) + 1
    if not votes:
        return usable[0]
    return max(usable, key=lambda g: (votes.get(g.id, 0), -usable.index(g)))


def _cg_ref(ctx: RolloutContext, cg_id: str) -> dict[str, str]:
    return {"@odata.id": f"{ctx.graph_url.rstrip('/')}/beta/onPremisesPublishingProfiles/applicationproxy/"
                         f"connectorGroups/{cg_id}"}


def apps_plan(ctx: RolloutContext) -> Plan:
    """Step 3's writes: each proposed app created (or, if it exists, completed) with its connector group and
    segments; a segment another app already publishes is left out (its change says so)."""
    groups, _ = _connector_groups(ctx)
    if not groups:
        return Plan(())
    base = ctx.graph_url.rstrip("/")
    mine = {app.id for _, app in rollout_apps(ctx) if app is not None}
    elsewhere = _published_elsewhere(ctx, mine)
    changes: list[Change] = []
    for proposal, app in rollout_apps(ctx):
        name = app_name(proposal)
        cg = _group_for(ctx, proposal, groups)
        wanted: list[dict[str, Any]] = []
        skipped: list[str] = []
        for body in _wanted_segments(proposal):
            key = _segment_key(body["destinationHost"], body["destinationType"], _ports_of(body), body["protocol"])
            if key in elsewhere:
                skipped.append(f"{body['destinationHost']} {body['protocol']}/{','.join(body['ports'])} is already "
                               f"published by {elsewhere[key]!r}")
            else:
                wanted.append(body)
        after = {"displayName": name, "onPremisesPublishing": _PUBLISHING, "connectorGroup": cg.name or cg.id,
                 "segments": wanted}
        note = [{"path": "segments (left out)", "before": None, "after": s} for s in skipped]
        if app is None:
            if not wanted:
                continue
            app_url = f"{base}/beta/applications/{{application.id}}"
            then = [Request("PATCH", app_url, {"onPremisesPublishing": _PUBLISHING}),
                    Request("PUT", f"{app_url}/connectorGroup/$ref", _cg_ref(ctx, cg.id)),
                    *(Request("POST", f"{app_url}/{_SEGMENTS}", body) for body in wanted),
                    Request("PATCH", f"{base}/v1.0/servicePrincipals/{{servicePrincipal.id}}",
                            {"appRoleAssignmentRequired": True})]
            diff: list[dict[str, Any]] = [{"path": "displayName", "before": None, "after": name},
                    {"path": "onPremisesPublishing", "before": None, "after": _PUBLISHING},
                    {"path": "connectorGroup", "before": None, "after": cg.name or cg.id},
                    *({"path": "segments", "before": None, "after": body} for body in wanted), *note]
            changes.append(Change("create", diff=diff, resource={"type": PRIVATE_ACCESS_APP,
                                                                 "id": None, "name": name},
                                  created="{application.id}",
                                  after=after, readback=app_url,
                                  request=Request("POST", f"{base}/beta/applicationTemplates/"
                                                  f"{template_id(ctx.graph_url)}/instantiate",
                                                  {"displayName": name}),
                                  then=tuple(then)))
            continue
        changes.append(_complete(ctx, app, name, wanted, cg, note, after))
    return Plan(tuple(changes))


def _complete(ctx: RolloutContext, app: Any, name: str, wanted: list[dict[str, Any]], cg: Any,
              note: list[dict[str, Any]], after: dict[str, Any]) -> Change:
    """An app that exists: what it still lacks (publishing, connector group, segments, assignment required)."""
    base = ctx.graph_url.rstrip("/")
    app_url = f"{base}/beta/applications/{app.id}"
    requests: list[Request] = []
    diff: list[dict[str, Any]] = []
    pub = app.on_premises_publishing
    have_pub = {"applicationType": getattr(pub, "application_type", None),
                "isAccessibleViaZTNAClient": getattr(pub, "is_accessible_via_ztna_client", None)}
    if have_pub != _PUBLISHING:
        requests.append(Request("PATCH", app_url, {"onPremisesPublishing": _PUBLISHING}))
        diff.append({"path": "onPremisesPublishing", "before": have_pub, "after": _PUBLISHING})
    current = ctx.tenant.app_connector_group.get(app.id)
    if current is None:
        requests.append(Request("PUT", f"{app_url}/connectorGroup/$ref", _cg_ref(ctx, cg.id)))
        diff.append({"path": "connectorGroup", "before": None, "after": cg.name or cg.id})
    have = {_segment_key(s.destination_host, s.destination_type, s.port_ranges, p)
            for s in (*ctx.tenant.app_segments.get(app.id, ()), *app.segments) for p in (s.protocols or ("tcp",))}
    for body in wanted:
        if _segment_key(body["destinationHost"], body["destinationType"], _ports_of(body), body["protocol"]) in have:
            continue
        requests.append(Request("POST", f"{app_url}/{_SEGMENTS}", body))
        diff.append({"path": "segments", "before": None, "after": body})
    sp = ctx.tenant.service_principals_by_app_id.get(app.app_id or "")
    if sp is not None and sp.app_role_assignment_required is not True:
        requests.append(Request("PATCH", f"{base}/v1.0/servicePrincipals/{sp.id}", {"appRoleAssignmentRequired": True}))
        diff.append({"path": "servicePrincipal.appRoleAssignmentRequired", "before": sp.app_role_assignment_required,
                     "after": True})
    resource = {"type": PRIVATE_ACCESS_APP, "id": app.id, "name": name}
    if not requests:
        return Change("unchanged", diff=note, resource=resource, after=after)
    return Change("update", diff=[*diff, *note], resource=resource, after=after, readback=app_url,
                  request=requests[0], then=tuple(requests[1:]))


def apps(ctx: RolloutContext) -> tuple[Status, str]:
    proposals = ctx.proposed
    if not proposals:
        return "done", "step 2 proposed no app: nothing to publish"
    _, why = _connector_groups(ctx)
    plan = apps_plan(ctx)
    flags = _flags(ctx)
    if plan.writes:
        if why:
            return "blocked", why
        created = [c.name for c in plan.writes if c.action == "create"]
        completed = [c.name for c in plan.writes if c.action == "update"]
        parts = []
        if created:
            parts.append(f"creates {len(created)} app{'s' if len(created) != 1 else ''} ({', '.join(created)})")
        if completed:
            parts.append(f"completes {', '.join(completed)}")
        used = sorted({str(d["after"]) for c in plan.writes for d in c.diff if d["path"] == "connectorGroup"})
        where = f" in connector group{'s' if len(used) != 1 else ''} {', '.join(used)}" if used else ""
        return "ready", f"apply {' and '.join(parts)}{where}" + flags
    missing = [app_name(p) for p, app in rollout_apps(ctx) if app is None]
    if missing:
        if why:
            return "blocked", why
        return "done", (f"not created, every destination of theirs already published by another app: "
                        f"{', '.join(missing)}" + flags)
    return "done", f"{len(proposals)} app{'s' if len(proposals) != 1 else ''} published: " + ", ".join(
        app_name(p) for p in proposals) + flags


def _flags(ctx: RolloutContext) -> str:
    """What the admin should know besides: Quick Access breadth (ZT-PA-006) and overlapping publications."""
    notes = []
    for check in ("ZT-PA-006", "ZT-PA-005"):
        bad = [o for o in ctx.outcomes(check) if o.status in ("fail", "warn")]
        if bad:
            notes.append(f"{check}: {len(bad)} finding(s), e.g. {first_line(bad[0].evidence)[:200]}")
    return ("; note " + "; ".join(notes)) if notes else ""


# --- 4 assign ----------------------------------------------------------------------------------------------


def _principals(ctx: RolloutContext) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(principals to assign: (id, "User"|"Group", name), what could not be found). From ``--assign`` when
    given; else whoever is assigned to Quick Access today (the people the VPN served)."""
    t = ctx.tenant
    found: list[tuple[str, str, str]] = []
    unknown: list[str] = []
    if ctx.assign:
        for ref in ctx.assign:
            want = ref.casefold()
            user = t.users_by_id.get(ref) or next(
                (u for u in t.users if (u.user_principal_name or "").casefold() == want), None)
            if user is not None:
                found.append((user.id, "User", user.user_principal_name or user.id))
                continue
            group = t.groups_by_id.get(ref) or next(
                (g for g in t.groups if (g.display_name or "").casefold() == want), None)
            if group is not None:
                found.append((group.id, "Group", group.display_name or group.id))
            else:
                unknown.append(ref)
        return found, unknown
    for app in t.applications:
        if not app.is_quick_access:
            continue
        sp = t.service_principals_by_app_id.get(app.app_id or "")
        for a in t.app_role_assignments.get(sp.id, ()) if sp is not None else ():
            if a.principal_id and a.principal_type in ("User", "Group"):
                found.append((a.principal_id, a.principal_type, a.principal_display_name or a.principal_id))
    return list(dict.fromkeys(found)), unknown


def assign_plan(ctx: RolloutContext) -> Plan:
    """Step 4's writes: each rollout app assigned to no one gets the principals (:func:`_principals`)."""
    principals, unknown = _principals(ctx)
    if unknown or not principals:
        return Plan(())
    base = ctx.graph_url.rstrip("/")
    changes = []
    for proposal, app in rollout_apps(ctx):
        if app is None:
            continue
        sp = ctx.tenant.service_principals_by_app_id.get(app.app_id or "")
        if sp is None:
            continue
        existing = ctx.tenant.app_role_assignments.get(sp.id, ())
        if existing:
            changes.append(Change("unchanged", resource={"type": ROLE_ASSIGNMENT, "id": sp.id,
                                                         "name": app_name(proposal)},
                                  after={"assigned": sorted(a.principal_display_name or a.principal_id or ""
                                                            for a in existing)}))
            continue
        url = f"{base}/v1.0/servicePrincipals/{sp.id}/appRoleAssignedTo"
        for pid, kind, label in principals:
            body = {"principalId": pid, "resourceId": sp.id, "appRoleId": _DEFAULT_ROLE}
            changes.append(Change("create", diff=[{"path": "appRoleAssignedTo", "before": None,
                                                   "after": f"{kind.lower()} {label}"}],
                                  created="{id}", resource={"type": ROLE_ASSIGNMENT, "id": None,
                                            "name": f"{app_name(proposal)}: {kind.lower()} {label}"},
                                  after=body, request=Request("POST", url, body)))
    return Plan(tuple(changes))


def assign(ctx: RolloutContext) -> tuple[Status, str]:
    created = [(p, app) for p, app in rollout_apps(ctx) if app is not None]
    if not created:
        return "done", "no app of the rollout to assign"
    principals, unknown = _principals(ctx)
    plan = assign_plan(ctx)
    if plan.writes:
        names = sorted({c.name.split(": ", 1)[0] for c in plan.writes})
        whom = ", ".join(f"{k.lower()} {label}" for _, k, label in principals)
        return "ready", f"apply assigns {whom} to {', '.join(names)}"
    unassigned = [app_name(p) for p, app in created
                  if not ctx.tenant.app_role_assignments.get(
                      getattr(ctx.tenant.service_principals_by_app_id.get(app.app_id or ""), "id", ""), ())]
    if unassigned:
        if unknown:
            return "blocked", f"no user or group is named {', '.join(repr(u) for u in unknown)}"
        return "blocked", (f"{', '.join(unassigned)} {'is' if len(unassigned) == 1 else 'are'} assigned to no one, and "
                           "nobody is assigned to Quick Access to take over: name the users or groups with --assign")
    return "done", f"{len(created)} app{'s' if len(created) != 1 else ''} assigned"


# --- 5 protect ---------------------------------------------------------------------------------------------


def protect_policy(ctx: RolloutContext, proposal: Mapping[str, Any], app_id: str) -> dict[str, Any]:
    """The policy step 5 proposes for one app, as Graph JSON: every user but the emergency access accounts, this
    app, every client app, MFA and a compliant device; report-only."""
    accounts = sorted(u.id for u in ctx.checks.break_glass_users)
    return {"displayName": protect_policy_name(proposal), "state": "enabledForReportingButNotEnforced",
            "conditions": {"users": {"includeUsers": ["All"], "excludeUsers": accounts},
                           "applications": {"includeApplications": [app_id]}, "clientAppTypes": ["all"]},
            "grantControls": {"operator": "AND", "builtInControls": ["mfa", "compliantDevice"]}}


def _protect_files(ctx: RolloutContext) -> list[Any]:
    files = []
    for proposal, app in rollout_apps(ctx):
        if app is None or not app.app_id:
            continue
        raw = protect_policy(ctx, proposal, app.app_id)
        existing = _by_name(ctx.tenant.ca_policies, raw["displayName"])
        if existing is not None:
            continue  # created already: step 7 enforces it; an admin's later edits are theirs
        files.append(policy_file(raw, "rollout step 5 (protect)"))
    return files


def protect_plan(ctx: RolloutContext) -> Plan:
    """Step 5's writes: a report-only policy per rollout app that has none yet (``policy plan``'s guards)."""
    return plan_files(ctx, _protect_files(ctx))


def protect(ctx: RolloutContext) -> tuple[Status, str]:
    created = [(p, app) for p, app in rollout_apps(ctx) if app is not None]
    if not created:
        return "done", "no app of the rollout to protect"
    plan = protect_plan(ctx)
    if plan.refused:
        return "blocked", "; ".join(f"{v.guard}: {first_line(v.reason)}" for c in plan.refused for v in c.refused)
    if plan.writes:
        return "ready", ("apply creates, report-only, " + ", ".join(c.name for c in plan.writes))
    policies = protect_policies(ctx)
    states = {p.state for p in policies}
    how = "enabled" if states == {"enabled"} else "report-only (step 7 enforces them)"
    return "done", (f"{len(policies)} polic{'ies' if len(policies) != 1 else 'y'} require MFA and a compliant "
                    f"device, {how}")


def protect_policies(ctx: RolloutContext) -> list[Any]:
    """The tenant's policies step 5 created (found by name)."""
    out = []
    for proposal, _app in rollout_apps(ctx):
        found = _by_name(ctx.tenant.ca_policies, protect_policy_name(proposal))
        if found is not None:
            out.append(found)
    return out


