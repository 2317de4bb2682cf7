"""The action registry: every user action of the console, declared once.

Each :class:`Action` has a stable id ``"<scope>.<name>"``, the keys bound to it, a description and
whether it changes the tenant (``dangerous``). The registry feeds the key bindings (and through them the
footer), the help screen, the command palette (:mod:`ztconsole.ui.palette`) and the ``:`` command bar
(an action's ``commands``, beside the panes' aliases, see :mod:`ztconsole.ui.commandbar`); the user
keymap in config names actions by id and replaces their keys (Textual's ``App.set_keymap``, which
matches the bindings' ids), so these never drift apart. ``priority`` actions
(ctrl+c, ctrl+z: keys a terminal user expects to work everywhere) are checked before the focused
widget's keys and stay active in dialogs.

Scopes name where an action's binding lives: ``app`` (everywhere), a pane's id (that pane, see
:class:`ztconsole.ui.panes.base.Pane`), ``datasets`` (the data-set table), ``modal`` (any dialog). In
read-only mode dangerous actions are disabled, not shown and not offered.

This module is plain data: Textual is imported only by :func:`bindings` and :func:`key_labels`, so
configuration code can validate a keymap against :data:`ACTIONS` without loading the UI toolkit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from textual.app import App
    from textual.binding import BindingType
    from textual.dom import DOMNode

    _Node = DOMNode  # what Guarded is mixed into: its app and check_action, to the checker
else:
    _Node = object  # Textual stays unloaded until a node is built (see the module docstring)

__all__ = ["Action", "ACTIONS", "BY_COMMAND", "BY_ID", "BY_TARGET", "PANE_KEYS", "SCOPES", "Guarded", "allowed",
           "bindings", "for_scope", "key_labels", "keys"]

SCOPES: dict[str, str] = {
    "app": "Everywhere",
    "table": "Tables",
    "datasets": "Data sets",
    "ca": "Conditional Access",
    "pa": "Private Access",
    "network": "Network",
    "breakglass": "Break-glass",
    "findings": "Findings",
    "signins": "Sign-ins",
    "rollout": "Rollout",
    "modal": "Dialogs",
}
"""Every scope, in the order the help screen shows them, with its heading."""


@dataclass(frozen=True, slots=True)
class Action:
    """One user action: what it is called, which keys run it, and whether it writes."""

    id: str  # "<scope>.<name>", stable: the user keymap refers to it
    keys: str  # Textual key names, comma-separated: "question_mark,f1"
    description: str  # short, for the footer
    target: str  # the Textual action run on the scope's node, e.g. "quit"
    help: str = ""  # one sentence for the help screen
    dangerous: bool = False  # changes the tenant: absent in read-only mode
    footer: bool = True  # shown in the footer
    priority: bool = False  # taken before the focused widget: terminal keys (dialogs too), navigation keys
    palette: bool = True  # offered in the command palette
    commands: tuple[str, ...] = ()  # ``:`` command names that run it (``q``, ``quit``): app actions, and a
    # pane's own actions while that pane is shown

    @property
    def scope(self) -> str:
        return self.id.partition(".")[0]


PANE_KEYS = 9
"""Panes reachable by a number key: ``1`` shows the first of the app's panes, ... ``9`` the ninth."""

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")

ACTIONS: tuple[Action, ...] = (
    Action("app.quit", "q", "Quit", "quit",
           "Leave the console (ctrl+q too, whatever the keymap); asks first while a write is in flight.",
           commands=("q", "quit")),
    Action("app.interrupt", "ctrl+c", "Quit", "interrupt",
           "Quit from anywhere, dialogs included; asks first while a write is in flight.",
           footer=False, priority=True, palette=False),
    Action("app.help", "question_mark,f1", "Help", "help", "Show the keys and what they do.", commands=("help",)),
    # The navigation keys are priority keys: taken in the order typed, ahead of the focused widget, so keys
    # typed ahead reach the pane and the prompt they were meant for; they stand aside in dialogs, in the
    # prompt and where the focused widget types the key (ztconsole.ui.navigation).
    Action("app.command", "colon", "Command", "command",
           "Command bar: a pane's alias (:ca, :fw ...), :help, :q; Tab completes, Esc cancels.", priority=True),
    Action("app.filter", "slash", "Filter", "filter",
           "Filter the table as you type (any case); Enter keeps the filter, Esc clears it.", priority=True),
    Action("app.back", "escape", "Back", "go_back",
           "Clear the pane's filter, else go back to the pane before (the breadcrumb).", priority=True),
    Action("app.reload", "r", "Reload", "reload",
           "Read again what can have changed: new sign-ins, users and groups by delta query, the small data "
           "sets whole (ignored while a load is running).", commands=("reload", "refresh")),
    Action("app.reload_all", "R", "Reload all", "reload_all",
           "Read every data set whole again (ignored while a load is running).", footer=False,
           commands=("reload-all",)),
    *(Action(f"app.pane_{n}", str(n), f"Pane {n}", f"pane_{n}", f"Show the {_ORDINALS[n - 1]} pane.",
             footer=False, palette=False, priority=True)
      for n in range(1, PANE_KEYS + 1)),
    Action("app.palette", "ctrl+p", "Palette", "command_palette",
           "Search these actions by name and run one.", palette=False),
    Action("app.theme", "ctrl+t", "Theme", "change_theme",
           "Choose a theme for this session (the config is not changed).", footer=False),
    Action("app.suspend", "ctrl+z", "Suspend", "suspend_process",
           "Suspend the console to the shell, from anywhere; fg brings it back.", footer=False, priority=True),
    Action("table.cursor_up", "up,k", "Up", "cursor_up", "Move to the row above.", footer=False, palette=False),
    Action("table.cursor_down", "down,j", "Down", "cursor_down", "Move to the row below.", footer=False,
           palette=False),
    Action("table.page_up", "pageup", "Page up", "page_up", "Move a screen up.", footer=False, palette=False),
    Action("table.page_down", "pagedown", "Page down", "page_down", "Move a screen down.", footer=False,
           palette=False),
    Action("table.first", "home,g", "First", "first", "Move to the first row.", footer=False, palette=False),
    Action("table.last", "end,G", "Last", "last", "Move to the last row.", footer=False, palette=False),
    Action("table.select", "enter", "Details", "select", "Open the row under the cursor.", palette=False),
    Action("datasets.details", "enter", "Details", "select_cursor",
           "Show the data set's status, files and every malformed item (file and JSON path)."),
    Action("ca.whatif", "w", "What if", "whatif",
           "Conditional Access: evaluate a sign-in locally against every policy (user and app of the policy under "
           "the cursor prefilled); every reason, and the ztconsole whatif line that gives the same answer."),
    Action("ca.gaps", "c", "Gaps", "gaps",
           "Conditional Access: the classes of sign-ins no enforced policy blocks or asks MFA of, with an "
           "example each (Enter opens it in What if)."),
    Action("ca.impact", "i", "Impact", "impact",
           "Conditional Access: replay the sign-in log as if the report-only policy under the cursor were "
           "enforced: would block, would challenge, already satisfied; break-glass accounts flagged."),
    Action("breakglass.next_problem", "n", "Next problem", "next_problem",
           "Move to the next lock-out (ZT-BG-005 fail, ZT-BG-008 warn), else the next check that does not pass."),
    Action("signins.failures", "f", "Failures", "failures",
           "Show only failed sign-ins (the filter status:failure); again to show them all."),
    Action("pa.apps", "a", "Apps", "view_apps",
           "Private Access: the applications (Quick Access marked), connector health, assignments, CA coverage."),
    Action("pa.segments", "s", "Segments", "view_segments",
           "Private Access: every segment (destination, ports, protocol, app) with its ZT-PA-002/005 flags."),
    Action("pa.connectors", "c", "Connectors", "view_connectors",
           "Private Access: connector groups and their connectors (status, version), and the apps each serves."),
    Action("network.firewalls", "f", "Firewalls", "view_firewalls",
           "Network: the Azure Firewalls and firewall policies with ZT-NET-001..006/015 (:fw); Enter opens a "
           "policy's rules in processing order.", footer=False),
    Action("network.nsgs", "n", "NSGs", "view_nsgs",
           "Network: the network security groups with ZT-NET-007/008/010 (:nsg); Enter opens an NSG's rules.",
           footer=False),
    Action("network.routes", "o", "Routes", "view_routes",
           "Network: each subnet's next hop for 0.0.0.0/0, route table, NSG and hub/spoke role, with "
           "ZT-NET-009/011 (:routes).", footer=False),
    Action("network.flow", "t", "Flow", "view_flow",
           "Network: trace a flow through NSGs, routes, Azure Firewall and Private Access (:flow); the same "
           "ztconsole flow line is shown.", footer=False),
    Action("network.describe", "d", "Describe", "describe",
           "Network: the highlighted firewall, policy, NSG, subnet (its effective routes) or rule whole, with "
           "its findings."),
    Action("network.covering", "c", "Covering rule", "covering",
           "Network, a policy's rules: move to the earlier rule that shadows the highlighted rule or makes it "
           "redundant (ZT-NET-006)."),
    Action("findings.area", "a", "Area", "area",
           "Findings: show one area only (identity, break-glass, cae, ...); again for the next, then all."),
    Action("findings.severity", "s", "Severity", "severity",
           "Findings: show critical only, then high and worse, medium and worse, low and worse, then all."),
    Action("findings.status", "t", "Status", "status",
           "Findings: show the open ones (fail, warn, error), then each status alone, then all."),
    Action("findings.clear", "x", "Clear", "clear", "Findings: show every finding again (area, severity, status "
           "and check selectors off; Esc clears them too)."),
    Action("findings.copy", "c", "Copy", "copy_reproduce",
           "Findings (and a finding's details): copy the ztconsole whatif line that reproduces the evidence to "
           "the clipboard (OSC 52: terminals that allow it)."),
    Action("rollout.apply", "a", "Apply", "apply",
           "Rollout: write the selected step's plan, after a confirmation that starts on Cancel (a change the bake "
           "guard refuses needs a reason, kept in the audit log); the tenant is read again after.",
           dangerous=True, commands=("apply",)),
    Action("modal.close", "escape,q", "Close", "dismiss", "Close the dialog."),
)

BY_ID: dict[str, Action] = {a.id: a for a in ACTIONS}
BY_TARGET: dict[tuple[str, str], Action] = {(a.scope, a.target): a for a in ACTIONS}


def _by_command(registry: tuple[Action, ...]) -> dict[str, Action]:
    """Each ``:`` command name and its action; a name two actions claim is refused at import."""
    out: dict[str, Action] = {}
    for action in registry:
        for name in action.commands:
            if name in out:
                raise ValueError(f"command :{name} is claimed by both {out[name].id} and {action.id}")
            out[name] = action
    return out


BY_COMMAND: dict[str, Action] = _by_command(ACTIONS)
"""The ``:`` commands the registry declares (the panes' aliases come from the panes)."""


def allowed(action: Action, *, read_only: bool) -> bool:
    """Whether ``action`` may be bound, shown and run: dangerous actions only when writes are on."""
    return not (action.dangerous and read_only)


def for_scope(scope: str, *, read_only: bool) -> tuple[Action, ...]:
    """The actions of ``scope`` that are allowed in this mode, in registry order."""
    return tuple(a for a in ACTIONS if a.scope == scope and allowed(a, read_only=read_only))


def keys(action: Action, keymap: Mapping[str, str]) -> tuple[str, ...]:
    """The keys that run ``action``: the user keymap's, else the registry's."""
    return tuple(k.strip() for k in keymap.get(action.id, action.keys).split(",") if k.strip())


def key_labels(app: App[Any], action: Action, keymap: Mapping[str, str]) -> str:
    """``action``'s keys as the footer shows them (``? f1``), for the help screen and the palette."""
    from textual.binding import Binding

    return " ".join(app.get_key_display(Binding(k, action.target)) for k in keys(action, keymap))


def bindings(scope: str) -> list[BindingType]:  # what Textual's BINDINGS hold
    """Textual bindings for every action of ``scope``, each carrying the action id as its binding id.

    All actions are bound, dangerous ones included: a node hides and disables the ones its mode does
    not allow through ``check_action`` (see :func:`allowed`), so the bindings can stay class-level.
    """
    from textual.binding import Binding

    return [
        Binding(a.keys, a.target, a.description, show=a.footer, priority=a.priority, id=a.id)
        for a in ACTIONS
        if a.scope == scope
    ]


class Guarded(_Node):
    """Mixin for a Textual node whose bindings come from :func:`bindings`.

    Set ``ACTION_SCOPE``; actions the app's mode does not allow (dangerous ones while
    ``app.read_only``) are then disabled and left out of the footer.
    """

    ACTION_SCOPE: ClassVar[str]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        entry = BY_TARGET.get((self.ACTION_SCOPE, action))
        app: Any = self.app  # the console's ZtApp (read_only)
        if entry is not None and not allowed(entry, read_only=app.read_only):
            return False
        return super().check_action(action, parameters)
