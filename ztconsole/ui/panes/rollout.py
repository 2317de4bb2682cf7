"""The Rollout pane: the VPN-to-ZTNA rollout (CONTRACTS §9) step by step, what ``ztconsole rollout`` does
headless, in the console (``:rollout``).

Left, the ten steps, each with its status (``done``, ``ready``, ``blocked``, ``pending``: a mark in the theme's
glyphs and the word); right, the step under the cursor: its status and what it says, then its plan as
``policy plan`` shows it (:func:`ztconsole.actions.preview.render`: every change, each guard's verdict, refusals
first, and the exact requests, method, URL and body). The cursor starts on the first step that is not done
(where the rollout was left). Statuses and plans are computed from the tenant as loaded and the rollout state
kept for it, in a worker thread, after every load: ``r`` (the app's reload) reads both again.

``a`` (``rollout.apply``, a dangerous action: absent while read-only) applies the step under the cursor after
a confirmation (:class:`ConfirmApplyScreen`) that opens on Cancel and shows the plan's summary; a change the
bake guard refuses (a policy that has not baked its days in report-only) is written only with a reason typed in
the dialog (``--override-bake --reason`` of the command line, kept in the audit log and the rollout state). The
writes run off the event loop through the source's stack for writing (its emulator for a recording, so the
console reads what it wrote), each between audit records, read back as the command line does; then the tenant
is read again through the app's store (every pane sees the change) and the statuses computed anew. A failure is
said in the pane's state line, on the flash line and as a notification (:meth:`RolloutPane.failed`); the other
panes keep what they show.

Everything from the tenant (names, details, URLs, bodies) is shown through :mod:`ztconsole.ui.safe`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from ztconsole.threads import in_daemon_thread
from ztconsole.ui import actions
from ztconsole.ui.footer import KeyFooter
from ztconsole.ui.notice import DataNotice
from ztconsole.ui.panes.base import Pane
from ztconsole.ui.safe import clean, text
from ztconsole.ui.status import Cut, glyph, style_for, unicode_glyphs
from ztconsole.ui.vtable import Column, Row, VirtualTable
from ztconsole.wizard.runner import READ as READS

if TYPE_CHECKING:
    from ztconsole.actions.plan import Plan
    from ztconsole.model.tenant import Tenant
    from ztconsole.ui.app import RolloutSettings, ZtApp
    from ztconsole.wizard.context import RolloutContext
    from ztconsole.wizard.runner import StepRun
    from ztconsole.wizard.steps import StepStatus

__all__ = ["READS", "ApplyChoice", "ConfirmApplyScreen", "RolloutPane", "StepView", "bake_refusals", "compute",
           "context", "mark", "write_step"]

MARKS: dict[str, tuple[str, str]] = {
    "done": ("check-pass", "pass"),
    "ready": ("arrow", "warn"),
    "blocked": ("check-fail", "fail"),
    "pending": ("mark-queued", "skip"),
}
"""A step's status -> its glyph (:data:`~ztconsole.ui.status.GLYPHS`) and the check status it is coloured as."""


def mark(source: Any, status: str) -> Text:
    """A step status's mark and word, in the theme's glyphs and colours (the word is always there)."""
    name, look = MARKS.get(status, ("dash", "error"))
    return Text(f"{glyph(source, name)} {status}", style=style_for(source, "check", look))


def bake_refusals(plan: Plan) -> int:
    """How many changes of ``plan`` the bake guard refuses (what a reason can override)."""
    return sum(1 for c in plan.refused if any(v.guard == "bake" for v in c.refused))


@dataclass(frozen=True, slots=True)
class StepView:
    """One step as shown: its status and its plan (None with ``error`` when the plan could not be made)."""

    status: StepStatus
    plan: Plan | None
    error: str = ""

    @property
    def key(self) -> str:
        return self.status.id


@dataclass(frozen=True, slots=True)
class ApplyChoice:
    """What the confirmation came to: apply, with the bake override's reason (None: no override)."""

    override: str | None = None


def context(tenant: Tenant, settings: RolloutSettings, source: object, *, override: str | None = None,
            urls: tuple[str, str] | None = None) -> RolloutContext:
    """The steps' context as ``ztconsole rollout`` builds it from the same command line: the tenant as loaded,
    its rollout state read now, the settings, and the source's endpoints (``urls``: Graph's and ARM's)."""
    from ztconsole.wizard import state as wstate
    from ztconsole.wizard.steps import RolloutContext

    captured = tenant.info.captured_at
    now = captured if settings.recorded and captured is not None else datetime.now(UTC)
    graph_url, arm_url = urls or _endpoints(source)
    return RolloutContext(tenant, wstate.load(tenant.info.id), now=now, graph_url=graph_url,
                          bake_days=settings.bake_days, source_args=settings.source_args,
                          declared=settings.declared, override_bake=override, arm_url=arm_url)


def _endpoints(source: object) -> tuple[str, str]:
    """Graph's and ARM's base URLs for ``source``: a live profile's cloud, else the public cloud's (what the
    emulator of a recording answers on)."""
    endpoints = getattr(getattr(source, "profile", None), "endpoints", None)
    if endpoints is not None:
        return str(endpoints.graph_url), str(endpoints.arm_url)
    return "https://graph.microsoft.com", "https://management.azure.com"


def compute(tenant: Tenant, settings: RolloutSettings, source: object) -> list[StepView]:
    """Every step's status and plan on ``tenant`` and its rollout state as kept now (see :func:`context`);
    blocking (the state file is read too): run it in a worker thread."""
    from ztconsole.wizard.runner import plan_step
    from ztconsole.wizard.steps import statuses

    ctx = context(tenant, settings, source)
    out = []
    for found in statuses(ctx):
        try:
            out.append(StepView(found, plan_step(ctx, found.id)))
        except Exception as e:  # noqa: BLE001 - one step's plan failing is said on that step; the others show
            out.append(StepView(found, None, f"the plan could not be made: {type(e).__name__}: {e}"))
    return out


def write_step(source: Any, tenant: Tenant, settings: RolloutSettings, step_id: str,
               override: str | None) -> StepRun:
    """Apply step ``step_id`` (blocking, on an event loop of its own: run it in a worker thread) as ``rollout
    apply --write --yes`` would: planned again on ``tenant`` (with ``override``, the bake override's reason),
    refused while an earlier step is not done, written through the source's stack for writing with an audit
    record before and after each write, and read back."""
    return asyncio.run(_write_step(source, tenant, settings, step_id, override))


async def _write_step(source: Any, tenant: Tenant, settings: RolloutSettings, step_id: str,
                      override: str | None) -> StepRun:
    from ztconsole.actions.audit import AuditLog
    from ztconsole.sources.loader import Loader
    from ztconsole.wizard.runner import StepRun, apply_step, has_work, plan_step
    from ztconsole.wizard.steps import statuses

    async with source.open_for_writing(keys=READS) as stack:
        graph, arm = stack.readers["graph"], stack.readers.get("arm")
        urls = (str(getattr(graph, "graph_url", "https://graph.microsoft.com")),
                str(getattr(arm, "arm_url", "https://management.azure.com")))
        ctx = context(tenant, settings, source, override=override, urls=urls)
        found = statuses(ctx)
        number = next(s.step for s in found if s.id == step_id)
        earlier = next((s for s in found[:number] if s.status != "done"), None)
        if earlier is not None:
            return StepRun([], [f"step {number} waits for step {earlier.step} ({earlier.id}): {earlier.detail}"])
        plan = plan_step(ctx, step_id)
        if not has_work(step_id, plan):
            return StepRun([], [f"step {number} has nothing to write that the guards allow"])

        async def reload() -> Any:
            return await Loader(stack.readers, stack.info, options=stack.options).load(list(READS))

        return await apply_step(ctx, step_id, plan, stack.readers, AuditLog(), reason=override, reload=reload)


class RolloutPane(Pane):
    """The rollout's ten steps, the selected one's plan, and its apply (see the module docstring)."""

    ID = "rollout"
    TITLE = "Rollout"
    ALIASES = ("rollout",)
    DATASETS = READS
    ACTION_SCOPE = "rollout"

    DEFAULT_CSS = """
    RolloutPane #rollout-state { height: 1; padding: 0 1; color: $text-muted; }
    RolloutPane #rollout-state.-error { color: $error; text-style: bold; }
    RolloutPane #rollout-body { height: 1fr; }
    RolloutPane #rollout-steps { width: 32; height: 1fr; border-right: $line-border $panel; }
    RolloutPane #rollout-detail-box { width: 1fr; height: 1fr; padding: 0 1; }
    RolloutPane #rollout-detail { width: 1fr; height: auto; }
    """

    COLUMNS: ClassVar[tuple[Column, ...]] = (
        Column("n", "#", width=1),
        Column("step", "Step", flex=True, min_width=10),
        Column("status", "Status", width=9),
    )

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name, id, classes)
        self.steps: dict[str, StepView] = {}
        """The steps shown, by id, in order."""
        self.applying: str | None = None
        """The step being applied (its id), None when nothing is."""
        self._computing = False
        self._placed = False  # the cursor was put on the first step not done (at first, and after an apply)
        self._reload_after_apply = False  # an apply's re-read could not start (a load was running): do it next
        self._tenant: Tenant | None = None
        self.state_message = ""
        """What the pane's state line says (computing, applying, applied, or what failed)."""
        self.state_error = False
        """Whether the state line says what failed."""
        self._applied = ""  # what the last apply came to, said until the next one
        self._failure = ""  # what the last apply's failure was, said until the next apply

    def compose_pane(self) -> ComposeResult:
        yield DataNotice(self.DATASETS, id="rollout-notice")
        yield Static(Text("Waiting for the tenant..."), id="rollout-state")
        with Horizontal(id="rollout-body"):
            yield VirtualTable(self.COLUMNS, empty="Waiting for the tenant...", id="rollout-steps")
            with VerticalScroll(id="rollout-detail-box"):
                yield Static(id="rollout-detail")

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#rollout-steps", VirtualTable)

    @property
    def selected(self) -> StepView | None:
        """The step under the cursor."""
        key = self.table.cursor_key
        return self.steps.get(key) if key is not None else None

    # --- hooks -------------------------------------------------------------------------------------

    def load_started(self) -> None:
        if self.applying is None and not self._failure:
            self.say(f"Reading the tenant{glyph(self.app, 'ellipsis')}")

    def tenant_loaded(self, tenant: Tenant) -> None:
        if self._reload_after_apply and self.store.reload():
            self._reload_after_apply = False
            return  # the apply's own re-read is on its way
        self._compute(tenant)

    def theme_changed(self) -> None:
        if self.steps:
            self._show(list(self.steps.values()))

    def show_view(self, view: str) -> None:
        """The pane has one view."""

    # --- computing ---------------------------------------------------------------------------------

    @work(exclusive=True, group="rollout-steps", exit_on_error=False)
    async def _compute(self, tenant: Tenant) -> None:
        app = cast("ZtApp", self.app)
        self._computing = True
        if not self.steps:
            self.table.empty = f"Computing the steps{glyph(app, 'ellipsis')}"
            self.table.refresh()
        try:
            found = await in_daemon_thread(compute, tenant, app.rollout, self.store.source, name="ztconsole-rollout")
        except Exception as e:  # noqa: BLE001 - said in the pane: the other panes keep what they show
            self._computing = False
            self.table.empty = "The steps could not be computed."
            self.table.set_rows([])
            self.failed(f"The rollout steps could not be computed: {type(e).__name__}: {e}")
            return
        self._computing = False
        self._tenant = tenant
        self._show(found)
        if self.applying is None:
            done = sum(1 for v in found if v.status.status == "done")
            sep = f" {glyph(app, 'separator')} "
            said = self._failure or self._applied  # what the last apply came to, kept on the line
            self.say((f"{said}{sep}" if said else "") + f"{done} of {len(found)} steps done"
                     + ("" if app.read_only else f"{sep}a: apply the step"), error=bool(self._failure))

    def _show(self, found: Sequence[StepView]) -> None:
        self.steps = {view.key: view for view in found}
        table = self.table
        table.empty = "No steps."
        table.set_rows(Row(view.key, (str(view.status.step), text(view.status.title.split(":", 1)[0]),
                                      mark(self.app, view.status.status)))
                       for view in found)
        if not self._placed and found:
            first = next((v for v in found if v.status.status != "done"), found[-1])
            table.move_to(first.key)
            self._placed = True
        self._detail()

    # --- the detail --------------------------------------------------------------------------------

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        event.stop()
        self._detail()

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        self._detail()

    def _detail(self) -> None:
        view = self.selected
        box = self.query_one("#rollout-detail", Static)
        if view is None:
            box.update("")
            return
        box.update(detail_text(self.app, view, read_only=cast("ZtApp", self.app).read_only))  # wrapped, not cut

    # --- the state line: the one funnel for what the pane has to say -------------------------------

    def say(self, message: str, *, error: bool = False) -> None:
        """Show ``message`` (literally) on the pane's state line."""
        self.state_message, self.state_error = message, error
        line = self.query_one("#rollout-state", Static)
        line.set_class(error, "-error")
        shown = text(message, "bold" if error else "")
        shown.no_wrap = True
        line.update(Cut(shown, self.app))

    def failed(self, message: str, *, apply: bool = False) -> None:
        """A failure: said on the state line (an ``apply``'s until the next apply, whatever is read meanwhile),
        on the flash line and as an error notification."""
        if apply:
            self._failure = message
        self.say(message, error=True)
        self.flash(message, error=True)
        self.app.notify(clean(message), title="Rollout", severity="error", markup=False, timeout=10)

    # --- apply -------------------------------------------------------------------------------------

    def action_apply(self) -> None:
        """Apply the step under the cursor, after the confirmation (see the module docstring)."""
        from ztconsole.wizard.runner import has_work

        app = cast("ZtApp", self.app)
        view = self.selected
        if app.read_only:  # not bound while read-only; said in case it is run some other way
            self.flash("Applying changes the tenant: start the console with --write.", error=True)
            return
        if self.applying is not None:
            self.flash(f"Step {self.applying} is being applied.")
            return
        if view is None or self._computing or self.store.loading:
            self.flash("Still reading the tenant: apply once the steps are shown.")
            return
        if not callable(getattr(self.store.source, "open_for_writing", None)):
            self.failed("This source cannot be written: the console writes to the demo, a tenant directory "
                        "(--tenant-dir) or a live tenant.")
            return
        if view.plan is None:
            self.failed(f"Step {view.status.step}: {view.error}")
            return
        bake = bake_refusals(view.plan)
        found = list(self.steps.values())
        earlier = next((v.status for v in found[:view.status.step] if v.status.status != "done"), None)
        if earlier is not None and not bake:
            self.flash(f"Step {view.status.step} waits for step {earlier.step} ({earlier.id}): {earlier.detail}",
                       error=True)
            return
        if not bake and not has_work(view.key, view.plan):
            self.flash(f"Step {view.status.step} has nothing to write ({view.status.status}): "
                       f"{view.status.detail}")
            return
        app.push_screen(ConfirmApplyScreen(view, bake_days=app.rollout.bake_days),
                        lambda choice: self._confirmed(view, choice))

    def _confirmed(self, view: StepView, choice: ApplyChoice | None) -> None:
        if choice is None:
            self.flash(f"Step {view.status.step} not applied: nothing written.")
            return
        self._apply(view, choice.override)

    @work(exclusive=True, group="rollout-apply", exit_on_error=False)
    async def _apply(self, view: StepView, override: str | None) -> None:
        app = cast("ZtApp", self.app)
        tenant = self._tenant or self.store.tenant
        if tenant is None:
            return
        number = view.status.step
        self.applying = str(number)
        self._applied = self._failure = ""
        writes = len(view.plan.writes) if view.plan is not None else 0
        self.say(f"Applying step {number} ({view.key}): {writes} write(s)"
                 f"{' with the bake overridden' if override else ''}{glyph(app, 'ellipsis')}")
        try:
            with app.writing():  # quitting asks first while this runs
                run = await in_daemon_thread(write_step, self.store.source, tenant, app.rollout, view.key,
                                             override, name="ztconsole-rollout-apply")
        except Exception as e:  # noqa: BLE001 - said in the pane: the other panes keep what they show
            failures = [f"{type(e).__name__}: {e}"]
        else:
            failures = list(run.failures)
        finally:
            self.applying = None
        if failures:
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            self.failed(f"Step {number} ({view.key}) failed: {failures[0]}{more}", apply=True)
        else:
            self._applied = f"Step {number} ({view.key}) applied"
            self.say(f"{self._applied}; reading the tenant again{glyph(app, 'ellipsis')}")
            self._placed = False  # on to the next step not done, once the statuses are in
        # the tenant as it is now, for every pane (the statuses follow in tenant_loaded)
        if not self.store.reload():
            self._reload_after_apply = True


def detail_text(app: Any, view: StepView, *, read_only: bool) -> Text:
    """The step's status and detail, then its plan (refusals first) with the exact requests."""
    from ztconsole.actions.preview import render
    from ztconsole.wizard.runner import has_work

    s = view.status
    out = Text()
    out.append(f"Step {s.step}  ", style="bold")
    out.append_text(text(s.title, "bold"))
    out.append("\n")
    out.append_text(mark(app, s.status))
    out.append(f" {glyph(app, 'dash')} ")
    out.append_text(text(s.detail))
    out.append("\n\n")
    out.append("Plan\n", style="bold underline")
    if view.plan is None:
        out.append_text(text(view.error, style_for(app, "check", "error")))
        return out
    refuse, allow = style_for(app, "check", "fail"), style_for(app, "check", "pass")
    for line in render(view.plan).rstrip("\n").split("\n"):
        stripped = line.lstrip()
        style = (refuse if line.startswith("REFUSED") or stripped.startswith("[refuse]")
                 else allow if stripped.startswith("[allow]") else "bold" if line and not line[0].isspace() else "")
        out.append_text(text(line, style) if line else Text(""))
        out.append("\n")
    if read_only:
        out.append("\nRead-only: start the console with --write to apply a step.", style="dim")
    elif has_work(s.id, view.plan) or bake_refusals(view.plan):
        out.append("\na: apply this step (asks first)", style="dim")
    return out


def plan_summary(plan: Plan) -> list[str]:
    """The plan's headline and one line per change (refusals first): what the confirmation shows."""
    from ztconsole.actions.preview import render

    lines = render(plan).rstrip("\n").split("\n")
    return [line for line in lines if line and not line[0].isspace()]


class ConfirmApplyScreen(actions.Guarded, ModalScreen[ApplyChoice | None]):
    """Apply a step? The plan's summary, and, when the bake guard refuses some of it, a reason to override it
    with (the confirming button stays disabled until one is typed). Opens on Cancel, so a reflexive Enter (or
    Esc, or the dialog's close keys) writes nothing. Dismissed with an :class:`ApplyChoice`, or None."""

    ACTION_SCOPE = "modal"
    BINDINGS = actions.bindings("modal")
    AUTO_FOCUS = "#cancel"

    DEFAULT_CSS = """
    ConfirmApplyScreen .confirm { max-width: 100; }
    ConfirmApplyScreen #apply-summary { height: auto; max-height: 14; }
    ConfirmApplyScreen #apply-bake { margin-top: 1; height: auto; }
    ConfirmApplyScreen #override-reason { margin-top: 1; }
    """

    def __init__(self, view: StepView, *, bake_days: int = 14) -> None:
        super().__init__()
        self.view = view
        self.bake = bake_refusals(view.plan) if view.plan is not None else 0
        self._bake_days = bake_days

    def compose(self) -> ComposeResult:
        s, plan = self.view.status, self.view.plan
        with Vertical(classes="dialog confirm"):
            title = Text(f"Apply step {s.step}: ", style="bold")
            title.append_text(text(s.title, "bold"))
            title.append("?")
            yield Static(title, classes="dialog-title")
            summary = Text()
            for i, line in enumerate(plan_summary(plan) if plan is not None else []):
                summary.append("\n" if i else "")
                summary.append_text(text(line, "bold" if line.startswith("REFUSED") else ""))
            with VerticalScroll(id="apply-summary"):
                yield Static(summary, id="apply-plan")
            if self.bake:
                yield Static(Text(f"The bake guard refuses {self.bake} change(s): not {self._bake_days} days in "
                                  "report-only yet. To write them anyway, give the reason (kept in the audit log "
                                  "and the rollout state)."), id="apply-bake")
                yield Input(placeholder="override bake: reason", id="override-reason")
            compact = not unicode_glyphs(self.app)  # a tall button's edges are block glyphs: one line in ASCII
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", variant="primary", compact=compact)
                if self.bake:
                    yield Button("Override bake and apply", id="apply", variant="error", disabled=True,
                                 compact=compact)
                else:
                    yield Button("Apply", id="apply", variant="error", compact=compact)
        yield KeyFooter()

    @property
    def reason(self) -> str:
        """The override reason typed ("" for none, or no bake to override)."""
        if not self.bake:
            return ""
        return self.query_one("#override-reason", Input).value.strip()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one("#apply", Button).disabled = not event.value.strip()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # Enter never confirms from the reason: it moves on to the button, once there is a reason
        button = self.query_one("#apply", Button)
        if not button.disabled:
            button.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id != "apply":
            self.dismiss(None)
            return
        if self.bake and not self.reason:
            return  # disabled until a reason is typed
        self.dismiss(ApplyChoice(self.reason or None))
