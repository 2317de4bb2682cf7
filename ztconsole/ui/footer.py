"""The key footer of every pane and dialog: one line of the screen's keys, drawn by one widget.

Textual's ``Footer`` is a scrollable container of one widget per key, which it removes and mounts again
each time the screen says its bindings changed. Building those widgets (their styles, their layout) was
the largest single cost of the console's first frame, and again of every screen shown after it. This
footer shows the same thing, the same way, as one line of text: for each action the screen offers, its
key display and its description; a disabled action dimmed; a key group (bindings with a ``group``) as its
keys with the group's description; the command palette's key at the right end. The colours are the
theme's footer variables (``$footer-key-foreground`` and the rest), as Textual's footer uses them.

It redraws when what it would show changes (the notices of one refresh taken together), never more often.
Clicking a key presses it, as with Textual's footer; nothing needs the mouse.
"""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.binding import Binding
    from textual.events import Click
    from textual.screen import Screen

__all__ = ["FooterItem", "KeyFooter"]


class FooterItem(NamedTuple):
    """One key the footer shows: the key, how it is displayed, its description, whether it is enabled."""

    key: str
    display: str
    description: str
    enabled: bool
    group: str = ""  # the description of the key group it is shown in ("" for none)


class KeyFooter(Widget, can_focus=False):
    """The screen's keys on one line (see the module docstring)."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-footer--key", "key-footer--description"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        text-overflow: clip;
        .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self, *, show_command_palette: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_command_palette = show_command_palette
        self._pending = False
        self._items: tuple[FooterItem, ...] = ()
        self._palette: FooterItem | None = None
        self._spans: list[tuple[int, int, FooterItem]] = []

    @property
    def items(self) -> tuple[FooterItem, ...]:
        """The keys shown, in order (the command palette's key last, when shown)."""
        return self._items + ((self._palette,) if self._palette is not None else ())

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self._update()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if self.is_attached and screen is self.screen and not self._pending:
            self._pending = True
            self.call_after_refresh(self._update)

    def _update(self) -> None:
        self._pending = False
        if not self.is_attached:
            return
        items, palette = self._read()
        if (items, palette) != (self._items, self._palette):
            self._items, self._palette = items, palette
            self.refresh()

    def _read(self) -> tuple[tuple[FooterItem, ...], FooterItem | None]:
        """What the screen's bindings say to show: one item per action (its first binding), as Textual's
        footer picks them, and the command palette's key apart."""
        app = self.app
        active = self.screen.active_bindings
        by_action: dict[str, tuple[Binding, bool]] = {}
        for _node, binding, enabled, _tooltip in active.values():
            if binding.show:
                by_action.setdefault(binding.action, (binding, enabled))
        items: list[FooterItem] = []
        for group, members in groupby(by_action.values(), lambda member: member[0].group):
            grouped = list(members)
            label = group.description if group is not None and len(grouped) > 1 else ""
            items.extend(FooterItem(b.key, app.get_key_display(b), "" if label else b.description, enabled, label)
                         for b, enabled in grouped)
        palette = None
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            entry = active.get(app.COMMAND_PALETTE_BINDING)
            if entry is not None:
                _node, binding, enabled, _tooltip = entry
                palette = FooterItem(binding.key, app.get_key_display(binding), binding.description, enabled)
        return tuple(items), palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-footer--key", partial=True)
        description_style = self.get_component_rich_style("key-footer--description", partial=True)
        line = Text(no_wrap=True, overflow="crop", end="")
        self._spans = []
        for label, members in groupby(self._items, lambda item: item.group):
            if label:
                start = len(line)
                for item in members:
                    self._append(line, item, key_style, None)
                line.append(f" {label} ", description_style)
                self._spans.append((start, len(line), FooterItem("", "", label, False)))
            else:
                for item in members:
                    self._append(line, item, key_style, description_style)
        if self._palette is not None:
            palette = Text(no_wrap=True, end="")
            self._append(palette, self._palette, key_style, description_style)
            gap = self.size.width - len(line) - len(palette)
            if gap >= 1:  # room for it at the right end, as Textual's footer docks it
                line.append(" " * gap)
                start = len(line)
                line.append_text(palette)
                self._spans.append((start, len(line), self._palette))
        return line

    def _append(self, line: Text, item: FooterItem, key_style: Style, description_style: Style | None) -> None:
        start = len(line)
        dim = Style(dim=True) if not item.enabled else Style()
        line.append(f" {item.display}" if description_style is None else f" {item.display} ", key_style + dim)
        if description_style is not None and item.description:
            line.append(f"{item.description} ", description_style + dim)
        self._spans.append((start, len(line), item))

    def on_click(self, event: Click) -> None:
        """A click on a key presses it (a disabled one rings the bell), as Textual's footer does."""
        for start, end, item in self._spans:
            if start <= event.x < end and item.key:
                if item.enabled:
                    self.app.simulate_key(item.key)
                else:
                    self.app.bell()
                return
