"""The command palette (ctrl+p), fed by the action registry.

Its hits are the registry's actions in play where the palette was opened: the focused widget's scope,
its pane's, the app's, nearest first (as the footer orders them), each with its description, its help
and its keys as the user keymap has them. What the mode does not allow (dangerous actions while
read-only) is not offered, as it is not bound. Then the other panes, to go to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from ztconsole.ui import actions

__all__ = ["ActionCommands"]


class ActionCommands(Provider):
    """The registry's actions (and the panes) as palette commands."""

    def _offered(self) -> list[tuple[str, str, Callable[[], Awaitable[Any]]]]:
        """``(name, help, run)`` for every command on offer here."""
        app: Any = self.app
        read_only: bool = getattr(app, "read_only", True)
        keymap = getattr(app, "keymap", {})
        out: list[tuple[str, str, Callable[[], Awaitable[Any]]]] = []
        seen: set[str] = set()
        for node in (self.focused or self.screen).ancestors_with_self:
            scope = getattr(node, "ACTION_SCOPE", None)
            if scope is None or scope in seen:
                continue
            seen.add(scope)
            for action in actions.for_scope(scope, read_only=read_only):
                if action.palette:
                    keys = actions.key_labels(app, action, keymap)
                    help_ = f"{action.help or action.description} ({keys})" if keys else action.help
                    out.append((action.description, escape(help_), partial(app.run_action, action.target, node)))
        for pane in getattr(app, "PANES", ()):
            if pane.ID != app.current_mode:
                out.append((f"Go to {pane.TITLE}", escape(f"Show the {pane.TITLE} pane."),
                            partial(app.switch_mode, pane.ID)))
        return out

    async def discover(self) -> Hits:
        for name, help_, run in self._offered():
            yield DiscoveryHit(name, run, help=help_)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_, run in self._offered():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, text=name, help=help_)
