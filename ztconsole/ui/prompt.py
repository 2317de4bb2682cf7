"""The input of the ``:`` / ``/`` prompt (:class:`~ztconsole.ui.commandbar.CommandBar`), mounted the first
time the prompt opens: Textual's ``Input`` is no part of a pane's first frame."""

from __future__ import annotations

from typing import ClassVar, Protocol, runtime_checkable

from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import Input

__all__ = ["Prompt", "PromptInput"]


@runtime_checkable
class Prompt(Protocol):
    """What holds the input: the command bar, open for a mode or closed (None), running its keys."""

    mode: str | None

    async def run_prompt_key(self, key: str) -> bool: ...


class PromptInput(Input, inherit_bindings=False):
    """The prompt's input: one line, no border. It takes the focus only while the prompt is open (hidden,
    it must never catch a pane's keys).

    The prompt's own keys (the bar's bindings: Enter, Esc, Tab, up, down) are run here, in the order the
    keys were typed: a binding runs only once its key has come back up to the app, and by then the keys
    typed after it have reached the input already (over SSH a whole ``:ca⏎:q⏎`` arrives at once). Keys
    that reach the input after the prompt closed were typed ahead: they go back to the app, in order, to
    whatever has the focus now."""

    BINDINGS: ClassVar[list[BindingType]] = [
        b for b in Input.BINDINGS if not (isinstance(b, Binding) and b.key == "enter")  # the bar's Enter
    ]
    can_focus = False

    async def _on_key(self, event: events.Key) -> None:
        bar = self.parent
        if not isinstance(bar, Prompt):
            return
        if bar.mode is None:  # typed ahead of Enter or Esc: the key belongs to what has the focus now
            event.stop()
            event.prevent_default()
            self.app.post_message(events.Key(event.key, event.character))
            return
        if await bar.run_prompt_key(event.key):
            event.stop()
            event.prevent_default()
