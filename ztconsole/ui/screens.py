"""Dialogs: a data set's details and issues, the help screen built from the action registry, sign-in, and
the confirmation before quitting while a write is in flight."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ztconsole.datasets import DataSet
from ztconsole.ui import actions
from ztconsole.ui.datasets_view import RowState, file_template
from ztconsole.ui.footer import KeyFooter
from ztconsole.ui.safe import text
from ztconsole.ui.status import glyph, unicode_glyphs

if TYPE_CHECKING:
    from ztconsole.tenantdir import LoadIssue

__all__ = ["ConfirmQuitScreen", "DetailsScreen", "HelpScreen", "MAX_ISSUES_SHOWN", "SignInScreen"]

MAX_ISSUES_SHOWN = 500
"""Issues listed in the details dialog; the rest are counted (a broken file can have thousands)."""


class _Dialog(actions.Guarded, ModalScreen[None]):
    """A centred dialog closed by the registry's ``modal`` actions."""

    ACTION_SCOPE = "modal"
    BINDINGS = actions.bindings("modal")


class DetailsScreen(_Dialog):
    """One data set: where it comes from, its status and every issue found while reading it."""

    def __init__(self, ds: DataSet, state: RowState | None) -> None:
        super().__init__()
        self._ds = ds
        self._state = state

    def compose(self) -> ComposeResult:
        ds, state = self._ds, self._state
        with Vertical(classes="dialog"):
            yield Static(Text(ds.title, style="bold"), classes="dialog-title")
            yield Static(self._facts(ds, state, dash=glyph(self.app, "dash")), classes="facts")
            issues = state.issues if state else ()
            yield Static(Text(f"Issues ({len(issues):,})", style="bold"), classes="section")
            with VerticalScroll(classes="issues"):
                yield Static(self._issues(issues, ellipsis=glyph(self.app, "ellipsis")), id="issues")
        yield KeyFooter()

    @staticmethod
    def _facts(ds: DataSet, state: RowState | None, *, dash: str) -> Table:
        """``dash``: the theme's glyph for an empty value."""
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim", no_wrap=True)
        table.add_column()
        table.add_row("Key", Text(ds.key))
        table.add_row("API", Text(f"{ds.api} {ds.version}"))
        table.add_row("File", Text(file_template(ds)))
        table.add_row("Permission", Text(ds.permission or dash))
        if ds.note:
            table.add_row("Note", Text(ds.note))
        if state is None:
            table.add_row("Status", Text("not loaded"))
        else:
            status = Text(state.status)
            if state.count is not None:
                status.append(f", {state.count:,} items")
            table.add_row("Status", status)
            if state.message:
                table.add_row("Message", text(state.message))
        return table

    @staticmethod
    def _issues(issues: tuple[LoadIssue, ...], *, ellipsis: str) -> Text:
        """``ellipsis``: the theme's glyph before the count of the issues not listed."""
        if not issues:
            return Text("No issues.", style="dim")
        out = Text()
        for issue in issues[:MAX_ISSUES_SHOWN]:
            note = issue.severity != "error"
            out.append("note  " if note else "error ", style="dim" if note else "bold")
            out.append_text(text(issue, style="dim" if note else ""))
            out.append("\n")
        if len(issues) > MAX_ISSUES_SHOWN:
            out.append(f"{ellipsis} and {len(issues) - MAX_ISSUES_SHOWN:,} more", style="dim")
        out.rstrip()
        return out


class HelpScreen(_Dialog):
    """Every action allowed in this mode, by scope, with its keys (the user keymap's where it has them)
    and id (the keymap names it by id)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Keys", style="bold"), classes="dialog-title")
            with VerticalScroll(classes="issues"):
                yield Static(self._keys(), id="help-keys")
        yield KeyFooter()

    def _keys(self) -> Table:
        read_only: bool = getattr(self.app, "read_only", True)
        keymap = getattr(self.app, "keymap", {})
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True, style="bold")
        table.add_column()
        table.add_column(style="dim", no_wrap=True)
        for scope, heading in actions.SCOPES.items():
            entries = actions.for_scope(scope, read_only=read_only)
            if not entries:
                continue
            table.add_row(Text(heading, style="underline"), "", "")
            for action in entries:
                table.add_row(actions.key_labels(self.app, action, keymap), action.help or action.description,
                              action.id)
            table.add_row("", "", "")
        return table


class SignInScreen(_Dialog):
    """Device-code sign-in: where to go and which code to enter. Closes itself once data arrives."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self._message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Sign in to Microsoft Entra ID", style="bold"), classes="dialog-title")
            yield Static(text(self._message), id="device-code")
            yield Static(Text("Finish signing in in a browser on any device; the console carries on by "
                              "itself. Esc hides this dialog.", style="dim"), classes="section")
        yield KeyFooter()


class ConfirmQuitScreen(actions.Guarded, ModalScreen[bool]):
    """Quit while a write is in flight? Dismissed with True to quit; starts on Cancel, so a reflexive
    Enter (or Escape, or the dialog's close keys) keeps the console running."""

    ACTION_SCOPE = "modal"
    BINDINGS = actions.bindings("modal")
    AUTO_FOCUS = "#cancel"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog confirm"):
            yield Static(Text("Quit while a change is being written?", style="bold"), classes="dialog-title")
            yield Static(Text("A write to the tenant has not finished: quitting now may leave the change "
                              "half done."), id="confirm-message")
            compact = not unicode_glyphs(self.app)  # a tall button's edges are block glyphs: one line in ASCII
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", variant="primary", compact=compact)
                yield Button("Quit anyway", id="quit", variant="error", compact=compact)
        yield KeyFooter()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "quit")
