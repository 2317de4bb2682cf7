"""The key footer of every pane and dialog: Textual's ``Footer``, rebuilt only when its keys change.

Textual's footer recomposes (removes and mounts again every key widget) each time a screen says its
bindings changed, and a screen says so several times while it settles: mounting, focusing the first
widget, checking each action. Before the console's first frame that was four builds of some fifteen key
widgets, the last three identical. This footer takes the notices of one refresh together and rebuilds
only when what it would show differs from what it shows: the keys, their labels, actions, groups,
tooltips and whether each is enabled.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer

__all__ = ["KeyFooter"]


class KeyFooter(Footer):
    """A :class:`textual.widgets.Footer` that rebuilds once per change of its keys."""

    def __init__(self, *, show_command_palette: bool = True, id: str | None = None) -> None:
        super().__init__(show_command_palette=show_command_palette, id=id)
        self._pending = False
        self._shown: tuple[Any, ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._pending:
            self._pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        self._pending = False
        if not self.is_attached:
            return
        shown = self._keys()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()

    def _keys(self) -> tuple[Any, ...]:
        """Everything :meth:`Footer.compose` reads of the bindings, in its order."""
        app = self.app
        return (self.show_command_palette, app.ENABLE_COMMAND_PALETTE, app.COMMAND_PALETTE_BINDING,
                tuple((binding.key, app.get_key_display(binding), binding.description, binding.action,
                       binding.show, binding.group, enabled, tooltip)
                      for _node, binding, enabled, tooltip in self.screen.active_bindings.values()))
