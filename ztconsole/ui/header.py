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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.signal import Signal
from textual.widget import Widget
from textual.widgets import Static

from ztconsole.ui.safe import text
from ztconsole.ui.status import glyph

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.events import Resize

    from ztconsole.model.tenant import DataSetResult
    from ztconsole.tenantdir import TenantInfo

__all__ = ["BADGES", "NARROW", "LastLoad", "LoadClock", "TenantHeader", "throttled"]

BADGES = ("DEMO", "OFFLINE", "LIVE")
"""Where the data comes from: the bundled demo, a tenant directory, the real tenant."""

NARROW = 100
"""Below this many columns the header leaves out the brand, to keep the tenant's name in view."""


def _now() -> datetime:
    """The local time (tests replace it)."""
    return datetime.now().astimezone()


def throttled(results: Iterable[DataSetResult]) -> bool:
    """Whether a load was throttled: a data set still throttled (HTTP 429) after its bounded retries."""
    return any(result.status == "throttled" for result in results)


@dataclass(frozen=True, slots=True)
class LastLoad:
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


class TenantHeader(Horizontal):
    """Brand, tenant name (bold) with its id, default domain and capture time (dim), the last refresh, then
    the badges: throttled (when the last load was), source, read-only or write."""

    def __init__(self, info: TenantInfo, *, badge: str, read_only: bool) -> None:
        super().__init__(id="header")
        self._info = info
        self._badge = badge
        self._read_only = read_only
        self._last = LastLoad()

    def on_mount(self) -> None:
        clock: Any = getattr(self.app, "load_clock", None)
        if isinstance(clock, LoadClock):
            self._show_last(clock.last)
            clock.signal.subscribe(self, self._show_last)
        # a theme may draw other glyphs (Unicode or ASCII)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh(recompose=True))

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")

    def show_info(self, info: TenantInfo) -> None:
        """The tenant's identity changed (a live tenant: once its organization has been read)."""
        if info != self._info:
            self._info = info
            self.refresh(recompose=True)

    def show_refresh(self, when: datetime | None, throttled: bool) -> None:
        """The last load finished at ``when`` (None: loading), throttled or not."""
        self._show_last(LastLoad(when, throttled))

    def _show_last(self, last: LastLoad) -> None:
        if last == self._last:
            return
        self._last = last
        for refresh in self.query("#refresh").results(Static):  # none before compose
            refresh.update(self._refresh_text())
        for badge in self.query("#throttled-badge"):
            badge.display = last.throttled

    def _refresh_text(self) -> Text:
        when = self._last.when
        if when is None:
            return Text(f"loading{glyph(self.app, 'ellipsis')}")
        return Text(f"refreshed {when:%H:%M:%S}")

    def _label(self, word: str) -> Text:
        """A badge's text: bracketed when there is no colour to set it apart."""
        return Text(f"[{word}]" if self.app.no_color else word)

    def compose(self) -> ComposeResult:
        info = self._info
        yield Static(Text("ztconsole"), id="brand")
        line = text(info.display_name or info.id, style="bold")
        parts = [info.id if info.display_name else "", info.default_domain]
        if info.captured_at is not None:
            parts.append(f"captured {info.captured_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
        separator = f" {glyph(self.app, 'separator')} "
        meta = separator.join(part for part in parts if part)
        if meta:
            line.append("  ")
            line.append_text(text(meta, style="dim"))
        yield _OneLine(line, id="tenant")
        yield Static(self._refresh_text(), id="refresh")
        throttle = Static(self._label("THROTTLED"), id="throttled-badge", classes="badge -throttled")
        throttle.display = self._last.throttled
        yield throttle
        yield Static(self._label(self._badge), id="source-badge", classes=f"badge -{self._badge.lower()}")
        mode, mode_class = ("READ-ONLY", "-read-only") if self._read_only else ("WRITE", "-write")
        yield Static(self._label(mode), id="mode-badge", classes=f"badge {mode_class}")


class _OneLine(Widget):
    """A line of text cut to the width it is given, ending in the theme's ellipsis (Textual's own
    ``text-overflow: ellipsis`` is always "…", which a plain terminal font may not have)."""

    def __init__(self, line: Text, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._line = line

    def render(self) -> Text:
        width = self.content_size.width
        if self._line.cell_len <= width:
            return self._line
        ellipsis = glyph(self.app, "ellipsis")
        cut = self._line.copy()
        cut.truncate(max(0, width - len(ellipsis)))
        cut.rstrip()
        end = len(cut)  # the ellipsis is drawn as what it cuts short
        style = next((span.style for span in reversed(cut.spans) if span.start < end <= span.end), "")
        cut.append(ellipsis, style=style)
        return cut
