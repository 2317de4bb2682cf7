"""A plain terminal font shows the console whole: where the theme draws ASCII (``TERM=linux``, or a theme
without ``unicode = true``), no text the console writes on screen is beyond ASCII, in any pane, the help
screen or a data set's details; every glyph goes through ``ztconsole.ui.status.glyph``. And the Data pane's
rows follow a theme switch (ctrl+t) at once, not when a row next changes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rich.segment import Segment
from textual.color import Color
from textual.pilot import Pilot

from test_ui_first_screen import screen_text
from ztconsole.demo import demo_dir
from ztconsole.tenantdir import TenantDir
from ztconsole.ui.app import ZtApp
from ztconsole.ui.datasets_view import DataSetTable
from ztconsole.ui.panes import PANES
from ztconsole.ui.panes.data import DataPane
from ztconsole.ui.status import GLYPHS, Cut, colour, cut, glyph
from ztconsole.ui.theme import DEMO_THEME, HIGH_CONTRAST_THEME

SIZE = (160, 45)

def beyond_ascii(shown: str) -> list[str]:
    """The lines of ``shown`` holding a character beyond ASCII: text, borders, scroll bars, key symbols."""
    return [line for line in shown.splitlines() if not line.isascii()]


async def settle(app: ZtApp, pilot: Pilot[Any]) -> None:
    """Until the pane's workers are done (bounded), then a last refresh."""
    for _ in range(200):
        await pilot.pause(0.05)
        if not any(w.is_running for w in app.workers):
            break
    await pilot.pause(0.1)


@pytest.mark.parametrize(("term", "theme", "size"), [("linux", None, SIZE),
                                                     ("xterm-256color", HIGH_CONTRAST_THEME, (80, 24))],
                         ids=["TERM=linux", "ascii-theme-80x24"])  # 80 columns: lines cut short, in "..."
async def test_every_pane_and_dialog_is_ascii_where_the_theme_draws_ascii(
        monkeypatch: pytest.MonkeyPatch, term: str, theme: str | None, size: tuple[int, int]) -> None:
    monkeypatch.setenv("TERM", term)
    app = ZtApp(TenantDir.open(demo_dir()), badge="DEMO", clock=lambda: 0.0, theme=theme)
    found: dict[str, list[str]] = {}
    async with app.run_test(size=size) as pilot:
        await asyncio.wait_for(app.loaded.wait(), 60)
        assert app.theme == (theme or DEMO_THEME)
        assert glyph(app, "separator") == "|"  # the theme's ASCII, whatever it asked for
        for pane in PANES:
            await app.switch_mode(pane.ID)
            await settle(app, pilot)
            found[pane.ID] = beyond_ascii(screen_text(app))
        await app.switch_mode("signins")  # a sign-in's details: its facts grid cut to 80 columns
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "SignInDetails"
        found["sign-in details"] = beyond_ascii(screen_text(app))
        await pilot.press("escape")
        await app.switch_mode("data")
        await settle(app, pilot)
        await pilot.press("enter")  # the Data pane: the first data set's details
        await settle(app, pilot)
        found["details"] = beyond_ascii(screen_text(app))
        await pilot.press("escape")
        await pilot.press("question_mark")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "HelpScreen"
        found["help"] = beyond_ascii(screen_text(app))
    assert {where: lines for where, lines in found.items() if lines} == {}


def test_cut_ends_in_the_themes_ellipsis() -> None:
    from rich.console import Console
    from rich.text import Text

    line = Text("a long line of tenant text")
    cut(line, 10, {})
    assert line.plain == "a long ..."
    line = Text("a long line of tenant text")
    cut(line, 10, {"glyphs": "unicode"})
    assert line.plain == "a long li…"
    console = Console(width=12, record=True, color_system=None)
    console.print(Cut(Text("first line is long\nshort"), {}))
    assert console.export_text() == "first lin...\nshort\n"
    assert all(plain.isascii() for _fancy, plain in GLYPHS.values())


def status_segments(table: DataSetTable, key: str) -> list[Segment]:
    """The segments drawn for row ``key``'s status cell (its mark and word)."""
    y = table.header_height + table.get_row_index(key) - round(table.scroll_y)
    strip = table.render_line(y)
    return [seg for seg in strip if seg.text.strip() and "ok" in seg.text]


async def test_a_theme_switch_restyles_every_data_set_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    app = ZtApp(TenantDir.open(demo_dir()), badge="DEMO", clock=lambda: 0.0)
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.loaded.wait(), 60)
        await app.switch_mode(DataPane.ID)
        await settle(app, pilot)
        table = app.screen.query_one(DataSetTable)
        # a row read whole, away from the cursor (whose colours are the cursor's)
        key = next(k for k in table.shown_keys()[1:] if (state := table.state(k)) is not None and state.status == "ok")
        before = colour("ok", app.theme_variables)
        (drawn,) = status_segments(table, key)
        assert drawn.style is not None and drawn.style.color is not None
        assert drawn.style.color.triplet is not None and drawn.style.color.triplet.hex == before

        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press(*"ztconsole-light")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.theme == "ztconsole-light"
        after = colour("ok", app.theme_variables)
        assert after == Color.parse(app.current_theme.success or "").hex6.lower() and after != before

        (drawn,) = status_segments(table, key)  # the row did not change: only the theme did
        assert drawn.style is not None and drawn.style.color is not None
        assert drawn.style.color.triplet is not None and drawn.style.color.triplet.hex == after
        assert drawn.text.startswith(glyph(app, "mark-ok"))

        app.theme = HIGH_CONTRAST_THEME  # and its glyphs: ASCII
        await pilot.pause(0.3)
        (drawn,) = status_segments(table, key)
        assert drawn.text.startswith("+ ok")
        assert drawn.style is not None and drawn.style.color is not None
        assert drawn.style.color.triplet is not None
        assert drawn.style.color.triplet.hex == colour("ok", app.theme_variables)
