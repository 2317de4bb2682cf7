"""The console's virtual table (issue #13, item 7): only visible rows are rendered, so 50,000 rows open and
scroll at once; the cursor survives a refresh of the rows (by key), a filter and a sort; columns always fit
the width; values from the tenant render inert; keys come from the action registry."""

from __future__ import annotations

from typing import Any

import pytest
from rich.text import Text
from textual.app import App, ComposeResult

from ztconsole.ui import actions
from ztconsole.ui.vtable import Column, Row, VirtualTable

COLUMNS = (Column("name", "Name", flex=True), Column("state", "State", max_width=12),
           Column("count", "Count", align="right"))


def rows(n: int, *, prefix: str = "row") -> list[Row]:
    return [Row(f"k{i}", (f"{prefix} {i}", "enabled" if i % 3 else "disabled", str(i))) for i in range(n)]


class TableApp(App[None]):
    read_only = True

    def __init__(self, data: list[Row], columns: tuple[Column, ...] = COLUMNS) -> None:
        super().__init__()
        self.data = data
        self.columns = columns
        self.events: list[tuple[str, str | None]] = []

    def compose(self) -> ComposeResult:
        yield VirtualTable(self.columns, id="t")

    def on_mount(self) -> None:
        table = self.query_one(VirtualTable)
        table.set_rows(self.data)
        table.focus()

    def on_virtual_table_highlighted(self, event: VirtualTable.Highlighted) -> None:
        self.events.append(("highlighted", event.key))

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        self.events.append(("selected", event.key))


def screen_lines(app: App[Any]) -> list[str]:
    table = app.query_one(VirtualTable)
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_fifty_thousand_rows_open_and_only_visible_lines_render() -> None:
    app = TableApp(rows(50_000))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        assert table.row_count == 50_000 and table.shown_count == 50_000
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_key == "k49999"
        lines = screen_lines(app)
        assert lines[0].startswith("Name") and "row 49999" in lines[-1]
        assert len(table._lines) <= table.size.height * 2  # only what was on screen was rendered


async def test_keys_move_the_cursor_and_enter_selects() -> None:
    app = TableApp(rows(100))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        await pilot.press("down", "down", "j")
        assert table.cursor_key == "k3"
        await pilot.press("k")
        assert table.cursor_key == "k2"
        await pilot.press("pagedown")
        assert table.cursor_key == f"k{2 + table.size.height - 1}"
        await pilot.press("G")
        assert table.cursor_key == "k99"
        await pilot.press("g")
        assert table.cursor_key == "k0"
        await pilot.press("enter")
        await pilot.pause()
        assert app.events[-1] == ("selected", "k0")
        assert ("highlighted", "k3") in app.events


async def test_cursor_stays_on_its_row_through_new_rows_filter_and_sort() -> None:
    app = TableApp(rows(1000))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        table.move_to("k500")
        # a refresh: rows added before it and values changed; the cursor follows the key
        table.set_rows([Row("new", ("fresh", "enabled", "1")), *rows(1000, prefix="renamed")])
        await pilot.pause()
        assert table.cursor_key == "k500"
        table.set_filter("RENAMED 50")  # case-insensitive, on every value
        assert table.cursor_key == "k500" and table.shown_count == 11  # 50, 500..509
        table.set_filter("")
        assert table.cursor_key == "k500" and table.shown_count == 1001
        table.sort_by("count", reverse=True)  # numbers by value
        assert table.shown_keys()[:2] == ["k999", "k998"] and table.cursor_key == "k500"
        table.set_rows([r for r in rows(1000) if r.key != "k500"])  # its row went away: same place
        assert table.cursor_key is not None


async def test_filter_without_a_match_says_so() -> None:
    app = TableApp(rows(10))
    async with app.run_test(size=(80, 12)) as pilot:
        table = app.query_one(VirtualTable)
        table.set_filter("nothing like this")
        await pilot.pause()
        assert table.cursor_key is None
        assert "No row matches /nothing like this" in screen_lines(app)[1]
        table.set_rows([])
        table.set_filter("")
        await pilot.pause()
        assert "Nothing to show." in screen_lines(app)[1]


@pytest.mark.parametrize("width", [80, 60, 40])
async def test_columns_fit_the_width_and_cut_long_values(width: int) -> None:
    long = [Row("a", ("x" * 10_000, "reportOnly-very-long-state", "123456789"))]
    app = TableApp(long)
    async with app.run_test(size=(width, 10)):
        lines = screen_lines(app)
        table = app.query_one(VirtualTable)
        assert all(len(line) == table.scrollable_content_region.width for line in lines[:2])
        assert "..." in lines[1]  # a theme without unicode = true: ASCII (the console's own themes say "…")


async def test_tenant_text_is_inert() -> None:
    hostile = [Row("h", ("[bold red]x[/] \x1b[31mred\x1b[0m \u202eevil\x00", "[b]y[/b]", "1"))]
    app = TableApp(hostile)
    async with app.run_test(size=(100, 6)):
        table = app.query_one(VirtualTable)
        strip = table.render_line(1)
        assert "[bold red]x[/]" in strip.text and "\x1b" not in strip.text and "\u202e" not in strip.text
        assert "[b]y[/b]" in strip.text
        assert not any(seg.style and (seg.style.link or seg.style.color and seg.style.color.name == "red")
                       for seg in strip)


async def test_styled_values_and_row_styles_are_kept() -> None:
    styled = [Row("s", (Text("deny", style="bold"), "x", "1"), style="dim")]
    app = TableApp(styled)
    async with app.run_test(size=(80, 6)):
        strip = app.query_one(VirtualTable).render_line(1)
        assert any(seg.text.startswith("deny") and seg.style and seg.style.bold for seg in strip)


async def test_update_row_repaints_only_that_row() -> None:
    app = TableApp(rows(50))
    async with app.run_test(size=(80, 12)) as pilot:
        table = app.query_one(VirtualTable)
        table.update_row(Row("k1", ("changed", "enabled", "1")))
        await pilot.pause()
        assert "changed" in screen_lines(app)[2]
        assert table.row_count == 50


def test_table_keys_are_in_the_registry() -> None:
    ids = {a.id for a in actions.ACTIONS if a.scope == "table"}
    assert {"table.cursor_up", "table.cursor_down", "table.select", "table.first", "table.last"} <= ids
    assert "table" in actions.SCOPES


def test_bad_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        VirtualTable(())
    with pytest.raises(ValueError, match="flex"):
        VirtualTable((Column("a", "A", flex=True), Column("b", "B", flex=True)))
