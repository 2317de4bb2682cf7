"""The Overview pane, the one the console opens on: where the tenant stands, on one screen.

Top to bottom (each section fits 80 columns):

* a state line: what is under way (the tenant being read, ``Running 47 checks…``) or what the checks found;
* **maturity** per pillar (identity, devices, network): Traditional, Advanced or Optimal, and the checks that
  keep it from the next level (:mod:`ztconsole.engine.maturity`, through the console's one
  :class:`~ztconsole.ui.analysis.Analysis`);
* **findings by area**: a matrix of counts by status, and of the open findings (fail, warn, error) by
  severity;
* the **worst findings**: fail first (by severity), then error and warn, each with its check, resource and
  the first line of its evidence; Enter opens it in the Findings pane, filtered to its check, cursor on it;
* **data-set health**: the data sets by status, and each one not read completely with why (a
  :class:`~ztconsole.ui.panes.findings.CompactNotice`, a data-set notice over every data set, since the
  checks read them all, that names the first two and counts the rest).

The checks run once per load in a thread; until they are done the pane says so, and on a reload it keeps
the last findings, saying they are the last load's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.widgets import Static

from ztconsole.datasets import DATASETS
from ztconsole.threads import in_daemon_thread
from ztconsole.ui.panes.base import Pane
from ztconsole.ui.panes.findings import (
    AREAS,
    OPEN,
    SEVERITY_ORDER,
    STATUS_ORDER,
    CompactNotice,
    FindingsPane,
    Looks,
    area_of,
    finding_keys,
    first_line,
    worst_first,
)
from ztconsole.ui.safe import clean, text
from ztconsole.ui.status import FINAL, Cut, glyph, style, style_for
from ztconsole.ui.vtable import Column, Row, VirtualTable

if TYPE_CHECKING:
    from ztconsole.engine.maturity import PillarMaturity
    from ztconsole.model.tenant import Tenant
    from ztconsole.ui.analysis import Assessment
    from ztconsole.ui.app import ZtApp

__all__ = ["OverviewPane", "Summary", "maturity_lines", "matrix_lines", "summarise"]

LEVEL_LOOK = {"traditional": "fail", "advanced": "warn", "optimal": "pass"}
"""The status colour each maturity level is drawn in."""

_SHORT_SEVERITY = {"critical": "crit", "high": "high", "medium": "med", "low": "low", "info": "info"}
_AREA_WIDTH = 15
_COUNT_WIDTH = 6
_MAX_BLOCKERS = 4


class Summary(NamedTuple):
    """What the Overview shows of an assessment, computed off the event loop."""

    by_area: Mapping[str, Counter[str]]  # area -> status counts and "open:<severity>" counts
    total: Counter[str]
    worst: tuple[Row, ...]
    keys: Mapping[str, str]  # row key -> the finding's check (for the jump to Findings)
    findings: int


def summarise(assessment: Assessment, variables: Mapping[str, str]) -> Summary:
    """The counts by area and the worst findings' rows (the keys are the Findings pane's keys)."""
    findings = assessment.findings
    keys = finding_keys(findings)
    by_area: dict[str, Counter[str]] = {}
    total: Counter[str] = Counter()
    areas: dict[str, str] = {}
    for f in findings:
        area = areas.get(f.check)
        if area is None:
            area = areas[f.check] = area_of(f.check)
        counts = by_area.setdefault(area, Counter())
        for counter in (counts, total):
            counter[f.status] += 1
            if f.status in OPEN:
                counter[f"open:{f.severity}"] += 1
    rows = []
    checks = {}
    looks = Looks(variables)
    for i, f in worst_first(findings):
        if f.status not in OPEN:
            continue
        checks[keys[i]] = f.check
        # tenant text as cleaned str: the table measures a str fastest, and shows it literally
        rows.append(Row(keys[i], (looks.status(f.status), looks.severity(f.severity), f.check,
                                  clean(f.resource.name or f.resource.id), clean(first_line(f.evidence)))))
    ordered = {a: by_area[a] for a in (*AREAS, *sorted(set(by_area) - set(AREAS))) if a in by_area}
    return Summary(ordered, total, tuple(rows), checks, len(findings))


def maturity_lines(maturity: Mapping[str, PillarMaturity], variables: Mapping[str, str], *,
                   arrow: str = "->", ellipsis: str = "...") -> Text:
    """One line per pillar: its level, and the checks that keep it from the next level (with their worst
    status), or that every criterion holds."""
    from ztconsole.engine.maturity import LEVELS

    out = Text(no_wrap=True, overflow="ellipsis")
    for i, (pillar, m) in enumerate(maturity.items()):
        if i:
            out.append("\n")
        out.append(f"{'Maturity' if i == 0 else '':<10}", style="bold")
        out.append(f"{pillar:<10}")
        out.append(f"{m.level.capitalize():<13}", style=style_for(variables, "check", LEVEL_LOOK.get(m.level, "")))
        at = LEVELS.index(m.level) if m.level in LEVELS else 0
        if at + 1 >= len(LEVELS):
            out.append(f"all {len(m.decided_by)} criteria hold", style="dim")
            continue
        target = LEVELS[at + 1]
        blockers = [(check, status) for r in m.decided_by if r.criterion.level == target and not r.holds
                    for check, status in r.statuses if status not in ("pass", "warn")]
        out.append(f"{arrow} {target}: ", style="dim")
        for j, (check, status) in enumerate(blockers[:_MAX_BLOCKERS]):
            if j:
                out.append(", ")
            out.append(check)
            out.append(f" {status}", style=style_for(variables, "check", status) or "dim")
        if len(blockers) > _MAX_BLOCKERS:
            out.append(f", +{len(blockers) - _MAX_BLOCKERS} more", style="dim")
        if not blockers:
            out.append(f"no evidence yet{ellipsis}", style="dim")
    return out


def matrix_lines(summary: Summary, variables: Mapping[str, str]) -> Text:
    """Counts by area: statuses, then the open findings by severity (78 columns)."""
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append(f"{'Findings':<{_AREA_WIDTH}}", style="bold")
    for status in STATUS_ORDER:
        out.append(f"{status:>{_COUNT_WIDTH}}", style="bold")
    out.append(" |", style="dim")
    for severity in SEVERITY_ORDER:
        out.append(f"{_SHORT_SEVERITY[severity]:>{_COUNT_WIDTH}}", style="bold")
    out.append("  open by severity", style="dim")
    for area, counts in (*summary.by_area.items(), ("total", summary.total)):
        out.append("\n")
        bold = area == "total"
        out.append(f"{area:<{_AREA_WIDTH}}", style="bold" if bold else "")
        for status in STATUS_ORDER:
            _count(out, counts[status], style_for(variables, "check", status) if status != "pass" else "")
        out.append(" |", style="dim")
        for severity in SEVERITY_ORDER:
            _count(out, counts[f"open:{severity}"], style_for(variables, "severity", severity))
    return out


def _count(out: Text, n: int, shown: str) -> None:
    out.append(f"{n:>{_COUNT_WIDTH},}", style=shown if n else "dim")


class OverviewPane(Pane):
    """Maturity per pillar, findings by area, the worst findings and the data sets' health."""

    ID = "overview"
    TITLE = "Overview"
    ALIASES = ("overview", "o")
    VIEWS: ClassVar[Mapping[str, str]] = {}
    DATASETS = tuple(ds.key for ds in DATASETS)  # the checks read every data set
    ACTION_SCOPE = "overview"

    DEFAULT_CSS = """
    OverviewPane #overview-state { height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    OverviewPane .overview-lines { height: auto; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    OverviewPane #overview-worst { height: 1fr; min-height: 3; background: $surface; }
    OverviewPane #overview-data { height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    COLUMNS = (
        Column("status", "Status", width=6),
        Column("severity", "Severity", width=8),
        Column("check", "Check", width=10),
        Column("resource", "Resource", min_width=8, max_width=24),
        Column("evidence", "Worst findings: evidence", flex=True, min_width=12),
    )

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name, id, classes)
        self.assessment: Assessment | None = None
        self.summary: Summary | None = None
        self._state = "Waiting for the tenant to be read."
        self._error = ""
        self._data_drawn: tuple[object, ...] = ()

    def compose_pane(self) -> ComposeResult:
        yield Static(self._state_line(), id="overview-state")  # in the first frame: what the pane waits for
        yield Static(id="overview-maturity", classes="overview-lines")
        yield Static(id="overview-matrix", classes="overview-lines")
        yield VirtualTable(self.COLUMNS, empty="No findings yet.", id="overview-worst")
        yield Static(id="overview-data")
        yield CompactNotice(self.DATASETS, limit=2, id="overview-notice")

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#overview-worst", VirtualTable)

    def on_mount(self) -> None:
        self.table.focus()

    def theme_changed(self) -> None:
        if self.assessment is not None:
            self._summarise(self.assessment)

    # --- the store's hooks -------------------------------------------------------------------------

    def load_started(self) -> None:
        self._state = ("Reading the tenant again; these are the last load's findings."
                       if self.assessment is not None else "Reading the tenant.")
        self._show_state()
        self._show_data()

    def load_ticked(self) -> None:
        self._show_data()

    def data_set_loaded(self, _result: object) -> None:
        self._show_data()

    def tenant_loaded(self, tenant: Tenant) -> None:
        self._show_data()
        self._assess(tenant)

    @work(exclusive=True, group="overview-assess", exit_on_error=False)
    async def _assess(self, tenant: Tenant) -> None:
        from ztconsole.engine.checks.registry import REGISTRY

        self._error = ""
        self._state = f"Running {len(REGISTRY)} checks{glyph(self.app, 'ellipsis')}"
        if self.assessment is None:
            self.table.empty = self._state
            self.table.refresh()
        self._show_state()
        try:
            assessment = await cast("ZtApp", self.app).analysis.assess(tenant)
        except Exception as exc:  # noqa: BLE001 - shown in the pane: the others keep working
            self._error = f"The checks failed: {type(exc).__name__}: {exc}"
            self.table.empty = "No findings: the checks failed."
            self.table.refresh()
            self._show_state()
            return
        self.assessment = assessment
        await self._show(assessment)

    @work(exclusive=True, group="overview-rows", exit_on_error=False)
    async def _summarise(self, assessment: Assessment) -> None:
        await self._show(assessment)

    async def _show(self, assessment: Assessment) -> None:
        variables = dict(self.app.theme_variables)
        summary = await in_daemon_thread(summarise, assessment, variables, name="ztconsole-overview")
        if assessment is not self.assessment:
            return  # a newer load's assessment is on its way
        self.summary = summary
        self._state = ""
        self.query_one("#overview-maturity", Static).update(Cut(
            maturity_lines(assessment.maturity, variables, arrow=glyph(self.app, "arrow"),
                           ellipsis=glyph(self.app, "ellipsis")), self.app))
        self.query_one("#overview-matrix", Static).update(Cut(matrix_lines(summary, variables), self.app))
        table = self.table
        table.empty = "No open findings: every check passed or was skipped."
        table.set_rows(summary.worst)
        self._show_state()

    # --- the jump to Findings ------------------------------------------------------------------------

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        check = self.summary.keys.get(event.key) if self.summary is not None else None
        app: Any = self.app  # the console's navigation (ZtApp.go)
        if check is None or FindingsPane not in app.PANES:
            return
        pane = app.go(FindingsPane.ID, check)
        if isinstance(pane, FindingsPane):
            pane.reveal(event.key)

    # --- lines ---------------------------------------------------------------------------------------

    def _show_state(self) -> None:
        try:
            line = self.query_one("#overview-state", Static)
        except NoMatches:  # not composed yet: compose shows it
            return
        line.update(self._state_line())

    def _state_line(self) -> Cut:
        """The state line: the load's state or error, then the findings' counts."""
        variables = self.app.theme_variables
        out = Text(no_wrap=True, overflow="ellipsis")
        if self._error:
            out.append_text(text(self._error, style_for(variables, "check", "error") or "bold"))
            out.append("  (r: read again)", style="dim")
        elif self._state:
            out.append_text(text(self._state, "bold"))
        summary = self.summary
        if summary is not None and not self._error:
            if out:
                out.append(f" {glyph(self.app, 'separator')} ", style="dim")
            out.append(f"{summary.findings:,} findings", style="bold")
            shown = [s for s in STATUS_ORDER if summary.total[s]]
            if shown:
                out.append(": ")
            for i, status in enumerate(shown):
                if i:
                    out.append(", ")
                out.append(f"{summary.total[status]:,} {status}", style=style_for(variables, "check", status))
        return Cut(out, self.app)

    def _show_data(self) -> None:
        try:
            line = self.query_one("#overview-data", Static)
        except NoMatches:
            return
        store = self.store
        if not store.loads:
            return
        variables = self.app.theme_variables
        counts = Counter(store.status(key) for key in self.DATASETS)
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(f"{'Data sets':<10}", style="bold")
        if store.loading:
            waiting = counts["loading"] + counts["queued"]
            out.append(f"{len(self.DATASETS) - waiting} of {len(self.DATASETS)} read{glyph(self.app, 'ellipsis')}")
        else:
            statuses = [s for s in FINAL if counts[s]]
            for i, status in enumerate(statuses):
                if i:
                    out.append(", ")
                out.append(f"{counts[status]} {status}", style=style(status, variables))
            incomplete = sum(counts[s] for s in FINAL if s != "ok")
            if incomplete:
                out.append("  (their checks: skip or error)", style="dim")
            else:
                out.append("  every data set read completely", style="dim")
        drawn = (out.plain, *out.spans)
        if drawn != self._data_drawn:  # ten times a second while loading: repaint only what changed
            self._data_drawn = drawn
            line.update(Cut(out, self.app))

    @staticmethod
    def levels(maturity: Mapping[str, PillarMaturity]) -> dict[str, str]:
        """``{pillar: level}`` (tests, the state a screen reader wants)."""
        return {pillar: m.level for pillar, m in maturity.items()}
