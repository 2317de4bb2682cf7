"""The action registry: every user action of the console, declared once.

Each :class:`Action` has a stable id ``"<scope>.<name>"``, the keys bound to it, a description and
whether it changes the tenant (``dangerous``). The registry feeds the key bindings (and through them the
footer), the help screen, the command palette (:mod:`ztconsole.ui.palette`), and later the ``:``
aliases; the user keymap in config names actions by id and replaces their keys (Textual's
``App.set_keymap``, which matches the bindings' ids), so these never drift apart. ``priority`` actions
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

__all__ = ["Action", "ACTIONS", "BY_ID", "BY_TARGET", "SCOPES", "Guarded", "allowed", "bindings", "for_scope",
           "key_labels", "keys"]

SCOPES: dict[str, str] = {
    "app": "Everywhere",
    "table": "Tables",
    "datasets": "Data sets",
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
    priority: bool = False  # checked before the focused widget and active in dialogs (terminal keys)
    palette: bool = True  # offered in the command palette

    @property
    def scope(self) -> str:
        return self.id.partition(".")[0]


ACTIONS: tuple[Action, ...] = (
    Action("app.quit", "q", "Quit", "quit",
           "Leave the console (ctrl+q too, whatever the keymap); asks first while a write is in flight."),
    Action("app.interrupt", "ctrl+c", "Quit", "interrupt",
           "Quit from anywhere, dialogs included; asks first while a write is in flight.",
           footer=False, priority=True, palette=False),
    Action("app.help", "question_mark,f1", "Help", "help", "Show the keys and what they do."),
    Action("app.reload", "r", "Reload", "reload",
           "Read every data set again (ignored while a load is running)."),
    Action("app.palette", "ctrl+p", "Palette", "command_palette",
           "Search these actions by name and run one.", palette=False),
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
    Action("modal.close", "escape,q", "Close", "dismiss", "Close the dialog."),
)

BY_ID: dict[str, Action] = {a.id: a for a in ACTIONS}
BY_TARGET: dict[tuple[str, str], Action] = {(a.scope, a.target): a for a in ACTIONS}


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
