"""The header line: which tenant this is, where its data comes from, how fresh it is, whether writes are
possible.

``ztconsole  Contoso  1111…-5555 · contoso.onmicrosoft.com   refreshed 12:04:31  THROTTLED  DEMO  READ-ONLY``

One line, whatever the width: the tenant's name and details take the room the rest leaves and are cut
short with the theme's ellipsis (the details first, then the name), so the refresh time and the badges
stay on screen down to 80 columns (below :data:`NARROW` columns the brand goes). Without colour
(``NO_COLOR``) the badges are bracketed, ``[DEMO] [READ-ONLY]``, so they still read as badges.

The last refresh and the throttling indicator come from the app's :class:`LoadClock`, told by the app
when a load starts and ends; every pane's header follows it (a Textual signal), so a pane shown later
says the same as the one on screen. :meth:`TenantHeader.show_refresh` sets them directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from rich.text import Text
from textual.signal import Signal
from textual.widget import Widget

from ztconsole.ui.safe import text
from ztconsole.ui.status import cut, glyph

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from ztconsole.model.tenant import DataSetResult
    from ztconsole.tenantdir import TenantInfo

__all__ = ["BADGES", "NARROW", "LastLoad", "LoadClock", "TenantHeader", "throttled"]

BADGES = ("DEMO", "OFFLINE", "LIVE")
"""Where the data comes from: the bundled demo, a tenant directory, the real tenant."""

NARROW = 100
"""Below this many columns the header leaves out the brand, to keep the tenant's name in view."""


_BADGE_KINDS = ("demo", "offline", "live", "read-only", "write", "throttled")


def _now() -> datetime:
    """The local time (tests replace it)."""
    return datetime.now().astimezone()


def throttled(results: Iterable[DataSetResult]) -> bool:
    """Whether a load was throttled: a data set still throttled (HTTP 429) after its bounded retries."""
    return any(result.status == "throttled" for result in results)


class LastLoad(NamedTuple):
    """When the last load finished (None: none has yet, or one is running) and whether it was throttled."""

    when: datetime | None = None
    throttled: bool = False


class LoadClock:
    """The app's record of its loads for the headers: :meth:`started` and :meth:`finished` publish a
    :class:`LastLoad` on :attr:`signal`; :attr:`last` is the latest, for a header mounted later."""

    def __init__(self, owner: DOMNode) -> None:
        self.signal: Signal[LastLoad] = Signal(owner, "last-load")
        self.last = LastLoad()

    def started(self) -> None:
        """A load began: "loading…" (the last load's throttling stays shown until this one ends)."""
        self._publish(LastLoad(None, self.last.throttled))

    def finished(self, results: Iterable[DataSetResult]) -> None:
        """A load ended with ``results`` (every data set's)."""
        self._publish(LastLoad(_now(), throttled(results)))

    def _publish(self, last: LastLoad) -> None:
        self.last = last
        self.signal.publish(last)


class TenantHeader(Widget):
    """Brand, tenant name (bold) with its id, default domain and capture time (dim), the last refresh, then
    the badges: throttled (when the last load was), source, read-only or write. One widget drawing one
    line (every pane has one: its cost is in every pane's first frame)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "header--brand", "header--refresh", "header--badge", *(f"header--{kind}" for kind in _BADGE_KINDS)}
    DEFAULT_CSS = """
    TenantHeader { dock: top; height: 1; background: $panel; color: $foreground; }
    TenantHeader > .header--brand { color: $accent; text-style: bold; }
    TenantHeader > .header--refresh { color: $text-muted; }
    TenantHeader > .header--badge { color: $badge-foreground; text-style: bold; }
    TenantHeader > .header--demo { background: $badge-demo; }
    TenantHeader > .header--offline { background: $badge-offline; }
    TenantHeader > .header--live { background: $badge-live; }
    TenantHeader > .header--read-only { background: $badge-read-only; }
    TenantHeader > .header--write { background: $badge-write; }
    TenantHeader > .header--throttled { background: $badge-throttled; }
    """

    def __init__(self, info: TenantInfo, *, badge: str, read_only: bool) -> None:
        super().__init__(id="header")
        self._info = info
        self._badge = badge
        self._read_only = read_only
        self._last = LastLoad()

    @property
    def badges(self) -> tuple[str, ...]:
        """The badges shown, left to right: ``("DEMO", "READ-ONLY")``, THROTTLED first when it shows."""
        mode = "READ-ONLY" if self._read_only else "WRITE"
        return (("THROTTLED",) if self._last.throttled else ()) + (self._badge, mode)

    def on_mount(self) -> None:
        clock: Any = getattr(self.app, "load_clock", None)
        if isinstance(clock, LoadClock):
            self._show_last(clock.last)
            clock.signal.subscribe(self, self._show_last)
        # a theme may draw other glyphs (Unicode or ASCII)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh())

    def show_info(self, info: TenantInfo) -> None:
        """The tenant's identity changed (a live tenant: once its organization has been read)."""
        if info != self._info:
            self._info = info
            self.refresh()

    def show_refresh(self, when: datetime | None, throttled: bool) -> None:
        """The last load finished at ``when`` (None: loading), throttled or not."""
        self._show_last(LastLoad(when, throttled))

    def _show_last(self, last: LastLoad) -> None:
        if last != self._last:
            self._last = last
            self.refresh()

    def _refresh_text(self) -> str:
        when = self._last.when
        return f"loading{glyph(self.app, 'ellipsis')}" if when is None else f"refreshed {when:%H:%M:%S}"

    def _tenant_line(self) -> Text:
        info = self._info
        line = text(info.display_name or info.id, style="bold")
        parts = [info.id if info.display_name else "", info.default_domain]
        if info.captured_at is not None:
            parts.append(f"captured {info.captured_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
        separator = f" {glyph(self.app, 'separator')} "
        meta = separator.join(part for part in parts if part)
        if meta:
            line.append("  ")
            line.append_text(text(meta, style="dim"))
        return line

    def render(self) -> Text:
        width = self.size.width
        style = self.get_component_rich_style
        right = Text(no_wrap=True, end="")
        right.append(f" {self._refresh_text()} ", style("header--refresh", partial=True))
        badge_style = style("header--badge", partial=True)
        for word in self.badges:
            kind = {"READ-ONLY": "read-only", "WRITE": "write"}.get(word, word.lower())
            label = f"[{word}]" if self.app.no_color else word  # without colour, brackets set it apart
            right.append(" ")
            right.append(f" {label} ", badge_style + style(f"header--{kind}", partial=True))
        line = Text(no_wrap=True, end="")
        if width >= NARROW:
            line.append(" ztconsole ", style("header--brand", partial=True))
        else:
            line.append(" ")
        room = width - line.cell_len - right.cell_len - 1
        tenant = self._tenant_line()
        if room > 0:
            cut(tenant, room, self.app)
            line.append_text(tenant)
        line.append(" " * max(0, width - line.cell_len - right.cell_len))
        line.append_text(right)
        return line
