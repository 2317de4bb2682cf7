"""The Private Access (ZTNA) pane: every Private Access application (Quick Access marked) with its segments,
connector group and the group's health, assignments, Conditional Access coverage and ZT-PA-* findings.

Three views of one tenant (``VIEWS``; keys ``a``, ``s``, ``c``, through the console's navigation so Esc
comes back):

* ``apps`` (the main view): one row per application;
* ``segments``: every segment (destination, ports, protocol, application) with the flags ZT-PA-002
  (over-broad) and ZT-PA-005 (published twice) raised on it;
* ``connectors``: each connector group, its connectors under it (status, version), and the applications
  it serves.

Nothing is judged here: the coverage and the flags are the findings of the check catalogue
(:mod:`ztconsole.ui.analysis`), read back by resource id and by the exact segment and policy labels the
checks print. The rows are built in a daemon thread (twice per load: at once from the tenant, then with the
findings once the checks have run), so the event loop never waits for them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, cast

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import RichLog, Static

from ztconsole.threads import in_daemon_thread
from ztconsole.ui import actions
from ztconsole.ui.footer import KeyFooter
from ztconsole.ui.notice import DataNotice
from ztconsole.ui.panes.base import Pane
from ztconsole.ui.safe import clean, text
from ztconsole.ui.status import glyph, style_for
from ztconsole.ui.vtable import Column, Row, VirtualTable

if TYPE_CHECKING:
    from collections.abc import Callable

    from ztconsole.engine.checks.base import Finding
    from ztconsole.model.access import Application, ApplicationSegment, Connector, ConnectorGroup
    from ztconsole.model.tenant import Tenant
    from ztconsole.ui.analysis import Assessment
    from ztconsole.ui.app import ZtApp

__all__ = ["AccessPane", "AppDetailsScreen", "ConnectorGroupScreen", "DetailsDialog", "PaView", "build_view"]

PA_CHECKS = ("ZT-PA-001", "ZT-PA-002", "ZT-PA-003", "ZT-PA-004", "ZT-PA-005", "ZT-PA-006")
_RANK = {"pass": 0, "skip": 1, "warn": 2, "error": 3, "fail": 4}
_POLICY_REF = re.compile(r"\(([^\s(),']+), (enabled|report-only|disabled|no state)\)")
_OF_APP = re.compile(r" of '(.*?)'(?= and segment |$)")
_LACKING = re.compile(r"; (.+?) not demanded")
_VIEWS = ("apps", "segments", "connectors")
#: a segment's destinationType as the segments table shows it (the details spell it out)
_TYPE_SHORT = {"ipaddress": "ip", "iprange": "range", "iprangecidr": "cidr", "fqdn": "fqdn", "dnssuffix": "suffix"}
STATE_WORDS = {"enabled": "enabled", "enabledForReportingButNotEnforced": "report-only", "disabled": "disabled"}

APP_COLUMNS = (
    Column("app", "Application", flex=True, min_width=20),
    Column("segments", "Segs", align="right", max_width=4),
    Column("group", "Connector group", min_width=8, max_width=24),
    Column("health", "Conn", max_width=6),
    Column("assigned", "Assigned", min_width=5, max_width=9),
    Column("ca", "CA", min_width=6, max_width=12),
    Column("findings", "Findings", min_width=6, max_width=20),
)
SEGMENT_COLUMNS = (
    Column("destination", "Destination", flex=True, min_width=16),
    Column("type", "Type", min_width=4, max_width=6),
    Column("ports", "Ports", min_width=5, max_width=14),
    Column("protocol", "Proto", max_width=7),
    Column("app", "Application", min_width=8, max_width=26),
    Column("flags", "Flags", min_width=8, max_width=22),
)
CONNECTOR_COLUMNS = (
    Column("name", "Group / connector", flex=True, min_width=14),
    Column("status", "Status", min_width=6, max_width=14),
    Column("version", "Version", min_width=5, max_width=16),
    Column("region", "Region", max_width=6),
    Column("ip", "External IP", min_width=4, max_width=15),
    Column("apps", "Apps", align="right", max_width=4),
)


# --- what the pane shows, built off the event loop ---------------------------------------------------------


@dataclass(frozen=True)
class SegmentFlag:
    """What a check said of one segment: the check, its status for the segment and the words."""

    check: str
    status: str
    words: str


@dataclass(frozen=True)
class AppInfo:
    """One application with everything its row and its details show."""

    app: Application
    segments: tuple[tuple[str, ApplicationSegment], ...]  # (row key, segment)
    group: ConnectorGroup | None
    connectors: tuple[Connector, ...]
    assignment_required: bool | None
    has_service_principal: bool
    assigned: tuple[str, ...]  # "group SG-..." / "user ..."
    findings: tuple[Finding, ...] = ()
    policies: tuple[str, ...] = ()  # ids of the policies the ZT-PA-001 evidence names
    lacking: str = ""  # what ZT-PA-001 says is not demanded ("" when nothing or not judged)


@dataclass
class PaView:
    """Everything the pane shows of one tenant (and, once computed, its findings)."""

    apps: dict[str, AppInfo] = field(default_factory=dict)
    app_rows: list[Row] = field(default_factory=list)
    segment_rows: list[Row] = field(default_factory=list)
    connector_rows: list[Row] = field(default_factory=list)
    segment_app: dict[str, str] = field(default_factory=dict)  # segment row key -> app id
    segment_flags: dict[str, list[SegmentFlag]] = field(default_factory=dict)
    group_of_row: dict[str, str] = field(default_factory=dict)  # connectors view row key -> group id
    summary: Text = field(default_factory=Text)
    judged: bool = False


def _segments(tenant: Tenant, app: Application) -> list[ApplicationSegment]:
    """The app's segments: read per app, then any inlined in onPremisesPublishing, each id once."""
    out: list[ApplicationSegment] = []
    seen: set[str] = set()
    for seg in (*tenant.app_segments.get(app.id, ()), *app.segments):
        if seg.id:
            if seg.id in seen:
                continue
            seen.add(seg.id)
        out.append(seg)
    return out


def _ports(seg: ApplicationSegment) -> str:
    if seg.ports:
        return ", ".join(seg.ports)
    return str(seg.port) if seg.port else "none"


def _worst(findings: Sequence[Finding]) -> str:
    return max((f.status for f in findings), key=lambda s: _RANK.get(s, 0), default="pass")


def _assigned(tenant: Tenant, sp_id: str | None) -> tuple[str, ...]:
    if sp_id is None:
        return ()
    users, groups = tenant.users_by_id, tenant.groups_by_id
    out = []
    for a in tenant.app_role_assignments.get(sp_id, ()):
        pid = a.principal_id or ""
        kind = (a.principal_type or "principal").lower()
        obj = users.get(pid) if kind == "user" else groups.get(pid) if kind == "group" else None
        name = (getattr(obj, "display_name", None) or a.principal_display_name or pid or "?")
        if kind == "user" and obj is not None and getattr(obj, "user_principal_name", None):
            name = f"{name} <{obj.user_principal_name}>"
        out.append(f"{kind} {name}")
    return tuple(sorted(out, key=str.casefold))


def _overlap_words(line: str, own: str) -> str:
    """A ZT-PA-005 evidence line (``<what>: segment ... of 'A' and segment ... of 'B'``) in short:
    ``<what>, also published by 'B'`` (B: the application that is not ``own``)."""
    what = line.split(": segment ", 1)[0]
    others = [name for name in _OF_APP.findall(line) if name != own] or [own]
    return f"{what}, also published by '{others[0]}'"


def _assigned_count(assigned: Sequence[str]) -> str:
    """``1 group``, ``3 users``, ``2g 5u``; ``none``."""
    groups = sum(1 for a in assigned if a.startswith("group "))
    users = sum(1 for a in assigned if a.startswith("user "))
    other = len(assigned) - groups - users
    if not assigned:
        return "none"
    if groups and not users and not other:
        return f"{groups} group" + ("s" if groups > 1 else "")
    if users and not groups and not other:
        return f"{users} user" + ("s" if users > 1 else "")
    return " ".join(f"{n}{k}" for n, k in ((groups, "g"), (users, "u"), (other, "o")) if n)


def _lacking(evidence: str) -> str:
    """What ZT-PA-001's evidence says is not demanded, in short: "MFA", "device" or "MFA+device"."""
    words = " ".join(_LACKING.findall(evidence))
    mfa, device = "MFA" in words, "device" in words
    return "MFA+device" if mfa and device else "MFA" if mfa else "device" if device else ""


def build_view(tenant: Tenant, assessment: Assessment | None, variables: Mapping[str, str]) -> PaView:
    """The pane's rows for ``tenant`` (with the findings of ``assessment`` when it is there; ``variables``:
    the theme's, for the colours). Pure: runs in a thread."""
    from ztconsole.engine.checks.access import segment_label

    view = PaView(judged=assessment is not None)
    dash = glyph(variables, "dash")
    pending = glyph(variables, "ellipsis")

    def check_style(status: str) -> str:
        return style_for(variables, "check", status)

    by_app: dict[str, list[Finding]] = {}
    not_judged: list[Finding] = []  # a check the runner could not judge for want of data: every app's
    if assessment is not None:
        for check in PA_CHECKS:
            for f in assessment.by_check(check):
                if f.resource.type == "tenant":
                    if f.status in ("skip", "error") and f.evidence.startswith("not judged"):
                        not_judged.append(f)
                    continue
                by_app.setdefault(f.resource.id, []).append(f)
    apps = sorted((a for a in tenant.applications if a.is_private_access),
                  key=lambda a: (not a.is_quick_access, (a.display_name or "").casefold(), a.id))
    group_apps: dict[str, list[str]] = {}
    known = {g.id: g for g in tenant.connector_groups}
    for app in apps:
        sp = tenant.service_principals_by_app_id.get(app.app_id or "")
        group = tenant.app_connector_group.get(app.id)
        if group is not None:
            group = known.get(group.id, group)
            group_apps.setdefault(group.id, []).append(app.id)
        connectors = tenant.connector_group_members.get(group.id, ()) if group is not None else ()
        segs = _segments(tenant, app)
        findings = (*by_app.get(app.id, ()), *not_judged)
        pa001 = [f for f in findings if f.check == "ZT-PA-001"]
        policies: list[str] = []
        for f in pa001:
            for pid, _state in _POLICY_REF.findall(f.evidence):
                if pid in tenant.ca_policies_by_id and pid not in policies:
                    policies.append(pid)
        info = AppInfo(app=app, segments=tuple((f"{app.id}/{s.id or i}", s) for i, s in enumerate(segs)),
                       group=group, connectors=tuple(connectors),
                       assignment_required=sp.app_role_assignment_required if sp is not None else None,
                       has_service_principal=sp is not None, assigned=_assigned(tenant, sp.id if sp else None),
                       findings=findings, policies=tuple(policies),
                       lacking=" ".join(_lacking(f.evidence) for f in pa001 if f.status == "fail").strip())
        view.apps[app.id] = info
        # segment flags, from the segment labels the checks print
        labels = {key: segment_label(s) for key, s in info.segments}
        for f in findings:
            if f.check not in ("ZT-PA-002", "ZT-PA-005") or f.status in ("pass", "skip"):
                continue
            lines = f.evidence.split("\n")
            for n, line in enumerate(lines):
                for key, label in labels.items():
                    at = line.find(label)
                    if at < 0:
                        continue
                    if f.check == "ZT-PA-002":
                        status = f.status if n == 0 else line.partition(":")[0].strip()
                        words = line[at + len(label):].removeprefix(":").strip()
                    else:
                        status, words = f.status, _overlap_words(line, app.display_name or app.id)
                    view.segment_flags.setdefault(key, []).append(SegmentFlag(f.check, status, words))
    # --- rows: applications
    versions = sorted({c.version for cs in tenant.connector_group_members.values() for c in cs if c.version}
                      | {c.version for c in tenant.connectors if c.version}, key=_version_key)
    newest = versions[-1] if versions else None
    for info in view.apps.values():
        app = info.app
        name = text(app.display_name or app.id)
        if app.is_quick_access:
            name = Text.assemble(Text("QA ", style="bold"), name)
        active = sum(1 for c in info.connectors if c.is_active)
        if info.group is None:
            group_cell: Text | str = Text("none", style=check_style("fail"))
            health: Text | str = dash
        else:
            group_cell = text(info.group.name or info.group.id)
            if info.group.is_default:
                group_cell.append(" (default)", style=check_style("warn"))
            health = Text(f"{active}/{len(info.connectors)}",
                          style=check_style("pass" if active >= 2 else "warn" if active else "fail"))
        if not info.has_service_principal:
            assigned: Text | str = Text("no SP", style=check_style("fail"))
        elif info.assignment_required is not True:
            assigned = Text("anyone", style=check_style("fail"))
        else:
            assigned = Text(_assigned_count(info.assigned), style="" if info.assigned else check_style("fail"))
        view.app_rows.append(Row(app.id, (name, str(len(info.segments)), group_cell, health, assigned,
                                          _ca_cell(info, view.judged, check_style, pending),
                                          _findings_cell(info.findings, view.judged, check_style, pending))))
    # --- rows: segments
    for info in view.apps.values():
        app_name = clean(info.app.display_name or info.app.id)
        for key, seg in info.segments:
            view.segment_app[key] = info.app.id
            flags = view.segment_flags.get(key, [])
            view.segment_rows.append(Row(key, (
                seg.destination_host or "?",
                _TYPE_SHORT.get((seg.destination_type or "").casefold(), seg.destination_type or dash), _ports(seg),
                seg.protocol or "tcp", app_name, _flags_cell(flags, view.judged, check_style, pending))))
    # --- rows: connector groups and connectors
    listed: set[str] = set()
    for group in sorted(tenant.connector_groups, key=lambda g: (not g.is_default, (g.name or "").casefold(), g.id)):
        members = tenant.connector_group_members.get(group.id, ())
        active = sum(1 for c in members if c.is_active)
        name = text(group.name or group.id, "bold")
        if group.is_default:
            name.append(" (default)", style=check_style("warn"))
        served = group_apps.get(group.id, [])
        state = Text(f"{active}/{len(members)} active",
                     style=check_style("pass" if active >= 2 else "warn" if active else "fail"))
        view.connector_rows.append(Row(f"group/{group.id}", (name, state, dash, group.region or dash, dash,
                                                              str(len(served)))))
        view.group_of_row[f"group/{group.id}"] = group.id
        for c in members:
            listed.add(c.id)
            key = f"connector/{group.id}/{c.id}"
            view.group_of_row[key] = group.id
            view.connector_rows.append(Row(key, (
                Text.assemble("  ", text(c.machine_name or c.id)),
                Text(c.status or "no status", style=check_style("pass" if c.is_active else "fail")),
                _version_cell(c.version, newest, check_style), dash, c.external_ip or dash, "")))
    loose = [c for c in tenant.connectors if c.id not in listed]
    if loose:
        view.connector_rows.append(Row("group/", (Text("(not in a listed group)", style="dim"), dash, dash, dash,
                                                  dash, "")))
        for c in loose:
            view.connector_rows.append(Row(f"connector//{c.id}", (
                Text.assemble("  ", text(c.machine_name or c.id)),
                Text(c.status or "no status", style=check_style("pass" if c.is_active else "fail")),
                _version_cell(c.version, newest, check_style), dash, c.external_ip or dash, "")))
    view.summary = _summary(view, tenant, variables, check_style, pending)
    return view


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else -1 for p in version.split("."))


def _version_cell(version: str | None, newest: str | None, check_style: Callable[[str], str]) -> Text:
    """The version, marked ``older`` when a connector of the tenant runs a newer one."""
    if not version:
        return Text("?", style="dim")
    out = text(version)
    if newest is not None and _version_key(version) < _version_key(newest):
        out.append(" older", style=check_style("warn"))
    return out


def _ca_cell(info: AppInfo, judged: bool, check_style: Callable[[str], str], pending: str) -> Text:
    if not judged:
        return Text(pending, style="dim")
    found = [f for f in info.findings if f.check == "ZT-PA-001"]
    if not found:
        return Text("not judged", style="dim")
    status = _worst(found)
    if status == "pass":
        return Text("MFA+device", style=check_style("pass"))
    if status == "fail":
        lacking = info.lacking.replace("device", "dev") if "+" in info.lacking else info.lacking
        return Text(f"no {lacking}" if lacking else "fail", style=check_style("fail"))
    return Text(status, style=check_style(status))


def _findings_cell(findings: Sequence[Finding], judged: bool, check_style: Callable[[str], str],
                   pending: str) -> Text:
    if not judged:
        return Text(pending, style="dim")
    counts = {s: sum(1 for f in findings if f.status == s) for s in ("fail", "warn", "error", "skip")}
    if not any(counts.values()):
        return Text("ok", style=check_style("pass")) if findings else Text("none", style="dim")
    out = Text()
    for status, n in counts.items():
        if n:
            out.append(" " if out else "")
            out.append(f"{n} {status}", style=check_style(status))
    return out


def _flags_cell(flags: Sequence[SegmentFlag], judged: bool, check_style: Callable[[str], str],
                pending: str) -> Text:
    if not judged:
        return Text(pending, style="dim")
    if not flags:
        return Text("ok", style=check_style("pass"))
    out = Text()
    broad = [f for f in flags if f.check == "ZT-PA-002"]
    overlaps = [f for f in flags if f.check == "ZT-PA-005"]
    if broad:
        worst = max((f.status for f in broad), key=lambda s: _RANK.get(s, 0))
        out.append(f"broad:{worst}", style=check_style(worst))
    if overlaps:
        out.append(" " if out else "")
        out.append(f"overlap:{len(overlaps)}", style=check_style("fail"))
    return out


def _summary(view: PaView, tenant: Tenant, variables: Mapping[str, str], check_style: Callable[[str], str],
             pending: str) -> Text:
    apps = list(view.apps.values())
    quick = sum(1 for i in apps if i.app.is_quick_access)
    members = [c for cs in tenant.connector_group_members.values() for c in cs]
    inactive = sum(1 for c in members if not c.is_active)
    out = Text()

    def count(n: int, noun: str, *keys: str) -> None:
        """``n noun``, and the data sets behind it that were not read completely, by status."""
        out.append(f"{n} {noun}", style="bold" if noun == "apps" else "")
        gaps = sorted({f"{tenant.status(k)}" for k in keys if tenant.status(k) != "ok"})
        if gaps:
            out.append(f" ({', '.join(gaps)})", style=check_style("warn"))

    count(len(apps), "apps", "applications")
    sep = f" {glyph(variables, 'separator')} "
    out.append(f" ({quick} Quick Access){sep}")
    count(len(view.segment_rows), "segments", "app_segments")
    out.append(sep)
    count(len(tenant.connector_groups), "connector groups", "connector_groups")
    out.append(", ")
    count(len(members), "connectors", "connector_group_members")
    if inactive:
        out.append(f" ({inactive} inactive)", style=check_style("warn"))
    out.append(sep)
    if not view.judged:
        out.append(f"checks running{pending}", style="dim")
        return out
    findings = list(dict.fromkeys(f for i in apps for f in i.findings))  # a not-judged one is every app's
    counts = {s: sum(1 for f in findings if f.status == s) for s in ("fail", "warn", "error", "skip")}
    shown = [(s, n) for s, n in counts.items() if n]
    if not shown:
        out.append("ZT-PA checks pass", style=check_style("pass"))
    for i, (status, n) in enumerate(shown):
        out.append(", " if i else "ZT-PA: ")
        out.append(f"{n} {status}", style=check_style(status))
    return out


# --- the pane ---------------------------------------------------------------------------------------------


class AccessPane(Pane):
    """Private Access applications, their segments and their connectors."""

    ID = "pa"
    TITLE = "Private Access"
    ALIASES = ("pa", "ztna", "apps")
    VIEWS: ClassVar[Mapping[str, str]] = {"apps": "apps"}
    DATASETS = ("applications", "app_segments", "app_connector_group", "connector_groups",
                "connector_group_members", "connectors", "service_principals", "app_role_assignments",
                "ca_policies", "users", "groups", "group_members")
    ACTION_SCOPE = "pa"

    DEFAULT_CSS = """
    AccessPane #pa-summary { height: auto; max-height: 2; padding: 0 1; }
    AccessPane .pa-table { display: none; }
    AccessPane .pa-table.-shown { display: block; }
    """

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name, id, classes)
        self._view_model: PaView | None = None
        self._tenant: Tenant | None = None
        self._shown = "apps"

    def compose_pane(self) -> ComposeResult:
        yield DataNotice(self.DATASETS, id="pa-notice")
        yield Static(Text(f"Reading the tenant{glyph(self.app, 'ellipsis')}", style="dim"), id="pa-summary")
        yield VirtualTable(APP_COLUMNS, empty="No Private Access application.", id="pa-apps",
                           classes="pa-table -shown")
        yield VirtualTable(SEGMENT_COLUMNS, empty="No application segment.", id="pa-segments", classes="pa-table")
        yield VirtualTable(CONNECTOR_COLUMNS, empty="No connector group.", id="pa-connectors", classes="pa-table")

    def table(self, view: str | None = None) -> VirtualTable:
        """The table of ``view`` (default: the one shown)."""
        return self.query_one(f"#pa-{view or self._shown}", VirtualTable)

    @property
    def view_model(self) -> PaView | None:
        return self._view_model

    # --- hooks -------------------------------------------------------------------------------------------

    def theme_changed(self) -> None:
        """The rows carry the theme's colours: draw them again in the new one."""
        if self._tenant is not None:
            self._build(self._tenant)

    def tenant_loaded(self, tenant: Tenant) -> None:
        self._tenant = tenant
        self._build(tenant)

    def show_view(self, view: str) -> None:
        view = view if view in _VIEWS else "apps"
        self._shown = view
        for name in _VIEWS:
            self.table(name).set_class(name == view, "-shown")
        self.table().focus()

    @work(exclusive=True, group="pa-rows", exit_on_error=False)
    async def _build(self, tenant: Tenant) -> None:
        variables = dict(self.app.theme_variables)
        summary = self.query_one("#pa-summary", Static)
        try:
            analysis = cast("ZtApp", self.app).analysis
            if analysis.ready(tenant) is None:  # the rows now, the findings once the checks have run
                self._apply(await in_daemon_thread(build_view, tenant, None, variables, name="ztconsole-pa"))
            assessment = await analysis.assess(tenant)
            self._apply(await in_daemon_thread(build_view, tenant, assessment, variables, name="ztconsole-pa"))
        except Exception as exc:  # noqa: BLE001 - shown in the pane; the rest of the console carries on
            summary.update(Text.assemble(("Private Access could not be shown: ", "bold"),
                                         text(f"{type(exc).__name__}: {exc}")))

    def _apply(self, view: PaView) -> None:
        if self._tenant is None:
            return
        self._view_model = view
        self.query_one("#pa-summary", Static).update(view.summary)
        self.table("apps").set_rows(view.app_rows)
        self.table("segments").set_rows(view.segment_rows)
        self.table("connectors").set_rows(view.connector_rows)

    # --- keys ----------------------------------------------------------------------------------------------

    def _go(self, view: str) -> None:
        if self._shown == view:
            return
        cast("ZtApp", self.app).go(self.ID, view)  # recorded: Esc comes back

    def action_view_apps(self) -> None:
        self._go("apps")

    def action_view_segments(self) -> None:
        self._go("segments")

    def action_view_connectors(self) -> None:
        self._go("connectors")

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        view, tenant = self._view_model, self._tenant
        if view is None or tenant is None:
            return
        key = event.key
        table = event.table.id
        if table == "pa-apps" and key in view.apps:
            self.app.push_screen(AppDetailsScreen(view.apps[key], view, tenant))
        elif table == "pa-segments" and key in view.segment_app:
            self.app.push_screen(AppDetailsScreen(view.apps[view.segment_app[key]], view, tenant, segment=key))
        elif table == "pa-connectors":
            gid = view.group_of_row.get(key)
            if gid is not None:
                self.app.push_screen(ConnectorGroupScreen(gid, view, tenant))


# --- details ---------------------------------------------------------------------------------------------


class DetailsDialog(actions.Guarded, ModalScreen[None]):
    """A dialog closed by the registry's ``modal`` actions (Esc), its body scrolled by the keys."""

    ACTION_SCOPE = "modal"
    BINDINGS = actions.bindings("modal")
    DEFAULT_CSS = """
    DetailsDialog #details-body { height: auto; max-height: 24; background: $surface; }
    """

    def __init__(self, title: Text) -> None:
        super().__init__()
        self._title = title
        self.rendered: Group | None = None
        """The body as written (what the dialog shows, wrapped to its width)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._title, classes="dialog-title")
            # rendered once, at the dialog's width: a Static would wrap thousands of characters of evidence
            # again at every layout
            yield RichLog(id="details-body", wrap=True, markup=False, highlight=False, auto_scroll=False, min_width=20)
        yield KeyFooter()

    def on_mount(self) -> None:
        body = self.query_one(RichLog)
        try:
            self.rendered = self.body()
        except Exception as exc:  # noqa: BLE001 - one row's odd data never ends the console: said in place
            self.rendered = Group(Text.assemble(("These details could not be shown: ", "bold"),
                                                text(f"{type(exc).__name__}: {exc}")))
        body.write(self.rendered, expand=True, scroll_end=False)
        body.focus()

    def body(self) -> Group:
        """The dialog's text: :meth:`start`, then a :meth:`section` per part, then :meth:`done`."""
        raise NotImplementedError

    def start(self) -> Table:
        """Begin the body with a grid of facts (label, value)."""
        self._parts: list[Table | Text] = []
        return self._new_grid()

    def _new_grid(self) -> Table:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True, min_width=8)
        grid.add_column(overflow="fold")
        self._parts.append(grid)
        return grid

    def done(self) -> Group:
        return Group(*self._parts)

    def _style(self, status: str) -> str:
        return style_for(self.app, "check", status)

    def section(self, heading: str) -> Table:
        """A heading, and the grid of the part under it."""
        self._parts.append(Text(f"\n{heading}", style="bold underline"))
        return self._new_grid()

    def findings(self, findings: Sequence[Finding]) -> None:
        """Each finding: status, check and title, its evidence line by line, and its remediation. One Text
        (not a table): a large tenant's evidence runs to thousands of characters, and a table measures every
        cell at each layout."""
        out = Text()
        for f in sorted(findings, key=lambda f: (f.check, -_RANK.get(f.status, 0))):
            out.append("\n" if out else "")
            out.append(f.status.upper(), style=self._style(f.status))
            out.append(f" {f.check} ", style="bold")
            out.append_text(text(f.title))
            for line in f.evidence.split("\n"):
                out.append("\n    ")
                out.append_text(text(line, "dim" if line.startswith("reproduce:") else ""))
            if f.status not in ("pass", "skip") and f.remediation:
                out.append("\n    ")
                out.append_text(Text.assemble(("fix: ", "bold"), text(f.remediation)))
        if out:
            self._parts.append(out)


class AppDetailsScreen(DetailsDialog):
    """One application: segments (with their flags), connector group and connectors, assignments,
    Conditional Access coverage (ZT-PA-001) and every ZT-PA-* finding."""

    def __init__(self, info: AppInfo, view: PaView, tenant: Tenant, *, segment: str | None = None) -> None:
        title = text(info.app.display_name or info.app.id, "bold")
        if info.app.is_quick_access:
            title.append("  (Quick Access)", style="bold")
        super().__init__(title)
        self.info = info
        self._view = view
        self._tenant = tenant
        self._segment = segment

    def body(self) -> Group:
        info, view, tenant = self.info, self._view, self._tenant
        app = info.app
        grid = self.start()
        grid.add_row("Object id", text(app.id))
        grid.add_row("App id", text(app.app_id or "none"))
        if not info.has_service_principal:
            grid.add_row("Enterprise app", Text("none (no service principal)", style=self._style("fail")))
        else:
            req = info.assignment_required
            grid.add_row("Assignment", Text("required" if req else "not required: every user can reach it",
                                            style="" if req else self._style("fail")))
        self.section(f"Segments ({len(info.segments)})")
        segments = Text()
        for key, seg in info.segments:
            chosen = key == self._segment
            segments.append("\n" if segments else "")
            segments.append("> " if chosen else "  ", style="bold")
            segments.append_text(text(seg.destination_host or "?", "bold" if chosen else ""))
            segments.append(f"  {clean(seg.destination_type or '?')}  ports {clean(_ports(seg))}  "
                            f"{clean(seg.protocol or 'tcp')}")
            for flag in view.segment_flags.get(key, []):
                segments.append("\n    ")
                segments.append(flag.status, style=self._style(flag.status))
                segments.append_text(text(f" {flag.check}: {flag.words}"))
        self._parts.append(segments)
        grid = self.section("Connector group")
        if info.group is None:
            grid.add_row("Group", Text("none assigned", style=self._style("fail")))
        else:
            name = text(info.group.name or info.group.id)
            if info.group.is_default:
                name.append(" (the default group)", style=self._style("warn"))
            grid.add_row("Group", name)
            active = sum(1 for c in info.connectors if c.is_active)
            grid.add_row("Health", Text(f"{active} of {len(info.connectors)} connectors active",
                                        style=self._style("pass" if active >= 2 else "warn" if active else "fail")))
            for c in info.connectors:
                grid.add_row("", Text.assemble(text(c.machine_name or c.id),
                                               (f"  {c.status or 'no status'}", self._style(
                                                   "pass" if c.is_active else "fail")),
                                               f"  {clean(c.version or '?')}  {clean(c.external_ip or '')}"))
        grid = self.section(f"Assignments ({len(info.assigned)})")
        if not info.assigned:
            grid.add_row("", Text("nobody is assigned", style=self._style("fail")))
        for who in info.assigned[:200]:
            grid.add_row("", text(who))
        if len(info.assigned) > 200:
            grid.add_row("", Text(f"{glyph(self.app, 'ellipsis')} and {len(info.assigned) - 200:,} more",
                                  style="dim"))
        grid = self.section("Conditional Access (ZT-PA-001)")
        if not view.judged:
            grid.add_row("", Text(f"checks running{glyph(self.app, 'ellipsis')}", style="dim"))
        else:
            found = [f for f in info.findings if f.check == "ZT-PA-001"]
            status = _worst(found) if found else "not judged"
            verdict = ("the enabled policies that apply demand MFA and a compliant or hybrid-joined device"
                       if status == "pass" else f"{info.lacking} not demanded for some users"
                       if status == "fail" and info.lacking else status)
            grid.add_row(Text(status.upper(), style=self._style(status)), text(verdict))
            if info.policies:
                grid.add_row("", Text("the enabled policies that apply (every assigned user, browser and desktop "
                                      "client, every platform):" if status == "pass" else
                                      "the policies applied in the sign-ins the finding shows:", style="dim"))
            for pid in info.policies:
                p = tenant.ca_policies_by_id[pid]
                grant = p.grant_controls
                controls = f" {grant.operator or 'OR'} ".join(grant.built_in_controls) if grant is not None else ""
                state = STATE_WORDS.get(p.state or "", p.state or "no state")
                grid.add_row(Text(state, style=style_for(self.app, "policy", p.state or "")),
                             Text.assemble(text(p.display_name or p.id),
                                           (f"  grant: {controls}" if controls else "  no grant control", "dim")))
        grid = self.section("Findings")
        if not view.judged:
            grid.add_row("", Text(f"checks running{glyph(self.app, 'ellipsis')}", style="dim"))
        elif not info.findings:
            grid.add_row("", Text("none", style="dim"))
        self.findings(info.findings)
        return self.done()


class ConnectorGroupScreen(DetailsDialog):
    """One connector group: its connectors, the applications it serves and their ZT-PA-004 findings."""

    def __init__(self, group_id: str, view: PaView, tenant: Tenant) -> None:
        group = next((g for g in tenant.connector_groups if g.id == group_id), None)
        super().__init__(text((group.name or group.id) if group else "Connectors not in a listed group", "bold"))
        self._group = group
        self._view = view
        self._tenant = tenant

    def body(self) -> Group:
        group, tenant = self._group, self._tenant
        grid = self.start()
        if group is None:
            listed = {c.id for cs in tenant.connector_group_members.values() for c in cs}
            members: tuple[Connector, ...] = tuple(c for c in tenant.connectors if c.id not in listed)
        else:
            members = tenant.connector_group_members.get(group.id, ())
            grid.add_row("Id", text(group.id))
            grid.add_row("Default group", Text("yes", style=self._style("warn")) if group.is_default else
                         Text("no"))
            grid.add_row("Region", text(group.region or "?"))
            grid.add_row("Type", text(group.connector_group_type or "?"))
        active = sum(1 for c in members if c.is_active)
        grid = self.section(f"Connectors ({active} of {len(members)} active)")
        for c in members:
            grid.add_row(Text(c.status or "?", style=self._style("pass" if c.is_active else "fail")),
                         Text.assemble(text(c.machine_name or c.id), f"  version {clean(c.version or '?')}  "
                                       f"{clean(c.external_ip or '')}"))
        served = [i for i in self._view.apps.values() if group is not None and i.group is not None
                  and i.group.id == group.id]
        grid = self.section(f"Applications ({len(served)})")
        for info in served:
            grid.add_row("", text(info.app.display_name or info.app.id))
        self.findings([f for i in served for f in i.findings if f.check == "ZT-PA-004"])
        return self.done()
