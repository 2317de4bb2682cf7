"""The key footer: the screen's keys on one line, redrawn when they change and only then."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from ztconsole.ui.footer import KeyFooter


class CountingFooter(KeyFooter):
    draws = 0

    def refresh(self, *args: Any, **kwargs: Any) -> Any:
        type(self).draws += 1
        return super().refresh(*args, **kwargs)


MOVE = Binding.Group("Move")


class Keys(Screen[None]):
    BINDINGS = [Binding("x", "export", "Export"), Binding("q", "quit", "Quit"),
                Binding("left", "move", "Left", group=MOVE), Binding("right", "move2", "Right", group=MOVE)]
    allow_export = True
    pressed: list[str]

    def compose(self) -> ComposeResult:
        self.pressed = []
        yield Static("body")
        yield CountingFooter(show_command_palette=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return self.allow_export or None  # None: shown, disabled
        return True

    def action_export(self) -> None:
        self.pressed.append("export")

    def action_move(self) -> None:
        pass

    def action_move2(self) -> None:
        pass


class KeysApp(App[None]):
    def on_mount(self) -> None:
        self.push_screen(Keys())


def shown(app: App[Any]) -> dict[str, bool]:
    """Each key the footer shows, and whether it is enabled."""
    footer = app.screen.query_one(KeyFooter)
    return {item.key: item.enabled for item in footer.items}


def footer_line(app: App[Any]) -> str:
    return app.screen.query_one(KeyFooter).render().plain


async def test_the_footer_shows_each_key_and_follows_each_change_once() -> None:
    app = KeysApp()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert shown(app) == {"x": True, "q": True, "left": True, "right": True}
        line = footer_line(app)
        assert "x Export" in line and "q Quit" in line
        assert "← → Move" in line  # a key group: its keys, then its description once

        CountingFooter.draws = 0
        app.screen.refresh_bindings()  # nothing changed: nothing redrawn
        await pilot.pause()
        await pilot.pause()
        assert CountingFooter.draws == 0

        screen = app.screen
        assert isinstance(screen, Keys)
        screen.allow_export = False
        screen.refresh_bindings()
        screen.refresh_bindings()  # two notices in one refresh: one redraw
        await pilot.pause()
        await pilot.pause()
        assert shown(app) == {"x": False, "q": True, "left": True, "right": True}
        assert CountingFooter.draws == 1


async def test_a_click_on_a_key_presses_it_and_a_disabled_key_does_nothing() -> None:
    app = KeysApp()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, Keys)
        await pilot.click(KeyFooter, offset=(1, 0))  # " x Export ": the x
        await pilot.pause()
        assert screen.pressed == ["export"]
        screen.allow_export = False
        screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        await pilot.click(KeyFooter, offset=(1, 0))
        await pilot.pause()
        assert screen.pressed == ["export"]


async def test_the_footer_is_cropped_to_a_narrow_terminal_not_wrapped() -> None:
    app = KeysApp()
    async with app.run_test(size=(12, 6)) as pilot:
        await pilot.pause()
        await pilot.pause()
        footer = app.screen.query_one(KeyFooter)
        assert footer.size.height == 1
        assert footer_line(app).startswith(" x Export ")
