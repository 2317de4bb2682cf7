"""The Findings pane: every finding of the check catalogue (``ztconsole assess`` in the console), worst first.

The rows are the findings of :meth:`Analysis.assess <ztconsole.ui.analysis.Analysis.assess>` (computed once
per load, in a thread), ordered by status (fail, error, warn, skip, pass), then severity, check and resource.
Three selectors narrow them, each a key of the registry (scope ``findings``) that steps through its values:
``a`` the area (identity, break-glass, ...), ``s`` the least severity (critical, high+, ...), ``t`` the status
(open: fail, warn and error; then each status alone); ``x`` clears them. ``/`` filters the text on top, and
Esc clears both. The selectors show in the line above the table and in the breadcrumb.

A sub-view (:meth:`FindingsPane.show_view`, from ``app.go("findings", view)``) pre-filters by a check id
(``ZT-CA-001``), an area, a status or a severity: the Overview jumps here with the check of the finding
under its cursor and puts the cursor on that finding (:meth:`FindingsPane.reveal`).

Enter opens :class:`FindingScreen`: the evidence line by line, the remediation, the principle, the resource
and its id, and the ``ztconsole whatif`` line that reproduces the evidence when it carries one (the checks
write it shell-quoted, on a line of its own that starts ``reproduce:``). Everything a finding says about the
tenant is data: shown through :func:`ztconsole.ui.safe.text`, never as markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, cast

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widgets import Static

from ztconsole.datasets import BY_KEY, DATASETS
from ztconsole.threads import in_daemon_thread
from ztconsole.ui import actions
from ztconsole.ui.footer import KeyFooter
from ztconsole.ui.notice import DataNotice
from ztconsole.ui.panes.base import Pane
from ztconsole.ui.safe import clean, text
from ztconsole.ui.status import Cut, final, glyph, style, style_for
from ztconsole.ui.vtable import Column, PreparedRows, Row, VirtualTable, prepare_rows

if TYPE_CHECKING:
    from ztconsole.engine.checks.base import Finding
    from ztconsole.model.tenant import DataSetResult, Tenant
    from ztconsole.ui.analysis import Assessment
    from ztconsole.ui.app import ZtApp

__all__ = ["AREAS", "STATUS_ORDER", "CompactNotice", "FindingScreen", "FindingsPane", "FindingsView", "Looks",
           "area_of", "finding_keys", "first_line", "reproduce_lines", "severity_cell", "status_cell",
           "worst_first"]

STATUS_ORDER: tuple[str, ...] = ("fail", "error", "warn", "skip", "pass")
"""How the rows are ordered: what needs action first; ``error`` (a check that could not judge) before warn."""

SEVERITY_ORDER: tuple[str, ...] = ("critical", "high", "medium", "low", "info")

AREAS: tuple[str, ...] = ("identity", "break-glass", "cae", "private-access", "network", "visibility")
"""The catalogue's areas, in catalogue order (a check of an area not listed here still shows, at the end)."""

OPEN = frozenset({"fail", "warn", "error"})
"""The statuses that ask for something to be done (``error``: the check could not judge)."""

STATUS_CHOICES: tuple[str, ...] = ("", "open", *STATUS_ORDER)
SEVERITY_CHOICES: tuple[str, ...] = ("", *SEVERITY_ORDER[:-1])  # "high": high and worse; info is everything
_CHECK_ID = re.compile(r"ZT-[A-Z]+-\d{3}\Z")
_REPRODUCE = "reproduce: "
MAX_LINE = 1_000
"""Characters of one evidence line shown in the dialog (a name can be 10,000 long); the rest is cut."""


# --- the findings as data (no Textual here: these run in a worker thread) -------------------------------------


def area_of(check: str) -> str:
    """The catalogue area of ``check`` (``"identity"``); ``"other"`` for an id the catalogue does not have."""
    from ztconsole.engine.checks.registry import BY_ID

    entry = BY_ID.get(check)
    return entry.area if entry is not None else "other"


def _rank(value: str, order: Sequence[str]) -> int:
    return order.index(value) if value in order else len(order)


def worst_first(findings: Iterable[Finding]) -> list[tuple[int, Finding]]:
    """``(position in the assessment, finding)``, by status (:data:`STATUS_ORDER`), severity, check, resource."""
    return sorted(enumerate(findings), key=lambda item: (
        _rank(item[1].status, STATUS_ORDER), _rank(item[1].severity, SEVERITY_ORDER), item[1].check,
        item[1].resource.name.lower(), item[0]))


def finding_keys(findings: Sequence[Finding]) -> list[str]:
    """A stable key per finding (check, resource type and id; ``#2`` ... on repeats), so the cursor stays on
    the same finding when the tenant is read again."""
    seen: dict[str, int] = {}
    out = []
    for f in findings:
        base = f"{f.check}|{f.resource.type}|{f.resource.id}"
        n = seen.get(base, 0) + 1
        seen[base] = n
        out.append(base if n == 1 else f"{base}#{n}")
    return out


def first_line(evidence: str) -> str:
    """The evidence's first line (the summary the checks put first)."""
    return evidence.split("\n", 1)[0]


def reproduce_lines(evidence: str) -> tuple[list[str], list[str]]:
    """``(evidence lines, reproduce command lines)``: the checks put each ``ztconsole whatif`` (or ``gaps``)
    command on a line of its own after ``reproduce: ``; those lines come back without the prefix."""
    lines, commands = [], []
    for line in evidence.splitlines():
        stripped = line.strip()
        if stripped.startswith(_REPRODUCE):
            commands.append(stripped[len(_REPRODUCE):])
        else:
            lines.append(line)
    return lines, commands


def status_cell(status: str, variables: Mapping[str, str]) -> Text:
    """A finding's status as a cell: the word, in the theme's colour for it (colour is never the only sign)."""
    return Text(status, style=style_for(variables, "check", status))


def severity_cell(severity: str, variables: Mapping[str, str]) -> Text:
    return Text(severity, style=style_for(variables, "severity", severity))


class Looks:
    """The status and severity cells, one of each per value (the table copies a cell before drawing it)."""

    def __init__(self, variables: Mapping[str, str]) -> None:
        self._variables = variables
        self._status: dict[str, Text] = {}
        self._severity: dict[str, Text] = {}

    def status(self, value: str) -> Text:
        cell = self._status.get(value)
        if cell is None:
            cell = self._status[value] = status_cell(value, self._variables)
        return cell

    def severity(self, value: str) -> Text:
        cell = self._severity.get(value)
        if cell is None:
            cell = self._severity[value] = severity_cell(value, self._variables)
        return cell


class Selection(NamedTuple):
    """The selectors in force: an area, the least severity, a status (``open`` or one status), a check id;
    ``""`` for none."""

    area: str = ""
    severity: str = ""
    status: str = ""
    check: str = ""

    def admits(self, finding: Finding, area: str) -> bool:
        if self.check and finding.check != self.check:
            return False
        if self.area and area != self.area:
            return False
        if self.severity and _rank(finding.severity, SEVERITY_ORDER) > _rank(self.severity, SEVERITY_ORDER):
            return False
        if self.status == "open":
            return finding.status in OPEN
        return not self.status or finding.status == self.status

    def words(self) -> list[str]:
        """The selectors as the breadcrumb and the filter line say them."""
        out = []
        if self.check:
            out.append(self.check)
        if self.area:
            out.append(f"area {self.area}")
        if self.severity:
            out.append(f"severity {self.severity}" + ("" if self.severity == "critical" else "+"))
        if self.status:
            out.append(f"status {self.status}")
        return out


class FindingsView(NamedTuple):
    """What the table shows, built off the event loop: the rows in order and each finding by key."""

    rows: tuple[Row, ...]
    by_key: Mapping[str, tuple[Finding, str]]  # key -> (finding, area)
    total: int
    selection: Selection  # what the rows were chosen by


def build_rows(assessment: Assessment, selection: Selection, variables: Mapping[str, str]) -> FindingsView:
    """The table's rows for ``selection`` (every finding of ``assessment``, worst first)."""
    findings = assessment.findings
    keys = finding_keys(findings)
    by_key: dict[str, tuple[Finding, str]] = {}
    rows = []
    areas: dict[str, str] = {}
    looks = Looks(variables)
    for i, f in worst_first(findings):
        area = areas.get(f.check)
        if area is None:
            area = areas[f.check] = area_of(f.check)
        key = keys[i]
        by_key[key] = (f, area)
        if not selection.admits(f, area):
            continue
        # tenant text as cleaned str: the table measures a str fastest, and shows it literally
        rows.append(Row(key, (looks.status(f.status), looks.severity(f.severity), f.check,
                              clean(f.resource.name or f.resource.id), clean(f.title)),
                        style="dim" if f.status == "pass" else ""))
    return FindingsView(tuple(rows), by_key, len(findings), selection)


# --- the pane ---------------------------------------------------------------------------------------------------


class CompactNotice(DataNotice):
    """A :class:`DataNotice` of at most ``limit`` lines, one line each: a pane over every data set (the checks
    read them all) names the first incomplete ones, the permission to grant first, then how many more (the
    Data pane lists them all)."""

    DEFAULT_CSS = """
    CompactNotice { max-height: 4; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, keys: Iterable[str], *, limit: int = 2, id: str | None = None) -> None:
        super().__init__(keys, id=id)
        self.limit = limit

    def show(self, results: Mapping[str, DataSetResult]) -> None:
        problems = [(BY_KEY[key], final(r.status), r.message) for key in self.keys
                    if (r := results.get(key)) is not None and r.status != "ok"]
        self.set_class(bool(problems), "-shown")
        variables = self.app.theme_variables
        out = Text(no_wrap=True, overflow="ellipsis")
        shown = problems if len(problems) <= self.limit else problems[:self.limit - 1]
        for i, (ds, status, message) in enumerate(shown):
            if i:
                out.append("\n")
            look = style(status, variables)
            out.append(f"{glyph(self.app, f'mark-{status}')} ", style=look)
            out.append_text(text(ds.title, "bold"))
            out.append(f" is {status}", style=look)
            if status == "forbidden" and ds.permission:
                out.append(": grant ")
                out.append(ds.permission, style="bold")
            if message:
                out.append(f" {glyph(self.app, 'dash')} ", style="dim")
                out.append_text(text(message))
        more = len(problems) - len(shown)
        if more:
            out.append(f"\n{glyph(self.app, 'ellipsis')} and {more} more not read completely (:data lists them)",
                       style="bold")
        self.update(Cut(out, self.app))


class FindingsPane(Pane):
    """Every finding of the check catalogue, filterable by area, severity and status."""

    ID = "findings"
    TITLE = "Findings"
    ALIASES = ("findings", "f")
    VIEWS: ClassVar[Mapping[str, str]] = {}
    DATASETS = tuple(ds.key for ds in DATASETS)  # the catalogue reads every data set
    ACTION_SCOPE = "findings"

    DEFAULT_CSS = """
    FindingsPane #findings-state { height: 1; padding: 0 1; color: $text-muted; text-wrap: nowrap;
                                   text-overflow: ellipsis; }
    FindingsPane #findings-table { height: 1fr; background: $surface; }
    FindingsPane #findings-preview { height: 2; padding: 0 1; background: $panel; color: $text-muted;
                                     text-wrap: nowrap; text-overflow: ellipsis; }
    """

    COLUMNS = (
        Column("status", "Status", width=6),
        Column("severity", "Severity", width=8),
        Column("check", "Check", width=10),
        Column("resource", "Resource", min_width=10, max_width=28),
        Column("title", "Title", flex=True, min_width=12),
    )

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name, id, classes)
        self.selection = Selection()
        self.assessment: Assessment | None = None
        self.shown: FindingsView | None = None
        self._pending: str | None = None  # a finding to put the cursor on once the rows are in
        self._state = "Waiting for the tenant to be read."
        self._error = ""
        self._checks = 0

    def compose_pane(self) -> ComposeResult:
        yield Static(id="findings-state")
        yield CompactNotice(self.DATASETS, limit=3, id="findings-notice")
        yield VirtualTable(self.COLUMNS, empty="No findings yet.", id="findings-table")
        yield Static(id="findings-preview")

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#findings-table", VirtualTable)

    def on_mount(self) -> None:
        self.table.focus()
        self._show_state()

    def theme_changed(self) -> None:
        if self.assessment is not None:
            self._rebuild()

    # --- the store's hooks -------------------------------------------------------------------------

    def load_started(self) -> None:
        if self.assessment is not None:
            self._state = "Reading the tenant again; these are the findings of the last load."
            self._show_state()

    def tenant_loaded(self, tenant: Tenant) -> None:
        self._assess(tenant)

    @work(exclusive=True, group="findings-assess", exit_on_error=False)
    async def _assess(self, tenant: Tenant) -> None:
        from ztconsole.engine.checks.registry import REGISTRY

        self._checks = len(REGISTRY)
        self._error = ""
        self._state = f"Running {self._checks} checks{glyph(self.app, 'ellipsis')}"
        self._show_state()
        try:
            assessment = await cast("ZtApp", self.app).analysis.assess(tenant)
        except Exception as exc:  # noqa: BLE001 - shown in the pane: the others keep working
            self._error = f"The checks failed: {type(exc).__name__}: {exc}"
            self._show_state()
            return
        self.assessment = assessment
        await self._build(assessment)

    def _rebuild(self) -> None:
        if self.assessment is not None:
            self._rebuild_worker(self.assessment)

    @work(exclusive=True, group="findings-rows", exit_on_error=False)
    async def _rebuild_worker(self, assessment: Assessment) -> None:
        await self._build(assessment)

    async def _build(self, assessment: Assessment) -> None:
        selection, variables = self.selection, dict(self.app.theme_variables)
        columns = len(self.table.columns)

        def build() -> tuple[FindingsView, PreparedRows]:
            view = build_rows(assessment, selection, variables)
            return view, prepare_rows(view.rows, columns)  # measured here: 11,689 findings are only swapped in

        view, prepared = await in_daemon_thread(build, name="ztconsole-findings")
        if assessment is not self.assessment or selection != self.selection:
            return  # a newer load or selection has its own build under way
        self.shown = view
        table = self.table
        table.set_prepared(prepared)
        self._reveal()
        self._state = ""
        self._show_state()
        self._preview(table.cursor_key)

    # --- selectors -------------------------------------------------------------------------------------

    def select(self, **changes: str) -> None:
        """Change the selectors (``area=``, ``severity=``, ``status=``, ``check=``) and show the rows anew."""
        fields = {"area": self.selection.area, "severity": self.selection.severity,
                  "status": self.selection.status, "check": self.selection.check}
        fields.update(changes)
        selection = Selection(**fields)
        if selection == self.selection:
            return
        self.selection = selection
        self.show_trail()
        self.app.refresh_bindings()  # Esc clears selectors before it goes back
        self._show_state()
        self._rebuild()

    def _step(self, field: str, choices: Sequence[str]) -> None:
        current = getattr(self.selection, field)
        at = choices.index(current) if current in choices else 0
        self.select(**{field: choices[(at + 1) % len(choices)]})

    def _areas(self) -> tuple[str, ...]:
        known = list(AREAS)
        if self.shown is not None:
            known += sorted({area for _, area in self.shown.by_key.values()} - set(AREAS))
        return ("", *known)

    def action_area(self) -> None:
        self._step("area", self._areas())

    def action_severity(self) -> None:
        self._step("severity", SEVERITY_CHOICES)

    def action_status(self) -> None:
        self._step("status", STATUS_CHOICES)

    def action_clear(self) -> None:
        had = self.view is not None
        self.select(area="", severity="", status="", check="")
        if had:
            app: Any = self.app  # the console's navigation (ZtApp.go)
            app.go(self.ID, "")

    @property
    def filters(self) -> tuple[str, ...]:
        return (*self.selection.words()[1 if self.selection.check else 0:], *super().filters)

    def clear_filters(self) -> bool:
        had_selection = self.selection != Selection(check=self.selection.check)
        if had_selection:
            self.select(area="", severity="", status="")
        return super().clear_filters() or had_selection

    # --- views ---------------------------------------------------------------------------------------

    def show_view(self, view: str) -> None:
        """``view``: a check id (``ZT-CA-001``), an area, a status (or ``open``), a severity; "" for all."""
        value = view.strip()
        if not value:
            self.select(check="")
        elif _CHECK_ID.match(value.upper()):
            self.select(check=value.upper())
        elif value.lower() in self._areas():
            self.select(check="", area=value.lower())
        elif value.lower() in STATUS_CHOICES:
            self.select(check="", status=value.lower())
        elif value.lower() in SEVERITY_ORDER:
            self.select(check="", severity=value.lower() if value.lower() != "info" else "")
        else:
            self.flash(f"No findings view {value!r}: a check id, an area, a status or a severity.", error=True)

    def reveal(self, key: str) -> None:
        """Put the cursor on the finding ``key`` (now if it is shown, else once the rows are in)."""
        self._pending = key
        self.when_ready(self._reveal)

    def _reveal(self) -> None:
        """Move to the pending finding if the rows hold it; a ``/`` filter that hides it is cleared. Once the
        rows are those of the selectors in force, a finding they do not hold is given up."""
        key = self._pending
        if key is None:
            return
        table = self.table
        table.focus()
        current = self.shown is not None and self.shown.selection == self.selection
        if not table.move_to(key) and current and table.filter_text and table.row(key) is not None:
            self.apply_filter(table, "")  # the filter hid it: the admin asked for this finding
            table.move_to(key)
        if current or table.cursor_key == key:
            self._pending = None

    # --- rows ----------------------------------------------------------------------------------------

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        self._preview(event.key)

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        entry = self.shown.by_key.get(event.key) if self.shown is not None else None
        if entry is not None:
            finding, area = entry
            self.app.push_screen(FindingScreen(finding, area))

    def action_copy_reproduce(self) -> None:
        entry = self.shown.by_key.get(self.table.cursor_key or "") if self.shown is not None else None
        if entry is not None:
            copy_reproduce(self, entry[0])

    def _preview(self, key: str | None) -> None:
        preview = self.query_one("#findings-preview", Static)
        entry = self.shown.by_key.get(key) if self.shown is not None and key is not None else None
        if entry is None:
            preview.update("")
            return
        finding, area = entry
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(f"{finding.check} ", style="bold")
        out.append_text(text(finding.title))
        out.append(f"  {area}", style="dim")
        out.append("\n")
        out.append_text(text(first_line(finding.evidence)))
        preview.update(Cut(out, self.app))

    def _show_state(self) -> None:
        try:
            line = self.query_one("#findings-state", Static)
        except NoMatches:  # not composed yet: on_mount shows it
            return
        variables = self.app.theme_variables
        out = Text(no_wrap=True, overflow="ellipsis")
        if self._error:
            out.append_text(text(self._error, style_for(variables, "check", "error") or "bold"))
            out.append("  (r: read again)", style="dim")
        elif self._state:
            out.append_text(text(self._state))
        view = self.shown
        if view is not None and not self._error:
            if out:
                out.append(f" {glyph(self.app, 'separator')} ", style="dim")
            out.append(f"{len(view.rows):,}", style="bold")
            out.append(f" of {view.total:,} findings")
            words = self.selection.words()
            if words:
                out.append(": ")
                out.append(", ".join(clean(w) for w in words), style=style_for(variables, "check", "warn"))
            out.append("   a area, s severity, t status, x clear", style="dim")
        line.update(Cut(out, self.app))


# --- the details dialog ---------------------------------------------------------------------------------------


def copy_reproduce(node: Pane | FindingScreen, finding: Finding) -> bool:
    """Copy ``finding``'s reproduce command lines to the clipboard (OSC 52) and say so on the node's pane
    (a flash) or as a notification; whether there was one to copy."""
    _, commands = reproduce_lines(finding.evidence)
    if commands:
        node.app.copy_to_clipboard("\n".join(clean(c) for c in commands))
        said = f"Copied: {clean(commands[0])}" + (f" (and {len(commands) - 1} more)" if len(commands) > 1 else "")
    else:
        said = f"{finding.check}: its evidence carries no command line to reproduce."
    if isinstance(node, Pane):
        node.flash(said, error=not commands)
    else:
        node.app.notify(said, markup=False, severity="information" if commands else "warning", timeout=3)
    return bool(commands)


class FindingScreen(actions.Guarded, ModalScreen[None]):
    """One finding: what was judged, why, what to do, and how to reproduce it. Esc (or q) closes it."""

    ACTION_SCOPE = "modal"
    BINDINGS: ClassVar[list[BindingType]] = [
        *actions.bindings("modal"),
        *(b for b in actions.bindings("findings") if isinstance(b, Binding) and b.id == "findings.copy"),
    ]

    def __init__(self, finding: Finding, area: str) -> None:
        super().__init__()
        self.finding = finding
        self.area = area
        self.commands = reproduce_lines(finding.evidence)[1]
        """The command lines that reproduce the evidence (shell-quoted by the checks)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy_reproduce" and not self.commands:
            return False  # nothing to copy: not offered
        return super().check_action(action, parameters)

    def action_copy_reproduce(self) -> None:
        copy_reproduce(self, self.finding)

    def compose(self) -> ComposeResult:
        f = self.finding
        variables = self.app.theme_variables
        lines, commands = reproduce_lines(f.evidence)
        with Vertical(classes="dialog", id="finding-dialog"):
            title = Text(f"{f.check}  ", style="bold")
            title.append_text(text(f.title, "bold"))
            yield Static(title, classes="dialog-title")
            with VerticalScroll(classes="issues", id="finding-body"):
                yield Static(self._facts(f, variables), id="finding-facts")
                yield Static(Text("Remediation", style="bold"), classes="section")
                yield Static(text(f.remediation or glyph(variables, "dash")), id="finding-remediation")
                if commands:
                    yield Static(Text("Reproduce (c copies)", style="bold"), classes="section")
                    yield Static(Text("\n".join(clean(c) for c in commands)), id="finding-reproduce")
                yield Static(Text("Evidence", style="bold"), classes="section")
                yield Static(self._lines(lines, dash=glyph(variables, "dash"), ellipsis=glyph(variables, "ellipsis")),
                             id="finding-evidence")
        yield KeyFooter()

    def _facts(self, f: Finding, variables: Mapping[str, str]) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim", no_wrap=True)
        table.add_column()
        status = status_cell(f.status, variables)
        status.append("  ")
        status.append_text(severity_cell(f.severity, variables))
        table.add_row("Status", status)
        table.add_row("Area", Text(self.area))
        table.add_row("Principle", Text(f.principle))
        resource = text(f.resource.name or glyph(variables, "dash"))
        resource.append(f"  ({clean(f.resource.type)})", style="dim")
        table.add_row("Resource", resource)
        table.add_row("Id", text(f.resource.id or glyph(variables, "dash")))
        return table

    @staticmethod
    def _lines(lines: Sequence[str], *, dash: str, ellipsis: str) -> Text:
        """The evidence lines, each cut to :data:`MAX_LINE` (``dash``, ``ellipsis``: the theme's glyphs)."""
        out = Text()
        shown = [line for line in lines if line.strip()] or [dash]
        for i, line in enumerate(shown):
            if i:
                out.append("\n")
            value = clean(line)
            if len(value) > MAX_LINE:
                value = value[:MAX_LINE] + ellipsis
            out.append(value)
        return out

