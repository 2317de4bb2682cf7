"""The ``:`` command bar, the ``/`` filter prompt and the one-line flash, at the bottom of every pane.

``:`` (the registry's ``app.command``) opens a one-line prompt on the shown pane, above the footer. What it
runs is data, never a table kept here: every pane's ``ALIASES`` (an alias in the pane's ``VIEWS`` opens
that sub-view) and the registry actions' ``commands`` (``:q`` runs ``app.quit``, exactly as its key does;
a pane's own actions while that pane is shown; dangerous ones only when writes are on). A pane alias may
take an argument, a filter for the pane it opens: ``:data arm``. A name that is none of these is said on
the flash line, with the nearest known name.

``/`` (``app.filter``) opens the same prompt as a filter for the pane's table (see
:meth:`~ztconsole.ui.panes.base.Pane.filter_target`): rows narrow as the user types, one filter per
refresh however fast the keys come; Enter keeps the filter, Esc clears it.

The keys inside the prompt are the prompt's own, as an input's editing keys are (k9s's prompt has the same):
Enter runs the command or keeps the filter, Esc cancels (and clears the filter), Tab completes a command
name (the candidates' common prefix first, then each candidate in turn), up and down recall earlier lines.
While the prompt has the focus, printable keys are text, so ``q``, ``:`` and the number keys type.

What the user typed is data: shown through :mod:`ztconsole.ui.safe`, never parsed as markup.
"""

from __future__ import annotations

import difflib
import os
from typing import TYPE_CHECKING, ClassVar, Literal, NamedTuple, cast

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Static

from ztconsole.ui import actions
from ztconsole.ui.safe import clean
from ztconsole.ui.status import Cut, glyph

if TYPE_CHECKING:
    from textual.timer import Timer
    from textual.widgets import Input

    from ztconsole.ui.app import ZtApp
    from ztconsole.ui.panes.base import Filterable, Pane

__all__ = ["FLASH_SECONDS", "PROMPT_HISTORY", "Command", "CommandBar", "Flash", "Mode", "available"]

Mode = Literal["command", "filter"]

FLASH_SECONDS = 4.0
"""How long a flash stays on its line."""

PROMPT_HISTORY = 50
"""Lines each prompt (commands, filters) remembers for up and down."""

_PROMPTS: dict[Mode, tuple[str, str]] = {
    "command": (":", "a pane's name, help or q (Tab completes)"),
    "filter": ("/", "text the rows must contain (any case)"),
}


class Command(NamedTuple):
    """One ``:`` name: a pane to show (and its sub-view), or a registry action to run."""

    name: str
    pane: type[Pane] | None = None
    view: str | None = None
    action: actions.Action | None = None

    @property
    def title(self) -> str:
        """What it does, in a few words (shown beside a lone candidate)."""
        if self.pane is not None:
            return f"{self.pane.TITLE}: {self.view}" if self.view else self.pane.TITLE
        return self.action.description if self.action is not None else ""


def available(app: ZtApp, pane: Pane) -> dict[str, Command]:
    """The ``:`` names that work on ``pane`` now, by name: every pane alias, the app's commands and the
    pane's own, without what the mode does not allow (dangerous actions while read-only)."""
    out = {alias: Command(alias, pane=cls, view=view) for alias, (cls, view) in app.PANE_ALIASES.items()}
    for name, action in actions.BY_COMMAND.items():
        if action.scope in ("app", pane.ACTION_SCOPE) and actions.allowed(action, read_only=app.read_only):
            out[name] = Command(name, action=action)
    return dict(sorted(out.items()))


class Flash(Static):
    """The flash line: one message at a time, for :data:`FLASH_SECONDS`, then the line is gone again."""

    # docked at the bottom, one line up: just above the footer (docked there too), whatever the pane shows
    DEFAULT_CSS = """
    Flash { dock: bottom; margin-bottom: 1; width: 1fr; height: 1; padding: 0 1; display: none;
            background: $panel; color: $text; }
    Flash.-shown { display: block; }
    Flash.-error { color: $error; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._timer: Timer | None = None
        self.message = ""
        """What the line says now ("" while it is hidden)."""

    def flash(self, message: str | Text, *, error: bool = False, seconds: float = FLASH_SECONDS) -> None:
        """Show ``message`` (a str literally, cleaned; a Text as composed) for ``seconds``."""
        shown = message.copy() if isinstance(message, Text) else Text(clean(message))
        shown.no_wrap, shown.overflow = True, "ellipsis"
        self.message = shown.plain
        self.update(Cut(shown, self.app))  # cut short in the theme's ellipsis
        self.set_class(error, "-error")
        self.add_class("-shown")
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(seconds, self.clear)

    def clear(self) -> None:
        """Hide the line now."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.message = ""
        self.remove_class("-shown")


class CommandBar(Horizontal):
    """The prompt line of one pane, hidden until ``:`` or ``/`` opens it (see the module docstring)."""

    DEFAULT_CSS = """
    CommandBar { dock: bottom; margin-bottom: 1; width: 1fr; height: 1; display: none; background: $panel; }
    CommandBar.-open { display: block; }
    CommandBar > #prompt-mark { width: 3; padding: 0 0 0 1; color: $accent; text-style: bold; }
    CommandBar > PromptInput { width: 1fr; background: $panel; }
    CommandBar > #prompt-candidates { width: auto; max-width: 60%; height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "OK"),
        Binding("escape", "cancel", "Cancel"),
        Binding("tab", "complete", "Complete"),
        Binding("up", "recall(-1)", "Previous", show=False),
        Binding("down", "recall(1)", "Next", show=False),
    ]
    """The prompt's keys (run by :class:`PromptInput` as they come, shown in the footer from here)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode: Mode | None = None
        """What the prompt is open for; None while it is closed."""
        self._target: Filterable | None = None  # what the filter narrows
        self._return_focus: Widget | None = None
        self._completed: str | None = None  # the value Tab put in
        self._cycle: list[str] | None = None  # the candidates Tab steps through
        self._recall: int | None = None  # where up and down are in the prompt's history
        self._draft = ""  # what was typed before up
        self._pending: str | None = None  # the filter to apply at the next refresh

    def compose(self) -> ComposeResult:
        yield from ()  # its mark, input and candidates come when the prompt first opens (see _ensure_input)

    @property
    def input(self) -> Input:
        """The prompt's input (there once the prompt has been opened, see :meth:`open`)."""
        from ztconsole.ui.prompt import PromptInput

        return self.query_one(PromptInput)

    async def _ensure_input(self) -> None:
        """Mount the prompt's mark, input and candidates, the first time the prompt opens: the prompt, and a
        text input (Textual's ``Input``, its module and its styles), are no part of a pane's first frame."""
        from ztconsole.ui.prompt import PromptInput

        if not self.children:
            await self.mount_all((Static(":", id="prompt-mark"),
                                  PromptInput(compact=True, select_on_focus=False, id="prompt-input"),
                                  Static(id="prompt-candidates")))

    @property
    def candidates(self) -> str:
        """The candidates line as shown (plain text)."""
        return self._candidates_text().plain

    # --- opening and closing --------------------------------------------------------------------

    async def open(self, mode: Mode, *, target: Filterable | None = None, value: str = "") -> None:
        """Open the prompt for ``mode`` with ``value`` in it; a filter narrows ``target``. Awaited by the
        key that opens it, so the keys typed after it reach the prompt (its input is mounted first, the
        first time)."""
        if mode == "filter" and target is None:
            raise ValueError("a filter needs a target")
        await self._ensure_input()
        self.mode, self._target = mode, target
        focused = self.screen.focused
        self._return_focus = focused if focused is not None and focused is not self.input else None
        self._cycle = self._completed = self._recall = None
        self._pending = None
        mark, hint = _PROMPTS[mode]
        self.query_one("#prompt-mark", Static).update(Text(mark))
        self.input.placeholder = hint
        self._set_value(value)
        for flash in self.screen.query(Flash):
            flash.clear()
        self.add_class("-open")
        self._show_candidates()
        self.input.can_focus = True
        self.screen.set_focus(self.input)  # now: the keys typed next are the prompt's
        self.screen.refresh_bindings()

    def close(self) -> None:
        """Close the prompt and give the focus back to where it was (the table, as a rule)."""
        if self.mode is None:
            return
        target = self._target
        self.mode, self._target, self._pending = None, None, None
        self.remove_class("-open")
        self.input.can_focus = False
        back = self._return_focus
        self._return_focus = None
        if back is None or not back.is_attached or back.screen is not self.screen:
            back = target if isinstance(target, Widget) and target.is_attached else None
        self.screen.set_focus(back)  # now: the keys typed next are the pane's
        self.screen.refresh_bindings()

    # --- keys -----------------------------------------------------------------------------------

    async def run_prompt_key(self, key: str) -> bool:
        """Run the prompt's binding for ``key``, if it has one and it applies; whether it ran."""
        for binding in self._bindings.key_to_bindings.get(key, ()):
            if await self.app.run_action(binding.action, self):
                return True
        return False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "complete":
            return self.mode == "command"  # a filter has nothing to complete: Tab moves on
        return super().check_action(action, parameters)

    def action_cancel(self) -> None:
        """Esc: close, running nothing; a filter is cleared."""
        if self.mode == "filter" and self._target is not None:
            self._pane.apply_filter(self._target, "")
        self.close()

    def action_complete(self) -> None:
        """Tab: complete the command name (see the module docstring)."""
        value = self.input.value
        if self.mode != "command" or " " in value.strip():
            return
        if self._cycle and value == self._completed:
            at = self._cycle.index(value) + 1 if value in self._cycle else 0
            self._set_value(self._cycle[at % len(self._cycle)], completed=True)
            return
        prefix = _name(value)
        names = [name for name in self._commands() if name.startswith(prefix)]
        if not names:
            self.app.bell()
            return
        common = os.path.commonprefix(names)
        if len(names) == 1 or len(common) > len(prefix):
            self._cycle = None
            self._set_value(common, completed=True)
        else:  # nothing more in common: each Tab puts in the next candidate
            self._cycle = names
            at = names.index(prefix) + 1 if prefix in names else 0
            self._set_value(names[at % len(names)], completed=True)

    def action_recall(self, step: int) -> None:
        """Up (-1) and down (1): the prompt's earlier lines, then back to what was typed."""
        if self.mode is None:
            return
        lines = self._history()
        if not lines:
            return
        if self._recall is None:
            self._draft, self._recall = self.input.value, len(lines)
        self._recall = min(max(self._recall + step, 0), len(lines))
        self._set_value(self._draft if self._recall == len(lines) else lines[self._recall])

    async def action_submit(self) -> None:
        """Enter: run the command, or keep the filter; the prompt closes first."""
        mode, target, value = self.mode, self._target, self.input.value
        if mode is None:
            return
        pane = self._pane
        self._remember(mode, value)
        self.close()
        if mode == "filter":
            if target is not None:
                pane.apply_filter(target, value)
        else:
            await self.run_command(value)

    # --- the input's messages ---------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value != self._completed:  # typed: Tab starts over
            self._cycle = self._completed = None
        if self.mode == "command":
            self._show_candidates()
        elif self.mode == "filter":
            # the filter follows the keys, once per refresh however fast they come
            if self._pending is None:
                self.call_after_refresh(self._apply_pending)
            self._pending = event.value

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        # The user went elsewhere (a click): close; a filter stays as typed. Not when the terminal lost
        # the focus (it comes back to the prompt), and not while closing (the focus goes to the table).
        if self.mode is None or not self.app.app_focus or self.screen.focused is self.input:
            return
        if self.mode == "filter" and self._target is not None:
            self._pane.apply_filter(self._target, self.input.value)
        self._return_focus = self.screen.focused  # where the user went, not back to the table
        self.close()

    def _apply_pending(self) -> None:
        value, self._pending = self._pending, None
        if value is not None and self.mode == "filter" and self._target is not None:
            self._pane.apply_filter(self._target, value)

    # --- commands ---------------------------------------------------------------------------------

    async def run_command(self, line: str) -> None:
        """Run one command line (``q``, ``ca``, ``data arm``) on this pane; what is not a command is
        said on the flash line."""
        app, pane = cast("ZtApp", self.app), self._pane
        name, _, argument = line.strip().lstrip(":").strip().partition(" ")
        key, argument = name.lower(), argument.strip()
        if not key:
            return
        command = self._commands().get(key)
        if command is None:
            pane.flash(self._unknown(name, key), error=True)
        elif command.pane is not None:
            # mounted before this returns: the keys typed after Enter wait, then reach the new pane
            shown = await app.show_pane(command.pane.ID, command.view)
            if argument:
                shown.when_ready(_filter_pane, shown, argument)
        elif command.action is not None:
            if argument:
                pane.flash(Text.assemble("Command ", (f":{key}", "bold"), " takes no argument."), error=True)
                return
            node = app if command.action.scope == "app" else pane
            await app.run_action(command.action.target, node)

    def _unknown(self, name: str, key: str) -> Text:
        """What the flash says of a name that runs nothing here."""
        action = actions.BY_COMMAND.get(key)
        if action is not None:  # a command, but not here
            app = cast("ZtApp", self.app)
            why = ("changes the tenant: start with --write" if not actions.allowed(action, read_only=app.read_only)
                   else f"works on its own pane ({action.scope})")
            return Text.assemble("Command ", (":" + key, "bold"), f" {why}.")
        out = Text.assemble("Unknown command ", (":" + clean(name), "bold"))
        near = difflib.get_close_matches(key, list(self._commands()), n=1, cutoff=0.6)
        if near:
            out.append(f" {glyph(self.app, 'dash')} did you mean ")
            out.append(":" + near[0], style="bold")
            out.append("?")
        else:
            out.append(" (Tab lists the commands)")
        return out

    # --- helpers ----------------------------------------------------------------------------------

    @property
    def _pane(self) -> Pane:
        return cast("Pane", self.screen)

    def _commands(self) -> dict[str, Command]:
        return available(cast("ZtApp", self.app), self._pane)

    def _history(self) -> list[str]:
        return cast("ZtApp", self.app).prompt_history.setdefault(self.mode or "command", [])

    def _remember(self, mode: Mode, value: str) -> None:
        value = value.strip()
        lines = cast("ZtApp", self.app).prompt_history.setdefault(mode, [])
        if value and (not lines or lines[-1] != value):
            lines.append(value)
            del lines[:-PROMPT_HISTORY]

    def _set_value(self, value: str, *, completed: bool = False) -> None:
        if completed:
            self._completed = value
        self.input.value = value
        self.input.cursor_position = len(value)
        if self.mode == "command":
            self._show_candidates()

    def _show_candidates(self) -> None:
        self.query_one("#prompt-candidates", Static).update(Cut(self._candidates_text(), self.app))

    def _candidates_text(self) -> Text:
        """The names Tab would offer for what is typed (a lone one with what it does), dim; the one Tab
        stepped to, bold."""
        out = Text(no_wrap=True, overflow="ellipsis")
        if self.mode != "command" or " " in self.input.value.strip():
            return out
        commands = self._commands()
        names = self._cycle or [name for name in commands if name.startswith(_name(self.input.value))]
        if len(names) == 1:
            out.append(names[0], style="bold")
            out.append(f"  {commands[names[0]].title}")
            return out
        for i, name in enumerate(names):
            out.append("  " if i else "")
            out.append(name, style="bold" if name == self._completed else "")
        return out


def _name(value: str) -> str:
    """The command name typed so far (a leading ``:`` ignored, any case)."""
    return value.strip().lstrip(":").lower()


def _filter_pane(pane: Pane, value: str) -> None:
    """``:alias value``: filter the pane just shown, or say it has nothing to filter."""
    target = pane.filter_target()
    if target is None:
        pane.flash("Nothing to filter here.")
    else:
        pane.apply_filter(target, value)
