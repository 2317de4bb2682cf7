"""The key footer: rebuilt when the keys it shows change, and only then."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from ztconsole.ui.footer import KeyFooter


class CountingFooter(KeyFooter):
    builds = 0

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            type(self).builds += 1
        yield from super().compose()


class Keys(Screen[None]):
    BINDINGS = [Binding("x", "export", "Export"), Binding("q", "quit", "Quit")]
    allow_export = True

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield CountingFooter(show_command_palette=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return self.allow_export or None  # None: shown, disabled
        return True

    def action_export(self) -> None:
        pass


class KeysApp(App[None]):
    def on_mount(self) -> None:
        self.push_screen(Keys())


def shown(app: App[Any]) -> dict[str, bool]:
    """Each key the footer shows, and whether it is enabled."""
    return {key.key: not key.has_class("-disabled") for key in app.screen.query(FooterKey)}


async def test_the_footer_is_built_once_while_the_screen_settles_and_follows_each_change() -> None:
    CountingFooter.builds = 0
    app = KeysApp()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert shown(app) == {"x": True, "q": True}
        assert CountingFooter.builds == 1  # Textual's footer: once per bindings notice

        app.screen.refresh_bindings()  # nothing changed: nothing rebuilt
        await pilot.pause()
        await pilot.pause()
        assert CountingFooter.builds == 1

        screen = app.screen
        assert isinstance(screen, Keys)
        screen.allow_export = False
        screen.refresh_bindings()
        screen.refresh_bindings()  # two notices in one refresh: one build
        await pilot.pause()
        await pilot.pause()
        assert shown(app) == {"x": False, "q": True}
        assert CountingFooter.builds == 2
