"""The Sign-ins pane: the sign-in log, newest first, and each sign-in beside a local what-if of it.

The table lists every sign-in the tenant holds (100,000 on the large generated tenant): time (UTC), user,
app, client app, IP, country, risk during sign-in, status (``ok`` or Graph's error code) and the
Conditional Access result Entra recorded (``conditionalAccessStatus``). The rows are built, sorted and
filtered in a thread and handed to the table whole, so a large log never holds the event loop.

**Filter** (``/``). Words are matched anywhere in a row, as in every table; ``field:value`` narrows one
field. The fields:

=============  =====================================================================================
``user:``      UPN, display name or object id contains the value
``app:``       app or resource name or id contains the value
``client:``    the client app as logged (``Browser``, ``IMAP4`` ...) contains the value
``ip:``        the address starts with the value, or lies in a CIDR range (``ip:10.0.0.0/8``)
``country:``   the country or region is the value (``cc:`` too)
``risk:``      the risk level during sign-in is the value (``none``, ``low``, ``medium``, ``high``, ``hidden``)
``status:``    ``success`` (or ``ok``), ``failure`` (``fail``), an error code (``50126``), or words of the
               failure reason
``ca:``        the Conditional Access result starts with the value (``success``, ``failure``, ``notApplied``)
=============  =====================================================================================

A value may list alternatives with commas (``country:NL,BE``), be quoted (``app:"Microsoft Teams"``), and a
token starting with ``-`` or ``!`` excludes what it matches (``-ca:notapplied``). A word with a colon that
names no field (an IPv6 address) is a plain word. ``f`` shows only the failures (``status:failure``).

**Details** (Enter). The sign-in's facts, then one row per Conditional Access policy: the result Entra
recorded for it (``appliedConditionalAccessPolicies``) beside what the local evaluator finds for the same
sign-in, mapped to a what-if scenario exactly as ``ztconsole impact`` maps it
(:func:`ztconsole.engine.impact.scenario_of`), evaluated by the reference evaluator in a worker thread.
Differences are marked and listed first: a policy Entra applied that the local evaluator does not apply (or
the reverse), a policy whose state differs from the one Entra saw, a policy Entra recorded that is not among
the loaded ones. The ``ztconsole whatif`` line that reproduces the local evaluation closes the dialog.
"""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, cast

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import get_current_worker

from ztconsole.safetext import command_line
from ztconsole.ui import actions
from ztconsole.ui.footer import KeyFooter
from ztconsole.ui.notice import DataNotice
from ztconsole.ui.panes.base import Pane
from ztconsole.ui.safe import clean, text
from ztconsole.ui.status import cut, glyph, style_for, unicode_glyphs
from ztconsole.ui.vtable import Column, PreparedRows, Row, VirtualTable, prepare_rows

if TYPE_CHECKING:
    from ztconsole.engine.ca.context import Context
    from ztconsole.engine.ca.evaluation import PolicyResult, WhatIfResult
    from ztconsole.engine.ca.scenario import Scenario
    from ztconsole.model.directory import AppliedConditionalAccessPolicy, SignIn
    from ztconsole.model.tenant import Tenant
    from ztconsole.ui.app import ZtApp

__all__ = ["FIELDS", "FAILURES", "Comparison", "PolicyReasons", "Query", "SignInDetails", "SignInTable", "SignInsPane",
           "compare", "parse_query", "whatif_argv"]

FIELDS: dict[str, str] = {
    "user": "user", "app": "app", "client": "client", "ip": "ip", "country": "country", "cc": "country",
    "risk": "risk", "status": "status", "ca": "ca",
}
"""Filter field names (and their synonyms) -> the field."""

FAILURES = "status:failure"
"""The filter ``f`` toggles."""

EVALUATOR_DATASETS = ("ca_policies", "named_locations", "users", "groups", "group_members", "role_definitions",
                      "role_assignments", "service_principals")
"""What the local what-if reads (the evaluator's data sets)."""

FIRST_ROWS = 500
"""A log longer than this shows its newest rows first, while the rest are made into rows."""


# --- the log as rows -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One sign-in's fields as the filter reads them (lower case)."""

    user: str
    app: str
    client: str
    ip: str
    country: str
    risk: str
    code: int | None
    reason: str
    ca: str
    words: str  # every shown value, for plain words


class SignInTable(VirtualTable):
    """The log's table: rows arrive prepared (:func:`prepare`, in a thread), and ``/`` filters through the
    pane's field syntax (see the module docstring), also in a thread."""

    def __init__(self, columns: Sequence[Column], *, on_filter: Callable[[str], None], empty: str,
                 id: str | None = None) -> None:
        super().__init__(columns, empty=empty, id=id)
        self._on_filter = on_filter
        self.filter_query = ""

    @property
    def filter_text(self) -> str:
        return self.filter_query

    def set_filter(self, text: str) -> None:
        """Filter by ``text`` (words and ``field:value``, see the module docstring); the pane does it."""
        text = text.strip()
        if text == self.filter_query:
            return
        self.filter_query = text
        self._on_filter(text)


@dataclass(frozen=True, slots=True)
class Term:
    field: str | None  # None: a plain word
    values: tuple[str, ...]  # lower case; any of them
    negate: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed filter: every term must hold."""

    terms: tuple[Term, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, e: Entry) -> bool:
        return all(_holds(t, e) != t.negate for t in self.terms)


def parse_query(value: str) -> Query:
    """The filter text as terms (see the module docstring)."""
    try:
        tokens = shlex.split(value)
    except ValueError:  # an unbalanced quote: words as typed
        tokens = value.split()
    terms = []
    for token in tokens:
        negate = token[:1] in ("-", "!") and len(token) > 1
        body = token[1:] if negate else token
        name, colon, rest = body.partition(":")
        field = FIELDS.get(name.lower()) if colon else None
        if field is None:
            terms.append(Term(None, (body.lower(),), negate))
        elif rest:
            terms.append(Term(field, tuple(v for v in rest.lower().split(",") if v), negate))
    return Query(tuple(t for t in terms if t.values))


def _holds(term: Term, e: Entry) -> bool:
    field = term.field
    for v in term.values:
        if field is None:
            if v in e.words:
                return True
        elif field in ("user", "app", "client"):
            if v in getattr(e, field):
                return True
        elif field == "ip":
            if "/" in v:
                if _in_network(e.ip, v):
                    return True
            elif e.ip.startswith(v):
                return True
        elif field in ("country", "risk"):
            if getattr(e, field) == v:
                return True
        elif field == "ca":
            if e.ca and e.ca.startswith(v):
                return True
        elif field == "status" and _status_holds(v, e):
            return True
    return False


def _status_holds(v: str, e: Entry) -> bool:
    if v in ("success", "ok", "succeeded"):
        return e.code == 0
    if v in ("failure", "fail", "failed", "error"):
        return e.code is not None and e.code != 0
    if v.isdigit():
        return e.code == int(v)
    return v in e.reason


def _in_network(ip: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def _client(value: str | None) -> str:
    if not value:
        return ""
    return {"Mobile Apps and Desktop clients": "Mobile/Desktop"}.get(value, value)


def _risk(si: SignIn) -> str:
    return si.risk_level_during_sign_in or si.risk_level_aggregated or ""


def _order(sign_ins: Sequence[SignIn]) -> list[SignIn]:
    """Newest first (undated last), each sign-in once."""
    seen: set[str] = set()
    out = []
    for si in sorted(sign_ins, key=lambda s: (s.created_date_time is None,
                                              -(s.created_date_time.timestamp() if s.created_date_time else 0.0),
                                              s.id)):
        if si.id not in seen:
            seen.add(si.id)
            out.append(si)
    return out


def build(sign_ins: Sequence[SignIn], variables: Mapping[str, str], columns: int, *, ordered: bool = False
          ) -> tuple[PreparedRows, dict[str, SignIn]]:
    """The log newest first as rows, and the sign-ins by row key (in the rows' order); ``ordered``: the
    sign-ins are already newest first, each once (:func:`_order`)."""
    styled: dict[tuple[str, str], Text] = {}

    def cell(kind: str, value: str, shown: str | None = None) -> Text:
        got = styled.get((kind, value))
        if got is None:
            got = styled[(kind, value)] = text(shown if shown is not None else value,
                                               style_for(variables, kind, value))
        return got

    rows: list[Row] = []
    by_key: dict[str, SignIn] = {}
    for si in sign_ins if ordered else _order(sign_ins):
        by_key[si.id] = si
        created = si.created_date_time
        when = created.isoformat(" ", "minutes")[:16] if created is not None else ""
        status = si.status
        code = status.error_code if status is not None else None
        status_cell: Text | str = "ok" if code == 0 else "?" if code is None else cell("check", "fail", str(code))
        ca = si.conditional_access_status or ""
        risk = _risk(si)
        rows.append(Row(si.id, (
            when, si.user_principal_name or si.user_display_name or si.user_id or "",
            si.app_display_name or si.app_id or "", _client(si.client_app_used), si.ip_address or "",
            si.country or "", cell("risk", risk) if risk else "", status_cell,
            cell("verdict", _CA_VERDICT.get(ca, ca), ca) if ca else "")))
    return prepare_rows(rows, columns), by_key


_CA_VERDICT = {"success": "allow", "failure": "deny"}


def entries(rows: Sequence[Row], by_key: Mapping[str, SignIn]) -> list[Entry]:
    """What the filter reads of each row's sign-in (made on the first filter, in its thread)."""
    out = []
    for row in rows:
        si = by_key[row.key]
        status = si.status
        code = status.error_code if status is not None else None
        reason = ((status.failure_reason or "") if status is not None else "").lower()
        out.append(Entry(
            user=" ".join(v for v in (si.user_principal_name, si.user_display_name, si.user_id) if v).lower(),
            app=" ".join(v for v in (si.app_display_name, si.app_id, si.resource_display_name, si.resource_id)
                         if v).lower(),
            client=(si.client_app_used or "").lower(), ip=(si.ip_address or "").lower(),
            country=(si.country or "").lower(), risk=_risk(si).lower(), code=code, reason=reason,
            ca=(si.conditional_access_status or "").lower(),
            words="\0".join([*(c.plain if isinstance(c, Text) else c or "" for c in row.cells), reason]).lower()))
    return out


# --- Entra beside the local what-if -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison:
    """One policy: what Entra recorded for the sign-in beside what the local evaluator finds."""

    policy_id: str
    name: str
    entra: str  # Entra's result ("success", "reportOnlyNotApplied"...), "" when it recorded none
    local: str  # the local result in words, "" when the policy is not loaded
    difference: str  # why the two differ, "" when they agree
    local_result: PolicyResult | None
    recorded: AppliedConditionalAccessPolicy | None

    @property
    def differs(self) -> bool:
        return bool(self.difference)


_ENTRA: dict[str, tuple[str, bool | None]] = {
    "success": ("enabled", True), "failure": ("enabled", True), "notapplied": ("enabled", False),
    "notenabled": ("disabled", False),
    "reportonlysuccess": ("reportOnly", True), "reportonlyfailure": ("reportOnly", True),
    "reportonlyinterrupted": ("reportOnly", True), "reportonlynotapplied": ("reportOnly", False),
}
"""Entra's per-policy result -> (the policy state it implies, whether the policy applied)."""

_STATE = {"enabled": "enabled", "enabledforreportingbutnotenforced": "reportOnly", "disabled": "disabled"}
_WORDS = {"enabled": "enabled", "reportOnly": "report-only", "disabled": "disabled"}


def _local_words(r: PolicyResult) -> str:
    state = _STATE.get(r.state.lower(), r.state)
    if state == "disabled":
        return "disabled"
    if not r.applies:
        why = ", ".join(r.failed) or "conditions"
        return f"not applied ({why})" if state == "enabled" else f"report-only, not applied ({why})"
    what = "block" if r.blocks else " AND ".join("(" + " OR ".join(alt) + ")" for alt in r.requirements) or "applies"
    return f"applies: {what}" if state == "enabled" else f"report-only, applies: {what}"


def compare(si: SignIn, result: WhatIfResult) -> list[Comparison]:
    """Every policy Entra recorded for ``si`` or the local evaluator judged, differences first."""
    recorded = {ap.id or "": ap for ap in si.applied_conditional_access_policies}
    entra_listed = bool(recorded)
    out: list[Comparison] = []
    seen: set[str] = set()
    for r in result.policies:
        seen.add(r.id)
        ap = recorded.get(r.id)
        entra = (ap.result or "unknown") if ap is not None else ""
        local_state = _STATE.get(r.state.lower(), r.state)
        difference = ""
        if ap is not None:
            state, applied = _ENTRA.get(entra.lower(), ("", None))
            if applied is not None and applied != r.applies and local_state != "disabled":
                difference = ("Entra applied it, the local evaluator does not" if applied
                              else "the local evaluator applies it, Entra did not")
            if state and state != local_state:
                note = f"Entra saw it {_WORDS[state]}; it is {_WORDS.get(local_state, local_state)} now"
                difference = f"{difference}; {note}" if difference else note
        elif entra_listed and r.applies and local_state != "disabled":
            difference = "the local evaluator applies it; Entra recorded nothing for it"
        out.append(Comparison(r.id, r.display_name, entra, _local_words(r), difference, r, ap))
    for pid, ap in recorded.items():
        if pid in seen:
            continue
        state, applied = _ENTRA.get((ap.result or "").lower(), ("", None))
        difference = "not among the loaded policies" if applied else ""
        out.append(Comparison(pid, ap.display_name or pid, ap.result or "unknown", "", difference, None, ap))
    out.sort(key=lambda c: (not c.differs, not (c.local_result is not None and c.local_result.applies
                                                or _ENTRA.get(c.entra.lower(), ("", None))[1] is True),
                            c.name.lower(), c.policy_id))
    return out


def whatif_argv(si: SignIn, scenario: Scenario, ctx: Context) -> tuple[list[str], list[str]]:
    """The ``whatif`` options that replay the scenario, and what they cannot say."""
    user = ctx.users.get(scenario.user_id)
    ref = (user.user_principal_name if user is not None and user.user_principal_name else scenario.user_id) or "?"
    out = ["--user", ref, "--app", scenario.app or "All", "--client-app", scenario.client_app]
    if scenario.platform is not None:
        out += ["--platform", scenario.platform]
    if scenario.ip is not None:
        out += ["--ip", scenario.ip]
    if scenario.country is not None:
        out += ["--country", scenario.country]
    if scenario.sign_in_risk != "none":
        out += ["--sign-in-risk", scenario.sign_in_risk]
    for key, value in sorted((scenario.device or {}).items()):
        values = value if isinstance(value, (list, tuple)) else [value]
        out += [a for v in values for a in ("--device", f"{key}={v}")]
    if scenario.auth_flow is not None:
        out += ["--auth-flow", scenario.auth_flow]
    unsaid = []
    if user is None:
        unsaid.append("the user is not in the loaded directory")
    return out, unsaid


# --- the pane -------------------------------------------------------------------------------------------


class SignInsPane(Pane):
    """The sign-in log, newest first, filterable by field; Enter compares a sign-in with a local what-if."""

    ID = "signins"
    TITLE = "Sign-ins"
    ALIASES = ("signins", "si")
    DATASETS = ("sign_ins", *EVALUATOR_DATASETS)
    ACTION_SCOPE = "signins"

    DEFAULT_CSS = """
    SignInsPane #si-summary { height: 1; padding: 0 1; color: $text-muted; }
    """

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("time", "Time (UTC)", width=16),
        Column("user", "User", flex=True, min_width=10),
        Column("app", "App", min_width=8, max_width=26),
        Column("client", "Client", min_width=6, max_width=14),
        Column("ip", "IP", min_width=13, max_width=39),
        Column("country", "CC", width=2),
        Column("risk", "Risk", min_width=4, max_width=6),
        Column("status", "Status", min_width=5, max_width=6),
        Column("ca", "CA", min_width=7, max_width=10),
    )

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name, id, classes)
        self.sign_ins: dict[str, SignIn] = {}
        """The sign-ins held, by row key."""
        self._all: PreparedRows | None = None
        self._entries: list[Entry] | None = None  # made on the first filter
        self._empty = "Waiting for the tenant..."
        self._tenant: Tenant | None = None
        self._evaluator: tuple[Tenant, Context] | None = None
        self._shown = 0

    def theme_changed(self) -> None:
        """The cells' colours are the theme's: build the rows again."""
        if self._tenant is not None:
            self._build(self._tenant, dict(self.app.theme_variables), self.table.filter_query)

    def compose_pane(self) -> ComposeResult:
        yield DataNotice(self.DATASETS, id="si-notice")
        yield Static(Text("Waiting for the tenant..."), id="si-summary")
        yield SignInTable(self.COLUMNS, on_filter=self._filter, empty="Waiting for the tenant...", id="si-log")

    @property
    def table(self) -> SignInTable:
        return self.query_one("#si-log", SignInTable)

    # --- hooks -------------------------------------------------------------------------------------

    def load_started(self) -> None:
        if self._all is None:
            self.query_one("#si-summary", Static).update(Text("Reading the sign-in log..."))

    def tenant_loaded(self, tenant: Tenant) -> None:
        self._tenant = tenant
        self._build(tenant, dict(self.app.theme_variables), self.table.filter_query)

    def show_view(self, view: str) -> None:
        """The pane has one view."""

    @work(thread=True, exclusive=True, group="signins-build", exit_on_error=False)
    def _build(self, tenant: Tenant, variables: dict[str, str], query_text: str) -> None:
        """The log as rows (and filtered by ``query_text``, the filter when the build began: a filter set
        meanwhile is applied once the rows are in, see :meth:`_adopt`)."""
        from ztconsole.threads import responsive

        with responsive():  # the loop waits at most 1 ms for the GIL between two bytecodes of this worker
            self._make(tenant, variables, query_text)

    def _make(self, tenant: Tenant, variables: dict[str, str], query_text: str) -> None:
        from ztconsole.gcpause import gc_paused

        ordered = _order(tenant.sign_ins)
        if len(ordered) > FIRST_ROWS and self._all is None:  # a large log: show the newest page at once
            head, head_keys = build(ordered[:FIRST_ROWS], variables, len(self.COLUMNS), ordered=True)
            if get_current_worker().is_cancelled:
                return
            self.app.call_from_thread(self._adopt_head, head, head_keys)
        query = parse_query(query_text)
        # 100,000 rows are objects that live as long as the load: no collection pauses (every thread) for them,
        # nor for what the filter reads of each row (a full collection: 25 ms the loop waits for)
        with gc_paused():
            prepared, by_key = build(ordered, variables, len(self.COLUMNS), ordered=True)
            found = entries(prepared.rows, by_key) if query else None
        shown = _filtered(prepared, found, query) if found is not None else prepared
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._adopt, tenant, prepared, by_key, found, shown, query_text)

    def _adopt_head(self, head: PreparedRows, by_key: dict[str, SignIn]) -> None:
        """The newest sign-ins of a large log, while the rest are being made into rows."""
        if self._all is not None or self.table.filter_query:
            return
        self.sign_ins = by_key
        self.table.set_prepared(head)
        self.query_one("#si-summary", Static).update(
            Text(f"The newest {len(head.rows):,} sign-ins; preparing the rest of the log...", style="bold"))

    def _adopt(self, tenant: Tenant, prepared: PreparedRows, by_key: dict[str, SignIn], found: list[Entry] | None,
               shown: PreparedRows, query_text: str) -> None:
        from ztconsole.threads import release_in_background

        # the previous load's rows: 25 ms to free (100,000 sign-ins) on the loop, in pieces in a thread instead
        previous = [self._all, self._entries, self.sign_ins]
        self._all, self._entries, self.sign_ins = prepared, found, by_key
        status = tenant.status("sign_ins")
        self._empty = ("The sign-in log is empty." if status == "ok"
                       else f"No sign-ins: the log is {status} (see above).")
        self._show(shown)
        release_in_background(previous)
        if self.table.filter_query != query_text:  # the filter changed while the rows were being made
            self._run_filter(self.table.filter_query)

    def _show(self, shown: PreparedRows, found: list[Entry] | None = None) -> None:
        if found is not None:
            self._entries = found
        table = self.table
        table.empty = f"No sign-in matches {clean(table.filter_query)}" if table.filter_query else self._empty
        table.set_prepared(shown)
        self._shown = len(shown.rows)
        self._summarise()

    def _summarise(self) -> None:
        total = len(self._all.rows) if self._all is not None else 0
        out = Text()
        out.append(f"{total:,} sign-ins, newest first", style="bold")
        if self.table.filter_query:
            out.append(f" {glyph(self.app, 'separator')} {self._shown:,} match")
        dot = glyph(self.app, "separator")
        out.append(f" {dot} /: words or user: app: ip: country: risk: status: ca: {dot} f: failures", style="dim")
        self.query_one("#si-summary", Static).update(out)

    def _filter(self, value: str) -> None:
        if self._all is not None:
            self._run_filter(value)

    @work(thread=True, exclusive=True, group="signins-filter", exit_on_error=False)
    def _run_filter(self, value: str) -> None:
        prepared, found = self._all, self._entries
        if prepared is None:
            return
        from ztconsole.threads import responsive

        query = parse_query(value)
        with responsive():  # the loop waits at most 1 ms for the GIL between two bytecodes of this worker
            if query and found is None:
                from ztconsole.gcpause import gc_paused

                with gc_paused():
                    found = entries(prepared.rows, self.sign_ins)
            shown = _filtered(prepared, found, query) if query and found is not None else prepared
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_filtered, prepared, shown, found)

    def _show_filtered(self, base: PreparedRows, shown: PreparedRows, found: list[Entry] | None) -> None:
        if base is not self._all:  # a new load came in meanwhile: filter its rows instead
            self._run_filter(self.table.filter_query)
            return
        self._show(shown, found)

    # --- keys --------------------------------------------------------------------------------------

    def action_failures(self) -> None:
        table = self.table
        self.apply_filter(table, "" if table.filter_query == FAILURES else FAILURES)

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        si = self.sign_ins.get(event.key)
        if si is not None and self._tenant is not None:
            event.stop()
            self.app.push_screen(SignInDetails(si, self))

    # --- the local what-if (for the details) -------------------------------------------------------

    def evaluate(self, si: SignIn) -> tuple[Scenario, WhatIfResult, Context]:
        """The local what-if of ``si`` (call from a worker thread: the evaluator's view of the tenant is
        built on the first call of each load)."""
        from ztconsole.engine.ca.context import Context
        from ztconsole.engine.ca.evaluation import what_if
        from ztconsole.engine.impact import scenario_of

        tenant = self._tenant
        assert tenant is not None
        held = self._evaluator
        if held is None or held[0] is not tenant:
            app = cast("ZtApp", self.app)
            held = self._evaluator = (tenant, Context.from_tenant(tenant, break_glass=app.analysis.break_glass))
        ctx = held[1]
        scenario = scenario_of(si)
        return scenario, what_if(tenant.ca_policies, scenario, ctx), ctx

    def incomplete_inputs(self) -> list[str]:
        """The evaluator's data sets not read completely (the what-if says so)."""
        tenant = self._tenant
        if tenant is None:
            return []
        return [key for key in EVALUATOR_DATASETS if tenant.status(key) != "ok"]


def _filtered(prepared: PreparedRows, found: list[Entry], query: Query) -> PreparedRows:
    """The rows of ``prepared`` whose entries match ``query`` (the widths stay those of the whole log, so
    the columns do not jump as the filter narrows)."""
    rows = [row for row, e in zip(prepared.rows, found, strict=True) if query.matches(e)]
    return PreparedRows(rows, {row.key: i for i, row in enumerate(rows)}, prepared.natural)


# --- the details ------------------------------------------------------------------------------------------


class SignInDetails(actions.Guarded, ModalScreen[None]):
    """One sign-in: its facts, then each policy as Entra recorded it beside the local what-if, differences
    marked, and the ``ztconsole whatif`` line. Esc closes it."""

    ACTION_SCOPE = "modal"
    BINDINGS = actions.bindings("modal")

    DEFAULT_CSS = """
    SignInDetails #si-dialog { width: 100%; height: 100%; padding: 0 1; background: $surface;
                               border: $dialog-border $primary; }
    SignInDetails #si-title { height: 1; color: $accent; text-style: bold; }
    SignInDetails #si-facts { height: auto; max-height: 6; }
    SignInDetails #si-verdict { height: auto; max-height: 3; }
    SignInDetails #si-policies { height: 1fr; min-height: 4; }
    SignInDetails #si-reasons { height: auto; max-height: 3; color: $text-muted; }
    SignInDetails #si-whatif { height: auto; max-height: 6; }
    """

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("diff", " ", width=1),
        Column("policy", "Policy", min_width=16, max_width=36),
        Column("entra", "Entra recorded", min_width=8, max_width=20),
        Column("local", "Local what-if", flex=True, min_width=16),
    )

    def __init__(self, si: SignIn, pane: SignInsPane) -> None:
        super().__init__()
        self.si = si
        self.pane = pane
        self.comparisons: dict[str, Comparison] = {}
        self.command = ""
        """The ``ztconsole whatif`` line (empty until the what-if has run)."""

    def compose(self) -> ComposeResult:
        si = self.si
        with Vertical(id="si-dialog"):
            when = si.created_date_time.isoformat().replace("+00:00", "Z") if si.created_date_time else "?"
            title = Text(f"Sign-in {when} ")
            title.append_text(text(si.user_principal_name or si.user_display_name or si.user_id or "?"))
            yield Static(title, id="si-title")
            yield Static(self._facts(), id="si-facts")
            yield Static(Text("Evaluating the sign-in locally...", style="dim"), id="si-verdict")
            yield VirtualTable(self.COLUMNS, empty="Evaluating...", id="si-policies")
            yield Static(id="si-reasons")
            yield Static(id="si-whatif")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._evaluate()

    def _facts(self) -> Table:
        si = self.si
        grid = Table.grid(padding=(0, 1), expand=True)
        for _ in range(2):
            grid.add_column(style="dim", no_wrap=True)
            # Rich's ellipsis is always "…": where the theme draws ASCII, a value too long is cropped
            grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis" if unicode_glyphs(self.app) else "crop")
        user = " ".join(v for v in (si.user_display_name, f"<{si.user_principal_name}>" if si.user_principal_name
                                    else None) if v) or (si.user_id or "?")
        app = si.app_display_name or si.app_id or "?"
        if si.resource_display_name and si.resource_display_name != si.app_display_name:
            app = f"{app} -> {si.resource_display_name}"
        d = si.device_detail
        device = "unregistered"
        if d is not None:
            facts = [d.operating_system, d.browser, d.trust_type,
                     "compliant" if d.is_compliant else "not compliant" if d.is_compliant is False else None]
            device = ", ".join(f for f in facts if f) or device
        loc = si.location
        where = " ".join(v for v in (si.ip_address, si.country, loc.city if loc else None) if v) or "?"
        status = si.status
        code = status.error_code if status is not None else None
        outcome = "success" if code == 0 else f"failure {code}" if code is not None else "?"
        if status is not None and status.failure_reason and code != 0:
            outcome = f"{outcome}: {status.failure_reason}"
        risk = f"{si.risk_level_during_sign_in or '?'} (aggregated {si.risk_level_aggregated or '?'})"
        grid.add_row("User", text(user), "App", text(app))
        grid.add_row("Client", text(si.client_app_used or "?"), "Device", text(device))
        grid.add_row("From", text(where), "Risk", text(risk))
        grid.add_row("Status", text(outcome, style_for(self.app, "check", "pass" if code == 0 else "fail")),
                     "CA", text(si.conditional_access_status or "?"))
        return grid

    @work(thread=True, exclusive=True, group="signin-whatif", exit_on_error=False)
    def _evaluate(self) -> None:
        try:
            scenario, result, ctx = self.pane.evaluate(self.si)
            rows = compare(self.si, result)
            argv, unsaid = whatif_argv(self.si, scenario, ctx)
            source = cast("ZtApp", self.app).analysis.source_args
            line = command_line(["ztconsole", "whatif", *source, *argv])
        except Exception as e:  # shown in the dialog: the evaluator's failure is this sign-in's alone
            self.app.call_from_thread(self._failed, e)
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, result, rows, line, unsaid)

    def _failed(self, error: Exception) -> None:
        self.query_one("#si-verdict", Static).update(
            text(f"The local what-if failed: {type(error).__name__}: {error}", "bold"))
        self.query_one("#si-policies", VirtualTable).empty = "No local what-if."

    def _show(self, result: WhatIfResult, rows: list[Comparison], line: str, unsaid: list[str]) -> None:
        app = self.app
        self.comparisons = {c.policy_id: c for c in rows}
        self.command = line
        differs = sum(1 for c in rows if c.differs)
        diff_style = style_for(app, "check", "warn")
        out = Text()
        out.append("Entra: ", style="bold")
        ca = self.si.conditional_access_status or "nothing recorded"
        out.append(ca, style=style_for(app, "verdict", {"success": "allow", "failure": "deny"}.get(ca, ca)))
        out.append("   Local: ", style="bold")
        if result.decision == "block":
            out.append("block", style=style_for(app, "verdict", "block"))
        elif result.requirements:
            out.append("requires " + " AND ".join("(" + " OR ".join(alt) + ")" for alt in result.requirements))
        else:
            out.append(result.decision, style=style_for(app, "verdict", result.decision))
        out.append(f"  ({len(result.applied)} enforced, {len(result.report_only)} report-only apply)", style="dim")
        out.append("   ")
        if differs:
            out.append(f"{glyph(app, 'differs')} {differs} difference{'s' if differs != 1 else ''}",
                       style=diff_style or "bold")
        else:
            out.append("no difference", style=style_for(app, "check", "pass"))
        if not self.si.applied_conditional_access_policies:
            out.append("\nEntra recorded no policy for this sign-in: nothing to compare.", style="dim")
        missing = self.pane.incomplete_inputs()
        if missing:
            out.append(f"\nThe local what-if read incomplete data: {', '.join(missing)}.",
                       style=style_for(app, "check", "warn"))
        self.query_one("#si-verdict", Static).update(out)
        table = self.query_one("#si-policies", VirtualTable)
        table.empty = "No Conditional Access policy is loaded or recorded."
        table.set_rows([Row(c.policy_id, (Text(glyph(app, "differs"), style=diff_style) if c.differs else "",
                                          text(c.name), text(c.entra or glyph(app, "dash")),
                                          text(c.local or "not loaded")),
                            style="bold" if c.differs else "") for c in rows])
        command = Text()
        command.append("reproduce: ", style="dim")
        command.append(line, style="bold")
        for note in unsaid:
            command.append(f"\n(not in the line: {note})", style="dim")
        self.query_one("#si-whatif", Static).update(command)
        if rows:
            self._reasons(rows[0].policy_id)

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        event.stop()
        if event.key is not None:
            self._reasons(event.key)

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        c = self.comparisons.get(event.key)
        if c is not None:
            self.app.push_screen(PolicyReasons(c, self._reasons_text(c, whole=True)))

    def _reasons(self, key: str) -> None:
        c = self.comparisons.get(key)
        if c is not None:
            self.query_one("#si-reasons", Static).update(self._reasons_text(c))

    def _reasons_text(self, c: Comparison, *, whole: bool = False) -> Text:
        """The difference, the local evaluator's reasons and what Entra enforced (cut unless ``whole``)."""
        out = Text()
        if c.difference:
            out.append("Difference: ", style="bold")
            out.append_text(text(c.difference))
            out.append("\n")
        if c.local_result is not None:
            out.append("Local: ", style="bold")
            reasons = c.local_result.reasons or ("no reason given",)
            if whole:
                out.append_text(text(c.local))
                for reason in reasons:
                    out.append("\n  - ")
                    out.append_text(text(reason))
            else:
                out.append_text(text(f"{c.local} ({'; '.join(reasons)})"))
        if c.recorded is not None:
            controls = [*c.recorded.enforced_grant_controls, *c.recorded.enforced_session_controls]
            out.append("\nEntra: ", style="bold")
            out.append_text(text(f"{c.entra}" + (f", enforced {', '.join(controls)}" if controls else "")))
        cut(out, 20_000 if whole else 2_000, self.app)
        return out


class PolicyReasons(actions.Guarded, ModalScreen[None]):
    """One policy of a sign-in's comparison, whole: the difference, every reason of the local evaluator,
    what Entra enforced. Esc closes it (back to the sign-in)."""

    ACTION_SCOPE = "modal"
    BINDINGS = actions.bindings("modal")

    def __init__(self, comparison: Comparison, body: Text) -> None:
        super().__init__()
        self.comparison = comparison
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(text(self.comparison.name, "bold"), classes="dialog-title")
            with VerticalScroll(classes="issues"):
                yield Static(self.body, id="si-policy-reasons")
        yield KeyFooter()

