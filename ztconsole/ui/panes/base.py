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
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from ztconsole.datasets import BY_KEY, DATASETS
from ztconsole.ui import actions
from ztconsole.ui.footer import KeyFooter
from ztconsole.ui.header import TenantHeader
from ztconsole.ui.status import FINAL, colour
from ztconsole.ui.store import TenantStore

if TYPE_CHECKING:
    from ztconsole.model.tenant import DataSetResult, Tenant
    from ztconsole.ui.app import ZtApp

__all__ = ["LoadSummary", "Pane"]


class Pane(actions.Guarded, Screen[None]):
    """A pane: set ``ID`` (its mode name, later its ``:`` alias), ``TITLE``, ``DATASETS`` (catalogue keys
    from :mod:`ztconsole.datasets`) and ``ACTION_SCOPE`` (the registry scope of its own actions, bound on
    the pane; give the scope a heading in ``actions.SCOPES`` once it has actions), then
    :meth:`compose_pane` and the hooks it needs."""

    ID: ClassVar[str]
    TITLE: ClassVar[str]
    DATASETS: ClassVar[tuple[str, ...]] = ()
    ACTION_SCOPE: ClassVar[str]

    def __init_subclass__(cls, **kwargs: object) -> None:
        missing = [name for name in ("ID", "TITLE", "ACTION_SCOPE") if not getattr(cls, name, None)]
        if missing:
            raise TypeError(f"pane {cls.__name__}: set {', '.join(missing)}")
        unknown = [key for key in cls.DATASETS if key not in BY_KEY]
        if unknown:
            raise ValueError(f"pane {cls.__name__}: unknown data sets {', '.join(unknown)}")
        if "BINDINGS" not in cls.__dict__:  # before Textual merges the bindings, in the super call
            cls.BINDINGS = actions.bindings(cls.ACTION_SCOPE)
        super().__init_subclass__(**kwargs)  # type: ignore[arg-type]

    @property
    def store(self) -> TenantStore:
        return cast("ZtApp", self.app).store

    def compose(self) -> ComposeResult:
        app = cast("ZtApp", self.app)
        yield TenantHeader(self.store.info, badge=app.badge, read_only=app.read_only)
        yield from self.compose_pane()
        yield LoadSummary(self.store, id="summary")
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

    # --- the store's messages -----------------------------------------------------------------------

    # A subclass's own on_mount runs too (Textual calls the handler of every class in the MRO).
    def on_mount(self) -> None:
        # after the first refresh: the pane's widgets are mounted by then, ready for the catch-up
        self.call_after_refresh(self._join_store)

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
            self.data_set_loaded(message.result)
        self._show_load()

    def _on_tenant_store_progress(self, _message: TenantStore.Progress) -> None:
        self.load_ticked()
        self._show_load()

    def _on_tenant_store_finished(self, message: TenantStore.Finished) -> None:
        self.query_one(TenantHeader).show_info(message.tenant.info)
        self.tenant_loaded(message.tenant)
        self._show_load()

    def _show_load(self) -> None:
        self.query_one(LoadSummary).show_load()


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
        out.append(f" — {store.elapsed:.1f} s", style="dim")
        drawn = (out.plain, out.style, *out.spans)
        if drawn != self._drawn:  # ten times a second while loading: repaint only what changed
            self._drawn = drawn
            self.update(out, layout=False)
