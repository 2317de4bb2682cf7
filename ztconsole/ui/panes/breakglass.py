"""The Break-glass pane: every declared emergency access account, with every ZT-BG check as a checklist.

The accounts are those the tenant declares (``tenant.toml`` ``[break_glass]``) and those of the config file
(:attr:`ztconsole.ui.analysis.Analysis.break_glass`), in that order. Each row is one finding of the check
catalogue (ZT-BG-001..008, computed once per load by :mod:`ztconsole.ui.analysis`, never here): a mark
(pass, fail, warn, skip, error; ASCII unless the theme asks for Unicode glyphs), the account, the check, what
it checks and the first line of its evidence. A declared account the directory does not hold is a row of
its own ("declared, not in the directory"). Enter opens the whole finding: every line of the evidence, the
``ztconsole whatif`` line that reproduces an evaluation (shell-quoted by the engine), and the remediation.

A failing lock-out check (ZT-BG-005 ``fail``: an enabled policy can lock the account out; ZT-BG-008
``warn``: a report-only policy would, once enforced) is never hidden: the banner above the table names each
one whatever the ``/`` filter shows, its rows are drawn in the failure colour, and the cursor starts on the
first of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ztconsole.ui import actions
from ztconsole.ui.footer import KeyFooter
from ztconsole.ui.notice import DataNotice
from ztconsole.ui.panes.base import Pane
from ztconsole.ui.safe import clean, text
from ztconsole.ui.status import GLYPHS, Cut, cut, glyph, style_for
from ztconsole.ui.vtable import Column, Row, VirtualTable

if TYPE_CHECKING:
    from ztconsole.engine.checks.base import Finding
    from ztconsole.model.tenant import Tenant
    from ztconsole.ui.analysis import Assessment
    from ztconsole.ui.app import ZtApp

__all__ = ["BG_CHECKS", "BreakGlassPane", "CheckScreen", "LOCKOUT_CHECKS", "MAX_EVIDENCE_LINE", "Item", "items"]

BG_CHECKS: tuple[str, ...] = tuple(f"ZT-BG-{n:03d}" for n in range(1, 9))
"""The checks the pane lists, in catalogue order."""

LOCKOUT_CHECKS = frozenset({"ZT-BG-005", "ZT-BG-008"})
"""The checks whose failure (or warning) means an account can be locked out."""

SHORT: dict[str, str] = {
    "ZT-BG-001": "two or more",
    "ZT-BG-002": "cloud-only",
    "ZT-BG-003": "enabled",
    "ZT-BG-004": "GA, active",
    "ZT-BG-005": "no lock-out",
    "ZT-BG-006": "phish-resistant",
    "ZT-BG-007": "validated 90d",
    "ZT-BG-008": "no RO lock-out",
}
"""What each check asks, in a few words (the full title is in the details)."""

MARKS: dict[str, str] = {"pass": "check-pass", "fail": "check-fail", "warn": "!", "skip": "check-skip", "error": "?"}
"""A finding's status -> the name of its glyph (:data:`~ztconsole.ui.status.GLYPHS`), or its mark where that
is ASCII in every theme."""

MAX_EVIDENCE_LINE = 1000
"""Characters of one evidence line shown in the details (a 10,000-character policy name is cut); the
``ztconsole whatif`` lines are always shown whole."""

_DATASETS = ("users", "groups", "group_members", "role_definitions", "role_assignments", "role_eligibility",
             "ca_policies", "named_locations", "service_principals", "auth_methods", "sign_ins")
"""Every data set ZT-BG-001..008 read (the registry's, kept here so the pane's import stays light)."""


@dataclass(frozen=True, slots=True)
class Item:
    """One row of the checklist: a finding on an account (or on the tenant), or a declared account the
    directory does not hold (``finding`` None)."""

    key: str
    account: str  # the account's UPN (or the reference declared), or the tenant's name
    finding: Finding | None
    missing_from: str = ""  # where a missing (or unchecked) account was declared
    unread: bool = False  # the directory was not read: whether the account exists is unknown

    @property
    def status(self) -> str:
        if self.finding is not None:
            return self.finding.status
        return "skip" if self.unread else "fail"

    @property
    def lockout(self) -> bool:
        """A lock-out check that did not pass: what the pane never hides."""
        f = self.finding
        return f is not None and f.check in LOCKOUT_CHECKS and f.status in ("fail", "warn")


def items(tenant: Tenant, assessment: Assessment, extra: Sequence[str] = ()) -> list[Item]:
    """The checklist: the tenant-wide findings first, then each declared account (tenant.toml, then the
    config's ``extra``) with its findings in check order, a declared account missing from the directory as
    one row (``unread`` when the directory was not read, so that nobody can tell); findings on other accounts
    (none expected) last."""
    findings = [f for check in BG_CHECKS for f in assessment.by_check(check)]
    by_resource: dict[str, list[Finding]] = {}
    for f in findings:
        by_resource.setdefault(f.resource.id, []).append(f)
    out: list[Item] = []

    keys: set[str] = set()

    def add(account: str, found: list[Finding]) -> None:
        for f in found:
            key = base = f"{f.check}|{f.resource.id}"  # a check judges a resource once; else numbered
            n = 1
            while key in keys:
                n += 1
                key = f"{base}|{n}"
            keys.add(key)
            out.append(Item(key, account, f))

    tenant_id = tenant.info.id
    add(tenant.info.display_name or tenant_id, by_resource.pop(tenant_id, []))
    directory_read = tenant.status("users") == "ok"
    declared = dict.fromkeys((*tenant.info.break_glass, *extra))
    from_toml = set(tenant.info.break_glass)
    for ref in declared:
        user = tenant.find_user(ref)
        if user is None:
            where = "tenant.toml" if ref in from_toml else "the config file"
            out.append(Item(f"missing|{ref}", ref, None, missing_from=where, unread=not directory_read))
            continue
        add(user.user_principal_name or user.display_name or user.id, by_resource.pop(user.id, []))
    for found in by_resource.values():
        add(found[0].resource.name, found)
    return out


def mark(source: Any, status: str) -> str:
    """The mark of a finding's ``status`` as the theme draws glyphs (``source``: the app or its variables)."""
    shown = MARKS.get(status, "?")
    return glyph(source, shown) if shown in GLYPHS else shown


def _first_line(value: str) -> str:
    return value.split("\n", 1)[0]


class BreakGlassPane(Pane):
    """Each declared emergency access account and every ZT-BG check on it."""

    ID = "breakglass"
    TITLE = "Break-glass"
    ALIASES = ("bg", "breakglass")
    DATASETS = _DATASETS
    ACTION_SCOPE = "breakglass"

    DEFAULT_CSS = """
    BreakGlassPane #bg-banner { height: auto; max-height: 5; padding: 0 1; display: none; text-wrap: nowrap;
                                text-overflow: ellipsis; }
    BreakGlassPane #bg-banner.-shown { display: block; }
    BreakGlassPane #bg-banner.-fail { background: $error; color: $text; text-style: bold; }
    BreakGlassPane #bg-banner.-warn { background: $warning; color: $background; text-style: bold; }
    BreakGlassPane #bg-summary { height: 1; padding: 0 1; color: $text-muted; }
    """

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("mark", " ", width=1),
        Column("account", "Account", min_width=12, max_width=30),
        Column("check", "Check", width=9),
        Column("what", "What", min_width=8, max_width=16),
        Column("evidence", "Evidence", flex=True, min_width=24),
    )

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name, id, classes)
        self.items: dict[str, Item] = {}
        """The rows shown, by key."""
        self._placed = False  # the cursor was put on the first lock-out once
        self._tenant: Tenant | None = None

    def theme_changed(self) -> None:
        """The marks' colours are the theme's: draw the rows again."""
        if self._tenant is not None and self.items:
            self._show(self._tenant, list(self.items.values()))

    def compose_pane(self) -> ComposeResult:
        yield DataNotice(self.DATASETS, id="bg-notice")
        yield Static(id="bg-banner")
        yield Static(Text("Waiting for the tenant..."), id="bg-summary")
        yield VirtualTable(self.COLUMNS, empty="Waiting for the tenant...", id="bg-checks")

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#bg-checks", VirtualTable)

    # --- hooks -------------------------------------------------------------------------------------

    def load_started(self) -> None:
        self.query_one("#bg-summary", Static).update(Text("Reading the tenant..."))

    def tenant_loaded(self, tenant: Tenant) -> None:
        if not self.items:
            self.table.empty = "Running the checks..."
            self.table.refresh()
        self._assess(tenant)

    def show_view(self, view: str) -> None:
        """The pane has one view."""

    @work(exclusive=True, group="breakglass", exit_on_error=False)
    async def _assess(self, tenant: Tenant) -> None:
        app = cast("ZtApp", self.app)
        try:
            assessment = await app.analysis.assess(tenant)
            rows = items(tenant, assessment, app.analysis.break_glass)
        except Exception as e:  # shown in the pane: one pane's failure never blanks another
            self.table.empty = clean(f"The checks failed: {type(e).__name__}: {e}")
            self.table.set_rows([])
            self.query_one("#bg-summary", Static).update(text("The break-glass checks could not run.", "bold"))
            return
        self._show(tenant, rows)

    # --- drawing -----------------------------------------------------------------------------------

    def _show(self, tenant: Tenant, found: list[Item]) -> None:
        self._tenant = tenant
        self.items = {item.key: item for item in found}
        table = self.table
        table.empty = ("No emergency access account is declared: add them to tenant.toml [break_glass] "
                       "accounts or the config file.")
        table.set_rows([self._row(item, i == 0 or found[i - 1].account != item.account)
                        for i, item in enumerate(found)])
        self._summarise(tenant, found)
        lockouts = [item for item in found if item.lockout]
        if lockouts and not self._placed:
            table.move_to(lockouts[0].key)
        self._placed = self._placed or bool(found)

    def _row(self, item: Item, first: bool) -> Row:
        app = self.app
        status = item.status
        status_style = style_for(app, "check", status)
        account = text(item.account, "bold" if first else "dim")
        if item.finding is None:
            why = (f"not checked: the directory (users) was not read (declared in {item.missing_from})"
                   if item.unread else f"not in the directory (declared in {item.missing_from})")
            return Row(item.key, (Text(mark(app, status), style=status_style), account, glyph(app, "dash"),
                                  Text("unknown" if item.unread else "missing", style=status_style),
                                  text(why)))
        f = item.finding
        what = SHORT.get(f.check, f.title)
        evidence = _first_line(f.evidence)
        row_style = ""
        if item.lockout:
            row_style = status_style or "bold"
            evidence = ("LOCK-OUT: " if f.status == "fail" else "LOCK-OUT once enforced: ") + evidence
        return Row(item.key, (Text(mark(app, status), style=status_style), account, f.check,
                              Text(what, style=status_style if status != "pass" else ""), text(evidence)),
                   style=row_style)

    def _summarise(self, tenant: Tenant, found: list[Item]) -> None:
        app = self.app
        accounts = dict.fromkeys(item.account for item in found
                                 if item.finding is not None and item.finding.resource.type == "user")
        missing = sum(1 for item in found if item.finding is None and not item.unread)
        counts: dict[str, int] = {}
        for item in found:
            counts[item.status] = counts.get(item.status, 0) + 1
        out = Text()
        out.append(f"{len(accounts)} account(s) in the directory", style="bold")
        if missing:
            out.append(f", {missing} declared but missing", style=style_for(app, "check", "fail"))
        out.append(f" {glyph(app, 'separator')} checks: ")
        shown = [s for s in ("fail", "warn", "error", "skip", "pass") if counts.get(s)]
        for i, status in enumerate(shown):
            out.append(", " if i else "")
            out.append(f"{counts[status]} {status}", style=style_for(app, "check", status))
        if not shown:
            out.append("none")
        self.query_one("#bg-summary", Static).update(out)

        banner = self.query_one("#bg-banner", Static)
        lockouts = [item for item in found if item.lockout]
        fail = any(item.status == "fail" for item in lockouts)
        banner.set_class(bool(lockouts), "-shown")
        banner.set_class(fail, "-fail")
        banner.set_class(bool(lockouts) and not fail, "-warn")
        if not lockouts:
            banner.update("")
            return
        width = max(self.size.width - 2, 20)
        lines = Text()
        shown_lockouts = lockouts[:4] if len(lockouts) <= 4 else lockouts[:3]
        for item in shown_lockouts:
            f = item.finding
            assert f is not None
            kind = "LOCK-OUT" if f.status == "fail" else "LOCK-OUT ONCE ENFORCED"
            line = Text(f"{mark(app, f.status)} {kind} {f.check} ")
            line.append_text(text(item.account))
            line.append(": ")
            line.append_text(text(_first_line(f.evidence).split(" (", 1)[0]))
            cut(line, width, app)
            lines.append_text(line)
            lines.append("\n")
        if len(shown_lockouts) < len(lockouts):
            lines.append(f"... and {len(lockouts) - len(shown_lockouts)} more: n moves to each, Enter shows it")
        else:
            lines.append(f"n: next problem {glyph(app, 'separator')} Enter: the policy and the whatif line", style="")
        banner.update(Cut(lines, app))  # cut again in the theme's ellipsis when the pane narrows

    # --- keys --------------------------------------------------------------------------------------

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        item = self.items.get(event.key)
        if item is not None:
            event.stop()
            self.app.push_screen(CheckScreen(item))

    def action_next_problem(self) -> None:
        """Move to the next row that is not a pass (a lock-out first), wrapping round."""
        table = self.table
        keys = table.shown_keys()
        if not keys:
            return
        here = keys.index(table.cursor_key) if table.cursor_key in keys else -1
        order = keys[here + 1:] + keys[:here + 1]
        shown = [self.items[key] for key in order if key in self.items]
        target = (next((it for it in shown if it.lockout), None)
                  or next((it for it in shown if it.status != "pass"), None))
        if target is not None:
            table.move_to(target.key)
            return
        self.flash("Every check shown passes.")


class CheckScreen(actions.Guarded, ModalScreen[None]):
    """One row of the checklist in full: the check, the account, every line of the evidence (the
    ``ztconsole whatif`` line that reproduces it set apart), the remediation. Esc closes it."""

    ACTION_SCOPE = "modal"
    BINDINGS = actions.bindings("modal")

    def __init__(self, item: Item) -> None:
        super().__init__()
        self.item = item
        self.evidence = Text()
        """What the dialog shows under its facts (evidence, reproduce lines, remediation)."""

    def compose(self) -> ComposeResult:
        f = self.item.finding
        title = (Text(f"{f.check} {f.title}", style="bold") if f is not None
                 else Text("Declared emergency access account, not checked", style="bold") if self.item.unread
                 else Text("Declared emergency access account not in the directory", style="bold"))
        with Vertical(classes="dialog"):
            yield Static(title, classes="dialog-title")
            yield Static(self._facts(), id="bg-facts")
            with VerticalScroll(classes="issues"):
                self.evidence = self._evidence()
                yield Static(self.evidence, id="bg-evidence")
        yield KeyFooter()

    def _facts(self) -> Table:
        item, f, app = self.item, self.item.finding, self.app
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        grid.add_row("Account", text(item.account))
        status = item.status
        shown = Text(f"{mark(app, status)} {status}", style=style_for(app, "check", status))
        if item.lockout:
            shown.append("  LOCK-OUT" if status == "fail" else "  LOCK-OUT ONCE ENFORCED")
        grid.add_row("Result", shown)
        if f is not None:
            grid.add_row("Severity", Text(f.severity, style=style_for(app, "severity", f.severity)))
            grid.add_row("Resource", text(f"{f.resource.type} {f.resource.id}"))
        else:
            grid.add_row("Declared in", text(item.missing_from))
        return grid

    def _evidence(self) -> Text:
        item, f = self.item, self.item.finding
        out = Text()
        out.append("Evidence\n", style="bold underline")
        if f is None:
            if item.unread:
                out.append_text(text(f"{item.account} is declared as an emergency access account in "
                                     f"{item.missing_from}; the directory (users) was not read, so whether it "
                                     "exists, and every check on it, is unknown."))
                out.append("\n\nRemediation\n", style="bold underline")
                out.append("Grant the permission the notice above the checklist names, then read again (r).")
                return out
            out.append_text(text(f"{item.account} is declared as an emergency access account in "
                                 f"{item.missing_from}, but no user has that object id or UPN."))
            out.append("\n\nRemediation\n", style="bold underline")
            out.append("Create the account, or correct the declaration (object id or UPN).")
            return out
        reproduce = []
        for line in f.evidence.split("\n"):
            if line.startswith("reproduce: "):
                reproduce.append(line[len("reproduce: "):])
                out.append("  reproduce: ", style="dim")
                out.append_text(text(line[len("reproduce: "):], "bold"))
            else:
                shown = text(line)
                if shown.cell_len > MAX_EVIDENCE_LINE:
                    cut(shown, MAX_EVIDENCE_LINE, self.app)
                out.append_text(shown)
            out.append("\n")
        out.append("\nRemediation\n", style="bold underline")
        out.append_text(text(f.remediation))
        return out
