"""Getting around the console, by keyboard: where it is, how it got there, and the keys that move it.

The app keeps a bounded history of the places shown (a pane, and which of its sub-views); the last is
where the console is, and the breadcrumb under the header shows the trail. Every way to a pane records it:
a ``:`` alias (:mod:`ztconsole.ui.commandbar`), a number key (``1`` is the first of the app's panes), the
palette's "Go to". Esc (``app.back``) first clears the shown pane's filter, else steps back to the place
before, pane and view; in a dialog Esc closes the dialog instead (its own binding comes first, and the
app's bindings do not reach past a dialog). ``:`` and ``/`` open the shown pane's prompt.

These are the registry's app actions (:mod:`ztconsole.ui.actions`): :class:`Navigation` is mixed into
:class:`~ztconsole.ui.app.ZtApp`, which gets them, with the pane alias table checked when the class is
made (:func:`~ztconsole.ui.panes.base.alias_table`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from textual.keys import REPLACED_KEYS, key_to_character

from ztconsole.ui import actions
from ztconsole.ui.commandbar import CommandBar
from ztconsole.ui.panes.base import AliasTable, Pane, alias_table

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator, Mapping

    from textual.app import App
    from textual.widget import AwaitMount

    _App = App[Any]
else:
    _App = object

__all__ = ["HISTORY_LIMIT", "History", "Navigation", "Place"]

HISTORY_LIMIT = 50
"""Places the history keeps; the oldest go first."""


class Place(NamedTuple):
    """Where the console is: a pane (its id) and the sub-view it shows (None: its main view)."""

    pane: str
    view: str | None = None


class History:
    """The places visited, oldest first, at most ``limit``; the last is the current one."""

    def __init__(self, start: Place, *, limit: int = HISTORY_LIMIT) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._places = [start]
        self._limit = limit

    def __iter__(self) -> Iterator[Place]:
        return iter(self._places)

    def __len__(self) -> int:
        return len(self._places)

    @property
    def current(self) -> Place:
        return self._places[-1]

    @property
    def can_go_back(self) -> bool:
        return len(self._places) > 1

    def visit(self, place: Place) -> bool:
        """Go to ``place``; whether it was somewhere else (nothing is recorded for the place shown)."""
        if place == self.current:
            return False
        self._places.append(place)
        del self._places[:-self._limit]
        return True

    def back(self) -> Place | None:
        """Leave the current place; the one before it, now current (None when there is none)."""
        if not self.can_go_back:
            return None
        self._places.pop()
        return self.current


class Navigation(_App):
    """The app's navigation: history, breadcrumb, and the actions behind ``:``, ``/``, Esc and 1..9.

    Those keys are bound with priority: the app takes them before the focused widget, in the order they
    were typed, and a pane switch is finished (the pane mounted) before the next key is handed out, so keys
    typed ahead (``2/arm``, ``:ca`` arriving in one piece over SSH) reach the pane and the prompt they were
    typed for. They stand aside (:meth:`check_action`) in a dialog, while the prompt is open, and where the
    focused widget types the key (a text field).
    """

    PANES: ClassVar[tuple[type[Pane], ...]]
    DEFAULT_MODE: ClassVar[str]
    keymap: Mapping[str, str]  # the user's keys by action id (the app's)
    PANE_ALIASES: ClassVar[AliasTable] = {}
    """Every ``:`` alias of the app's panes (made from ``PANES`` with the class)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        panes = cls.__dict__.get("PANES")
        if isinstance(panes, tuple):  # a console's own panes (not the catalogue's, read when first used)
            cls.PANE_ALIASES = alias_table(panes)  # two panes with one alias stop the class here

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.history = History(Place(self.DEFAULT_MODE))
        """The places shown, the last being the current one (Esc walks it back)."""
        self.prompt_history: dict[str, list[str]] = {}
        """Earlier lines of each prompt (``command``, ``filter``), oldest first, for up and down."""
        self._navigating = False
        self._titles: dict[str, str] = {}  # of the panes shown so far: the places the history can hold

    # --- where the console is ---------------------------------------------------------------------

    @property
    def shown_pane(self) -> Pane | None:
        """The pane of the current mode (a dialog may be open over it)."""
        stack = self.screen_stack
        return stack[0] if stack and isinstance(stack[0], Pane) else None

    def _pane_on_top(self) -> Pane | None:
        """The shown pane when no dialog is open over it."""
        pane = self.shown_pane
        return pane if pane is not None and self.screen is pane else None

    def go(self, pane_id: str, view: str | None = None) -> Pane:
        """Show pane ``pane_id`` (and its sub-view ``view``; None leaves the pane's view as it is), recorded
        in the history; the pane shown (a pane shown for the first time is mounted a little later, see
        :meth:`show_pane`)."""
        return self._go(pane_id, view)[0]

    async def show_pane(self, pane_id: str, view: str | None = None) -> Pane:
        """:meth:`go`, returning once the pane is mounted (what comes next finds its widgets)."""
        pane, mounted = self._go(pane_id, view)
        await mounted
        return pane

    def _go(self, pane_id: str, view: str | None) -> tuple[Pane, AwaitMount]:
        mounted = self._switch(pane_id)
        pane = self.shown_pane
        if pane is None:  # a mode that is not a pane
            raise ValueError(f"{pane_id!r} is not a pane of this console")
        if view is not None:
            pane.enter_view(view)
        self.history.visit(Place(pane_id, pane.view))
        self._trail_changed()
        return pane, mounted

    def _switch(self, mode: str) -> AwaitMount:
        """Switch to ``mode`` without recording it (the caller does)."""
        self._navigating = True
        try:
            return self.switch_mode(mode)
        finally:
            self._navigating = False

    def switch_mode(self, mode: str) -> AwaitMount:
        """Textual's mode switch, recorded in the history when it comes from elsewhere (the palette)."""
        shown = super().switch_mode(mode)
        if not self._navigating:
            pane = self.shown_pane
            if pane is not None and self.history.visit(Place(mode, pane.view)):
                self._trail_changed()
        return shown

    def crumbs(self) -> list[str]:
        """The history as the breadcrumb shows it: ``["Overview", "Network: firewalls"]``."""
        titles = self._titles
        pane = self.shown_pane
        if pane is not None:
            titles[pane.ID] = pane.TITLE
        return [f"{titles.get(p.pane, p.pane)}: {p.view}" if p.view else titles.get(p.pane, p.pane)
                for p in self.history]

    def _trail_changed(self) -> None:
        pane = self.shown_pane
        if pane is not None:
            pane.show_trail()
        self.refresh_bindings()  # Esc: enabled once there is somewhere to go back to

    # --- actions ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in _NAVIGATION and not self._navigation_key(action):
            return False  # the key goes on: to the dialog, the prompt, the widget that types it
        if action.startswith("pane_") and int(action[5:]) > len(self.MODES):  # a mode per pane
            return False  # no such pane: the key does nothing and is not offered
        if action == "go_back":
            pane = self.shown_pane
            if not self.history.can_go_back and not (pane is not None and pane.filters):
                return None  # shown, but there is nowhere to go back to
        return super().check_action(action, parameters)

    def _navigation_key(self, action: str) -> bool:
        """Whether a navigation key (bound with priority, ahead of the focused widget) is the app's here:
        only on a pane with no dialog over it, its prompt closed, and no widget focused that types it."""
        pane = self._pane_on_top()
        if pane is None or pane.prompt_open:
            return False
        focused = pane.focused
        entry = actions.BY_TARGET.get(("app", action))
        if focused is None or entry is None:
            return True
        return not any(focused.check_consume_key(key, _character(key)) for key in actions.keys(entry, self.keymap))

    async def action_command(self) -> None:
        """``:``: open the shown pane's command bar."""
        pane = self._pane_on_top()
        if pane is not None:
            await self._when_ready(pane, self._open_command, pane)

    async def action_filter(self) -> None:
        """``/``: open the shown pane's prompt as a filter of its table, or say there is none."""
        pane = self._pane_on_top()
        if pane is not None:
            await self._when_ready(pane, self._open_filter, pane)

    async def _when_ready(self, pane: Pane, opener: Callable[[Pane], Awaitable[None]], *args: Pane) -> None:
        """Run ``opener`` now when the pane is mounted (awaited: the keys typed after the one that opens
        the prompt wait for it), else once it is."""
        if pane.is_mounted:
            await opener(*args)
        else:
            pane.call_after_refresh(opener, *args)

    async def _open_command(self, pane: Pane) -> None:
        await pane.query_one(CommandBar).open("command")

    async def _open_filter(self, pane: Pane) -> None:
        target = pane.filter_target()
        if target is None:
            pane.flash("Nothing to filter here.")
            return
        await pane.query_one(CommandBar).open("filter", target=target, value=pane.filter_of(target))

    async def action_go_back(self) -> None:
        """Esc: clear the shown pane's filter, else go back to the place before."""
        pane = self._pane_on_top()
        if pane is None or pane.clear_filters():
            return
        place = self.history.back()
        if place is None:
            return
        mounted = self._switch(place.pane)
        shown = self.shown_pane
        if shown is not None:
            shown.enter_view(place.view)
        self._trail_changed()
        await mounted

    async def _pane_key(self, number: int) -> None:
        modes = list(self.MODES)  # one per pane, in the panes' order
        if number <= len(modes):
            await self.show_pane(modes[number - 1])

    async def action_pane_1(self) -> None:
        await self._pane_key(1)

    async def action_pane_2(self) -> None:
        await self._pane_key(2)

    async def action_pane_3(self) -> None:
        await self._pane_key(3)

    async def action_pane_4(self) -> None:
        await self._pane_key(4)

    async def action_pane_5(self) -> None:
        await self._pane_key(5)

    async def action_pane_6(self) -> None:
        await self._pane_key(6)

    async def action_pane_7(self) -> None:
        await self._pane_key(7)

    async def action_pane_8(self) -> None:
        await self._pane_key(8)

    async def action_pane_9(self) -> None:
        await self._pane_key(9)


_NAVIGATION = frozenset({"command", "filter", "go_back"} | {f"pane_{n}" for n in range(1, actions.PANE_KEYS + 1)})
"""The app actions bound with priority that belong to the shown pane (see :class:`Navigation`)."""


def _character(key: str) -> str | None:
    """The character a key types (``slash`` -> ``/``), None for keys that type nothing (``escape``)."""
    return key_to_character(key) or key_to_character(REPLACED_KEYS.get(key, key))
