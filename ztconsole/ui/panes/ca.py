"""The Conditional Access pane: every policy with its state, whom and what it targets, what it grants,
its session controls and CAE mode, its age and the worst finding of the check catalogue about it.

Targets read ``users -> apps``: ``All -3 -> All`` is every user but three exclusions (users, groups, roles,
guest types) on every resource; a single group, role or app is named, several are counted.

Enter opens a policy in full (every id resolved to a name, see :mod:`ztconsole.ui.panes.ca_details`); ``w``
opens the What If form on it (a sign-in evaluated locally by the engine, with the equivalent ``ztconsole
whatif`` line); ``c`` the coverage gaps; ``i`` the impact of enforcing the report-only (or disabled) policy
under the cursor, replayed over the sign-in log. The dialogs are in :mod:`ztconsole.ui.panes.ca_screens`.

Everything heavy runs off the event loop, once per loaded tenant: the names and summaries
(:class:`~ztconsole.ui.panes.ca_model.CaModel`, in a daemon thread) and the findings (the app's shared
:class:`~ztconsole.ui.analysis.Analysis`). The list shows as soon as the first is ready and gains its
findings column when the checks finish.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult

from ztconsole.threads import in_daemon_thread
from ztconsole.ui.notice import DataNotice
from ztconsole.ui.panes.base import Pane
from ztconsole.ui.panes.ca_model import STATE_WORDS, CaModel, PolicySummary, findings_by_policy, worst_finding
from ztconsole.ui.panes.ca_screens import GapsScreen, ImpactScreen, PolicyScreen, WhatIfScreen, theme_styles
from ztconsole.ui.safe import text
from ztconsole.ui.status import glyph
from ztconsole.ui.vtable import Column, Row, VirtualTable

if TYPE_CHECKING:
    from ztconsole.engine.checks.base import Finding
    from ztconsole.model.tenant import Tenant
    from ztconsole.ui.analysis import Assessment
    from ztconsole.ui.app import ZtApp

__all__ = ["CaPane", "COLUMNS"]

COLUMNS = (
    Column("state", "STATE", width=11),
    Column("name", "POLICY", flex=True, min_width=20),
    Column("targets", "TARGETS", min_width=8, max_width=22),
    Column("grant", "GRANT", min_width=6, max_width=18),
    Column("session", "SESSION / CAE", min_width=5, max_width=15),
    Column("age", "AGE", width=4, align="right"),
    Column("finding", "FINDING", min_width=9, max_width=15),
)


class CaPane(Pane):
    """Conditional Access policies (see the module docstring)."""

    ID = "ca"
    TITLE = "Conditional Access"
    ALIASES = ("ca", "policies")
    VIEWS: ClassVar[dict[str, str]] = {}
    DATASETS = (
        "ca_policies", "named_locations", "auth_strengths", "device_compliance",
        "users", "groups", "group_members", "user_member_of", "role_definitions", "role_assignments",
        "role_eligibility", "registration_details", "service_principals", "sign_ins",
    )
    ACTION_SCOPE = "ca"

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name, id, classes)
        self.model: CaModel | None = None
        """What the list shows, for the tenant last loaded (None until it is worked out)."""
        self.assessment: Assessment | None = None
        self._findings: dict[str, list[Finding]] | None = None  # CA findings by policy id (lower case)
        self._tenant: Tenant | None = None

    def compose_pane(self) -> ComposeResult:
        yield DataNotice(self.DATASETS, id="ca-notice")
        yield VirtualTable(COLUMNS, empty="Waiting for the tenant...", id="ca-policies")

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#ca-policies", VirtualTable)

    def on_mount(self) -> None:
        self.table.focus()

    # --- the store's hooks -------------------------------------------------------------------------

    def load_started(self) -> None:
        if self.model is None:
            self.table.empty = "Reading the policies..."
            self.table.refresh()

    def theme_changed(self) -> None:
        self._show_rows()  # the rows' colours are the theme's

    def tenant_loaded(self, tenant: Tenant) -> None:
        self._tenant = tenant
        self._build(tenant)

    def show_view(self, view: str) -> None:
        """The pane has one view: the list (the dialogs are opened by keys, closed by Esc)."""
        self.table.focus()

    # --- building the list -------------------------------------------------------------------------

    @work(exclusive=True, group="ca-policies", exit_on_error=False)
    async def _build(self, tenant: Tenant) -> None:
        app = cast("ZtApp", self.app)
        if self.model is None:
            self.table.empty = "Resolving names..."
            self.table.refresh()
        try:
            model = await in_daemon_thread(CaModel.build, tenant, break_glass=app.analysis.break_glass,
                                           name="ztconsole-ca")
        except Exception as e:  # noqa: BLE001 - bad data or a bug: said in the pane, the others stay
            self.table.empty = f"The policies could not be shown: {e}"
            self.table.set_rows([])
            return
        if tenant is not self._tenant:
            return
        self.model = model
        self.assessment = None
        self._findings = None
        self.table.empty = self._empty_text(tenant)
        self._show_rows()
        try:
            assessment = await app.analysis.assess(tenant)
            by_policy = await in_daemon_thread(findings_by_policy, assessment.findings, name="ztconsole-ca")
        except Exception as e:  # noqa: BLE001 - the checks failed: the list stays, without findings
            self.flash(f"The checks failed: {e}", error=True)
            self._show_rows(failed=True)
            return
        if tenant is not self._tenant:
            return
        self.assessment = assessment
        self._findings = by_policy
        self._show_rows()

    def _empty_text(self, tenant: Tenant) -> str:
        result = tenant.results.get("ca_policies")
        if result is not None and result.status not in ("ok", "partial"):
            return f"No policies to show: the Conditional Access policies are {result.status} (see above)."
        return "The tenant has no Conditional Access policies."

    def findings(self, policy_id: str) -> list[Finding] | None:
        """The CA findings about a policy, worst first (None while the checks run)."""
        if self._findings is None:
            return None
        return self._findings.get(policy_id.lower(), [])

    def _show_rows(self, *, failed: bool = False) -> None:
        model = self.model
        if model is None:
            return
        styles = theme_styles(self.app)
        arrow = glyph(self.app, "arrow")
        rows = [self._row(s, styles, arrow, failed) for s in model.summaries]
        self.table.set_rows(rows)

    def _row(self, s: PolicySummary, styles: dict[str, str], arrow: str, failed: bool) -> Row:
        state = text(STATE_WORDS.get(s.state, s.state or "unknown"), styles.get(f"state:{s.state}", ""))
        grant = text(s.grant or "-", styles["deny"] if s.blocks else "")
        found = self.findings(s.id)
        if found is None:
            finding = Text("error" if failed else glyph(self.app, "ellipsis"), style="dim")
        else:
            worst = worst_finding(found)
            if worst is None:
                finding = Text("-", style="dim")
            elif worst.status in ("pass", "skip"):  # nothing to act on: the check's id would only be noise
                finding = Text(worst.status, style=styles.get(f"check:{worst.status}", ""))
            else:
                finding = Text(f"{worst.status} {worst.check}", style=styles.get(f"check:{worst.status}", ""))
        return Row(s.id, (state, s.name, f"{s.users} {arrow} {s.apps}", grant, s.session or "-", s.age, finding),
                   style="dim" if s.state == "disabled" else "")

    # --- keys --------------------------------------------------------------------------------------

    def _cursor_policy(self) -> tuple[CaModel, str | None] | None:
        if self.model is None:
            self.flash("The policies are still being read.")
            return None
        return self.model, self.table.cursor_key

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        if self.model is None:
            return
        policy = self.model.policy(event.key)
        if policy is not None:
            self.app.push_screen(PolicyScreen(self.model, policy, self.findings(policy.id)))

    def action_whatif(self) -> None:
        """The What If form, on the policy under the cursor (its first user and app prefilled)."""
        found = self._cursor_policy()
        if found is None:
            return
        model, key = found
        policy = model.policy(key) if key is not None else None
        app = cast("ZtApp", self.app)
        self.app.push_screen(WhatIfScreen(model, source_args=app.analysis.source_args,
                                          values={"user": model.first_user(policy), **model.first_target(policy)}))

    def action_gaps(self) -> None:
        """The coverage gaps of the enforced policies."""
        found = self._cursor_policy()
        if found is None:
            return
        app = cast("ZtApp", self.app)
        self.app.push_screen(GapsScreen(found[0], source_args=app.analysis.source_args,
                                        break_glass=app.analysis.break_glass))

    def action_impact(self) -> None:
        """What enforcing the report-only (or disabled) policy under the cursor would do to the sign-ins."""
        found = self._cursor_policy()
        if found is None:
            return
        model, key = found
        policy = model.policy(key) if key is not None else None
        if policy is None:
            self.flash("No policy under the cursor.")
            return
        if policy.state == "enabled":
            self.flash("Already enforced: the sign-in log shows what it does (impact is for report-only policies).")
            return
        app = cast("ZtApp", self.app)
        self.app.push_screen(ImpactScreen(model, policy, source_args=app.analysis.source_args,
                                          break_glass=app.analysis.break_glass))
