"""The pane: what each view of the console (Overview, Conditional Access, ..., Data) is built on.

A pane is a Textual screen shown as an app mode (:class:`ztconsole.ui.app.ZtApp` has one mode per pane),
so switching panes keeps each one's scroll position, cursor and filter, the way k9s keeps its views, and
a dialog opened over one pane belongs to that pane. The base composes the shell every pane shares (the
tenant header, the load status line, the footer) around the pane's own widgets, and turns the tenant
store's messages into five hooks, called only for the data sets the pane declares:

* :meth:`Pane.load_started`: a load began (the previous tenant is still in ``self.store.tenant``);
* :meth:`Pane.data_set_reading`: one of its data sets is being read;
* :meth:`Pane.data_set_loaded`: one of its data sets has been read (or has failed), with its result;
* :meth:`Pane.load_ticked`: the load runs on (ten times a second: a spinner's frame);
* :meth:`Pane.tenant_loaded`: the load finished, with the whole tenant.

A pane mounted after a load (the user switched to it later) gets the same calls at once, from what the
store holds, so it never waits for the next load to show something.

Navigation (see :mod:`ztconsole.ui.navigation` and :mod:`ztconsole.ui.commandbar`) is declared as data on
the pane: its ``:`` aliases (``ALIASES``), the aliases that open one of its sub-views (``VIEWS``, shown
through :meth:`Pane.show_view`); :func:`alias_table` refuses two panes that claim one alias. Each pane
shows the breadcrumb under the header, the ``:`` / ``/`` prompt and a one-line flash above the footer,
and filters the first of its widgets that can be filtered (:class:`Filterable`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, ClassVar, Protocol, cast, runtime_checkable

from rich.text import Text
from textual._context import NoActiveAppError
from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from ztconsole.datasets import BY_KEY, DATASETS
from ztconsole.ui import actions
from ztconsole.ui.commandbar import CommandBar, Flash
from ztconsole.ui.footer import KeyFooter
from ztconsole.ui.header import TenantHeader
from ztconsole.ui.notice import DataNotice
from ztconsole.ui.safe import clean
from ztconsole.ui.status import FINAL, colour, glyph
from ztconsole.ui.store import TenantStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from ztconsole.model.tenant import DataSetResult, Tenant
    from ztconsole.ui.app import ZtApp

__all__ = ["AliasTable", "Breadcrumb", "Filterable", "LoadSummary", "Pane", "alias_table"]

_ALIAS = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")


@runtime_checkable
class Filterable(Protocol):
    """A widget the ``/`` filter can narrow: it shows only what matches ``text`` ("" shows everything)."""

    def set_filter(self, text: str) -> None: ...


class Pane(actions.Guarded, Screen[None]):
    """A pane: set ``ID`` (its mode name), ``TITLE``, ``DATASETS`` (catalogue keys from
    :mod:`ztconsole.datasets`) and ``ACTION_SCOPE`` (the registry scope of its own actions, bound on the
    pane; give the scope a heading in ``actions.SCOPES`` once it has actions), optionally ``ALIASES`` and
    ``VIEWS``, then :meth:`compose_pane` and the hooks it needs."""

    ID: ClassVar[str]
    TITLE: ClassVar[str]
    DATASETS: ClassVar[tuple[str, ...]] = ()
    ACTION_SCOPE: ClassVar[str]
    ALIASES: ClassVar[tuple[str, ...]]
    """Its ``:`` command names, lower case (default: ``(ID,)``); no two panes may share one."""
    VIEWS: ClassVar[Mapping[str, str]] = {}
    """Aliases (of ``ALIASES``) that open a sub-view, with the view's name: ``{"fw": "firewalls"}``."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        missing = [name for name in ("ID", "TITLE", "ACTION_SCOPE") if not getattr(cls, name, None)]
        if missing:
            raise TypeError(f"pane {cls.__name__}: set {', '.join(missing)}")
        unknown = [key for key in cls.DATASETS if key not in BY_KEY]
        if unknown:
            raise ValueError(f"pane {cls.__name__}: unknown data sets {', '.join(unknown)}")
        if "ALIASES" not in cls.__dict__ and ("ID" in cls.__dict__ or not hasattr(cls, "ALIASES")):
            cls.ALIASES = (cls.ID,)
        _check_aliases(cls)
        if "BINDINGS" not in cls.__dict__:  # before Textual merges the bindings, in the super call
            cls.BINDINGS = actions.bindings(cls.ACTION_SCOPE)
        super().__init_subclass__(**kwargs)  # type: ignore[arg-type]

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name, id, classes)
        # Textual re-parses every style sheet (twice) when a mode shows its first screen, whose CSS count
        # starts behind the app's: the style sheet is current (a theme change brings it up to date, and
        # counts up), and a pane's own styles are applied when it mounts, so a pane starts level with it.
        with suppress(NoActiveAppError):
            self._css_update_count = self.app._css_update_count
        self._bar: CommandBar | None = None
        self.view: str | None = None
        """The sub-view shown (a value of ``VIEWS``), None for the pane's main view."""
        self._filters: dict[Filterable, str] = {}

    @property
    def store(self) -> TenantStore:
        return cast("ZtApp", self.app).store

    def compose(self) -> ComposeResult:
        app = cast("ZtApp", self.app)
        yield TenantHeader(self.store.info, badge=app.badge, read_only=app.read_only)
        yield Breadcrumb(id="breadcrumb")
        yield from self.compose_pane()
        yield LoadSummary(self.store, id="summary")
        yield Flash(id="flash")
        yield CommandBar(id="command-bar")
        yield KeyFooter(show_command_palette=False)  # the registry puts the palette key among the others

    def compose_pane(self) -> ComposeResult:
        """The pane's own widgets, between the header and the status line."""
        yield from ()

    # --- hooks --------------------------------------------------------------------------------------

    def load_started(self) -> None:
        """A load began: the pane's data sets are queued."""

    def data_set_reading(self, key: str) -> None:
        """Data set ``key`` (one of ``DATASETS``) is being read."""

    def data_set_loaded(self, result: DataSetResult) -> None:
        """Data set ``result.key`` (one of ``DATASETS``) has been read, or has failed."""

    def load_ticked(self) -> None:
        """The load runs on: called every :data:`~ztconsole.ui.store.PROGRESS_INTERVAL` seconds while it
        does (after the hooks for what came in meanwhile), so what moves moves in one frame."""

    def tenant_loaded(self, tenant: Tenant) -> None:
        """The load finished: every data set's result is in ``tenant.results``."""

    def theme_changed(self) -> None:
        """The theme changed: draw again what was drawn in its colours (rows built with its styles). Every
        :class:`~ztconsole.ui.notice.DataNotice` of the pane is kept up to date by the base, before the
        hooks above run."""

    def show_view(self, view: str) -> None:
        """Show sub-view ``view``: a value of ``VIEWS`` (its alias was run), or "" for the pane's main view
        (Esc went back to where the pane showed it). Called once the pane is mounted, only when the view
        changes. A pane that switches views by its own keys goes through ``app.go(ID, view)``, so Esc comes
        back. The default shows nothing else."""

    # --- navigation ---------------------------------------------------------------------------------

    def enter_view(self, view: str | None) -> None:
        """Make ``view`` (None or "": the main view) the one shown, through :meth:`show_view` when it
        changes (the navigation calls this; see :meth:`ZtApp.go <ztconsole.ui.navigation.Navigation.go>`)."""
        view = view or None
        if view != self.view:
            self.view = view
            self.when_ready(self.show_view, view or "")

    def when_ready(self, callback: Callable[..., object], *args: object) -> None:
        """Call ``callback(*args)`` now if the pane is mounted, else once it is (a pane shown for the first
        time is composed after the switch)."""
        if self.is_mounted:
            callback(*args)
        else:
            self.call_after_refresh(callback, *args)

    @property
    def prompt_open(self) -> bool:
        """Whether the ``:`` / ``/`` prompt is open on the pane."""
        if self._bar is None or not self._bar.is_attached:  # asked for every key and binding check: found once
            self._bar = next(iter(self.query(CommandBar)), None)
        return self._bar is not None and self._bar.mode is not None

    def filter_target(self) -> Filterable | None:
        """What ``/`` filters: the focused widget if it can be filtered, else the pane's first shown widget
        that can (a sub-view's table that is hidden is not one)."""
        focused = self.focused
        if isinstance(focused, Filterable):
            return focused
        return next((w for w in self.query(Widget) if isinstance(w, Filterable) and _shown(w)), None)

    def filter_of(self, target: Filterable) -> str:
        """The filter ``target`` has ("" for none)."""
        return self._filters.get(target, "")

    @property
    def filters(self) -> tuple[str, ...]:
        """The filters in force on the pane's widgets, as the breadcrumb shows them. A pane that narrows
        its rows by other means too (selector keys) adds them here and clears them in :meth:`clear_filters`:
        Esc clears them all before it goes back."""
        return tuple(self._filters.values())

    def apply_filter(self, target: Filterable, value: str) -> None:
        """Filter ``target`` by ``value`` (trimmed; "" clears it), shown in the breadcrumb."""
        value = value.strip()
        if self._filters.get(target, "") == value:
            return
        target.set_filter(value)
        if value:
            self._filters[target] = value
        else:
            self._filters.pop(target, None)
        self.show_trail()
        self.app.refresh_bindings()  # Esc clears a filter before it goes back

    def clear_filters(self) -> bool:
        """Clear every filter of the pane (what Esc does first); whether there was one."""
        had = bool(self._filters)
        for target in list(self._filters):
            self.apply_filter(target, "")
        return had

    def show_trail(self) -> None:
        """Show the app's breadcrumb, with this pane's filters, on the line under the header."""
        try:
            crumb = self.query_one(Breadcrumb)
        except NoMatches:  # not composed yet: its on_mount shows it
            return
        crumb.show(cast("ZtApp", self.app).crumbs(), self.filters)

    def flash(self, message: str | Text, *, error: bool = False) -> None:
        """Say ``message`` on the flash line above the footer for a few seconds (a str is shown literally)."""
        self.query_one(Flash).flash(message, error=error)

    # --- the store's messages -----------------------------------------------------------------------

    # A subclass's own on_mount runs too (Textual calls the handler of every class in the MRO).
    def on_mount(self) -> None:
        self.show_trail()
        self.app.theme_changed_signal.subscribe(self, self._theme_signal)
        # after the first refresh: the pane's widgets are mounted by then, ready for the catch-up
        self.call_after_refresh(self._join_store)

    def _theme_signal(self, _theme: object) -> None:
        self.theme_changed()

    def on_screen_resume(self) -> None:
        self.show_trail()  # the trail may have changed while another pane was shown

    def on_unmount(self) -> None:
        self.store.unsubscribe(self)

    def _join_store(self) -> None:
        """Subscribe and catch up with the store in one step, so no message is missed or seen twice."""
        store = self.store
        store.subscribe(self)
        if store.loads:
            if store.loading:
                self.load_started()
                for key in sorted(store.reading() & set(self.DATASETS)):
                    self.data_set_reading(key)
            self._show_notices(store.results)
            for key in self.DATASETS:
                if key in store.results:
                    self.data_set_loaded(store.results[key])
            if not store.loading and store.tenant is not None:
                self.tenant_loaded(store.tenant)
        self._show_load()

    def _on_tenant_store_started(self, _message: TenantStore.Started) -> None:
        self.load_started()
        self._show_load()

    def _on_tenant_store_reading(self, message: TenantStore.Reading) -> None:
        if message.key in self.DATASETS:
            self.data_set_reading(message.key)
        self._show_load()

    def _on_tenant_store_loaded(self, message: TenantStore.Loaded) -> None:
        if message.result.key in self.DATASETS:
            self._show_notices(self.store.results)
            self.data_set_loaded(message.result)
        self._show_load()

    def _on_tenant_store_progress(self, _message: TenantStore.Progress) -> None:
        self.load_ticked()
        self._show_load()

    def _on_tenant_store_finished(self, message: TenantStore.Finished) -> None:
        self.query_one(TenantHeader).show_info(message.tenant.info)
        self._show_notices(message.tenant.results)
        self.tenant_loaded(message.tenant)
        self._show_load()

    def _show_load(self) -> None:
        self.query_one(LoadSummary).show_load()

    def _show_notices(self, results: Mapping[str, DataSetResult]) -> None:
        for notice in self.query(DataNotice):
            notice.show(results)


class LoadSummary(Static):
    """The status line under every pane: ``43 data sets: 40 ok, 2 missing, 1 failed — 1.2 s``
    (while loading: loaded, loading, queued, and the seconds so far, shown anew at each of the store's
    :class:`~ztconsole.ui.store.TenantStore.Progress` beats)."""

    DEFAULT_CSS = """
    LoadSummary { width: 1fr; height: 1; }
    """
    """One line whatever it says: a new text repaints the line without a layout of the screen."""

    def __init__(self, store: TenantStore, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._store = store
        self._drawn: tuple[object, ...] = ()

    def show_load(self) -> None:
        store = self._store
        if not store.loads:
            return
        counts = Counter(store.status(ds.key) for ds in DATASETS)
        out = Text(f"{len(DATASETS)} data sets: ", style="bold")
        if store.loading:
            loaded = len(DATASETS) - counts["loading"] - counts["queued"]
            out.append(f"{loaded} loaded, {counts['loading']} loading, {counts['queued']} queued")
        else:
            shown = [status for status in FINAL if status == "ok" or counts[status]]
            for i, status in enumerate(shown):
                out.append(", " if i else "")
                out.append(f"{counts[status]} {status}", style=colour(status, self.app.theme_variables))
        out.append(f" {glyph(self.app, 'dash')} {store.elapsed:.1f} s", style="dim")
        drawn = (out.plain, out.style, *out.spans)
        if drawn != self._drawn:  # ten times a second while loading: repaint only what changed
            self._drawn = drawn
            self.update(out, layout=False)


class Breadcrumb(Widget):
    """The line under the header: the panes (and views) visited, oldest first, as Esc will walk them back,
    and the shown pane's filter: ``Overview › Conditional Access / mfa`` (the theme's breadcrumb glyph: ``>``
    where it draws ASCII). What does not fit is cut from the left."""

    DEFAULT_CSS = """
    Breadcrumb { width: 1fr; height: 1; padding: 0 1; color: $text-muted; }
    Breadcrumb > .breadcrumb--current { color: $accent; text-style: bold; }
    Breadcrumb > .breadcrumb--filter { color: $warning; text-style: bold; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"breadcrumb--current", "breadcrumb--filter"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._crumbs: tuple[str, ...] = ()
        self._filters: tuple[str, ...] = ()

    @property
    def plain(self) -> str:
        """The whole trail as text, uncut (what a test or a screen reader wants)."""
        return self._line(len(self._crumbs), styled=False).plain

    def show(self, crumbs: Sequence[str], filters: Iterable[str] = ()) -> None:
        """Show ``crumbs`` (the last is where the console is) and ``filters`` (user text, shown literally)."""
        crumbs, filters = tuple(crumbs), tuple(filters)
        if (crumbs, filters) != (self._crumbs, self._filters):
            self._crumbs, self._filters = crumbs, filters
            self.refresh()

    def render(self) -> Text:
        width = max(self.content_region.width, 1)
        shown = len(self._crumbs)
        line = self._line(shown)
        while shown > 1 and line.cell_len > width:  # drop the oldest crumbs first
            shown -= 1
            line = self._line(shown)
        if line.cell_len > width:  # the current crumb alone is too long: its end goes
            line.truncate(max(width - 1, 0))
            line.append(glyph(self.app, "ellipsis")[:1])
        return line

    def _line(self, shown: int, *, styled: bool = True) -> Text:
        """The last ``shown`` crumbs (an ellipsis for the others) and the filters."""
        current = self.get_component_rich_style("breadcrumb--current", partial=True) if styled else ""
        filtered = self.get_component_rich_style("breadcrumb--filter", partial=True) if styled else ""
        crumbs = self._crumbs[len(self._crumbs) - shown:]
        separator = f" {glyph(self.app, 'breadcrumb')} "
        out = Text(no_wrap=True, overflow="ellipsis")
        if shown < len(self._crumbs):
            out.append(glyph(self.app, "ellipsis") + separator)
        for i, crumb in enumerate(crumbs):
            last = i == len(crumbs) - 1
            out.append(clean(crumb), style=current if last else "")
            if not last:
                out.append(separator)
        for value in self._filters:
            out.append(" / ")
            out.append(clean(value), style=filtered)
        return out


AliasTable = dict[str, tuple[type[Pane], str | None]]
"""``:`` alias -> (its pane, the sub-view it opens or None)."""


def alias_table(panes: Iterable[type[Pane]]) -> AliasTable:
    """Every pane alias with its pane and view. Raises ValueError naming both panes when two claim one
    alias, and naming the action when an alias is one of the registry's commands (``:q``)."""
    table: AliasTable = {}
    for pane in panes:
        for alias in pane.ALIASES:
            if alias in table:
                other = table[alias][0]
                raise ValueError(f"panes {other.__name__} ({other.ID}) and {pane.__name__} ({pane.ID}) both "
                                 f"declare the alias :{alias}")
            if alias in actions.BY_COMMAND:
                raise ValueError(f"pane {pane.__name__} ({pane.ID}) declares the alias :{alias}, the command of "
                                 f"action {actions.BY_COMMAND[alias].id}")
            table[alias] = (pane, pane.VIEWS.get(alias))
    return table


def _shown(widget: Widget) -> bool:
    """Whether ``widget`` and every container around it are displayed."""
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


def _check_aliases(cls: type[Pane]) -> None:
    """A pane's own aliases: lower-case words, each once; every ``VIEWS`` key one of them."""
    name = cls.__name__
    if isinstance(cls.ALIASES, str) or not cls.ALIASES:
        raise TypeError(f"pane {name}: ALIASES must be a tuple of at least one alias")
    bad = [alias for alias in cls.ALIASES if not isinstance(alias, str) or not _ALIAS.match(alias)]
    if bad:
        raise ValueError(f"pane {name}: aliases are lower-case letters, digits, '-' and '_': {bad!r}")
    twice = sorted({alias for alias in cls.ALIASES if cls.ALIASES.count(alias) > 1})
    if twice:
        raise ValueError(f"pane {name}: alias declared twice: {', '.join(twice)}")
    stray = [alias for alias in cls.VIEWS if alias not in cls.ALIASES]
    if stray:
        raise ValueError(f"pane {name}: VIEWS names aliases not in ALIASES: {', '.join(stray)}")
    empty = [alias for alias, view in cls.VIEWS.items() if not isinstance(view, str) or not view]
    if empty:
        raise ValueError(f"pane {name}: VIEWS gives no view name for {', '.join(empty)}")
