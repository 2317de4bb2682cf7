"""The Continuous Access Evaluation pane: the tenant's legacy CAE policy, Global Secure Access signalling
(source IP restoration) and every Conditional Access policy's CAE mode, each with its ZT-CAE-* finding.

One table, filterable like every other: the two tenant-wide settings first, then the policies that
customise CAE (disabled, strict location), then the rest. A policy's location conditions are resolved to
the named locations' names and kinds (IP ranges, countries, compliant network), so strict location
enforcement can be checked at a glance; the verdicts are the findings of the check catalogue
(:mod:`ztconsole.ui.analysis`), never decided here. Enter opens a row with its evidence and remediation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, cast

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import Static

from ztconsole.threads import in_daemon_thread
from ztconsole.ui.notice import DataNotice
from ztconsole.ui.panes.access import STATE_WORDS, DetailsDialog
from ztconsole.ui.panes.base import Pane
from ztconsole.ui.safe import clean, text
from ztconsole.ui.status import glyph, style_for
from ztconsole.ui.vtable import Column, Row, VirtualTable

if TYPE_CHECKING:
    from collections.abc import Callable

    from ztconsole.engine.checks.base import Finding
    from ztconsole.model.ca import ConditionalAccessPolicy
    from ztconsole.model.tenant import Tenant
    from ztconsole.ui.analysis import Assessment
    from ztconsole.ui.app import ZtApp

__all__ = ["CAE_CHECKS", "CaePane", "CaeRowScreen", "CaeView", "build_view", "location_words"]

CAE_CHECKS = ("ZT-CAE-001", "ZT-CAE-002", "ZT-CAE-003", "ZT-CAE-004")
TENANT_ROW = "cae/tenant"
GSA_ROW = "cae/gsa"
_RANK = {"pass": 0, "skip": 1, "warn": 2, "error": 3, "fail": 4}
_MODES = {"strictlocation": "strict location", "disabled": "disabled"}
#: the location ids Conditional Access gives a meaning of its own (engine.model constants, spelled out)
_SPECIAL_LOCATIONS = {"all": "any location", "alltrusted": "all trusted locations",
                      "00000000-0000-0000-0000-000000000000": "MFA trusted IPs",
                      "3d46dbda-8382-466a-856d-eb00cbc6b910": "all compliant network locations"}

COLUMNS = (
    Column("item", "Policy / setting", flex=True, min_width=28),
    Column("state", "State", min_width=5, max_width=11),
    Column("mode", "CAE mode", min_width=7, max_width=15),
    Column("locations", "Locations / scope", min_width=8, max_width=28),
    Column("check", "Check", min_width=6, max_width=14),
)


@dataclass
class CaeView:
    """What the pane shows of one tenant (with the findings once the checks have run)."""

    rows: list[Row] = field(default_factory=list)
    findings: dict[str, tuple[Finding, ...]] = field(default_factory=dict)  # row key -> its findings
    policies: dict[str, ConditionalAccessPolicy] = field(default_factory=dict)  # row key -> policy
    summary: Text = field(default_factory=Text)
    judged: bool = False


def _mode_key(policy: ConditionalAccessPolicy) -> str:
    sc = policy.session_controls
    return ((sc.cae_mode if sc is not None else None) or "").casefold()


def mode_word(policy: ConditionalAccessPolicy) -> str:
    """The policy's CAE mode in words: ``strict location``, ``disabled`` or ``default`` (not customised)."""
    key = _mode_key(policy)
    if not key:
        return "default"
    sc = policy.session_controls
    return _MODES.get(key, (sc.cae_mode if sc is not None else None) or "default")


def location_words(tenant: Tenant, location_id: str) -> tuple[str, str]:
    """(name, kind) of a location a policy names: ``("HQ egress", "IP")``, ``("Operating countries",
    "countries")``, ``("any location", "")``; an id no named location has is ``(id, "unknown")``."""
    special = _SPECIAL_LOCATIONS.get(location_id.casefold())
    if special is not None:
        return special, "IP" if "IPs" in special else ""
    loc = tenant.named_locations_by_id.get(location_id)
    if loc is None:
        return location_id, "unknown"
    kind = type(loc).__name__
    words = {"IpNamedLocation": "IP", "CountryNamedLocation": "countries",
             "CompliantNetworkNamedLocation": "compliant network"}.get(kind, kind)
    return loc.display_name or location_id, words


def _locations(tenant: Tenant, policy: ConditionalAccessPolicy) -> tuple[list[str], list[str]]:
    locs = policy.conditions.locations if policy.conditions is not None else None
    if locs is None:
        return [], []
    return list(locs.include_locations), list(locs.exclude_locations)


def _locations_cell(tenant: Tenant, policy: ConditionalAccessPolicy, dash: str) -> Text | str:
    include, exclude = _locations(tenant, policy)
    if not include and not exclude:
        return dash
    out = Text()
    for n, (loc_id, negated) in enumerate([*((i, False) for i in include), *((e, True) for e in exclude)]):
        name, kind = location_words(tenant, loc_id)
        out.append(", " if n else "")
        if negated:
            out.append("not ", style="dim")
        out.append_text(text(name))
        if kind:
            out.append(f" [{kind}]", style="dim")
    return out


def _worst(findings: Sequence[Finding]) -> str | None:
    return max((f.status for f in findings), key=lambda s: _RANK.get(s, 0), default=None)


def _check_cell(findings: Sequence[Finding], judged: bool, check_style: Callable[[str], str],
                pending: str, dash: str) -> Text | str:
    if not judged:
        return Text(pending, style="dim")
    worst = _worst(findings)
    if worst is None:
        return dash
    if worst == "pass":
        return Text("pass", style=check_style("pass"))
    ids = sorted({f.check.removeprefix("ZT-") for f in findings if f.status == worst})
    return Text(f"{worst} {' '.join(ids)}", style=check_style(worst))


def build_view(tenant: Tenant, assessment: Assessment | None, variables: Mapping[str, str]) -> CaeView:
    """The pane's rows for ``tenant`` (with the findings of ``assessment`` when it is there). Pure."""
    view = CaeView(judged=assessment is not None)
    dash = glyph(variables, "dash")
    pending = glyph(variables, "ellipsis")

    def check_style(status: str) -> str:
        return style_for(variables, "check", status)

    by_check = {c: assessment.by_check(c) if assessment is not None else () for c in CAE_CHECKS}
    per_policy: dict[str, list[Finding]] = {}
    tenant_level: list[Finding] = []  # a check not judged (skip, error) for the whole tenant
    for check in ("ZT-CAE-001", "ZT-CAE-003"):
        for f in by_check[check]:
            if f.resource.type == "tenant":
                if f.status in ("skip", "error"):
                    tenant_level.append(f)
            else:
                per_policy.setdefault(f.resource.id, []).append(f)

    # the tenant CAE policy (legacy)
    policy = tenant.cae_policy
    findings = tuple(by_check["ZT-CAE-002"])
    view.findings[TENANT_ROW] = findings
    if policy is None:
        state: Text | str = Text("unreadable" if tenant.status("cae_policy") != "ok" else "none", style="dim")
        scope: Text | str = dash
    else:
        state = ("migrated" if policy.migrate else
                 "off" if policy.is_enabled is False else "on" if policy.is_enabled else "not set")
        if policy.migrate:
            scope = "in CA policies"
        elif policy.users or policy.groups:
            parts = [f"{len(policy.groups)} group" + ("s" if len(policy.groups) != 1 else "")] if policy.groups else []
            parts += [f"{len(policy.users)} user" + ("s" if len(policy.users) != 1 else "")] if policy.users else []
            scope = "only " + ", ".join(parts)
        else:
            scope = "all users"
    whom: Text | str = dash
    if policy is not None and not policy.migrate and (policy.groups or policy.users):
        names = [getattr(tenant.groups_by_id.get(g), "display_name", None) or g for g in policy.groups]
        names += [getattr(tenant.users_by_id.get(u), "user_principal_name", None) or u for u in policy.users]
        whom = text(", ".join(names))
    view.rows.append(Row(TENANT_ROW, (Text("Tenant CAE policy (legacy)", style="bold"), state, scope, whom,
                                      _check_cell(findings, view.judged, check_style, pending, dash))))

    # Global Secure Access signalling
    settings = tenant.gsa_ca_settings
    findings = tuple(by_check["ZT-CAE-004"])
    view.findings[GSA_ROW] = findings
    pa_apps = sum(1 for a in tenant.applications if a.is_private_access)
    if settings is None:
        signalling: Text | str = Text("unreadable" if tenant.status("gsa_ca_settings") != "ok" else "not set",
                                      style="dim")
    else:
        signalling = settings.signaling_status or "not set"
    private = [f for f in tenant.forwarding_profiles if f.traffic_forwarding_type == "private"]
    forwarding: Text | str = (f"PA forwarding {', '.join(f.state or 'no state' for f in private)}" if private
                              else dash)
    view.rows.append(Row(GSA_ROW, (Text("GSA signalling (source IP restoration)", style="bold"), signalling,
                                   f"PA: {pa_apps} app" + ("s" if pa_apps != 1 else ""), forwarding,
                                   _check_cell(findings, view.judged, check_style, pending, dash))))

    # every Conditional Access policy, those that customise CAE first
    order = {"disabled": 0, "strictlocation": 1}
    policies = sorted(tenant.ca_policies, key=lambda p: (order.get(_mode_key(p), 2),
                                                         (p.display_name or "").casefold(), p.id))
    for p in policies:
        key = f"policy/{p.id}"
        view.policies[key] = p
        found = tuple(per_policy.get(p.id, ())) + (tuple(tenant_level) if p.state != "disabled" else ())
        view.findings[key] = found
        word = mode_word(p)
        mode = Text(word, style=check_style("fail") if word == "disabled" else
                    "bold" if word == "strict location" else "dim")
        state_word = STATE_WORDS.get(p.state or "", p.state or "no state")
        view.rows.append(Row(key, (text(p.display_name or p.id),
                                   Text(state_word, style=style_for(variables, "policy", p.state or "")),
                                   mode, _locations_cell(tenant, p, dash),
                                   _check_cell(found, view.judged, check_style, pending, dash)),
                             style="dim" if p.state == "disabled" else ""))
    view.summary = _summary(view, tenant, by_check, variables, check_style, pending)
    return view


def _summary(view: CaeView, tenant: Tenant, by_check: Mapping[str, Sequence[Finding]],
             variables: Mapping[str, str], check_style: Callable[[str], str], pending: str) -> Text:
    words = [mode_word(p) for p in tenant.ca_policies]
    out = Text()
    if not view.judged:
        out.append(f"checks running{pending}", style="dim")
    else:
        out.append("ZT-CAE ", style="bold")
        for n, check in enumerate(CAE_CHECKS):
            status = _worst(by_check[check]) or "skip"
            out.append(f" {glyph(variables, 'separator')} " if n else "")
            out.append(f"{check.rpartition('-')[2]} ")
            out.append(status, style=check_style(status))
    out.append(f" {glyph(variables, 'dash')} {len(words)} policies: {words.count('disabled')} disable CAE, "
               f"{words.count('strict location')} strict location, {words.count('default')} default")
    return out


# --- the pane --------------------------------------------------------------------------------------------


class CaePane(Pane):
    """Continuous Access Evaluation: the tenant setting, GSA signalling and every policy's CAE mode."""

    ID = "cae"
    TITLE = "CAE"
    ALIASES = ("cae",)
    VIEWS: ClassVar[Mapping[str, str]] = {}
    DATASETS = ("cae_policy", "ca_policies", "named_locations", "gsa_ca_settings", "applications",
                "forwarding_profiles", "users", "groups")
    ACTION_SCOPE = "cae"

    DEFAULT_CSS = """
    CaePane #cae-summary { height: auto; max-height: 2; padding: 0 1; }
    """

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name, id, classes)
        self._view_model: CaeView | None = None
        self._tenant: Tenant | None = None

    def compose_pane(self) -> ComposeResult:
        yield DataNotice(self.DATASETS, id="cae-notice")
        yield Static(Text(f"Reading the tenant{glyph(self.app, 'ellipsis')}", style="dim"), id="cae-summary")
        yield VirtualTable(COLUMNS, empty="No policy.", id="cae-table")

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#cae-table", VirtualTable)

    @property
    def view_model(self) -> CaeView | None:
        return self._view_model

    def theme_changed(self) -> None:
        """The rows carry the theme's colours: draw them again in the new one."""
        if self._tenant is not None:
            self._build(self._tenant)

    def tenant_loaded(self, tenant: Tenant) -> None:
        self._tenant = tenant
        self._build(tenant)

    @work(exclusive=True, group="cae-rows", exit_on_error=False)
    async def _build(self, tenant: Tenant) -> None:
        variables = dict(self.app.theme_variables)
        try:
            analysis = cast("ZtApp", self.app).analysis
            if analysis.ready(tenant) is None:  # the rows now, the findings once the checks have run
                self._apply(await in_daemon_thread(build_view, tenant, None, variables, name="ztconsole-cae"))
            assessment = await analysis.assess(tenant)
            self._apply(await in_daemon_thread(build_view, tenant, assessment, variables, name="ztconsole-cae"))
        except Exception as exc:  # noqa: BLE001 - shown in the pane; the rest of the console carries on
            self.query_one("#cae-summary", Static).update(
                Text.assemble(("CAE could not be shown: ", "bold"), text(f"{type(exc).__name__}: {exc}")))

    def _apply(self, view: CaeView) -> None:
        self._view_model = view
        self.query_one("#cae-summary", Static).update(view.summary)
        self.table.set_rows(view.rows)

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        if self._view_model is not None and self._tenant is not None:
            self.app.push_screen(CaeRowScreen(event.key, self._view_model, self._tenant))


class CaeRowScreen(DetailsDialog):
    """One row of the CAE pane: the setting or policy, every fact behind its verdict, and its findings."""

    def __init__(self, key: str, view: CaeView, tenant: Tenant) -> None:
        policy = view.policies.get(key)
        title = (text(policy.display_name or policy.id, "bold") if policy is not None else
                 Text("Tenant CAE policy (legacy)" if key == TENANT_ROW else
                      "Global Secure Access signalling for Conditional Access", style="bold"))
        super().__init__(title)
        self._key = key
        self._view = view
        self._tenant = tenant

    def body(self) -> Group:
        key = self._key
        grid = self.start()
        if key == TENANT_ROW:
            self._tenant_policy(grid)
        elif key == GSA_ROW:
            self._signalling(grid)
        else:
            self._policy(grid, self._view.policies[key])
        grid = self.section("Findings")
        found = self._view.findings.get(key, ())
        if not self._view.judged:
            grid.add_row("", Text(f"checks running{glyph(self.app, 'ellipsis')}", style="dim"))
        elif not found:
            grid.add_row("", Text("none", style="dim"))
        self.findings(found)
        return self.done()

    def _tenant_policy(self, grid: Table) -> None:
        tenant = self._tenant
        policy = tenant.cae_policy
        grid.add_row("Endpoint", Text("beta identity/continuousAccessEvaluationPolicy"))
        if policy is None:
            grid.add_row("Status", text(f"not read ({tenant.status('cae_policy')})"))
            return
        grid.add_row("Id", text(policy.id or "?"))
        grid.add_row("Name", text(policy.display_name or "?"))
        grid.add_row("isEnabled", text("not set" if policy.is_enabled is None else str(policy.is_enabled).lower()))
        grid.add_row("Migrated", Text("yes (settings live in Conditional Access)") if policy.migrate else
                     Text("no", style=self._style("warn")))
        if policy.description:
            grid.add_row("Description", text(policy.description))
        groups, users = len(policy.groups), len(policy.users)
        grid = self.section(f"Scope ({groups} group{'' if groups == 1 else 's'}, "
                            f"{users} user{'' if users == 1 else 's'}; empty: everyone)")
        if not policy.users and not policy.groups:
            grid.add_row("", Text("all users and groups"))
        for gid in policy.groups:
            g = tenant.groups_by_id.get(gid)
            grid.add_row("group", text(g.display_name or gid) if g is not None else
                         Text.assemble(("unknown group ", self._style("warn")), text(gid)))
        for uid in policy.users:
            u = tenant.users_by_id.get(uid)
            grid.add_row("user", Text.assemble(text(u.display_name or uid), " ", text(
                f"<{u.user_principal_name}>" if u.user_principal_name else "", "dim")) if u is not None else
                Text.assemble(("unknown user ", self._style("warn")), text(uid)))

    def _signalling(self, grid: Table) -> None:
        tenant = self._tenant
        settings = tenant.gsa_ca_settings
        grid.add_row("Endpoint", Text("beta networkAccess/settings/conditionalAccess"))
        grid.add_row("Signalling", text(settings.signaling_status or "not set") if settings is not None else
                     text(f"not read ({tenant.status('gsa_ca_settings')})"))
        apps = [a for a in tenant.applications if a.is_private_access]
        grid.add_row("PA apps", Text(f"{len(apps)} Private Access application(s)"))
        for fp in tenant.forwarding_profiles:
            grid.add_row("Profile", Text.assemble(text(fp.name or fp.id), "  ",
                                                  text(f"{fp.traffic_forwarding_type or '?'}, "
                                                       f"{fp.state or 'no state'}", "dim")))
        grid.add_row("Why", Text("With signalling on, Conditional Access and CAE see the user's own source IP "
                                 "instead of the Global Secure Access egress, so IP named locations keep "
                                 "working for Private Access traffic.", style="dim"))

    def _policy(self, grid: Table, p: ConditionalAccessPolicy) -> None:
        tenant = self._tenant
        grid.add_row("Id", text(p.id))
        grid.add_row("State", Text(STATE_WORDS.get(p.state or "", p.state or "no state"),
                                   style=style_for(self.app, "policy", p.state or "")))
        sc = p.session_controls
        grid.add_row("CAE mode", Text.assemble(mode_word(p), (
            f"  (sessionControls.continuousAccessEvaluation.mode = {clean(sc.cae_mode)})"
            if sc is not None and sc.cae_mode else "  (not customised)", "dim")))
        grant = p.grant_controls
        if grant is not None and grant.built_in_controls:
            grid.add_row("Grant", text(f" {grant.operator or 'OR'} ".join(grant.built_in_controls)))
        include, exclude = _locations(tenant, p)
        grid = self.section("Location conditions")
        if not include and not exclude:
            grid.add_row("", Text("none: the policy applies at any location", style="dim"))
        for loc_id, word in [*((i, "include") for i in include), *((e, "exclude") for e in exclude)]:
            name, kind = location_words(tenant, loc_id)
            line = Text.assemble(text(name, "bold"), f"  {kind or 'built-in'}")
            loc = tenant.named_locations_by_id.get(loc_id)
            more = glyph(self.app, "ellipsis")
            cidrs = getattr(loc, "cidrs", None)
            if cidrs:
                extra = f" {more} {len(cidrs) - 6} more" if len(cidrs) > 6 else ""
                line.append_text(text(f"  {', '.join(cidrs[:6])}{extra}", "dim"))
            countries = getattr(loc, "countries_and_regions", None)
            if countries:
                extra = f" {more} {len(countries) - 12} more" if len(countries) > 12 else ""
                line.append_text(text(f"  {', '.join(countries[:12])}{extra}", "dim"))
            if getattr(loc, "is_trusted", None):
                line.append("  trusted", style="dim")
            if kind == "unknown":
                line.append("  (no named location has this id)", style=self._style("warn"))
            grid.add_row(word, line)
