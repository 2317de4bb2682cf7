"""The data-set table: one row per data set, from queued through loading to its count or failure.

A load changes a few cells at a time (a row's status, its count; the spinner of the rows being read, ten
times a second), while it runs in a thread that competes with the console for the interpreter. Textual's
``DataTable.update_cell`` throws away what it rendered of *every* cell and repaints the whole table, so
each spinner frame rendered all forty-odd rows again: on the large tenant that was most of the console's
own CPU time during a load, taken from the load. :meth:`DataSetTable.show` and :meth:`DataSetTable.spin`
change only the cells whose text changed, forget only what was rendered of those cells, and repaint only
their rows; a change of a column's width (which moves every row) still repaints everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, CellKey, ColumnKey, RowKey

from ztconsole.datasets import DataSet
from ztconsole.ui import actions
from ztconsole.ui.safe import text
from ztconsole.ui.status import LOOKS, SPINNER, Status, cut, final, glyph, style

if TYPE_CHECKING:
    from textual.cache import LRUCache

    from ztconsole.tenantdir import DataSetResult, LoadIssue

__all__ = ["DataSetTable", "RowState", "Status", "SPINNER", "file_template"]

_COLUMNS: tuple[tuple[str, str], ...] = (
    ("title", "Data set"),
    ("api", "API"),
    ("pane", "Pane"),
    ("count", "Count"),
    ("issues", "Issues"),
    ("status", "Status"),
)


@dataclass(frozen=True, slots=True)
class RowState:
    """What a row shows: a load's status, its count and issues, and a one-line message."""

    status: Status
    count: int | None = None
    issues: tuple[LoadIssue, ...] = ()
    message: str = ""

    @classmethod
    def of(cls, result: DataSetResult) -> RowState:
        """The row for a finished read (a status this console does not know shows as failed)."""
        return cls(final(result.status), result.count, tuple(result.issues), result.message)


def file_template(ds: DataSet) -> str:
    """Where ``ds`` lives in a tenant directory, placeholders kept: ``arm/subscriptions/{sub}/...json``."""
    return ds.file_path(sub="{sub}", parent="{parent}")


def _api(ds: DataSet) -> str:
    return f"graph {ds.version}" if ds.api == "graph" else "arm"


class DataSetTable(actions.Guarded, DataTable[Text]):
    """The data sets in catalogue order, keyed by data-set key and updated in place; :meth:`set_filter`
    (the pane's ``/``) shows only the data sets whose row contains a text, and keeps following their
    states: a row that comes to match while a load runs appears, one that stops matching goes."""

    ACTION_SCOPE = "datasets"
    BINDINGS = actions.bindings("datasets")

    def __init__(self, datasets: Iterable[DataSet], *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", id=id)
        self._datasets = tuple(datasets)
        self._by_key = {ds.key: ds for ds in self._datasets}
        self._states: dict[str, RowState] = {}
        self._frame = 0
        self._in_place = _renders_in_place(self)
        self._filter = ""  # casefolded; "" shows every data set
        self._refilter = False  # a row's match may have changed: rows are shown anew after the refresh

    def on_mount(self) -> None:
        for key, label in _COLUMNS:
            self.add_column(Text(label, justify="right" if key in ("count", "issues") else "left"), key=key)
        self._add_rows()

    def _add_rows(self) -> None:
        """Add a row for each data set the filter lets through, in catalogue order, showing its state."""
        for ds in self._datasets:
            if not self._matches(ds):
                continue
            state = self._states.get(ds.key)
            cells = self._state_cells(state) if state else {}
            self.add_row(
                Text(ds.title), Text(_api(ds), style="dim"), Text(ds.pane, style="dim"),
                cells.get("count", Text("")), cells.get("issues", Text("")), cells.get("status", Text("")),
                key=ds.key,
            )

    # --- the filter ------------------------------------------------------------------------------

    @property
    def filter_text(self) -> str:
        """The filter in force ("" for none), as :meth:`set_filter` keeps it (trimmed, casefolded)."""
        return self._filter

    def set_filter(self, text: str) -> None:
        """Show only the data sets whose row contains ``text``, in any case: title, key, API, pane, count,
        status or message; "" shows them all. The cursor stays on its data set while that is shown."""
        text = text.strip().casefold()
        if text != self._filter:
            self._filter = text
            self._show_matching()

    def shown_keys(self) -> list[str]:
        """The keys of the rows shown, top to bottom."""
        return [str(key.value) for key in self.rows]

    def _matches(self, ds: DataSet) -> bool:
        if not self._filter:
            return True
        state = self._states.get(ds.key)
        words = [ds.key, ds.title, _api(ds), ds.pane]
        if state is not None:
            words += [state.status, state.message, "" if state.count is None else f"{state.count:,}"]
        return self._filter in " ".join(words).casefold()

    def _show_matching(self) -> None:
        """Show the rows that match now, the cursor kept on its data set (else on the first row)."""
        self._refilter = False
        keys = [ds.key for ds in self._datasets if self._matches(ds)]
        if keys == self.shown_keys():
            return
        at = self._cursor_key()
        self.clear()
        self._add_rows()
        if at in keys:
            self.move_cursor(row=keys.index(at), animate=False)

    def _cursor_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
        except CellDoesNotExist:
            return None

    def _follow_filter(self, key: str) -> None:
        """Row ``key``'s state changed: if that changes whether it matches, show the rows anew (once per
        refresh, however many rows change)."""
        ds = self._by_key.get(key)
        if ds is not None and self._filter and not self._refilter and self._matches(ds) != self._is_shown(key):
            self._refilter = True
            self.call_after_refresh(self._show_matching)

    def _is_shown(self, key: str) -> bool:
        return RowKey(key) in self.rows

    # --- states ------------------------------------------------------------------------------------

    def state(self, key: str) -> RowState | None:
        """The state shown on row ``key`` (None before the first load is queued)."""
        return self._states.get(key)

    def show(self, key: str, state: RowState) -> None:
        """Show ``state`` on row ``key`` (nothing is redrawn when the row shows it already)."""
        if self._states.get(key) == state:
            return
        self._states[key] = state
        self._follow_filter(key)
        if self._is_shown(key):
            self._put(key, self._state_cells(state), widen="status")

    def _state_cells(self, state: RowState) -> dict[str, Text]:
        """The cells that show ``state``: count, issues and status."""
        variables = self.app.theme_variables
        count = "" if state.count is None or not LOOKS[state.status].counted else f"{state.count:,}"
        issues = f"{len(state.issues):,}" if state.issues else ""
        errors = any(i.severity == "error" for i in state.issues)
        issues_style = variables.get("warning", "") if errors else "dim"
        return {"count": Text(count, justify="right"),
                "issues": Text(issues, style=issues_style, justify="right"),
                "status": self._status_text(state)}

    def restyle(self) -> None:
        """Draw every shown row again in the current theme: its colours and its glyphs (a theme switch;
        the cells hold the colours of the theme they were made in)."""
        for key, state in self._states.items():
            if self._is_shown(key):
                self._put(key, self._state_cells(state), widen="status")

    def on_resize(self) -> None:
        # Status messages are cut to the room left; rows shown before the first layout had no room.
        for key, state in self._states.items():
            if self._is_shown(key):
                self.update_cell(key, "status", self._status_text(state), update_width=True)

    def spin(self) -> None:
        """Advance the spinner on every row that is loading."""
        self._frame = (self._frame + 1) % len(glyph(self.app, "spinner"))
        for key, state in self._states.items():
            if state.status == "loading" and self._is_shown(key):
                self._put(key, {"status": self._status_text(state)})

    def _put(self, key: str, cells: dict[str, Text], *, widen: str | None = None) -> None:
        """Put ``cells`` (column key: text) on row ``key``, forgetting and repainting only what changed;
        ``widen``: the column whose width follows its cells (measured when the table is idle)."""
        if not self._in_place:
            for column, value in cells.items():
                self.update_cell(key, column, value, update_width=column == widen)
            return
        row_key = RowKey(key)
        row = self._data[row_key]
        changed = set()
        for column, value in cells.items():
            column_key = ColumnKey(column)
            old = row.get(column_key)
            if not isinstance(old, Text) or not _same_text(old, value):
                row[column_key] = value
                changed.add(column_key)
        if not changed:
            return
        if widen is not None and ColumnKey(widen) in changed:
            self._updated_cells.add(CellKey(row_key, ColumnKey(widen)))
            self._require_update_dimensions = True
        self._forget(row_key, changed)

    def _forget(self, row_key: RowKey, columns: set[ColumnKey]) -> None:
        """Drop what was rendered of ``columns`` on row ``row_key`` (and the row's lines made of them),
        and repaint that row alone. Textual's own caches are keyed by its update count, which every
        ``update_cell`` bumps; here only the entries of the changed cells go."""
        row_index = self._row_locations.get(row_key)
        if row_index is None:
            return
        key, names = row_key.value, {column.value for column in columns}
        try:
            header = self.header_height if self.show_header else 0
            lines = {header + y for y, (line_row, _) in enumerate(self._y_offsets) if line_row.value == key}
            _prune(self._cell_render_cache, lambda k: k[0].value == key and k[1].value in names)
            _prune(self._row_render_cache, lambda k: k[0].value == key)
            _prune(self._row_renderable_cache, lambda k: k[1] == row_index)
            _prune(self._line_cache, lambda k: k[0] in lines)
        except (AttributeError, IndexError, TypeError):  # a Textual that keys its caches otherwise
            self._in_place = False
            self._update_count += 1  # what update_cell does: everything is rendered again
            self.refresh()
            return
        self.refresh_row(row_index)

    def _update_column_widths(self, updated_cells: set[CellKey]) -> None:
        # A column that grew or shrank pads each of its cells anew and moves the columns after it: its
        # cells are rendered again, and every row and line is put together again from the cells.
        widths = {key: column.content_width for key, column in self.columns.items()}
        super()._update_column_widths(updated_cells)
        resized = {key.value for key, column in self.columns.items() if column.content_width != widths.get(key)}
        if self._in_place and resized:
            try:
                _prune(self._cell_render_cache, lambda k: k[1].value in resized)
            except (AttributeError, IndexError, TypeError):
                self._in_place = False
                self._update_count += 1
            self._row_render_cache.clear()
            self._line_cache.clear()
            self.refresh()

    def _status_text(self, state: RowState) -> Text:
        shown = style(state.status, self.app.theme_variables)
        look = LOOKS[state.status]
        if state.status == "loading":
            frames = glyph(self.app, "spinner")
            return Text(f"{frames[self._frame % len(frames)]} loading{glyph(self.app, 'ellipsis')}", style=shown)
        mark = glyph(self.app, f"mark-{state.status}")
        out = Text(f"{mark} {state.status}", style=shown, no_wrap=True, overflow="ellipsis")
        if state.message and state.status != "ok":
            out.append(": ", style=shown)
            out.append_text(text(state.message, style="" if look.urgent else "dim"))
            cut(out, self._status_width(), self.app)
        return out

    def _status_width(self) -> int:
        """Room left for the status column, so a long message is cut (Enter shows it whole)
        rather than pushing the table into horizontal scrolling."""
        others = sum(c.get_render_width(self) for k, c in self.columns.items() if k != "status")
        return max(24, self.scrollable_content_region.width - others - 2 * self.cell_padding)


def _same_text(a: Text, b: Text) -> bool:
    """Whether two cells look the same (``Text.__eq__`` ignores the style and the justification)."""
    return (a.plain == b.plain and a.style == b.style and a.spans == b.spans and a.justify == b.justify
            and a.overflow == b.overflow and a.no_wrap == b.no_wrap)


def _prune(cache: LRUCache[Any, Any], stale: Callable[[Any], bool]) -> None:
    for key in [key for key in cache.keys() if stale(key)]:
        cache.discard(key)


_CACHES = ("_cell_render_cache", "_row_render_cache", "_row_renderable_cache", "_line_cache")


def _renders_in_place(table: DataTable[Text]) -> bool:
    """Whether this Textual's DataTable keeps what :meth:`DataSetTable._forget` prunes, where it prunes it
    (else every change goes through ``update_cell``, as a Textual that renders differently needs)."""
    caches = all(hasattr(getattr(table, name, None), "discard") and hasattr(getattr(table, name, None), "keys")
                 for name in _CACHES)
    state = all(hasattr(table, name) for name in ("_data", "_row_locations", "_updated_cells",
                                                  "_require_update_dimensions", "_update_count"))
    return caches and state and isinstance(getattr(type(table), "_y_offsets", None), property)
