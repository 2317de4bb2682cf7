"""The console's table: any number of rows, only the visible ones rendered.

Every list of the console (policies, users, 20,000 firewall rules, the sign-in log) is a
:class:`VirtualTable`. Textual's ``DataTable`` builds and measures every cell when rows are added (17 s for
50,000 rows on this project's machine); this table keeps the rows as given (:class:`Row`: a key and one
value per column) and renders a line only when it is on screen, through Textual's line API, caching what
it rendered until the rows, the width or the theme change.

* Columns (:class:`Column`) are fixed-width, or sized to their widest value (capped), and at most one
  column is ``flex``: it takes the room left, so a table always fits its width (80 columns over SSH) and
  never scrolls sideways. A value wider than its column is cut with an ellipsis.
* Values from the tenant are data: a ``str`` is shown through :func:`ztconsole.ui.safe.clean` (no markup,
  no escape sequences, one line); a pane that styles a value passes a ``rich.text.Text`` it built with
  :func:`ztconsole.ui.safe.text`.
* :meth:`VirtualTable.set_rows` replaces the rows and keeps the cursor on the row with the same key (a
  refresh never moves the admin's place); :meth:`VirtualTable.set_filter` shows only the rows whose
  values contain the text (case-insensitive), the ``/`` filter of every pane; :meth:`VirtualTable.sort_by`
  orders them by a column.
* Keys come from the action registry (scope ``table``): up and down, page up and down, home and end (``g``
  and ``G`` too), Enter for details. The table posts :class:`VirtualTable.Highlighted` when the cursor
  lands on another row and :class:`VirtualTable.Selected` on Enter (or a click).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ztconsole.ui import actions
from ztconsole.ui.safe import clean

__all__ = ["Column", "PreparedRows", "Row", "VirtualTable", "prepare_rows"]

Cell = str | Text | None


class Column(NamedTuple):
    """One column: ``key`` (for :meth:`VirtualTable.sort_by`), its heading, and how wide it is.

    ``width`` fixes the width; otherwise the widest value sets it, between ``min_width`` and
    ``max_width``. A ``flex`` column takes whatever room the others leave (at least ``min_width``).
    ``align`` is ``left`` or ``right`` (counts)."""

    key: str
    label: str
    width: int | None = None
    min_width: int = 1
    max_width: int = 40
    flex: bool = False
    align: Literal["left", "right"] = "left"


class Row(NamedTuple):
    """One row: ``key`` (unique in the table: an object id), one value per column (``None`` shows as
    nothing), and a style for the whole row (e.g. ``"dim"`` for a disabled policy)."""

    key: str
    cells: tuple[Cell, ...]
    style: str = ""


@dataclass(frozen=True, slots=True)
class PreparedRows:
    """Rows made ready to show (:func:`prepare_rows`): keys unique (a repeated key keeps its first row),
    each key's position, and each column's widest value."""

    rows: list[Row]
    index: dict[str, int]
    natural: list[int]


def prepare_rows(rows: Iterable[Row], columns: int) -> PreparedRows:
    """What :meth:`VirtualTable.set_prepared` takes. Pure and thread-safe: a pane with many rows prepares them
    in a worker thread, so that the event loop only swaps them in. Each column is measured once per distinct
    value (a sign-in log or a rule book repeats most of them)."""
    index: dict[str, int] = {}
    kept: list[Row] = []
    for row in rows:
        if row.key not in index:
            index[row.key] = len(kept)
            kept.append(row)
    natural = [0] * columns
    for c, values in enumerate(zip(*(row.cells[:columns] for row in kept), strict=False)):
        distinct: Iterable[Cell]
        try:
            distinct = set(values)
        except TypeError:  # Text cells are unhashable: a builder sharing one Text per value still gains
            distinct = list({id(v): v for v in values}.values())
        natural[c] = max((_width(v) for v in distinct if v is not None), default=0)
    return PreparedRows(kept, index, natural)


def _plain(cell: Cell) -> str:
    if cell is None:
        return ""
    return cell.plain if isinstance(cell, Text) else cell


def _width(cell: Cell) -> int:
    if cell is None:
        return 0
    if isinstance(cell, Text):
        return cell.cell_len
    return len(cell) if cell.isascii() else cell_len(cell)


class VirtualTable(actions.Guarded, ScrollView, can_focus=True):
    """A table of :class:`Row` under a fixed heading line; see the module docstring."""

    ACTION_SCOPE = "table"
    BINDINGS = actions.bindings("table")

    COMPONENT_CLASSES: ClassVar[set[str]] = {"vtable--header", "vtable--cursor", "vtable--empty"}

    DEFAULT_CSS = """
    VirtualTable { height: 1fr; scrollbar-size-horizontal: 0; }
    VirtualTable > .vtable--header { text-style: bold; background: $panel; }
    VirtualTable > .vtable--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    VirtualTable:blur > .vtable--cursor { background: $block-cursor-blurred-background; }
    VirtualTable > .vtable--empty { color: $text-muted; }
    """

    class Highlighted(Message):
        """The cursor is on another row (``key`` None: the table has no rows to show)."""

        def __init__(self, table: VirtualTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> VirtualTable:
            return self.table

    class Selected(Message):
        """Enter (or a click) on the row ``key``."""

        def __init__(self, table: VirtualTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(self, columns: Sequence[Column], *, empty: str = "Nothing to show.", id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        if not columns:
            raise ValueError("a table needs at least one column")
        if sum(1 for c in columns if c.flex) > 1:
            raise ValueError("at most one column may be flex")
        self.columns: tuple[Column, ...] = tuple(columns)
        self.empty = empty
        self._rows: list[Row] = []
        self._index: dict[str, int] = {}  # key -> position in _rows
        self._search: list[str] | None = None  # lower-cased values per row, made on the first filter
        self._natural: list[int] = []  # the widest value of each column over every row
        self._shown: list[int] = []  # positions in _rows of the rows shown, in the order shown
        self._filter = ""
        self._sort: tuple[int, bool] | None = None
        self._cursor = 0  # position in _shown
        self._widths: tuple[int, ...] = ()
        self._widths_for = -1
        self._lines: dict[tuple[int, bool], Strip] = {}  # (position in _rows, under cursor) -> line
        self._announced: str | None = None

    # --- the rows -------------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """Rows held (the filter aside)."""
        return len(self._rows)

    @property
    def shown_count(self) -> int:
        """Rows shown (those the filter lets through)."""
        return len(self._shown)

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor (None when no row is shown)."""
        if not self._shown:
            return None
        return self._rows[self._shown[self._cursor]].key

    @property
    def cursor_row(self) -> Row | None:
        return self._rows[self._shown[self._cursor]] if self._shown else None

    def row(self, key: str) -> Row | None:
        i = self._index.get(key)
        return None if i is None else self._rows[i]

    def shown_keys(self) -> list[str]:
        """The keys of the rows shown, in order (tests, exports)."""
        return [self._rows[i].key for i in self._shown]

    def set_rows(self, rows: Iterable[Row]) -> None:
        """Show ``rows`` (keys unique; a repeated key keeps its first row), keeping the cursor on the row
        with the same key when it is still shown, else at the same place."""
        self.set_prepared(prepare_rows(rows, len(self.columns)))

    def set_prepared(self, prepared: PreparedRows) -> None:
        """:meth:`set_rows` with rows prepared beforehand (:func:`prepare_rows`, e.g. in a worker thread)."""
        kept = self.cursor_key
        place = self._cursor
        self._rows = prepared.rows
        self._index = prepared.index
        self._search = None
        self._natural = list(prepared.natural)
        self._widths_for = -1
        self._reshow(kept, place)

    def update_row(self, row: Row) -> None:
        """Replace the row with ``row.key`` (or add it at the end), keeping everything else."""
        i = self._index.get(row.key)
        if i is None:
            self.set_rows([*self._rows, row])
            return
        self._rows[i] = row
        if self._search is not None:
            self._search[i] = self._search_text(row)
        grew = any(cell is not None and _width(cell) > self._natural[c]
                   for c, cell in enumerate(row.cells[:len(self.columns)]))
        if grew or self._filter or self._sort is not None:
            self.set_rows(list(self._rows))
            return
        self._lines = {k: v for k, v in self._lines.items() if k[0] != i}
        if i in self._shown:
            self.refresh_line(self._shown.index(i) + 1)

    def set_filter(self, text: str) -> None:
        """Show only the rows with a value containing ``text`` (case-insensitive); ``""`` shows all."""
        text = text.strip().lower()
        if text == self._filter:
            return
        self._filter = text
        self._reshow(self.cursor_key, self._cursor)

    def sort_by(self, column: str | None, *, reverse: bool = False) -> None:
        """Order the rows by the plain text of ``column`` (numbers by value); None: the order given."""
        if column is None:
            self._sort = None
        else:
            keys = [c.key for c in self.columns]
            if column not in keys:
                raise ValueError(f"no column {column!r}")
            self._sort = (keys.index(column), reverse)
        self._reshow(self.cursor_key, self._cursor)

    def move_to(self, key: str) -> bool:
        """Put the cursor on the row ``key`` if it is shown."""
        i = self._index.get(key)
        if i is None or i not in self._shown:
            return False
        self._move(self._shown.index(i))
        return True

    def _search_text(self, row: Row) -> str:
        return "\0".join(_plain(c) for c in row.cells).lower()

    def _reshow(self, kept: str | None, place: int) -> None:
        order = range(len(self._rows))
        if self._filter:
            if self._search is None:
                self._search = [self._search_text(r) for r in self._rows]
            needle, search = self._filter, self._search
            shown = [i for i in order if needle in search[i]]
        else:
            shown = list(order)
        if self._sort is not None:
            col, reverse = self._sort
            shown.sort(key=lambda i: _sort_key(self._rows[i].cells[col] if col < len(self._rows[i].cells)
                                               else None), reverse=reverse)
        self._shown = shown
        self._lines = {}
        at = self._index.get(kept) if kept is not None else None
        if at is not None and at in shown:
            self._cursor = shown.index(at)
        else:
            self._cursor = max(0, min(place, len(shown) - 1))
        self.virtual_size = Size(self.size.width, len(shown) + 1)
        self._scroll_cursor_into_view()
        self.refresh()
        self._announce()

    # --- cursor -------------------------------------------------------------------------------------

    def _move(self, to: int) -> None:
        if not self._shown:
            return
        to = max(0, min(to, len(self._shown) - 1))
        if to == self._cursor:
            return
        old, self._cursor = self._cursor, to
        self.refresh_line(old + 1)
        self.refresh_line(to + 1)
        self._scroll_cursor_into_view()
        self._announce()

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_cursor_into_view(self) -> None:
        if not self._shown:
            return
        top = round(self.scroll_y)
        page = self._page()
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + page:
            self.scroll_to(y=self._cursor - page + 1, animate=False)

    def _announce(self) -> None:
        key = self.cursor_key
        if key != self._announced:
            self._announced = key
            self.post_message(self.Highlighted(self, key))

    def action_cursor_up(self) -> None:
        self._move(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._move(self._cursor + 1)

    def action_page_up(self) -> None:
        self._move(self._cursor - self._page())

    def action_page_down(self) -> None:
        self._move(self._cursor + self._page())

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(len(self._shown) - 1)

    def action_select(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.Selected(self, key))

    def on_click(self, event: events.Click) -> None:
        y = event.y
        if y >= 1 and self._shown:
            self._move(round(self.scroll_y) + y - 1)
            if event.chain >= 2:
                self.action_select()

    # --- rendering ----------------------------------------------------------------------------------

    def on_resize(self, _event: events.Resize) -> None:
        self.virtual_size = Size(self.size.width, len(self._shown) + 1)
        self._lines = {}
        self._scroll_cursor_into_view()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines = {}

    def _column_widths(self, total: int) -> tuple[int, ...]:
        if self._widths_for == total:
            return self._widths
        cols = self.columns
        widths = []
        for c, col in enumerate(cols):
            if col.width is not None:
                widths.append(col.width)
            else:
                natural = max(self._natural[c] if c < len(self._natural) else 0, cell_len(col.label))
                widths.append(max(col.min_width, min(col.max_width, natural)))
        room = total - (len(cols) - 1)  # one space between columns
        flex = next((i for i, c in enumerate(cols) if c.flex), None)
        if flex is not None:
            others = sum(w for i, w in enumerate(widths) if i != flex)
            widths[flex] = max(cols[flex].min_width, room - others)
        # too wide: take from the widest non-fixed columns first, never below their minimum
        excess = sum(widths) - room
        while excess > 0:
            candidates = [i for i, c in enumerate(cols) if c.width is None and widths[i] > c.min_width]
            if not candidates:
                break
            i = max(candidates, key=lambda j: widths[j])
            widths[i] -= 1
            excess -= 1
        self._widths = tuple(widths)
        self._widths_for = total
        return self._widths

    @property
    def _ellipsis(self) -> str:
        from ztconsole.ui.status import glyph

        return glyph(self.app, "ellipsis")

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        widths = self._column_widths(width)
        if y == 0:
            return self._line([Text(c.label) for c in self.columns], widths, width,
                              self.get_component_rich_style("vtable--header"))
        index = round(self.scroll_y) + y - 1
        if not self._shown:
            if y == 1:
                message = f"No row matches /{self._filter}" if self._filter and self._rows else self.empty
                return self._line([Text(clean(message))], (width,), width,
                                  self.get_component_rich_style("vtable--empty"))
            return Strip.blank(width, self.rich_style)
        if index >= len(self._shown):
            return Strip.blank(width, self.rich_style)
        at = self._shown[index]
        under = index == self._cursor
        cached = self._lines.get((at, under))
        if cached is not None and cached.cell_length == width:
            return cached
        row = self._rows[at]
        base = self.rich_style
        if row.style:
            base = base + Style.parse(row.style)
        if under:
            base = base + self.get_component_rich_style("vtable--cursor")
        strip = self._line(list(row.cells), widths, width, base)
        if len(self._lines) > 4096:
            self._lines.clear()
        self._lines[(at, under)] = strip
        return strip

    def _line(self, cells: Sequence[Cell], widths: Sequence[int], total: int, style: Style) -> Strip:
        segments: list[Segment] = []
        used = 0
        for c, w in enumerate(widths):
            if c:
                segments.append(Segment(" ", style))
                used += 1
            cell = cells[c] if c < len(cells) else None
            part = cell.copy() if isinstance(cell, Text) else Text(clean(cell) if cell else "")
            if part.cell_len > w:
                _cut(part, w, self._ellipsis)
            align = self.columns[c].align if c < len(self.columns) and len(widths) == len(self.columns) else "left"
            pad = w - part.cell_len
            if pad > 0:
                if align == "right":
                    part.pad_left(pad)
                else:
                    part.pad_right(pad)
            # Text.render leaves the text's own style out (a console applies it): put it under the spans'
            cell_style = style + _CONSOLE.get_style(part.style) if part.style else style
            segments.extend(Segment(seg.text, cell_style + seg.style if seg.style else cell_style)
                            for seg in part.render(_CONSOLE, end=""))
            used += w
        strip = Strip(segments)
        if used < total:
            strip = Strip([*strip, Segment(" " * (total - used), style)])
        return strip.crop(0, total)


def _cut(part: Text, width: int, ellipsis: str) -> None:
    """Cut ``part`` to ``width`` cells, ending with ``ellipsis`` (the theme's: "…", or "..." in ASCII)."""
    if ellipsis == "…" or width <= len(ellipsis):
        part.truncate(width, overflow="ellipsis" if ellipsis == "…" else "crop")
        return
    part.truncate(width - len(ellipsis), overflow="crop")
    part.append(ellipsis)


def _sort_key(cell: Cell) -> tuple[int, float, str]:
    text = _plain(cell).strip()
    try:
        return (0, float(text.replace(",", "")), "")
    except ValueError:
        return (1, 0.0, text.lower())


def _render_console() -> Any:
    """The console ``Text.render`` resolves style names with (plain lines: no markup, emoji, highlighting)."""
    from rich.console import Console

    return Console(width=10_000, markup=False, emoji=False, highlight=False, legacy_windows=False)


_CONSOLE: Any = _render_console()
